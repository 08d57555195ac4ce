using System.Runtime.CompilerServices;

namespace Switchboard.Platform.Storage;

/// <summary>
/// SQLite has no timestamp type: EF Core and Microsoft.Data.Sqlite store a <see cref="DateTime"/> as text,
/// <c>yyyy-MM-dd HH:mm:ss[.FFFFFFF]</c>, and compare timestamps as text. The raw paths (<see cref="SqliteRawRow"/>,
/// the usage writer) read and write that form as UTF-8 without formatting or parsing strings.
/// </summary>
internal static class SqliteTimestamp
{
    /// <summary>The longest form, with all seven digits of the fraction.</summary>
    public const int MaxLength = 27;

    /// <summary>
    /// Writes <paramref name="value"/> as UTF-8 in the form EF Core and Microsoft.Data.Sqlite write SQLite timestamps in,
    /// <c>yyyy-MM-dd HH:mm:ss.FFFFFFF</c> (no trailing zeros in the fraction, no '.' without one), so that it compares with
    /// theirs as text; returns the bytes written (at most <see cref="MaxLength"/>). For code that binds timestamps itself, without formatting a string.
    /// </summary>
    public static int Write(DateTime value, Span<byte> destination)
    {
        if (destination.Length < MaxLength) throw new ArgumentException($"A timestamp needs {MaxLength} bytes.", nameof(destination));
        Put(destination, 0, 4, value.Year);
        destination[4] = (byte)'-';
        Put(destination, 5, 2, value.Month);
        destination[7] = (byte)'-';
        Put(destination, 8, 2, value.Day);
        destination[10] = (byte)' ';
        Put(destination, 11, 2, value.Hour);
        destination[13] = (byte)':';
        Put(destination, 14, 2, value.Minute);
        destination[16] = (byte)':';
        Put(destination, 17, 2, value.Second);
        var fraction = (int)(value.Ticks % TimeSpan.TicksPerSecond);
        if (fraction == 0) return 19;
        var digits = 7;
        while (fraction % 10 == 0) { fraction /= 10; digits--; }
        destination[19] = (byte)'.';
        Put(destination, 20, digits, fraction);
        return 20 + digits;

        static void Put(Span<byte> s, int start, int count, int number)
        {
            for (var i = start + count - 1; i >= start; i--) { s[i] = (byte)('0' + number % 10); number /= 10; }
        }
    }

    public static bool TryParse(ReadOnlySpan<byte> s, out DateTime value)
    {
        value = default;
        if (s.Length < 19 || s.Length == 20 || s.Length > MaxLength || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':')
            return false;
        if (!Digits(s, 0, 4, out var year) || !Digits(s, 5, 2, out var month) || !Digits(s, 8, 2, out var day)
            || !Digits(s, 11, 2, out var hour) || !Digits(s, 14, 2, out var minute) || !Digits(s, 17, 2, out var second))
            return false;
        long fraction = 0;
        if (s.Length > 19)
        {
            if (s[19] != '.' || !Digits(s, 20, s.Length - 20, out var digits)) return false;
            fraction = digits;
            for (var i = s.Length - 20; i < 7; i++) fraction *= 10;
        }
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            return false;
        value = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(fraction);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Digits(ReadOnlySpan<byte> s, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            var d = s[i] - (byte)'0';
            if ((uint)d > 9) return false;
            value = value * 10 + d;
        }
        return true;
    }
}
