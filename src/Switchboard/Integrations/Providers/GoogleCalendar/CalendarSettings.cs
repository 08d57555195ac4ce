using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.GoogleCalendar;

/// <summary>An installation's Google Calendar configuration, read once per call with the schema's defaults filled in.</summary>
public sealed record CalendarSettings(string CalendarId, string TimeZoneName, TimeZoneInfo TimeZone, int DefaultDurationMinutes, string SendUpdates)
{
    public const string DefaultCalendar = "primary", DefaultTimeZone = "UTC", DefaultSendUpdates = "none";
    public const int DefaultDuration = 30;

    public static CalendarSettings For(ConnectorContext context)
    {
        var zoneName = context.Value("timeZone") is { Length: > 0 } z ? z : DefaultTimeZone;
        var duration = context.Value("defaultDurationMinutes") is { } d && int.TryParse(d, out var minutes) && minutes > 0 ? minutes : DefaultDuration;
        return new CalendarSettings(
            context.Value("calendarId") is { Length: > 0 } c ? c : DefaultCalendar,
            zoneName, Zone(zoneName), duration,
            context.Value("sendUpdates") is { Length: > 0 } s ? s : DefaultSendUpdates);
    }

    /// <summary>An IANA time zone (<c>Europe/Berlin</c>), or a non-retryable error naming it.</summary>
    public static TimeZoneInfo Zone(string name) =>
        TimeZoneInfo.TryFindSystemTimeZoneById(name, out var zone) ? zone
            : throw new ProviderException($"'{name}' is not an IANA time zone (such as Europe/Berlin or America/New_York).", null, null, retryable: false);

    /// <summary>The events collection of the calendar: <c>{api}/calendars/{calendarId}/events</c> (the id escaped: it is often an email address).</summary>
    public string EventsUrl(ConnectorContext context) => $"{context.BaseUrl()}/calendars/{Uri.EscapeDataString(CalendarId)}/events";
}
