using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Switchboard.Platform.Errors;

namespace Switchboard.Platform.Http;

/// <summary>
/// Refuses, before any endpoint sees them, requests whose bytes no endpoint can take, with the same answer everywhere
/// and on both databases:
/// <list type="bullet">
/// <item>a JSON body declared in a charset other than UTF-8 (RFC 8259 §8.1: JSON exchanged between systems MUST be
/// UTF-8): 415 <c>unsupported_media_type</c>; a UTF-8 charset however spelled (<c>"utf-8"</c>, <c>UTF8</c>) is
/// normalized so the framework's own reader does not stumble on it;</item>
/// <item>a body that is not valid UTF-8, wherever the bad bytes sit (a skipped unknown property included): 400
/// <c>malformed_json</c>, through <see cref="Utf8ValidatingStream"/>;</item>
/// <item>a JSON body that grows past the configured limit as it is read (one whose declared length is past it got its
/// 413 from <see cref="BodySizeLimitMiddleware"/> already): 413 <c>payload_too_large</c>, answered without resetting
/// the connection (the server's own limit is lifted for the request so that it can drain what the client still sends;
/// <see cref="Utf8ValidatingStream"/> enforces the limit instead);</item>
/// <item>a NUL (<c>%00</c>) in a query value: text no database column stores (PostgreSQL refuses it), 400
/// <c>validation_failed</c> naming the parameter.</item>
/// </list>
/// </summary>
public sealed class RequestGuardMiddleware(RequestDelegate next, Microsoft.Extensions.Options.IOptions<SwitchboardOptions> options)
{
    private readonly long _limit = options.Value.Api.MaxRequestBodyBytes;

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        // The API's parameters reach the database; the portal's pages (its search) answer any text with a page.
        if (request.QueryString.HasValue && request.QueryString.Value!.Contains("%00", StringComparison.Ordinal)
            && request.Path.StartsWithSegments("/api", StringComparison.Ordinal) && NulParameter(request) is { } parameter)
            return ApiProblem.WriteAsync(context, 400, ErrorCodes.ValidationFailed, "One or more fields are invalid.",
                new Dictionary<string, string[]> { [parameter] = ["Must not contain the NUL character (U+0000)."] });

        var hasBody = request.ContentLength is > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
        if (!hasBody) return next(context);

        MediaTypeHeaderValue? media = null;
        var json = request.ContentType is { } contentType && MediaTypeHeaderValue.TryParse(contentType, out media)
            && media.MediaType.Value is { } mediaType && IsJson(mediaType);
        if (json && media!.Charset.HasValue)
        {
            var type = media.MediaType.Value!;
            var charset = HeaderUtilities.RemoveQuotes(media.Charset).Value;
            if (!string.Equals(charset, "utf-8", StringComparison.OrdinalIgnoreCase) && !string.Equals(charset, "utf8", StringComparison.OrdinalIgnoreCase))
                return ApiProblem.WriteAsync(context, 415, ErrorCodes.UnsupportedMediaType,
                    "Send the body as application/json in UTF-8 (RFC 8259 §8.1); no other charset is accepted.");
            if (!string.Equals(media.Charset.Value, "utf-8", StringComparison.OrdinalIgnoreCase))
                request.ContentType = type + "; charset=utf-8";
        }

        // Kestrel enforces its limit by failing the read, and then closes the connection with the rest of the body
        // unread: the client sees a reset (EPIPE) instead of the answer. Lifted here for JSON bodies, the server drains
        // what is still coming after the answer (bounded by its drain timeout) and Utf8ValidatingStream keeps the limit.
        // Other bodies are refused (415) without being read, under the server's own limit.
        if (json)
        {
            var size = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
            var limit = size?.MaxRequestBodySize ?? _limit;
            if (size is { IsReadOnly: false }) size.MaxRequestBodySize = null;
            request.Body = new Utf8ValidatingStream(request.Body, limit);
        }
        return next(context);
    }

    private static bool IsJson(string mediaType) =>
        mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);

    private static string? NulParameter(HttpRequest request)
    {
        foreach (var (name, values) in request.Query)
            if (name.Contains('\0', StringComparison.Ordinal) || values.Any(v => v?.Contains('\0', StringComparison.Ordinal) == true))
                return name.Replace("\0", "", StringComparison.Ordinal);
        return null;
    }
}
