using System.Globalization;

namespace Switchboard.Platform.Versioning;

/// <summary>
/// That an operation (or a whole API version) is deprecated: since when, when it goes away, and the changelog entry that
/// explains what to use instead. Attached to endpoints as metadata with <see cref="DeprecationExtensions.Deprecated"/>, or
/// declared for a whole version in <see cref="ApiVersions"/>; <see cref="DeprecationMiddleware"/> turns it into headers
/// and the OpenAPI conventions (<see cref="DeprecationDocumentation"/>) into <c>deprecated: true</c> and the headers in
/// the documents.
/// </summary>
public sealed record Deprecation
{
    public Deprecation(DateTimeOffset deprecatedAt, DateTimeOffset sunsetAt, string changelogAnchor)
    {
        // Note: RFC 9745 §5: "the value of Sunset ... should not be earlier than the value of Deprecation".
        if (sunsetAt < deprecatedAt) throw new ArgumentException("A sunset cannot come before the deprecation.", nameof(sunsetAt));
        if (string.IsNullOrWhiteSpace(changelogAnchor) || changelogAnchor.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
            throw new ArgumentException("The changelog anchor must be letters, digits, '-' or '_' (it goes into a URI fragment).", nameof(changelogAnchor));
        DeprecatedAt = deprecatedAt.ToUniversalTime();
        SunsetAt = sunsetAt.ToUniversalTime();
        ChangelogAnchor = changelogAnchor;
        // Formatted once: they go out on every response of a deprecated operation.
        DeprecationHeader = "@" + DeprecatedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        SunsetHeader = SunsetAt.ToString("r", CultureInfo.InvariantCulture);
        LinkValue = $"<{ChangelogPath}#{ChangelogAnchor}>; rel=\"deprecation\"; type=\"text/html\"";
    }

    /// <summary>Deprecation and sunset at midnight UTC of the given days.</summary>
    public Deprecation(DateOnly deprecatedOn, DateOnly sunsetOn, string changelogAnchor)
        : this(new DateTimeOffset(deprecatedOn, TimeOnly.MinValue, TimeSpan.Zero), new DateTimeOffset(sunsetOn, TimeOnly.MinValue, TimeSpan.Zero), changelogAnchor) { }

    public DateTimeOffset DeprecatedAt { get; }
    public DateTimeOffset SunsetAt { get; }
    /// <summary>The fragment of the changelog page (<c>/developers/changelog#…</c>) that announces this deprecation.</summary>
    public string ChangelogAnchor { get; }

    public const string ChangelogPath = "/developers/changelog";

    /// <summary>
    /// RFC 9745 §2.1: the Deprecation field is a Structured Field Item whose value is a Date (RFC 9651 §3.3.7): "@" and
    /// the integer seconds since the Unix epoch, e.g. <c>@1795305600</c>.
    /// </summary>
    public string DeprecationHeader { get; }

    /// <summary>RFC 8594 §3: Sunset is an HTTP-date, sent as IMF-fixdate (RFC 9110 §5.6.7), e.g. <c>Mon, 22 Nov 2027 00:00:00 GMT</c>.</summary>
    public string SunsetHeader { get; }

    /// <summary>
    /// RFC 9745 §3: a link with relation type "deprecation" to human-readable documentation of the deprecation. The target
    /// is a relative reference (RFC 8288 §3), like this API's rel="next" links, so it is right behind any proxy or host name.
    /// </summary>
    public string LinkValue { get; }

    /// <summary>What the reference documentation says about it.</summary>
    public string Notice =>
        $"Deprecated since {DeprecatedAt:yyyy-MM-dd}; it stops working on {SunsetAt:yyyy-MM-dd} (sunset). " +
        $"See the changelog: {ChangelogPath}#{ChangelogAnchor}.";
}

public static class DeprecationExtensions
{
    /// <summary>Marks the endpoint(s) deprecated: every response carries Deprecation, Sunset and Link rel="deprecation".</summary>
    public static TBuilder Deprecated<TBuilder>(this TBuilder builder, Deprecation deprecation) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(deprecation);
        return builder;
    }

    /// <summary>The deprecation that applies to an endpoint: its own (<paramref name="own"/>), else its API version's, else none.</summary>
    public static Deprecation? DeprecationOf(this ApiVersions versions, Deprecation? own, string? route) =>
        own ?? versions.Of(route)?.Deprecation;
}
