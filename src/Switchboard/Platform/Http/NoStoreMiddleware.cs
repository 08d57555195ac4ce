using Switchboard.Platform.Auth;

namespace Switchboard.Platform.Http;

/// <summary>
/// Responses to authenticated requests carry tenant data: <c>Cache-Control: no-store</c> keeps every shared and private
/// cache from keeping them (RFC 9111 §5.2.2.5).
/// </summary>
public sealed class NoStoreMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            var http = (HttpContext)state;
            if (http.FindCaller() is not null) http.Response.Headers.CacheControl = "no-store";
            return Task.CompletedTask;
        }, context);
        return next(context);
    }
}
