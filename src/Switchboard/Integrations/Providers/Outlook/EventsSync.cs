using System.Globalization;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Providers.Microsoft;

namespace Switchboard.Integrations.Providers.Outlook;

/// <summary>
/// The <c>events</c> sync (pull): the calendar's events as <c>meeting</c> activities, by Graph's calendar view delta
/// query (https://learn.microsoft.com/graph/api/event-delta, https://learn.microsoft.com/graph/delta-query-events).
/// <para>
/// A calendar view delta needs a fixed window on its first request (<c>startDateTime</c>, <c>endDateTime</c>); the
/// links Graph gives after it keep that window. A round starts at <c>eventsSyncPastDays</c> before today and ends
/// <c>eventsSyncFutureDays</c> after it; pages follow <c>@odata.nextLink</c>, and the last page's
/// <c>@odata.deltaLink</c> is the high-water mark, stored with the window's end as <c>{"link","windowEnd"}</c>. Later
/// runs read only the changes: an event removed (<c>@removed</c>) or cancelled becomes a deleted record. Once half of the
/// window ahead has passed, or when Graph refuses the delta link (410 Gone, <c>syncStateNotFound</c>), the run starts a
/// new round over a new window; the activities already made are found again by event id, so none is added twice.
/// </para>
/// <para>
/// Pull only: an Outlook event is made from a CRM task or meeting by the <c>create_event</c> action (a rule), which
/// finds it again by its idempotency key. The requests ask for pages of <see cref="PageSize"/> and bodies as text
/// (<c>Prefer</c>); times come back in UTC, as Graph answers without <c>Prefer: outlook.timezone</c>.
/// </para>
/// </summary>
public sealed class EventsSync(TimeProvider time, ILogger logger) : ISyncModel
{
    public const int PageSize = 100;
    private static readonly string[] Prefer = [$"odata.maxpagesize={PageSize}", "outlook.body-content-type=\"text\""];

    public async Task<SyncPage> PullAsync(ConnectorContext context, string? since, string? pageCursor, CancellationToken cancellationToken)
    {
        var settings = OutlookSettings.For(context);
        var now = time.GetUtcNow().UtcDateTime;
        // Links are read back from the database: the bearer token only goes to one under the configured Graph base URL.
        var (link, windowEnd) = Read(pageCursor ?? since);
        if (link is not null && !GraphDelta.IsOwnLink(context, link)) link = null;
        if (pageCursor is null && link is not null && windowEnd is { } end && now > end.AddDays(-settings.EventsFutureDays / 2.0))
        {
            logger.LogInformation("The events window of installation {InstallationId} ends {WindowEnd}: starting a round over a new window", context.Installation.Id, end);
            link = null;
        }

        var page = link is null ? null : await GraphDelta.ReadAsync(context, link, Prefer, OutlookConnector.Name, time, cancellationToken);
        if (page is null)
        {
            if (link is not null)
                logger.LogWarning("Microsoft Graph refused the events delta token of installation {InstallationId}: starting a full round", context.Installation.Id);
            var today = DateOnly.FromDateTime(now).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
            windowEnd = today.AddDays(settings.EventsFutureDays);
            page = await GraphDelta.ReadAsync(context, InitialUrl(context, settings, today.AddDays(-settings.EventsPastDays), windowEnd.Value), Prefer,
                OutlookConnector.Name, time, cancellationToken)
                ?? throw new ProviderException("Microsoft Graph refused a new calendar view delta round.", 410, null, retryable: true);
        }

        var records = page.Items.Select(e => OutlookEvents.ToRecord(e, now)).ToList();
        return page.NextLink is { } next
            ? new SyncPage(records, Write(next, windowEnd), null)
            : new SyncPage(records, null, Write(page.DeltaLink!, windowEnd));
    }

    public Task<SyncRecord> PushAsync(ConnectorContext context, string? remoteId, JsonObject fields, CancellationToken cancellationToken) =>
        throw new ProviderException("The Outlook events sync only reads the calendar; a rule's create_event puts CRM tasks and meetings on it.", null, null, retryable: false);

    /// <summary>A round's first request: the window, in UTC (ISO 8601, as the calendar view takes it).</summary>
    public static string InitialUrl(ConnectorContext context, OutlookSettings settings, DateTime from, DateTime until) =>
        $"{settings.CalendarViewDeltaUrl(context)}?startDateTime={Uri.EscapeDataString(Iso(from))}&endDateTime={Uri.EscapeDataString(Iso(until))}";

    private static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Write(string link, DateTime? windowEnd) => new JsonObject
    {
        ["link"] = link,
        ["windowEnd"] = windowEnd is { } end ? Iso(end) : null,
    }.ToJsonString();

    /// <summary>A cursor or high-water mark of <see cref="Write"/>; nothing (a full round) for none or one of another form.</summary>
    private static (string? Link, DateTime? WindowEnd) Read(string? text)
    {
        if (text is null) return (null, null);
        try
        {
            var json = JsonNode.Parse(text) as JsonObject;
            var link = json?["link"] is JsonValue l && l.TryGetValue<string>(out var s) ? s : null;
            var end = json?["windowEnd"] is JsonValue w && w.TryGetValue<string>(out var e)
                && DateTime.TryParse(e, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at) ? at : (DateTime?)null;
            return (link, end);
        }
        catch (System.Text.Json.JsonException) { return (null, null); }
    }
}
