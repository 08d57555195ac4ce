using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.GoogleCalendar;

/// <summary>
/// Google Calendar events (https://developers.google.com/calendar/api/v3/reference/events) and what Switchboard holds:
/// a rule's action input, and a CRM activity of type <c>meeting</c>. An activity has no end, attendees or location of
/// its own: those travel in its <c>metadata</c> (<c>durationMinutes</c>, <c>attendees</c> as a comma-separated list of
/// emails, <c>location</c>, <c>allDay</c>), which CRM users and rules can read and set.
/// </summary>
public static class EventMapping
{
    /// <summary>Google's limits: 5 reminder overrides, each at most four weeks before the event.</summary>
    private const int MaxReminders = 5, MaxReminderMinutes = 40_320;
    /// <summary>The CRM's limits on an activity (subject, notes) and on a metadata value.</summary>
    private const int MaxSubject = 300, MaxNotes = 20_000, MaxMetadataValue = 500;
    public const string ActivityIdProperty = "switchboardActivityId";

    /// <summary>
    /// The event body of a <c>create_event</c> (<paramref name="partial"/> false: summary and start required) or an
    /// <c>update_event</c> (only the fields given, for a PATCH).
    /// </summary>
    public static JsonObject FromActionInput(JsonObject input, CalendarSettings settings, bool partial)
    {
        var zoneName = Text(input, "timeZone") ?? settings.TimeZoneName;
        var zone = zoneName == settings.TimeZoneName ? settings.TimeZone : CalendarSettings.Zone(zoneName);
        var body = new JsonObject();
        var summary = Text(input, "summary");
        if (summary is null && !partial) throw Invalid("create_event needs a 'summary'.");
        if (summary is not null) body["summary"] = summary;
        if (input.ContainsKey("description")) body["description"] = Text(input, "description");
        if (input.ContainsKey("location")) body["location"] = Text(input, "location");

        var startText = Text(input, "start");
        if (startText is null && !partial) throw Invalid("create_event needs a 'start' (an RFC 3339 date-time, or a date for an all-day event).");
        var endText = Text(input, "end");
        var allDay = Flag(input, "allDay");
        var duration = Number(input, "durationMinutes") ?? settings.DefaultDurationMinutes;
        if (startText is not null)
        {
            var (start, end) = Span(CalendarTime.Parse(startText, zone, "start"), endText is null ? null : CalendarTime.Parse(endText, zone, "end"), allDay, duration, zone);
            body["start"] = start.ToGoogle(zone, zoneName);
            body["end"] = end.ToGoogle(zone, zoneName);
        }
        else if (endText is not null) body["end"] = AsDay(CalendarTime.Parse(endText, zone, "end"), allDay, zone).ToGoogle(zone, zoneName);

        if (input["attendees"] is { } attendees) body["attendees"] = Attendees(attendees);
        if (input["reminders"] is { } reminders) body["reminders"] = Reminders(reminders);
        return body;
    }

    /// <summary>
    /// The event of a CRM activity (a sync's push): subject, notes, <c>occurredAt</c> as the start, and from its
    /// metadata the duration (else the installation's default), attendees, location and whether it lasts all day.
    /// </summary>
    public static JsonObject FromActivity(JsonObject fields, CalendarSettings settings)
    {
        var metadata = fields["metadata"] as JsonObject;
        var body = new JsonObject { ["summary"] = Text(fields, "subject") ?? "(no subject)" };
        if (fields.ContainsKey("notes")) body["description"] = Text(fields, "notes");
        var occurred = Text(fields, "occurredAt") ?? throw Invalid("The activity has no 'occurredAt' to start the event at.");
        var (start, end) = Span(CalendarTime.Parse(occurred, settings.TimeZone, "occurredAt"), null,
            metadata is not null && Flag(metadata, "allDay"), (metadata is null ? null : Number(metadata, "durationMinutes")) ?? settings.DefaultDurationMinutes,
            settings.TimeZone);
        body["start"] = start.ToGoogle(settings.TimeZone, settings.TimeZoneName);
        body["end"] = end.ToGoogle(settings.TimeZone, settings.TimeZoneName);
        if (metadata?["attendees"] is { } attendees) body["attendees"] = Attendees(attendees);
        if (metadata is not null && Text(metadata, "location") is { } location) body["location"] = location;
        if (Text(fields, "id") is { } localId)
            body["extendedProperties"] = new JsonObject { ["private"] = new JsonObject { [ActivityIdProperty] = localId } };
        return body;
    }

