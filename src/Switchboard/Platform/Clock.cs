namespace Switchboard.Platform;

public static class Clock
{
    /// <summary>UTC now truncated to microseconds, the precision PostgreSQL keeps, so a value reads back equal to what was written.</summary>
    public static DateTime UtcNow(this TimeProvider time)
    {
        var ticks = time.GetUtcNow().UtcTicks;
        return new DateTime(ticks - ticks % 10, DateTimeKind.Utc);
    }

    public static long ToUnixSeconds(this DateTime utc) => new DateTimeOffset(utc, TimeSpan.Zero).ToUnixTimeSeconds();
}
