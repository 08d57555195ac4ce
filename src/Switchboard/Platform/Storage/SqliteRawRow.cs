using System.Collections;
using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Switchboard.Platform.Storage;

/// <summary>
/// A statement prepared on a Microsoft.Data.Sqlite connection and stepped through SQLite's C API directly. For a
/// point read that runs thousands of times a second, Microsoft.Data.Sqlite's command and reader cost more than SQLite
/// does: each column read goes through several P/Invokes, each taking and releasing a reference on a SafeHandle (two
/// interlocked operations) with a GC transition, and each execution builds a reader and walks its statement list. Here
/// the statement is a raw pointer kept alive by its owner, and the column accessors are leaf calls into SQLite that
/// neither block nor call back, made without a GC transition. Not thread-safe: one caller at a time, like the
/// connection it lives on.
/// </summary>
internal sealed unsafe class SqliteRawStatement : IDisposable
{
    private const int SqliteOk = 0, SqliteBusy = 5, SqliteLocked = 6, SqliteRow = 100, SqliteDone = 101;
    private static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30); // Microsoft.Data.Sqlite's default command timeout

    private readonly SqliteConnection _connection;
    private IntPtr _statement;

    public SqliteRawStatement(SqliteConnection connection, string sql)
    {
        _connection = connection;
        var utf8 = Encoding.UTF8.GetBytes(sql + "\0");
        IntPtr statement, tail;
        int rc;
        fixed (byte* text = utf8)
            rc = Native.sqlite3_prepare_v2(Database, text, utf8.Length, &statement, &tail);
        if (rc != SqliteOk) throw Error(rc);
        _statement = statement;
        Row = new SqliteRawRow(this);
    }

    /// <summary>The current row, valid between a <see cref="Step"/> that answered true and <see cref="Reset"/>.</summary>
    public SqliteRawRow Row { get; }

    internal IntPtr Handle => _statement;

    private IntPtr Database => _connection.Handle!.DangerousGetHandle();

    /// <summary>Binds a text parameter (1-based), copied by SQLite (SQLITE_TRANSIENT).</summary>
    public void BindText(int index, string value)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var buffer = max <= 512 ? stackalloc byte[max] : new byte[max];
        var length = Encoding.UTF8.GetBytes(value, buffer);
        int rc;
        fixed (byte* text = buffer)
            rc = Native.sqlite3_bind_text(_statement, index, text, length, new IntPtr(-1));
        if (rc != SqliteOk) throw Error(rc);
    }

    /// <summary>
    /// Runs the statement to its next row: true for a row, false when done. A locked database is waited for, as
    /// Microsoft.Data.Sqlite waits, up to its default command timeout.
    /// </summary>
    public bool Step()
    {
        long started = 0;
        while (true)
        {
            var rc = Native.sqlite3_step(_statement);
            if (rc == SqliteRow) return true;
            if (rc == SqliteDone) return false;
            if ((rc & 0xff) is SqliteBusy or SqliteLocked)
            {
                if (started == 0) started = Environment.TickCount64;
                else if (Environment.TickCount64 - started > BusyTimeout.TotalMilliseconds) throw Error(rc);
                _ = Native.sqlite3_reset(_statement); // answers the step's error again, already handled
                Thread.Sleep(1);
                continue;
            }
            _ = Native.sqlite3_reset(_statement);
            throw Error(rc);
        }
    }

    /// <summary>Ends the execution (releasing the read transaction) so the statement can run again.</summary>
    public void Reset() => _ = Native.sqlite3_reset(_statement); // its answer repeats the last step's, already handled

    private SqliteException Error(int rc)
    {
        var message = Marshal.PtrToStringUTF8(Native.sqlite3_errmsg(Database)) ?? "SQLite error";
        return new SqliteException($"SQLite Error {rc}: '{message}'.", rc, Native.sqlite3_extended_errcode(Database));
    }

    public void Dispose()
    {
        if (_statement == IntPtr.Zero) return;
        _ = Native.sqlite3_finalize(_statement); // likewise
        _statement = IntPtr.Zero;
    }

    internal static class Native
    {
        private const string Library = "e_sqlite3"; // the library Microsoft.Data.Sqlite's bundle ships and loads

        [DllImport(Library)] public static extern int sqlite3_prepare_v2(IntPtr db, byte* sql, int bytes, IntPtr* statement, IntPtr* tail);
        [DllImport(Library)] public static extern int sqlite3_bind_text(IntPtr statement, int index, byte* text, int bytes, IntPtr destructor);
        [DllImport(Library)] public static extern int sqlite3_step(IntPtr statement);
        [DllImport(Library)] public static extern int sqlite3_reset(IntPtr statement);
        [DllImport(Library)] public static extern int sqlite3_finalize(IntPtr statement);
        [DllImport(Library)] public static extern IntPtr sqlite3_errmsg(IntPtr db);
        [DllImport(Library)] public static extern int sqlite3_extended_errcode(IntPtr db);

        // Leaf accessors of the current row: no locks, no I/O, no callbacks.
        [DllImport(Library), SuppressGCTransition] public static extern int sqlite3_column_type(IntPtr statement, int column);
        [DllImport(Library), SuppressGCTransition] public static extern long sqlite3_column_int64(IntPtr statement, int column);
        [DllImport(Library), SuppressGCTransition] public static extern double sqlite3_column_double(IntPtr statement, int column);
        [DllImport(Library), SuppressGCTransition] public static extern byte* sqlite3_column_text(IntPtr statement, int column);
        [DllImport(Library), SuppressGCTransition] public static extern int sqlite3_column_bytes(IntPtr statement, int column);
        [DllImport(Library), SuppressGCTransition] public static extern int sqlite3_column_count(IntPtr statement);
    }
}

