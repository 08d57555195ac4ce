using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Switchboard.Platform.Errors;

/// <summary>Builds RFC 9457 problem details with this API's extensions (<c>code</c>, <c>requestId</c>, <c>errors</c>).</summary>
public static class ApiProblem
{
    public const string ContentType = "application/problem+json";
    private const string TypeBase = "https://switchboard.dev/errors/";

    public static ProblemDetails Create(int status, string code, string detail, IDictionary<string, string[]>? errors = null)
    {
        var problem = new ProblemDetails
        {
            Type = TypeBase + code.Replace('_', '-'),
            Title = TitleFor(status),
            Status = status,
            Detail = detail,
        };
        problem.Extensions["code"] = code;
        if (errors is not null) problem.Extensions["errors"] = errors;
        return problem;
    }

    public static ProblemHttpResult Result(int status, string code, string detail, IDictionary<string, string[]>? errors = null) =>
        TypedResults.Problem(Create(status, code, detail, errors));

    public static ProblemHttpResult NotFound(string what = "resource") =>
        Result(StatusCodes.Status404NotFound, ErrorCodes.NotFound, $"No such {what}.");

    public static ProblemHttpResult Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    public static ProblemHttpResult Validation(IDictionary<string, string[]> errors) =>
        Result(StatusCodes.Status400BadRequest, ErrorCodes.ValidationFailed, "One or more fields are invalid.", errors);

    public static ProblemHttpResult Conflict(string code, string detail) => Result(StatusCodes.Status409Conflict, code, detail);

    /// <summary>Writes a problem directly, for middleware that runs outside endpoint results.</summary>
    public static async Task WriteAsync(HttpContext context, int status, string code, string detail, IDictionary<string, string[]>? errors = null)
    {
        context.Response.StatusCode = status;
        var writer = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await writer.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = Create(status, code, detail, errors) });
    }

    public static string TitleFor(int status) => status switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        410 => "Gone",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => status >= 500 ? "Internal Server Error" : "Error",
    };

    public static string DefaultCodeFor(int status) => status switch
    {
        400 => ErrorCodes.BadRequest,
        401 => ErrorCodes.Unauthorized,
        403 => ErrorCodes.Forbidden,
        404 => ErrorCodes.NotFound,
        405 => ErrorCodes.MethodNotAllowed,
        409 => ErrorCodes.Conflict,
        410 => ErrorCodes.Gone,
        412 => ErrorCodes.PreconditionFailed,
        413 => ErrorCodes.PayloadTooLarge,
        414 => ErrorCodes.UriTooLong,
        415 => ErrorCodes.UnsupportedMediaType,
        429 => ErrorCodes.RateLimited,
        431 => ErrorCodes.HeaderFieldsTooLarge,
        503 => ErrorCodes.ServiceUnavailable,
        505 => ErrorCodes.HttpVersionNotSupported,
        _ => status >= 500 ? ErrorCodes.InternalError : ErrorCodes.BadRequest,
    };
}
