using System.Collections;
using System.Data.Common;
using System.Globalization;
using System.Text;

namespace Switchboard.Platform.Storage;

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
        if (SqliteTimestamp.TryParse(text, out var value)) return value;
        var parsed = DateTime.Parse(Encoding.UTF8.GetString(text), CultureInfo.InvariantCulture);
        return parsed.Kind == DateTimeKind.Local ? parsed.ToUniversalTime() : parsed;
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