/// <summary>
/// The current row of a <see cref="SqliteRawStatement"/> as a <see cref="DbDataReader"/>, so code compiled against
/// the ADO.NET reader (materializers derived from the EF model) reads it. It answers the accessors in
/// <see cref="Supports"/>, as Microsoft.Data.Sqlite answers them for the values Switchboard stores; everything else
/// is not supported, and callers check <see cref="Supports"/> before choosing this reader.
/// </summary>
internal sealed unsafe class SqliteRawRow(SqliteRawStatement statement) : DbDataReader
{
    private const int Integer = 1, Float = 2, Text = 3, Null = 5;

    /// <summary>Whether this reader answers <paramref name="method"/> of <see cref="DbDataReader"/>.</summary>
    public static bool Supports(System.Reflection.MethodInfo method) =>
        method.DeclaringType == typeof(DbDataReader) && method.Name is nameof(GetString) or nameof(GetInt64) or nameof(GetInt32)
            or nameof(GetBoolean) or nameof(GetDouble) or nameof(GetDateTime) or nameof(IsDBNull);

    private IntPtr Handle => statement.Handle;

    public override bool IsDBNull(int ordinal) => SqliteRawStatement.Native.sqlite3_column_type(Handle, ordinal) == Null;

    public override string GetString(int ordinal)
    {
        var text = SqliteRawStatement.Native.sqlite3_column_text(Handle, ordinal);
        if (text is null) throw new InvalidCastException($"Column {ordinal} is NULL.");
        return Encoding.UTF8.GetString(text, SqliteRawStatement.Native.sqlite3_column_bytes(Handle, ordinal));
    }

    public override long GetInt64(int ordinal) => SqliteRawStatement.Native.sqlite3_column_int64(Handle, ordinal);
    public override int GetInt32(int ordinal) => checked((int)GetInt64(ordinal));
    public override bool GetBoolean(int ordinal) => GetInt64(ordinal) != 0;
    public override double GetDouble(int ordinal) => SqliteRawStatement.Native.sqlite3_column_double(Handle, ordinal);

