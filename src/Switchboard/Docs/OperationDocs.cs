using Switchboard.Platform.Errors;

namespace Switchboard.Docs;

/// <summary>A query parameter an endpoint reads from the query string itself (so the generator cannot see it).</summary>
/// <param name="Type">A JSON Schema type: string, integer, number or boolean.</param>
public sealed record QueryParameterDoc(string Name, string Description, string Type = "string", string? Format = null,
    IReadOnlyList<string>? Enum = null, bool Required = false, string? Example = null, int? Minimum = null, int? Maximum = null);

/// <summary>Error codes an endpoint answers beyond those the document infers from its shape (auth, body, id, paging).</summary>
public sealed record DocumentedErrors(IReadOnlyList<string> Codes);

/// <summary>The endpoint honours <c>If-Match</c> (412 when stale) and/or <c>If-None-Match</c> (304), and whether it answers an <c>ETag</c>.</summary>
public sealed record ConditionalRequestDoc(bool IfMatch, bool IfNoneMatch, bool ETag = true);

/// <summary>Declarations that make the OpenAPI document say what an endpoint really does.</summary>
public static class OperationDocsExtensions
{
    public static TBuilder WithQueryParameters<TBuilder>(this TBuilder builder, params QueryParameterDoc[] parameters) where TBuilder : IEndpointConventionBuilder
    {
        foreach (var parameter in parameters) builder.WithMetadata(parameter);
        return builder;
    }

    /// <summary>limit, cursor and offset, as <see cref="Platform.Pagination.PageRequest"/> reads them.</summary>
    public static TBuilder WithPaging<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithQueryParameters(Paging);

    /// <summary>from and to, as <c>AnalyticsApi.TryPeriod</c> reads them.</summary>
    public static TBuilder WithPeriod<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithQueryParameters(
            new QueryParameterDoc("from", "Start of the period (inclusive), ISO 8601. Default: 30 days before `to`.", Format: "date-time", Example: "2026-01-01T00:00:00Z"),
            new QueryParameterDoc("to", "End of the period (exclusive), ISO 8601. Default: now.", Format: "date-time", Example: "2026-02-01T00:00:00Z"));

    public static TBuilder ProducesErrors<TBuilder>(this TBuilder builder, params string[] codes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new DocumentedErrors(codes));

    public static TBuilder WithConditionalRequests<TBuilder>(this TBuilder builder, bool ifMatch, bool ifNoneMatch, bool etag = true) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ConditionalRequestDoc(ifMatch, ifNoneMatch, etag));

    public static readonly QueryParameterDoc[] Paging =
    [
        new("limit", "Page size.", "integer", Minimum: 1, Maximum: 100, Example: "20"),
        new("cursor", "Opaque cursor from the previous page's `nextCursor`; keeps the other parameters of that request."),
        new("offset", "Records to skip (prefer `cursor`: offsets shift when records are added).", "integer", Minimum: 0),
    ];

    /// <summary>The codes every problem of a given status can carry, so a document never names a code the catalog lacks.</summary>
    internal static int StatusOf(string code) =>
        ErrorCodes.Catalog.FirstOrDefault(c => c.Code == code) is { Code: not null } entry
            ? entry.Status
            : throw new InvalidOperationException($"'{code}' is not in ErrorCodes.Catalog.");
}
