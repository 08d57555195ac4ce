using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Syncs;

namespace Switchboard.Integrations.Providers.HubSpot;

/// <summary>
/// A two-way sync of one HubSpot CRM object type (contacts, deals) through the CRM v3 objects API
/// (https://developers.hubspot.com/docs/api/crm/search). Incremental by the object's modification date: the search
/// endpoint filtered <c>GTE</c> the previous run's high-water mark, sorted by it ascending, 100 a page. Each next page is
/// a new query anchored at the last modification time read (keyset paging; the records of that very millisecond come
/// again and the engine skips them as unchanged), not HubSpot's <c>paging.next.after</c> offset: an object modified
/// while a run pages moves to the end of the results, and with offsets the one behind it would slip into the previous
/// page's range and be missed by this run and, being older than its high-water mark, by every later one. Offsets are
/// used only while a whole page shares the anchor's millisecond, up to the search endpoint's cap of 10,000 results to
/// one query. Pushes create (<c>POST /crm/v3/objects/{type}</c>) or update
/// (<c>PATCH /crm/v3/objects/{type}/{id}</c>).
/// </summary>
public sealed class HubSpotObjectSync(string objectType, string modifiedProperty, IReadOnlyList<HubSpotProperty> map, TimeProvider time)
    : ISyncModel, ISyncFieldMap
{
    public const int PageSize = 100;
    /// <summary>The search endpoint's limit on one query's results (offset plus page).</summary>
    public const int SearchCap = 10_000;

    public IReadOnlyList<string> Fields { get; } = map.Select(p => p.Field).ToArray();

    public async Task<SyncPage> PullAsync(ConnectorContext context, string? since, string? pageCursor, CancellationToken cancellationToken)
    {
        var settings = HubSpotSettings.For(context);
        var (anchor, after) = ParseCursor(pageCursor, since);
        var body = new JsonObject
        {
            ["sorts"] = new JsonArray(new JsonObject { ["propertyName"] = modifiedProperty, ["direction"] = "ASCENDING" }),
            ["properties"] = new JsonArray([.. map.Select(p => (JsonNode)p.Property), modifiedProperty]),
            ["limit"] = PageSize,
        };
        if (anchor is not null)
            body["filterGroups"] = new JsonArray(new JsonObject
            {
                ["filters"] = new JsonArray(new JsonObject
                {
                    ["propertyName"] = modifiedProperty, ["operator"] = "GTE", ["value"] = anchor.Value.ToString(CultureInfo.InvariantCulture),
                }),
            });
        if (after is not null) body["after"] = after;
        var url = $"{context.BaseUrl()}/crm/v3/objects/{objectType}/search";
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) }, cancellationToken);
        if (!response.IsSuccess) throw HubSpotErrors.From(response, time);
        var json = response.Json() as JsonObject ?? throw new ProviderException("HubSpot's search answer is not JSON.", response.Status, null, retryable: true);

        var records = (json["results"] as JsonArray ?? []).OfType<JsonObject>().Select(o => Read(o, settings)).ToList();
        string? next = null;
        if (json["paging"]?["next"]?["after"] is JsonValue nextAfter && nextAfter.ToString() is { Length: > 0 } nextText)
        {
            var last = records.Count == 0 ? (long?)null : new DateTimeOffset(records[^1].ModifiedAt).ToUnixTimeMilliseconds();
            if (last is not null && last != anchor) next = Cursor(last, null);
            else
            {
                // The whole page shares the anchor's millisecond: on by offset within it.
                var offset = long.TryParse(nextText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
                if (offset + PageSize > SearchCap)
                    throw new ProviderException($"More than {SearchCap} HubSpot {objectType} share one modification time; the search API cannot page past them.",
                        null, null, retryable: false);
                next = Cursor(anchor, nextText);
            }
        }
        var mark = records.Count == 0 ? null : records.Max(r => r.ModifiedAt).ToString("O", CultureInfo.InvariantCulture);
        return new SyncPage(records, next, mark);
    }

    public async Task<SyncRecord> PushAsync(ConnectorContext context, string? remoteId, JsonObject fields, CancellationToken cancellationToken)
    {
        var settings = HubSpotSettings.For(context);
        var properties = new JsonObject();
        foreach (var property in map)
        {
            if (!fields.TryGetPropertyValue(property.Field, out var value)) continue;
            // HubSpot clears a property set to "" (an update); a new object simply leaves it out.
            if (property.ToHubSpot(value, settings) is { } converted) properties[property.Property] = converted;
            else if (remoteId is not null) properties[property.Property] = "";
        }
        if (remoteId is null && objectType == "deals") properties["pipeline"] = settings.Pipeline;
        var body = new JsonObject { ["properties"] = properties };
        var url = remoteId is null ? $"{context.BaseUrl()}/crm/v3/objects/{objectType}" : $"{context.BaseUrl()}/crm/v3/objects/{objectType}/{Uri.EscapeDataString(remoteId)}";
        var method = remoteId is null ? HttpMethod.Post : HttpMethod.Patch;
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(method, url) { Content = JsonContent.Create(body) }, cancellationToken);
        if (!response.IsSuccess) throw HubSpotErrors.From(response, time);
        return Read(response.Json() as JsonObject ?? throw new ProviderException("HubSpot's answer is not JSON.", response.Status, null, retryable: false), settings);
    }

    /// <summary>A HubSpot object (<c>{"id", "properties": {…}, "updatedAt", "archived"}</c>) as a sync record in CRM names.</summary>
    private SyncRecord Read(JsonObject o, HubSpotSettings settings)
    {
        var properties = o["properties"] as JsonObject ?? [];
        var fields = new JsonObject();
        foreach (var property in map)
            if (properties.TryGetPropertyValue(property.Property, out var value))
                fields[property.Field] = property.ToCrm(value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString(), settings);
        var modified = ParseTime(HubSpotErrors.Text(properties, modifiedProperty)) ?? ParseTime(HubSpotErrors.Text(o, "updatedAt")) ?? time.GetUtcNow().UtcDateTime;
        return new SyncRecord(o["id"]?.ToString() ?? throw new ProviderException("A HubSpot object has no id.", null, null, retryable: false),
            modified, fields, Deleted: o["archived"] is JsonValue a && a.TryGetValue<bool>(out var archived) && archived);
    }

    private static DateTime? ParseTime(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at.UtcDateTime
        : long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime
        : null;

    /// <summary>The page cursor: the query's anchor (epoch milliseconds, GTE) and HubSpot's <c>after</c>.</summary>
    private static string Cursor(long? anchor, string? after) => $"{anchor?.ToString(CultureInfo.InvariantCulture)}|{after}";

    private static (long? Anchor, string? After) ParseCursor(string? cursor, string? since)
    {
        if (string.IsNullOrEmpty(cursor))
            return (ParseTime(since) is { } at ? new DateTimeOffset(at, TimeSpan.Zero).ToUnixTimeMilliseconds() : null, null);
        var bar = cursor.IndexOf('|', StringComparison.Ordinal);
        var anchor = long.TryParse(cursor[..Math.Max(0, bar)], NumberStyles.Integer, CultureInfo.InvariantCulture, out var a) ? a : (long?)null;
        var after = bar >= 0 && bar < cursor.Length - 1 ? cursor[(bar + 1)..] : null;
        return (anchor, after);
    }
}
