namespace Switchboard.Platform.Versioning;

/// <summary>
/// Every response of a deprecated operation (errors included) says so: <c>Deprecation</c> (RFC 9745 §2),
/// <c>Sunset</c> (RFC 8594 §3) and a <c>Link</c> with rel="deprecation" (RFC 9745 §3) to the changelog entry.
/// </summary>
public sealed class DeprecationMiddleware(RequestDelegate next, ApiVersions versions)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint() is { } endpoint &&
            // GetMetadata is cached per endpoint: this runs on every request.
            versions.DeprecationOf(endpoint.Metadata.GetMetadata<Deprecation>(), (endpoint as RouteEndpoint)?.RoutePattern.RawText) is { } deprecation)
        {
            // Set as the response starts: after the handler's own Link (rel="next"), and after the exception handler
            // clears a failed response, so both keep the headers.
            context.Response.OnStarting(static state =>
            {
                var (http, d) = ((HttpContext, Deprecation))state;
                var headers = http.Response.Headers;
                headers["Deprecation"] = d.DeprecationHeader;
                headers["Sunset"] = d.SunsetHeader;
                headers.Link = AddLink(headers.Link, d.LinkValue);
                return Task.CompletedTask;
            }, (context, deprecation));
        }
        return next(context);
    }

    /// <summary>
    /// Note: RFC 8288 §3 and RFC 9110 §5.3: Link is a list-based field, so links join with ", " into one field value.
    /// One line rather than two keeps clients that read a single Link header (most do) seeing rel="next" as well.
    /// </summary>
    internal static string AddLink(Microsoft.Extensions.Primitives.StringValues existing, string link)
    {
        if (existing.Count == 0) return link;
        var present = existing.Where(v => !string.IsNullOrWhiteSpace(v)).ToList();
        return present.Count == 0 ? link : string.Join(", ", present.Append(link));
    }
}
