using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;

namespace Switchboard.Platform.Errors;

public static class ProblemDetailsSetup
{
    public static IServiceCollection AddApiProblems(this IServiceCollection services)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            var problem = ctx.ProblemDetails;
            var status = problem.Status ?? ctx.HttpContext.Response.StatusCode;
            problem.Status = status;
            problem.Title ??= ApiProblem.TitleFor(status);
            problem.Instance ??= ctx.HttpContext.Request.Path;
            if (!problem.Extensions.ContainsKey("code")) problem.Extensions["code"] = ApiProblem.DefaultCodeFor(status);
            if (problem.Detail == ApiProblem.TitleFor(status)) problem.Detail = null;
            problem.Detail ??= status switch
            {
                404 => "No resource at this path.",
                405 => $"{ctx.HttpContext.Request.Method} is not supported on this path.",
                413 => "The request body is larger than this API accepts.",
                415 => "Send the body as application/json.",
                _ => ApiProblem.TitleFor(status),
            };
            problem.Extensions["requestId"] = ctx.HttpContext.TraceIdentifier;
            problem.Extensions.Remove("traceId");
        });
        services.AddExceptionHandler<ApiExceptionHandler>();
        // Minimal APIs throw (instead of answering an empty 400) so the handler below can explain what was wrong.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return services;
    }
}

/// <summary>Turns every exception into problem+json. Bad input becomes a 4xx with the reason; only real faults are 500.</summary>
internal sealed class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, code, detail, errors) = Classify(exception);
        if (status >= 500)
            logger.LogError(exception, "Unhandled exception for {Method} {Path}", context.Request.Method, context.Request.Path);
        else
            logger.LogInformation("Rejected {Method} {Path}: {Code}", context.Request.Method, context.Request.Path, code);

        if (context.Response.HasStarted) return false;
        context.Response.Clear();
        context.Response.StatusCode = status;
        // RFC 9110 §10.2.3: tell the client when trying again makes sense.
        if (status == 503) context.Response.Headers.RetryAfter = "1";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = ApiProblem.Create(status, code, detail, errors),
        });
    }

    internal static (int Status, string Code, string Detail, IDictionary<string, string[]>? Errors) Classify(Exception exception)
    {
        switch (exception)
        {
            case BadHttpRequestException { StatusCode: 413 }:
                return (413, ErrorCodes.PayloadTooLarge, "The request body is larger than this API accepts.", null);
            case BadHttpRequestException { StatusCode: 415 }:
                return (415, ErrorCodes.UnsupportedMediaType, "Send the body as application/json.", null);
            case BadHttpRequestException { InnerException: JsonException json }:
                return JsonProblem(json);
            // "Implicit body inferred … but no body was provided" / "Required parameter … was not provided from body":
            // the framework's wording speaks to the server's developer, not to the API's user.
            case BadHttpRequestException bad when bad.Message.Contains("no body was provided", StringComparison.OrdinalIgnoreCase)
                                                || bad.Message.Contains("was not provided", StringComparison.OrdinalIgnoreCase):
                return (400, ErrorCodes.MalformedJson, "A JSON object body is required.", null);
            case BadHttpRequestException bad when bad.StatusCode is >= 400 and < 500:
                return (bad.StatusCode, bad.StatusCode == 400 ? ErrorCodes.BadRequest : ApiProblem.DefaultCodeFor(bad.StatusCode), SafeBindingMessage(bad), null);
            case JsonException json:
                return JsonProblem(json);
            case OperationCanceledException:
                return (499, ErrorCodes.BadRequest, "The client closed the request.", null);
            case var _ when IsDatabaseUnavailable(exception):
                return (503, ErrorCodes.ServiceUnavailable, "The database is unavailable or overloaded; retry shortly.", null);
            default:
                return (500, ErrorCodes.InternalError, "An unexpected error occurred. Quote the requestId when reporting it.", null);
        }
    }

    /// <summary>
    /// The database could not serve the request, through no fault of the request: PostgreSQL unreachable, a connection
    /// pool exhausted, a server shutting down (Npgsql marks these transient), or SQLite's database busy or locked beyond
    /// the busy timeout. EF wraps them, so the whole chain is searched. Those deserve 503 and a retry, not 500.
    /// </summary>
    internal static bool IsDatabaseUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
            if (e is Npgsql.NpgsqlException { IsTransient: true } || e is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 5 or 6 })
                return true;
        return false;
    }

    private static (int, string, string, IDictionary<string, string[]>?) JsonProblem(JsonException json)
    {
        // JsonException.Path is "$.rateLimit.requests"; report it as a field name, not as .NET type names.
        var path = json.Path + (json.Data[Http.OptionalConverterFactory.NestedPath] as string ?? "");
        if (string.IsNullOrEmpty(path) || path == "$")
            return (400, ErrorCodes.MalformedJson, "The request body is not valid JSON.", null);
        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        // Bodies that refuse unknown members ([JsonUnmappedMemberHandling(Disallow)], e.g. v2 contacts) say which one.
        if (IsUnknownMember(json))
            return (400, ErrorCodes.MalformedJson, $"'{field}' is not a field of this request body.",
                new Dictionary<string, string[]> { [field] = ["Is not a field of this request body."] });
        return (400, ErrorCodes.MalformedJson, $"The value of '{field}' is not valid JSON or has the wrong type.",
            new Dictionary<string, string[]> { [field] = ["Has the wrong type or is not valid JSON."] });
    }

    // System.Text.Json has no error code for it; its message ("The JSON property 'x' could not be mapped to any .NET
    // member…") is the only sign, and the worst a change of wording does is fall back to the generic message.
    private static bool IsUnknownMember(JsonException json)
    {
        for (Exception? e = json; e is not null; e = e.InnerException)
            if (e.Message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal)) return true;
        return false;
    }

    private static string SafeBindingMessage(BadHttpRequestException bad) =>
        // Binding messages name parameters ("Failed to bind parameter \"int limit\" from \"abc\"."), which is useful and safe.
        bad.Message.Length <= 300 ? bad.Message : bad.Message[..300];
}
