using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

using Switchboard.Integrations.Providers.Google;

namespace Switchboard.Integrations.Providers.GoogleCalendar;

/// <summary>
/// The <c>events</c> sync: a calendar's events and the CRM's meeting activities, by Google's incremental
/// synchronization (https://developers.google.com/calendar/api/guides/sync).
/// <para>
/// A first run (no high-water mark) is a full sync: <c>events.list</c> page by page (<c>pageToken</c>), and the last
/// page's <c>nextSyncToken</c> is the high-water mark. Later runs pass it as <c>syncToken</c> and get only what changed,
/// deletions included (<c>status: "cancelled"</c> → a deleted record). The parameters are the same on both
/// (<c>singleEvents</c>, <c>showDeleted</c>, <c>maxResults</c>), as Google asks, and none of those it forbids beside a
/// sync token (<c>timeMin</c>, <c>timeMax</c>, <c>updatedMin</c>, <c>q</c>, <c>orderBy</c>, <c>iCalUID</c>) is ever sent.
/// </para>
/// <para>
/// When Google refuses a sync token (410 Gone, <c>fullSyncRequired</c>: expired, or the calendar's sharing changed), this
/// model starts the full sync itself, within the same run: the page cursor says which listing a page belongs to
/// (<c>full:</c> or <c>incremental:</c> before Google's page token), so the engine needs no special case, a run resumed
/// from its checkpoint goes on with the right listing, and the full sync's final page gives the new high-water mark.
/// The full listing includes deleted events (<c>showDeleted</c>) so that deletions Google still remembers reach the CRM;
/// an event deleted so long ago that Google forgot it stays in the CRM as it was.
/// </para>
/// </summary>
public sealed class EventsSync(TimeProvider time, ILogger logger) : ISyncModel
{
    /// <summary>Google's default page (at most 2,500): a page is one request and one database transaction.</summary>
    public const int PageSize = 250;
    private const string FullPrefix = "full:", IncrementalPrefix = "incremental:";

    public async Task<SyncPage> PullAsync(ConnectorContext context, string? since, string? pageCursor, CancellationToken cancellationToken)
    {
        var settings = CalendarSettings.For(context);
        var (syncToken, pageToken) = pageCursor switch
        {
            null => (since, null),
            _ when pageCursor.StartsWith(FullPrefix, StringComparison.Ordinal) => (null, pageCursor[FullPrefix.Length..]),
            _ when pageCursor.StartsWith(IncrementalPrefix, StringComparison.Ordinal) => (since, pageCursor[IncrementalPrefix.Length..]),
            _ => throw new ProviderException($"'{pageCursor}' is not a Google Calendar page cursor.", null, null, retryable: false),
        };
        var response = await ListAsync(context, settings, syncToken, pageToken, cancellationToken);
        if (response.Status == 410 && syncToken is not null)
        {
            // 410 Gone: the sync token is no longer valid; Google's remedy is a full sync. Started here, from the first page.
            logger.LogWarning("Google refused the sync token of installation {InstallationId} ({Reason}): starting a full sync",
                context.Installation.Id, GoogleErrors.Reason(response) ?? "410");
            syncToken = null;
            response = await ListAsync(context, settings, null, null, cancellationToken);
        }
        if (!response.IsSuccess) throw GoogleErrors.From(response, time);

        var json = response.Json() as JsonObject ?? throw new ProviderException("Google Calendar answered a list that is not JSON.", response.Status, null, retryable: true);
        var now = time.GetUtcNow().UtcDateTime;
        var records = (json["items"] as JsonArray ?? []).OfType<JsonObject>().Select(e => EventMapping.ToRecord(e, settings, now)).ToList();
        var next = EventMapping.Text(json, "nextPageToken");
        return new SyncPage(records,
            next is null ? null : (syncToken is null ? FullPrefix : IncrementalPrefix) + next,
            // Google sends nextSyncToken on the last page only: the high-water mark is known once every page is read.
            next is null ? EventMapping.Text(json, "nextSyncToken") : null);
    }

    public async Task<SyncRecord> PushAsync(ConnectorContext context, string? remoteId, JsonObject fields, CancellationToken cancellationToken)
    {
        // Calls, notes and emails are activities too, but not calendar events. A sync declares no filter on the local
        // side (ProviderSync has none), so the refusal is here: clear, and never retried.
        if (EventMapping.Text(fields, "type") is { } type && type != "meeting")
            throw new ProviderException($"Only meetings become Google Calendar events; this activity is a {type}.", null, null, retryable: false);
        var settings = CalendarSettings.For(context);
        var body = EventMapping.FromActivity(fields, settings);
        ProviderResponse response;
        if (remoteId is null)
        {
            // An id derived from the activity's, so a push retried after a lost answer (or a run resumed after a crash)
            // meets 409 duplicate and updates the event it already made instead of making a second one.
            if (EventMapping.Text(fields, "id") is { } localId) body["id"] = EventMapping.EventId(context.Installation.Id, localId);
            response = await GoogleCalendarConnector.SendAsync(context, HttpMethod.Post, settings.EventsUrl(context), settings, body, cancellationToken);
            if (response.Status == 409 && body["id"] is JsonValue id && GoogleErrors.Reason(response) == "duplicate")
                response = await PatchAsync(context, settings, id.GetValue<string>(), body, cancellationToken);
        }
        else response = await PatchAsync(context, settings, remoteId, body, cancellationToken);
        if (!response.IsSuccess) throw GoogleErrors.From(response, time);
        return EventMapping.ToRecord(response.Json() as JsonObject ?? [], settings, time.GetUtcNow().UtcDateTime);
    }

    private static Task<ProviderResponse> PatchAsync(ConnectorContext context, CalendarSettings settings, string eventId, JsonObject body, CancellationToken cancellationToken)
    {
        var patch = body.DeepClone().AsObject();
        patch.Remove("id");
        return GoogleCalendarConnector.SendAsync(context, HttpMethod.Patch, $"{settings.EventsUrl(context)}/{Uri.EscapeDataString(eventId)}", settings, patch, cancellationToken);
    }

    /// <summary>One page of <c>events.list</c>, with the same parameters on a full and an incremental listing.</summary>
    private static Task<ProviderResponse> ListAsync(ConnectorContext context, CalendarSettings settings, string? syncToken, string? pageToken, CancellationToken cancellationToken)
    {
        var url = $"{settings.EventsUrl(context)}?maxResults={PageSize}&singleEvents=true&showDeleted=true";
        if (syncToken is not null) url += "&syncToken=" + Uri.EscapeDataString(syncToken);
        if (pageToken is not null) url += "&pageToken=" + Uri.EscapeDataString(pageToken);
        return context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), cancellationToken);
    }
}