    /// <summary>
    /// A Google event as a CRM activity's fields (a sync's pull): a cancelled event is a deletion; any other is a
    /// <c>meeting</c> whose subject is the summary, notes the description, <c>occurredAt</c> the start, with the
    /// duration, attendees' emails (rooms and other resources left out), location and all-day flag in its metadata.
    /// </summary>
    public static SyncRecord ToRecord(JsonObject ev, CalendarSettings settings, DateTime now)
    {
        var id = Text(ev, "id") ?? throw new ProviderException("Google Calendar answered an event without an id.", null, null, retryable: false);
        // Google's incremental answers carry a deleted event as little more than its id and status.
        var modified = Text(ev, "updated") is { } updated && DateTimeOffset.TryParse(updated, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at.UtcDateTime : now;
        if (Text(ev, "status") == "cancelled") return new SyncRecord(id, modified, [], Deleted: true);

        var start = CalendarTime.FromGoogle(ev["start"]);
        var end = CalendarTime.FromGoogle(ev["end"]);
        var metadata = new JsonObject();
        var startsAt = start?.StartsAt(settings.TimeZone);
        if (startsAt is { } s && end?.StartsAt(settings.TimeZone) is { } e && e > s)
            metadata["durationMinutes"] = ((long)(e - s).TotalMinutes).ToString(CultureInfo.InvariantCulture);
        if (start?.IsDate == true) metadata["allDay"] = "true";
        if (ev["attendees"] is JsonArray attendees)
        {
            var emails = attendees.OfType<JsonObject>().Where(a => a["resource"]?.GetValue<bool>() != true)
                .Select(a => Text(a, "email")).OfType<string>().ToList();
            if (JoinWithin(emails, MaxMetadataValue) is { Length: > 0 } joined) metadata["attendees"] = joined;
        }
        if (Text(ev, "location") is { } location) metadata["location"] = Cut(location, MaxMetadataValue);

        var fields = new JsonObject
        {
            ["type"] = "meeting",
            ["subject"] = Cut(Text(ev, "summary") ?? "(no title)", MaxSubject),
            ["notes"] = Text(ev, "description") is { } description ? Cut(description, MaxNotes) : null,
            ["occurredAt"] = (startsAt?.UtcDateTime ?? modified).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
            ["metadata"] = metadata,
        };
        return new SyncRecord(id, modified, fields);
    }

    /// <summary>
    /// A Google event id derived from <paramref name="key"/> (a local record's id, a rule's idempotency key): the same
    /// key gives the same id, so an insert retried after a lost answer meets Google's 409 <c>duplicate</c> instead of
    /// making a second event. Google takes ids of 5 to 1024 characters of base32hex (<c>0-9a-v</c>).
    /// </summary>
    public static string EventId(string installationId, string key)
    {
        const string Base32Hex = "0123456789abcdefghijklmnopqrstuv";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(installationId + "\n" + key));
        var id = new StringBuilder(32);
        int buffer = 0, bits = 0;
        foreach (var b in hash.AsSpan(0, 20)) // 160 bits: 32 characters
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5) { id.Append(Base32Hex[(buffer >> (bits - 5)) & 31]); bits -= 5; }
        }
        return id.ToString();
    }

    /// <summary>Start and (exclusive, as Google reads it) end: all day when asked or when the start is a bare date.</summary>
    private static (CalendarTime Start, CalendarTime End) Span(CalendarTime start, CalendarTime? end, bool allDay, int durationMinutes, TimeZoneInfo zone)
    {
        if (allDay || start.IsDate)
        {
            var first = start.Day(zone);
            var last = end?.Day(zone) ?? first.AddDays(Math.Max(1, (int)Math.Ceiling(durationMinutes / 1440.0)));
            // Google's end date is exclusive: an end on the start's own day (as a person writes a one-day event) is the day after.
            return (new(first, null), new(last > first ? last : first.AddDays(1), null));
        }
        if (end is { IsDate: true }) throw Invalid("'end' is a date but 'start' is a date-time: give both as dates (all day) or both as date-times.");
        if (durationMinutes <= 0) throw Invalid("'durationMinutes' must be positive.");
        var until = end?.Instant ?? start.Instant!.Value.AddMinutes(durationMinutes);
        if (until <= start.Instant) throw Invalid("'end' must be after 'start'.");
        return (start, new(null, until));
    }

    private static CalendarTime AsDay(CalendarTime time, bool allDay, TimeZoneInfo zone) => allDay && !time.IsDate ? new(time.Day(zone), null) : time;

    /// <summary>Attendees as Google takes them (<c>[{"email":…}]</c>) from emails: an array of strings or of objects with <c>email</c>, or one comma- or semicolon-separated string.</summary>
    private static JsonArray Attendees(JsonNode node)
    {
        IEnumerable<string?> emails = node switch
        {
            JsonArray array => array.Select(a => a is JsonObject o ? Text(o, "email") : a is JsonValue v && v.TryGetValue<string>(out var s) ? s : null),
            JsonValue value when value.TryGetValue<string>(out var list) => list.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            _ => throw Invalid("'attendees' must be a list of email addresses."),
        };
        var result = new JsonArray();
        foreach (var email in emails.Select(e => e?.Trim()).Where(e => !string.IsNullOrEmpty(e)).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (email!.Length > 320 || email.IndexOf('@') is <= 0 || email.IndexOf('@') == email.Length - 1 || email.Any(char.IsWhiteSpace))
                throw Invalid($"'{email}' in 'attendees' is not an email address.");
            result.Add(new JsonObject { ["email"] = email });
        }
        return result;
    }

    /// <summary>
    /// Reminders as Google takes them: <c>"default"</c> (the calendar's), or overrides from minutes (popups) or
    /// <c>{"method":"email"|"popup","minutes":…}</c> objects; at most 5, at most four weeks ahead.
    /// </summary>
    private static JsonObject Reminders(JsonNode node)
    {
        if (node is JsonValue v && v.TryGetValue<string>(out var word) && word == "default") return new JsonObject { ["useDefault"] = true };
        if (node is not JsonArray list) throw Invalid("'reminders' must be \"default\" or a list of minutes before the event.");
        if (list.Count > MaxReminders) throw Invalid($"Google takes at most {MaxReminders} reminders.");
        var overrides = new JsonArray();
        foreach (var item in list)
        {
            var method = item is JsonObject o ? Text(o, "method") ?? "popup" : "popup";
            var minutes = item is JsonObject obj ? Number(obj, "minutes") : item is not null ? NumberOf(item) : null;
            if (method is not ("popup" or "email")) throw Invalid("A reminder's method is 'popup' or 'email'.");
            if (minutes is not (>= 0 and <= MaxReminderMinutes)) throw Invalid($"A reminder is 0 to {MaxReminderMinutes} minutes before the event.");
            overrides.Add(new JsonObject { ["method"] = method, ["minutes"] = minutes });
        }
        return new JsonObject { ["useDefault"] = false, ["overrides"] = overrides };
    }

    /// <summary>A string field (numbers as their text), null when absent, null or blank.</summary>
    internal static string? Text(JsonObject json, string name) => json[name] switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim(),
        JsonValue v => v.ToJsonString(),
        _ => null,
    };

    private static int? Number(JsonObject json, string name) => json[name] is { } node ? NumberOf(node) : null;

    private static int? NumberOf(JsonNode node) => node is JsonValue v
        ? v.TryGetValue<int>(out var n) ? n
        : v.TryGetValue<double>(out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue ? (int)d
        : v.TryGetValue<string>(out var s) && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p
        : throw Invalid("Expected a whole number.")
        : throw Invalid("Expected a whole number.");

    private static bool Flag(JsonObject json, string name) => json[name] is JsonValue v
        && (v.TryGetValue<bool>(out var b) ? b : v.TryGetValue<string>(out var s) && bool.TryParse(s, out var p) && p);

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..max];

    /// <summary>As many whole emails as fit in <paramref name="max"/> characters, comma-separated.</summary>
    private static string JoinWithin(IEnumerable<string> items, int max)
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

    private static ProviderException Invalid(string message) => new(message, null, null, retryable: false);
}
