using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;

using Switchboard.Integrations.Providers.Google;

namespace Switchboard.Integrations.Providers.GoogleCalendar;

/// <summary>
/// Google Calendar: events from CRM tasks and meetings (rules on <c>task.*</c> and <c>activity.*</c> events run
/// <c>create_event</c>, <c>update_event</c>, <c>delete_event</c>), and a two-way sync of a calendar's events with the
/// CRM's meeting activities (<see cref="EventsSync"/>). OAuth 2.0 as a web server app
/// (https://developers.google.com/identity/protocols/oauth2/web-server): PKCE, <c>access_type=offline</c> for a refresh
/// token and <c>prompt=consent</c> so a reconnect gets one again; Google's token answers are RFC 6749's, so the default
/// <see cref="Connector.ReadTokenResponse"/> reads them.
/// </summary>
public sealed class GoogleCalendarConnector(TimeProvider time, ILogger<GoogleCalendarConnector> logger) : Connector
{
    public const string Key = "google_calendar";

    public override ProviderDefinition Definition { get; } = GoogleCalendarDefinition.Create();

    private readonly EventsSync _events = new(time, logger);

    public override ISyncModel? Sync(string model) => model == "events" ? _events : null;

    /// <summary>
    /// <c>events.list</c> of the configured calendar, one event: the cheapest call the <c>calendar.events</c> scope
    /// allows (<c>calendarList.list</c> needs a wider <c>calendar.readonly</c> grant), and it proves the calendar exists
    /// as well as the token.
    /// </summary>
    public override async Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var settings = CalendarSettings.For(context);
        var url = settings.EventsUrl(context) + "?maxResults=1";
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), cancellationToken);
        return response.IsSuccess ? response : throw GoogleErrors.From(response, time);
    }

    public override async Task<ProviderResponse> RunActionAsync(ConnectorContext context, string action, JsonObject input, CancellationToken cancellationToken)
    {
        var settings = CalendarSettings.For(context);
        var response = action switch
        {
            GoogleCalendarDefinition.CreateEvent => await CreateAsync(context, settings, input, cancellationToken),
            GoogleCalendarDefinition.UpdateEvent => await UpdateAsync(context, settings, input, cancellationToken),
            GoogleCalendarDefinition.DeleteEvent => await DeleteAsync(context, settings, input, cancellationToken),
            _ => null,
        };
        if (response is null) return await base.RunActionAsync(context, action, input, cancellationToken);
        return response.IsSuccess ? response : throw GoogleErrors.From(response, time);
    }

    /// <summary>
    /// <c>events.insert</c>. With an <c>idempotencyKey</c> (a rule's <c>{{event.id}}</c>), the event's id derives from it:
    /// a retry after a lost answer gets 409 <c>duplicate</c>, and the event made the first time is answered instead.
    /// </summary>
    private static async Task<ProviderResponse> CreateAsync(ConnectorContext context, CalendarSettings settings, JsonObject input, CancellationToken cancellationToken)
    {
        var body = EventMapping.FromActionInput(input, settings, partial: false);
        var eventId = EventMapping.Text(input, "idempotencyKey") is { } key ? EventMapping.EventId(context.Installation.Id, key) : null;
        if (eventId is not null) body["id"] = eventId;
        var response = await SendAsync(context, HttpMethod.Post, settings.EventsUrl(context), settings, body, cancellationToken);
        if (response.Status == 409 && eventId is not null && GoogleErrors.Reason(response) == "duplicate")
        {
            var url = $"{settings.EventsUrl(context)}/{Uri.EscapeDataString(eventId)}";
            response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), cancellationToken);
        }
        return response;
    }

    /// <summary>
    /// <c>events.patch</c> of the fields given. An event addressed by its <c>idempotencyKey</c> (a task's id) that Google
    /// does not have (the task predates the installation) is created from the input when it holds a summary and a start.
    /// </summary>
    private static async Task<ProviderResponse> UpdateAsync(ConnectorContext context, CalendarSettings settings, JsonObject input, CancellationToken cancellationToken)
    {
        var response = await SendAsync(context, HttpMethod.Patch, EventUrl(context, settings, input), settings,
            EventMapping.FromActionInput(input, settings, partial: true), cancellationToken);
        return response.Status == 404 && EventMapping.Text(input, "eventId") is null && EventMapping.Text(input, "summary") is not null
            && EventMapping.Text(input, "start") is not null
            ? await CreateAsync(context, settings, input, cancellationToken)
            : response;
    }

    /// <summary>
    /// <c>events.delete</c>. Deleting an event already deleted (410 <c>deleted</c>: a retry after a lost answer) has its
    /// intended effect, so it succeeds; so does deleting by <c>idempotencyKey</c> an event Google never had (404: the
    /// task's create was never run, or failed). A 404 for an explicit <c>eventId</c> stays an error: it names a wrong id
    /// or calendar.
    /// </summary>
    private static async Task<ProviderResponse> DeleteAsync(ConnectorContext context, CalendarSettings settings, JsonObject input, CancellationToken cancellationToken)
    {
        var url = EventUrl(context, settings, input) + "?sendUpdates=" + Uri.EscapeDataString(settings.SendUpdates);
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, url), cancellationToken);
        var gone = (response.Status == 410 && GoogleErrors.Reason(response) == "deleted") || (response.Status == 404 && EventMapping.Text(input, "eventId") is null);
        return gone
            ? response with { Status = 200, Body = new JsonObject { ["id"] = url[(url.LastIndexOf('/') + 1)..url.IndexOf('?')], ["status"] = "cancelled" }.ToJsonString() }
            : response;
    }

    /// <summary>
    /// The event an update or delete addresses: its <c>eventId</c>, or the id derived from the <c>idempotencyKey</c> the
    /// create was given, so rules on <c>task.updated</c> and <c>task.deleted</c> find the event of <c>task.created</c>'s
    /// rule by the task's id alone, with no id map to keep.
    /// </summary>
    private static string EventUrl(ConnectorContext context, CalendarSettings settings, JsonObject input)
    {
        var eventId = EventMapping.Text(input, "eventId")
            ?? (EventMapping.Text(input, "idempotencyKey") is { } key ? EventMapping.EventId(context.Installation.Id, key) : null)
            ?? throw new ProviderException("The action needs the Google Calendar event's 'eventId', or the 'idempotencyKey' it was created with.", null, null, retryable: false);
        return $"{settings.EventsUrl(context)}/{Uri.EscapeDataString(eventId)}";
    }

    /// <summary>An insert or a patch of an event, with the installation's <c>sendUpdates</c> (whether Google emails the attendees).</summary>
    internal static Task<ProviderResponse> SendAsync(ConnectorContext context, HttpMethod method, string url, CalendarSettings settings, JsonObject body,
        CancellationToken cancellationToken)
    {
        var target = url + "?sendUpdates=" + Uri.EscapeDataString(settings.SendUpdates);
        return context.Http.SendAsync(() => new HttpRequestMessage(method, target) { Content = JsonContent.Create(body) }, cancellationToken);
    }

    /// <summary>Revokes the grant at Google on uninstall (<see cref="GoogleOAuth.RevokeAsync"/>).</summary>
    public override Task RevokeAsync(ConnectorContext context, CancellationToken cancellationToken) =>
        GoogleOAuth.RevokeAsync(context, Definition, cancellationToken);
}