    /// <summary>
    /// EF Core writes SQLite timestamps as <c>yyyy-MM-dd HH:mm:ss[.FFFFFFF]</c>: read without the culture-aware parser.
    /// Anything else (hand-written values, other forms) is parsed as Microsoft.Data.Sqlite 10 parses it: invariant
    /// culture, and a value with an offset comes back in UTC.
    /// </summary>
    public override DateTime GetDateTime(int ordinal)
    {
        var type = SqliteRawStatement.Native.sqlite3_column_type(Handle, ordinal);
        if (type != Text) throw new NotSupportedException($"Column {ordinal} holds SQLite type {type}, not a text timestamp.");
        var text = new ReadOnlySpan<byte>(SqliteRawStatement.Native.sqlite3_column_text(Handle, ordinal), SqliteRawStatement.Native.sqlite3_column_bytes(Handle, ordinal));
        if (TryParseCanonical(text, out var value)) return value;
        var parsed = DateTime.Parse(Encoding.UTF8.GetString(text), CultureInfo.InvariantCulture);
        return parsed.Kind == DateTimeKind.Local ? parsed.ToUniversalTime() : parsed;
    }

    /// <summary>
    /// Writes <paramref name="value"/> as UTF-8 in the form EF Core and Microsoft.Data.Sqlite write SQLite timestamps in,
    /// <c>yyyy-MM-dd HH:mm:ss.FFFFFFF</c> (no trailing zeros in the fraction, no '.' without one), so that it compares with
    /// theirs as text; returns the bytes written (at most 27). For code that binds timestamps itself, without formatting a string.
    /// </summary>
    internal static int WriteCanonical(DateTime value, Span<byte> destination)
    {
        if (destination.Length < 27) throw new ArgumentException("A timestamp needs 27 bytes.", nameof(destination));
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

    internal static bool TryParseCanonical(ReadOnlySpan<byte> s, out DateTime value)
    {
        value = default;
        if (s.Length < 19 || s.Length == 20 || s.Length > 27 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':')
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

    public override int FieldCount => SqliteRawStatement.Native.sqlite3_column_count(Handle);
    public override object this[int ordinal] => GetValue(ordinal);
    public override object this[string name] => throw new NotSupportedException();
    public override int RecordsAffected => -1;
    public override bool HasRows => true;
    public override bool IsClosed => false;
    public override int Depth => 0;
    public override bool NextResult() => false;
    public override bool Read() => throw new NotSupportedException("The statement's owner steps it.");
    public override IEnumerator GetEnumerator() => throw new NotSupportedException();

    public override object GetValue(int ordinal) => SqliteRawStatement.Native.sqlite3_column_type(Handle, ordinal) switch
    {
        Integer => GetInt64(ordinal),
        Float => GetDouble(ordinal),
        Text => GetString(ordinal),
        Null => DBNull.Value,
        var other => throw new NotSupportedException($"SQLite type {other} is not read by this reader."),
    };

    public override int GetValues(object[] values)
    {
        var count = Math.Min(values.Length, FieldCount);
        for (var i = 0; i < count; i++) values[i] = GetValue(i);
        return count;
    }

    public override byte GetByte(int ordinal) => throw new NotSupportedException();
    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) => throw new NotSupportedException();
    public override char GetChar(int ordinal) => throw new NotSupportedException();
    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length) => throw new NotSupportedException();
    public override string GetDataTypeName(int ordinal) => throw new NotSupportedException();
    public override decimal GetDecimal(int ordinal) => throw new NotSupportedException();
    public override Type GetFieldType(int ordinal) => throw new NotSupportedException();
    public override float GetFloat(int ordinal) => throw new NotSupportedException();
    public override Guid GetGuid(int ordinal) => throw new NotSupportedException();
    public override short GetInt16(int ordinal) => throw new NotSupportedException();
    public override string GetName(int ordinal) => throw new NotSupportedException();
    public override int GetOrdinal(string name) => throw new NotSupportedException();
}
