using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Providers.GoogleCalendar;

namespace Switchboard.Integrations.Providers.Outlook;

/// <summary>
/// Outlook events (https://learn.microsoft.com/graph/api/resources/event) and what Switchboard holds: a rule's action
/// input (named as Google Calendar's, so a rule moves between the two) and a CRM activity of type <c>meeting</c>, whose
/// duration, attendees, location and all-day flag travel in its <c>metadata</c> as the Google Calendar sync writes them.
/// Times are Graph's <c>dateTimeTimeZone</c> (https://learn.microsoft.com/graph/api/resources/datetimetimezone): a
/// wall-clock <c>dateTime</c> without offset and the zone it is read in.
/// </summary>
public static class OutlookEvents
{
    /// <summary>
    /// The named MAPI property (https://learn.microsoft.com/graph/api/resources/extended-properties-overview) that holds an
    /// event's idempotency key: Graph takes no client-chosen ids, so update and delete find the event of a key by a
    /// <c>$filter</c> on it. The GUID is Switchboard's own property set.
    /// </summary>
    public const string KeyPropertyId = "String {8c85aa35-bcc3-4e57-b90e-d5f6cac9ae64} Name SwitchboardKey";

    private const int MaxSubject = 300, MaxNotes = 20_000, MaxMetadataValue = 500, MaxReminderMinutes = 40_320;
    private const string WallClock = "yyyy-MM-dd'T'HH:mm:ss";

