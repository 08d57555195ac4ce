namespace Switchboard.Platform.Versioning;

/// <summary>One version of the API: its path segment (<c>/api/v2/…</c>) and, once it is on its way out, its deprecation.</summary>
public sealed record ApiVersion(string Name, string Title, Deprecation? Deprecation = null)
{
    // Built once: the deprecation middleware consults the prefix on every request.
    public string PathPrefix { get; } = $"/api/{Name}/";
    public string OpenApiDocument { get; } = $"/api/openapi/{Name}.json";
}

/// <summary>
/// The versions this node serves. A version's routes live under <c>/api/{name}/</c> and its OpenAPI document at
/// <c>/api/openapi/{name}.json</c>. Deprecating a whole version is one line here (its <see cref="ApiVersion.Deprecation"/>);
/// single operations are deprecated on their endpoints instead (<see cref="DeprecationExtensions.Deprecated"/>).
/// Registered as a service so that a test can declare another set.
/// </summary>
public sealed class ApiVersions(IReadOnlyList<ApiVersion> versions)
{
    public static readonly ApiVersion V1 = new("v1", "Switchboard API v1");
    /// <summary>v2 re-shapes what needed it (contacts); everything else is served by v1. See docs/versioning.md.</summary>
    public static readonly ApiVersion V2 = new("v2", "Switchboard API v2");

    public static ApiVersions Declared { get; } = new([V1, V2]);

    public IReadOnlyList<ApiVersion> All => versions;

    /// <summary>The version a route or request path belongs to, or null outside /api/{version}/.</summary>
    public ApiVersion? Of(string? route)
    {
        if (string.IsNullOrEmpty(route)) return null;
        var path = route.StartsWith('/') ? route : "/" + route;
        foreach (var version in versions)
        {
            var prefix = version.PathPrefix;
            if (path.StartsWith(prefix, StringComparison.Ordinal) || path.AsSpan().SequenceEqual(prefix.AsSpan(0, prefix.Length - 1))) return version;
        }
        return null;
    }
}
