using System.Globalization;
using System.Linq.Expressions;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Security;

namespace Switchboard.Platform.Pagination;

/// <summary>The list envelope of every collection: <c>{ data, hasMore, nextCursor }</c>.</summary>
public sealed record ListResponse<T>(IReadOnlyList<T> Data, bool HasMore, string? NextCursor);

/// <summary>What an opaque cursor holds: the last row's id and, for sorted lists, the sort and the last row's sort value.</summary>
public sealed record Cursor(string After, string? Sort = null, string? Value = null);

/// <summary><c>limit</c> (1–100, default 20), an opaque <c>cursor</c>, or an <c>offset</c>.</summary>
public sealed record PageRequest(int Limit, Cursor? Cursor, int Offset)
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    public static bool TryParse(HttpRequest request, out PageRequest page, out ProblemHttpResult? problem)
    {
        page = new PageRequest(DefaultLimit, null, 0);
        problem = null;
        var errors = new Dictionary<string, string[]>();
        var limit = DefaultLimit;
        if (request.Query.TryGetValue("limit", out var l) &&
            (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
            errors["limit"] = [$"Must be an integer from 1 to {MaxLimit}."];
        Cursor? cursor = null;
        if (request.Query.TryGetValue("cursor", out var c) && !string.IsNullOrEmpty(c) && !TryDecodeCursor(c!, out cursor))
            errors["cursor"] = ["Is not a cursor this API issued."];
        var offset = 0;
        if (request.Query.TryGetValue("offset", out var o) &&
            (!int.TryParse(o, NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset is < 0 or > 1_000_000))
            errors["offset"] = ["Must be an integer from 0 to 1000000."];
        if (cursor is not null && offset > 0) errors["offset"] = ["Use either cursor or offset, not both."];
        if (errors.Count > 0) { problem = ApiProblem.Validation(errors); return false; }
        page = new PageRequest(limit, cursor, offset);
        return true;
    }

    public static string EncodeCursor(string lastId, string? sort = null, string? value = null) =>
        Base64Url.Encode(JsonSerializer.SerializeToUtf8Bytes(new Cursor(lastId, sort, value)));

    private static bool TryDecodeCursor(string text, out Cursor? cursor)
    {
        cursor = null;
        try
        {
            cursor = JsonSerializer.Deserialize<Cursor>(Base64Url.Decode(text));
            return cursor is { After.Length: > 0 and <= Ids.MaxLength } && (cursor.Value is null || cursor.Value.Length <= 1000);
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException) { return false; }
    }
}

public static class Paging
{
    /// <summary>
    /// Newest first by id (ids are time-ordered ULIDs), keyset-paginated (<see cref="Keyset"/>), with the envelope and
    /// the <c>Link</c> header of <see cref="PageAsync"/>.
    /// </summary>
    public static async Task<ListResponse<TOut>> NewestFirstAsync<T, TOut>(
        IQueryable<T> query, Expression<Func<T, string>> id, PageRequest page, HttpContext http,
        Func<T, TOut> map, CancellationToken cancellationToken)
    {
        if (page.Cursor?.After is { } after) query = Keyset.AfterId(query, id, descending: true, after);
        var (rows, next) = await PageAsync(query.OrderByDescending(id), page, http, last => PageRequest.EncodeCursor(id.Compile()(last)), cancellationToken);
        return new ListResponse<TOut>(rows.Select(map).ToList(), next is not null, next);
    }

    /// <summary>
    /// One page of an ordered (and, past the first page, cursor-narrowed) query: skips the offset, fetches one extra row
    /// to know whether another page follows, and then answers the cursor <paramref name="cursorOf"/> makes of the page's
    /// last row and sets the RFC 8288 <c>Link: &lt;…&gt;; rel="next"</c> header. The cursor is null on the last page.
    /// </summary>
    public static async Task<(List<T> Rows, string? NextCursor)> PageAsync<T>(
        IQueryable<T> ordered, PageRequest page, HttpContext http, Func<T, string> cursorOf, CancellationToken cancellationToken)
    {
        if (page.Offset > 0) ordered = ordered.Skip(page.Offset);
        var rows = await ordered.Take(page.Limit + 1).ToListAsync(cancellationToken);
        if (rows.Count <= page.Limit) return (rows, null);
        rows.RemoveAt(rows.Count - 1);
        var next = cursorOf(rows[^1]);
        http.Response.Headers.Link = $"<{NextLink(http.Request, next)}>; rel=\"next\"";
        return (rows, next);
    }

    private static string NextLink(HttpRequest request, string cursor)
    {
        var sb = new StringBuilder(request.Path.Value);
        var first = true;
        foreach (var (key, values) in request.Query)
        {
            if (key is "cursor" or "offset") continue;
            foreach (var value in values)
            {
                sb.Append(first ? '?' : '&').Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value ?? ""));
                first = false;
            }
        }
        sb.Append(first ? '?' : '&').Append("cursor=").Append(Uri.EscapeDataString(cursor));
        return sb.ToString();
    }
}
