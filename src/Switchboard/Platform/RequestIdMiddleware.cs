namespace Switchboard.Platform;

/// <summary>
/// Gives every request an id: a caller's own <c>X-Request-Id</c> is echoed when it is well formed
/// (1–128 characters of letters, digits, '.', '_', '-', ':'), otherwise a new <c>req_</c> id is made.
/// The id becomes <see cref="HttpContext.TraceIdentifier"/>, so logs and problem bodies carry it.
/// </summary>
public sealed class RequestIdMiddleware(RequestDelegate next)
{
    public const string Header = "X-Request-Id";

    public Task InvokeAsync(HttpContext context)
    {
        var incoming = context.Request.Headers[Header];
        var id = incoming.Count == 1 && IsValid(incoming[0]) ? incoming[0]! : Ids.New(Resources.ResourceRegistry.Requests);
        context.TraceIdentifier = id;
        // Set as the response starts, so that paths which clear the response (the exception handler) keep it too.
        context.Response.OnStarting(static state =>
        {
            var http = (HttpContext)state;
            http.Response.Headers[Header] = http.TraceIdentifier;
            return Task.CompletedTask;
        }, context);
        return next(context);
    }

    private static readonly System.Buffers.SearchValues<char> Allowed =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:");

    public static bool IsValid(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= 128 &&
        value.AsSpan().IndexOfAnyExcept(Allowed) < 0;
}
