using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Providers.GoogleCalendar;

namespace Switchboard.Integrations.Providers.Outlook;

/// <summary>An installation's Outlook configuration, read once per call with the schema's defaults filled in.</summary>
public sealed record OutlookSettings(string? CalendarId, string TimeZoneName, TimeZoneInfo TimeZone, int DefaultDurationMinutes, bool SyncSentItems,
    int EventsPastDays, int EventsFutureDays)
{
    public const string DefaultTimeZone = "UTC";
    public const int DefaultDuration = 30, DefaultPastDays = 30, DefaultFutureDays = 365;

    public static OutlookSettings For(ConnectorContext context)
    {
        var zoneName = context.Value("timeZone") is { Length: > 0 } z ? z : DefaultTimeZone;
        return new OutlookSettings(
            context.Value("calendarId") is { Length: > 0 } c ? c : null,
            // The rules' times are read like Google Calendar's (CalendarTime): the same IANA zones, the same refusal of an unknown one.
            zoneName, CalendarSettings.Zone(zoneName),
            Positive(context.Value("defaultDurationMinutes"), DefaultDuration),
            context.Value("syncSentItems") is not { } sent || !bool.TryParse(sent, out var s) || s,
            Positive(context.Value("eventsSyncPastDays"), DefaultPastDays),
            Positive(context.Value("eventsSyncFutureDays"), DefaultFutureDays));
    }

    /// <summary>
    /// The events collection: the user's default calendar (<c>/me/events</c>) or the configured one
    /// (<c>/me/calendars/{id}/events</c>), https://learn.microsoft.com/graph/api/user-post-events.
    /// </summary>
    public string EventsUrl(ConnectorContext context) =>
        CalendarId is null ? $"{context.BaseUrl()}/me/events" : $"{context.BaseUrl()}/me/calendars/{Uri.EscapeDataString(CalendarId)}/events";

    /// <summary>The calendar view's delta function of the same calendar (https://learn.microsoft.com/graph/api/event-delta).</summary>
    public string CalendarViewDeltaUrl(ConnectorContext context) =>
        CalendarId is null ? $"{context.BaseUrl()}/me/calendarView/delta" : $"{context.BaseUrl()}/me/calendars/{Uri.EscapeDataString(CalendarId)}/calendarView/delta";

    private static int Positive(string? text, int fallback) => text is not null && int.TryParse(text, out var n) && n > 0 ? n : fallback;
}