    /// <summary>
    /// The key an event made for <paramref name="key"/> carries, as its <c>transactionId</c> (Graph's guard against a
    /// POST retried after a lost answer) and its key property: a SHA-256 of the installation and the key, so two
    /// installations on one mailbox never meet, and a CRM id never has to be quoted in an OData literal.
    /// </summary>
    public static string KeyOf(string installationId, string key) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(installationId + "\n" + key)));

    /// <summary>
    /// The event body of a <c>create_event</c> (<paramref name="partial"/> false: summary and start required) or an
    /// <c>update_event</c> (only the fields given, for a PATCH). Input Graph would refuse is refused here, not retried.
    /// </summary>
    public static JsonObject FromActionInput(JsonObject input, OutlookSettings settings, bool partial)
    {
        var zoneName = Text(input, "timeZone") ?? settings.TimeZoneName;
        var zone = zoneName == settings.TimeZoneName ? settings.TimeZone : CalendarSettings.Zone(zoneName);
        var body = new JsonObject();
        var summary = Text(input, "summary");
        if (summary is null && !partial) throw Invalid("create_event needs a 'summary'.");
        if (summary is not null) body["subject"] = summary;
        if (input.ContainsKey("description")) body["body"] = new JsonObject { ["contentType"] = "text", ["content"] = Text(input, "description") ?? "" };
        if (input.ContainsKey("location")) body["location"] = new JsonObject { ["displayName"] = Text(input, "location") ?? "" };

        var startText = Text(input, "start");
        if (startText is null && !partial) throw Invalid("create_event needs a 'start' (an RFC 3339 date-time, or a date for an all-day event).");
        var endText = Text(input, "end");
        if (startText is not null)
        {
            var (start, end, allDay) = Span(CalendarTime.Parse(startText, zone, "start"), endText is null ? null : CalendarTime.Parse(endText, zone, "end"),
                Flag(input, "allDay"), Number(input, "durationMinutes") ?? settings.DefaultDurationMinutes, zone);
            body["start"] = new JsonObject { ["dateTime"] = start.ToString(WallClock, CultureInfo.InvariantCulture), ["timeZone"] = zoneName };
            body["end"] = new JsonObject { ["dateTime"] = end.ToString(WallClock, CultureInfo.InvariantCulture), ["timeZone"] = zoneName };
            body["isAllDay"] = allDay;
        }
        else if (endText is not null) throw Invalid("'end' alone cannot move an event: give 'start' with it.");

        if (input["attendees"] is { } attendees) body["attendees"] = Attendees(attendees);
        if (input.ContainsKey("reminderMinutes"))
        {
            if (input["reminderMinutes"] is null) body["isReminderOn"] = false;
            else
            {
                var minutes = Number(input, "reminderMinutes");
                if (minutes is not (>= 0 and <= MaxReminderMinutes)) throw Invalid($"'reminderMinutes' is 0 to {MaxReminderMinutes} minutes before the event.");
                body["isReminderOn"] = true;
                body["reminderMinutesBeforeStart"] = minutes;
            }
        }
        return body;
    }

    /// <summary>
    /// An Outlook event as a CRM activity's fields (a sync's pull): a removed or cancelled event is a deletion; any other
    /// is a <c>meeting</c> whose subject is the event's, notes its body, <c>occurredAt</c> its start, with the duration,
    /// attendees' emails (rooms and other resources left out), location and all-day flag in its metadata.
    /// </summary>
    public static SyncRecord ToRecord(JsonObject ev, DateTime now)
    {
        var id = Text(ev, "id") ?? throw new ProviderException("Microsoft Graph answered an event without an id.", null, null, retryable: false);
        var modified = Instant(Text(ev, "lastModifiedDateTime"))?.UtcDateTime ?? now;
        // A delta answer carries a deleted event (or one that left the window) as its id and "@removed" only.
        if (ev.ContainsKey("@removed") || Flag(ev, "isCancelled")) return new SyncRecord(id, modified, [], Deleted: true);

        var start = FromGraph(ev["start"]);
        var end = FromGraph(ev["end"]);
        var allDay = Flag(ev, "isAllDay");
        var metadata = new JsonObject();
        if (start is { } s && end is { } e && e > s)
            metadata["durationMinutes"] = ((long)(e - s).TotalMinutes).ToString(CultureInfo.InvariantCulture);
        if (allDay) metadata["allDay"] = "true";
        if (ev["attendees"] is JsonArray attendees)
        {
            var emails = attendees.OfType<JsonObject>().Where(a => Text(a, "type") != "resource")
                .Select(a => a["emailAddress"] is JsonObject address ? Text(address, "address") : null).OfType<string>().ToList();
            if (JoinWithin(emails, MaxMetadataValue) is { Length: > 0 } joined) metadata["attendees"] = joined;
        }
        if (ev["location"] is JsonObject location && Text(location, "displayName") is { } place) metadata["location"] = Cut(place, MaxMetadataValue);

        var fields = new JsonObject
        {
            ["type"] = "meeting",
            ["subject"] = Cut(Text(ev, "subject") ?? "(no title)", MaxSubject),
            ["notes"] = BodyText(ev) is { } notes ? Cut(notes, MaxNotes) : null,
            ["occurredAt"] = Iso(start?.UtcDateTime ?? modified),
            ["metadata"] = metadata,
        };
        return new SyncRecord(id, modified, fields);
    }

    /// <summary>A message's or event's body as text: <c>body.content</c> when Graph answered it as text (the <c>Prefer</c> asked so), else <c>bodyPreview</c>.</summary>
    internal static string? BodyText(JsonObject item) =>
        item["body"] is JsonObject body && Text(body, "contentType")?.Equals("text", StringComparison.OrdinalIgnoreCase) == true && Text(body, "content") is { } content
            ? content
            : Text(item, "bodyPreview");

    /// <summary>
    /// Graph's <c>dateTimeTimeZone</c> as an instant: the wall-clock time read in its zone (UTC unless a
    /// <c>Prefer: outlook.timezone</c> asked otherwise; Switchboard sends none), null when absent or unreadable.
    /// </summary>
    public static DateTimeOffset? FromGraph(JsonNode? node)
    {
        if (node is not JsonObject time || Text(time, "dateTime") is not { } text
            || !DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var wall)) return null;
        wall = DateTime.SpecifyKind(wall, DateTimeKind.Unspecified);
        var zone = Text(time, "timeZone") is { } name && name != "UTC" && TimeZoneInfo.TryFindSystemTimeZoneById(name, out var z) ? z : TimeZoneInfo.Utc;
        return new DateTimeOffset(wall, zone.GetUtcOffset(wall));
    }

    /// <summary>Start and exclusive end as wall-clock times in <paramref name="zone"/>, and whether the event lasts whole days (Graph: both at midnight).</summary>
    private static (DateTime Start, DateTime End, bool AllDay) Span(CalendarTime start, CalendarTime? end, bool allDay, int durationMinutes, TimeZoneInfo zone)
    {
        if (allDay || start.IsDate)
        {
            var first = start.Day(zone);
            var last = end?.Day(zone) ?? first.AddDays(Math.Max(1, (int)Math.Ceiling(durationMinutes / 1440.0)));
            // The end is exclusive: an end on the start's own day (as a person writes a one-day event) is the day after.
            if (last <= first) last = first.AddDays(1);
            return (first.ToDateTime(TimeOnly.MinValue), last.ToDateTime(TimeOnly.MinValue), true);
        }
        if (end is { IsDate: true }) throw Invalid("'end' is a date but 'start' is a date-time: give both as dates (all day) or both as date-times.");
        if (durationMinutes <= 0) throw Invalid("'durationMinutes' must be positive.");
        var from = start.Instant!.Value;
        var until = end?.Instant ?? from.AddMinutes(durationMinutes);
        if (until <= from) throw Invalid("'end' must be after 'start'.");
        return (TimeZoneInfo.ConvertTime(from, zone).DateTime, TimeZoneInfo.ConvertTime(until, zone).DateTime, false);
    }

    /// <summary>Attendees as Graph takes them (<c>[{"emailAddress":{"address":…},"type":"required"}]</c>) from a list of emails or one comma-separated string.</summary>
    private static JsonArray Attendees(JsonNode node)
    {
        var result = new JsonArray();
        foreach (var email in OutlookMail.Addresses(node, "attendees"))
            result.Add(new JsonObject { ["emailAddress"] = new JsonObject { ["address"] = email }, ["type"] = "required" });
        return result;
    }

    internal static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    internal static DateTimeOffset? Instant(string? text) =>
        text is not null && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    /// <summary>A string field (numbers as their text), null when absent, null or blank.</summary>
    internal static string? Text(JsonObject json, string name) => json[name] switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim(),
        JsonValue v when v.TryGetValue<bool>(out _) => null,
        JsonValue v => v.ToJsonString(),
        _ => null,
    };

    private static int? Number(JsonObject json, string name) => json[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<int>(out var n) => n,
        JsonValue v when v.TryGetValue<double>(out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue => (int)d,
        JsonValue v when v.TryGetValue<string>(out var s) && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) => p,
        _ => throw Invalid($"'{name}' must be a whole number."),
    };

    internal static bool Flag(JsonObject json, string name) => json[name] is JsonValue v
        && (v.TryGetValue<bool>(out var b) ? b : v.TryGetValue<string>(out var s) && bool.TryParse(s, out var p) && p);

    internal static string Cut(string text, int max) => text.Length <= max ? text : text[..max];

    /// <summary>As many whole items as fit in <paramref name="max"/> characters, comma-separated.</summary>
    internal static string JoinWithin(IEnumerable<string> items, int max)
    {
        var joined = new StringBuilder();
        foreach (var item in items)
        {
            if (joined.Length + item.Length + (joined.Length == 0 ? 0 : 2) > max) break;
            if (joined.Length > 0) joined.Append(", ");
            joined.Append(item);
        }
        return joined.ToString();
    }

    internal static ProviderException Invalid(string message) => new(message, null, null, retryable: false);
}
