using System.Globalization;

namespace Switchboard.Client;

/// <summary>Per-call settings: an idempotency key of your own, an <c>If-Match</c> precondition, extra headers.</summary>
public sealed record RequestOptions
{
    /// <summary>
    /// The <c>Idempotency-Key</c> of a POST. Without one, the client makes a random key per call, so its own retries are
    /// replayed by the API instead of being done twice; set your own to make retries across processes safe too.
    /// </summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>The <c>ETag</c> you read, for PATCH and DELETE: a change by someone else in between answers 412.</summary>
    public string? IfMatch { get; init; }

    /// <summary>More request headers.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }
}

/// <summary>What an operation sends as its credential.</summary>
public enum OperationAuth
{
    /// <summary>The client's API key or access token.</summary>
    Credential,
    /// <summary>Nothing (signup, login, refresh, logout, ...).</summary>
    None,
    /// <summary>The operator's <c>X-Admin-Token</c>.</summary>
    Admin,
}

/// <summary>A request of one operation, as the generated methods describe it.</summary>
internal sealed record ApiRequest(HttpMethod Method, string Path, OperationAuth Auth)
{
    public byte[]? Body { get; init; }
    public IQueryParameters? Query { get; init; }
    public RequestOptions? Options { get; init; }
    /// <summary>Set by pagination: replaces the query's cursor and offset.</summary>
    public string? Cursor { get; init; }

    public string PathAndQuery()
    {
        var pairs = Query?.ToPairs() ?? [];
        if (Cursor is not null)
            pairs = pairs.Where(p => p.Key is not ("cursor" or "offset")).Append(new("cursor", Cursor));
        var query = string.Join('&', pairs.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        return query.Length == 0 ? Path : Path + "?" + query;
    }
}

/// <summary>The query parameters of an operation (the generated <c>…Query</c> records).</summary>
public interface IQueryParameters
{
    /// <summary>The parameters that are set, as they go on the wire.</summary>
    IEnumerable<KeyValuePair<string, string>> ToPairs();
}

/// <summary>How query values are written: ISO 8601 UTC timestamps, invariant numbers, lower-case booleans.</summary>
internal static class QueryValue
{
    public static string Format(string value) => value;
    public static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);
    public static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
    public static string Format(decimal value) => value.ToString(CultureInfo.InvariantCulture);
    public static string Format(bool value) => value ? "true" : "false";
    public static string Format(DateOnly value) => value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    public static string Format(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
}

/// <summary>Names the OpenAPI operation a method calls (the SDK's coverage test reads it).</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class SwitchboardOperationAttribute(string operationId) : Attribute
{
    /// <summary>The <c>operationId</c> of the v1 document.</summary>
    public string OperationId { get; } = operationId;
}

/// <summary>One page of a list: <c>{ data, hasMore, nextCursor }</c>.</summary>
/// <typeparam name="T">The record type.</typeparam>
public sealed record Page<T>
{
    /// <summary>The records of this page.</summary>
    public IReadOnlyList<T> Data { get; init; } = [];

    /// <summary>Whether another page follows.</summary>
    public bool HasMore { get; init; }

    /// <summary>The cursor of the next page, when <see cref="HasMore"/>.</summary>
    public string? NextCursor { get; init; }
}
