using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.GoogleCalendar;

/// <summary>
/// A point in a calendar as Google's <c>EventDateTime</c> holds it: a day (<c>date</c>, all-day events) or an instant
/// (<c>dateTime</c>, RFC 3339 with its offset, and the IANA <c>timeZone</c> it is shown and recurs in).
/// </summary>
public readonly partial record struct CalendarTime(DateOnly? Date, DateTimeOffset? Instant)
{
    private const string DateFormat = "yyyy-MM-dd";

    public bool IsDate => Date is not null;

    /// <summary>
    /// Reads a time a rule or the CRM gives: <c>2026-12-10</c> (a day), <c>2026-12-10T09:00:00Z</c> or with an offset
    /// (an instant), or <c>2026-12-10T09:00:00</c> without one (a wall-clock time in <paramref name="zone"/>, which is
    /// how Google itself reads a <c>dateTime</c> without offset when a <c>timeZone</c> is given).
    /// </summary>
    public static CalendarTime Parse(string text, TimeZoneInfo zone, string field)
    {
        text = text.Trim();
        if (DateOnly.TryParseExact(text, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)) return new(day, null);
        if (HasOffset().IsMatch(text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant))
            return new(null, instant);
        if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var wall))
        {
            wall = DateTime.SpecifyKind(wall, DateTimeKind.Unspecified);
            // A wall-clock time skipped by a daylight-saving jump has no offset of its own: take the one before the jump.
            var offset = zone.IsInvalidTime(wall) ? zone.GetUtcOffset(wall.AddHours(-1)) : zone.GetUtcOffset(wall);
            return new(null, new DateTimeOffset(wall, offset));
        }
        throw new ProviderException($"'{field}' must be an RFC 3339 date-time (2026-12-10T09:00:00Z) or a date (2026-12-10); it was '{text}'.",
            null, null, retryable: false);
    }

    /// <summary>The day this time falls on in <paramref name="zone"/>.</summary>
    public DateOnly Day(TimeZoneInfo zone) => Date ?? DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(Instant!.Value, zone).DateTime);

    /// <summary>Google's <c>EventDateTime</c>: <c>{"date":…}</c>, or <c>{"dateTime":…,"timeZone":…}</c> in the zone's local time and offset.</summary>
    public JsonObject ToGoogle(TimeZoneInfo zone, string zoneName) => Date is { } day
        ? new JsonObject { ["date"] = day.ToString(DateFormat, CultureInfo.InvariantCulture) }
        : new JsonObject
        {
            ["dateTime"] = TimeZoneInfo.ConvertTime(Instant!.Value, zone).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
            ["timeZone"] = zoneName,
        };

    /// <summary>Reads Google's <c>EventDateTime</c> (<c>date</c> or <c>dateTime</c>), or null when it has neither.</summary>
    public static CalendarTime? FromGoogle(JsonNode? node)
    {
        if (node?["dateTime"] is JsonValue dt && dt.TryGetValue<string>(out var text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
            return new(null, instant);
        if (node?["date"] is JsonValue d && d.TryGetValue<string>(out var dayText)
            && DateOnly.TryParseExact(dayText, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            return new(day, null);
        return null;
    }

    /// <summary>The instant this time starts at, a day starting at midnight in <paramref name="zone"/>.</summary>
    public DateTimeOffset StartsAt(TimeZoneInfo zone)
    {
        if (Instant is { } instant) return instant;
        var midnight = Date!.Value.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(midnight, zone.IsInvalidTime(midnight) ? zone.GetUtcOffset(midnight.AddHours(-1)) : zone.GetUtcOffset(midnight));
    }

    [GeneratedRegex(@"(Z|z|[+-]\d{2}:?\d{2})$")]
    private static partial Regex HasOffset();
}
