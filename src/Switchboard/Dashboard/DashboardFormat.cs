using System.Globalization;

namespace Switchboard.Dashboard;

/// <summary>How the dashboard writes numbers and times: invariant culture, UTC, said so.</summary>
public static class DashboardFormat
{
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Percent(double? value) => value is { } v ? v.ToString("0.#", CultureInfo.InvariantCulture) + "\u00a0%" : "—";

    public static string Milliseconds(double? value) => value is { } v ? v.ToString(v < 10 ? "0.##" : "N0", CultureInfo.InvariantCulture) + "\u00a0ms" : "—";

    public static string Time(DateTime? value) => value is { } v ? v.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC" : "—";

    /// <summary>"3 minutes ago", for the last use of a key; the exact time goes in a title attribute.</summary>
    public static string Ago(DateTime? value, DateTime now)
    {
        if (value is not { } v) return "Never";
        var span = now - v;
        if (span < TimeSpan.FromMinutes(1)) return "Just now";
        if (span < TimeSpan.FromHours(1)) return Plural((int)span.TotalMinutes, "minute") + " ago";
        if (span < TimeSpan.FromDays(1)) return Plural((int)span.TotalHours, "hour") + " ago";
        return Plural((int)span.TotalDays, "day") + " ago";
    }

    private static string Plural(int n, string unit) => n == 1 ? $"1 {unit}" : $"{n.ToString(CultureInfo.InvariantCulture)} {unit}s";
}
