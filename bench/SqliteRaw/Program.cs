// Raw SQLite calls, own DllImport vs SQLitePCL.raw: see README.md next to this file.
// Run: dotnet run -c Release --project bench/SqliteRaw -- [point reads per round, default 200000] [rounds, default 5]
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

// Point read as RecordReader does it: bind organization and id, step, read a contact-like row (12 columns), reset.
// Variant "dllimport": own DllImport, column accessors with SuppressGCTransition (SqliteRawStatement today).
// Variant "pclraw": SQLitePCL.raw (SafeHandle statement, marshalled calls), as Microsoft.Data.Sqlite ships it.
var path = Path.Combine(Path.GetTempPath(), $"bench-{Environment.ProcessId}.db");
using var connection = new SqliteConnection($"Data Source=file:{path}?vfs=unix-excl");
connection.Open();
using (var w = connection.CreateCommand()) { w.CommandText = "PRAGMA journal_mode=WAL;"; w.ExecuteNonQuery(); }
using (var c = connection.CreateCommand())
{
    c.CommandText = """
        CREATE TABLE contacts (id TEXT NOT NULL, organization_id TEXT NOT NULL, first_name TEXT NOT NULL, last_name TEXT NOT NULL,
          email TEXT, phone TEXT, company_id TEXT, title TEXT, lifecycle INTEGER NOT NULL, version INTEGER NOT NULL,
          created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (organization_id, id));
        INSERT INTO contacts VALUES ('con_01HZX3ABCDEF', 'org_01HZX3ABCDEF', 'Ada', 'Lovelace', 'ada@example.com', '+441234567890',
          NULL, 'Countess', 2, 7, '2026-11-22 20:47:22.1234567', '2026-11-23 08:01:02.5');
        """;
    c.ExecuteNonQuery();
}
using (var c = connection.CreateCommand())
{
    c.CommandText = "CREATE TABLE api_requests (id INTEGER PRIMARY KEY, organization_id TEXT NOT NULL, api_key_id TEXT NOT NULL, user_id TEXT NOT NULL, method TEXT NOT NULL, route TEXT NOT NULL, status INTEGER NOT NULL, latency_micros INTEGER NOT NULL, request_bytes INTEGER NOT NULL, response_bytes INTEGER NOT NULL, request_id TEXT NOT NULL, created_at TEXT NOT NULL)";
    c.ExecuteNonQuery();
}
const string Insert = "INSERT INTO api_requests (organization_id, api_key_id, user_id, method, route, status, latency_micros, request_bytes, response_bytes, request_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
const string Sql = "SELECT id, organization_id, first_name, last_name, email, phone, company_id, title, lifecycle, version, created_at, updated_at FROM contacts WHERE organization_id = ?1 AND id = ?2";
var db = connection.Handle!;
var reads = int.Parse(args.Length > 0 ? args[0] : "200000");
var rounds = int.Parse(args.Length > 1 ? args[1] : "5");

var own = new Own(db.DangerousGetHandle(), Sql);
raw.sqlite3_prepare_v2(db, Sql, out var pcl);
var ownInsert = new Own(db.DangerousGetHandle(), Insert);
raw.sqlite3_prepare_v2(db, Insert, out var pclInsert);
var results = new Dictionary<string, List<double>>();
void Add(string name, double ns) => (results.TryGetValue(name, out var l) ? l : results[name] = []).Add(ns);

for (var round = 0; round < rounds + 1; round++)
{
    bool warm = round == 0;
    // Whole point reads.
    var t = Stopwatch.GetTimestamp(); long sink = 0;
    for (var i = 0; i < reads; i++) sink += own.Read("org_01HZX3ABCDEF", "con_01HZX3ABCDEF");
    var ownNs = Stopwatch.GetElapsedTime(t).TotalNanoseconds / reads;
    t = Stopwatch.GetTimestamp();
    for (var i = 0; i < reads; i++) sink += Pcl.Read(pcl, "org_01HZX3ABCDEF", "con_01HZX3ABCDEF");
    var pclNs = Stopwatch.GetElapsedTime(t).TotalNanoseconds / reads;
    // Column reads on one stepped row: 1M int64, 1M text (decoded), 1M column_type.
    own.StepOnly("org_01HZX3ABCDEF", "con_01HZX3ABCDEF");
    Pcl.StepOnly(pcl, "org_01HZX3ABCDEF", "con_01HZX3ABCDEF");
    const int N = 1_000_000;
    t = Stopwatch.GetTimestamp();
    for (var i = 0; i < N; i++) sink += own.Int64(9);
    var ownInt = Stopwatch.GetElapsedTime(t).TotalNanoseconds / N;
    t = Stopwatch.GetTimestamp();
    for (var i = 0; i < N; i++) sink += raw.sqlite3_column_int64(pcl, 9);
    var pclInt = Stopwatch.GetElapsedTime(t).TotalNanoseconds / N;
    t = Stopwatch.GetTimestamp();
    for (var i = 0; i < N; i++) sink += own.Text(2).Length;
    var ownText = Stopwatch.GetElapsedTime(t).TotalNanoseconds / N;
    t = Stopwatch.GetTimestamp();
    for (var i = 0; i < N; i++) sink += Pcl.Text(pcl, 2).Length;
    var pclText = Stopwatch.GetElapsedTime(t).TotalNanoseconds / N;
    t = Stopwatch.GetTimestamp();
    for (var i = 0; i < N; i++) sink += own.Type(6);
    var ownType = Stopwatch.GetElapsedTime(t).TotalNanoseconds / N;
    t = Stopwatch.GetTimestamp();
    for (var i = 0; i < N; i++) sink += raw.sqlite3_column_type(pcl, 6);
    var pclType = Stopwatch.GetElapsedTime(t).TotalNanoseconds / N;
    own.Reset(); raw.sqlite3_reset(pcl);
    const int Rows = 50_000;
    raw.sqlite3_exec(db, "BEGIN");
    t = Stopwatch.GetTimestamp();
    for (var i = 0; i < Rows; i++) ownInsert.InsertRow(i);
    var ownIns = Stopwatch.GetElapsedTime(t).TotalNanoseconds / Rows;
    raw.sqlite3_exec(db, "COMMIT");
    raw.sqlite3_exec(db, "BEGIN");
    t = Stopwatch.GetTimestamp();
    for (var i = 0; i < Rows; i++) Pcl.InsertRow(pclInsert, i);
    var pclIns = Stopwatch.GetElapsedTime(t).TotalNanoseconds / Rows;
    raw.sqlite3_exec(db, "COMMIT");
    if (warm) continue;
    Add("usage row insert, dllimport", ownIns); Add("usage row insert, pclraw", pclIns);
    Add("point read, dllimport (ns)", ownNs); Add("point read, pclraw (ns)", pclNs);
    Add("column_int64, dllimport", ownInt); Add("column_int64, pclraw", pclInt);
    Add("text column decoded, dllimport", ownText); Add("text column decoded, pclraw", pclText);
    Add("column_type, dllimport", ownType); Add("column_type, pclraw", pclType);
    GC.KeepAlive(sink);
}
foreach (var (name, values) in results)
{
    values.Sort();
    Console.WriteLine($"{name,-34} median {values[values.Count / 2],8:F1} ns  min {values[0],8:F1}  max {values[^1],8:F1}");
}
pcl.Dispose(); own.Dispose(); pclInsert.Dispose(); ownInsert.Dispose();
connection.Close();
File.Delete(path);

static unsafe class Pcl
{
    public static long Read(sqlite3_stmt s, string org, string id)
    {
        Span<byte> buffer = stackalloc byte[128];
        raw.sqlite3_bind_text(s, 1, buffer[..Encoding.UTF8.GetBytes(org, buffer)]);
        raw.sqlite3_bind_text(s, 2, buffer[..Encoding.UTF8.GetBytes(id, buffer)]);
        long sum = 0;
        if (raw.sqlite3_step(s) == raw.SQLITE_ROW)
            sum = Row(s);
        raw.sqlite3_reset(s);
        return sum;
    }
    public static void StepOnly(sqlite3_stmt s, string org, string id)
    {
        raw.sqlite3_bind_text(s, 1, org); raw.sqlite3_bind_text(s, 2, id);
        raw.sqlite3_step(s);
    }
    public static void InsertRow(sqlite3_stmt s, int i)
    {
        Span<byte> b = stackalloc byte[64];
        if (i == 0) { raw.sqlite3_bind_text(s, 1, "org_01HZX3ABCDEF"); raw.sqlite3_bind_text(s, 2, "key_01"); raw.sqlite3_bind_text(s, 3, ""); raw.sqlite3_bind_text(s, 4, "GET"); raw.sqlite3_bind_text(s, 5, "/api/v1/contacts/{id}"); }
        raw.sqlite3_bind_int(s, 6, 200); raw.sqlite3_bind_int64(s, 7, 120 + i); raw.sqlite3_bind_int64(s, 8, 0); raw.sqlite3_bind_int64(s, 9, 512);
        raw.sqlite3_bind_text(s, 10, b[..Encoding.UTF8.GetBytes("0HN8ABCDEF:00000001", b)]);
        raw.sqlite3_bind_text(s, 11, b[..Encoding.UTF8.GetBytes("2026-11-22 20:47:22.1234567", b)]);
        raw.sqlite3_step(s); raw.sqlite3_reset(s);
    }
    public static string Text(sqlite3_stmt s, int i) => Encoding.UTF8.GetString(raw.sqlite3_column_blob(s, i));
    static long Row(sqlite3_stmt s)
    {
        long sum = 0;
        for (var i = 0; i < 8; i++)
            sum += raw.sqlite3_column_type(s, i) == raw.SQLITE_NULL ? 0 : Text(s, i).Length;
        sum += raw.sqlite3_column_int64(s, 8) + raw.sqlite3_column_int64(s, 9);
        sum += Text(s, 10).Length + Text(s, 11).Length; // timestamps: the decode stands in for the parse
        return sum;
    }
}

sealed unsafe class Own : IDisposable
{
    private IntPtr _s;
    public Own(IntPtr db, string sql)
    {
        var utf8 = Encoding.UTF8.GetBytes(sql + "\0");
        IntPtr s, tail;
        fixed (byte* p = utf8) N.sqlite3_prepare_v2(db, p, utf8.Length, &s, &tail);
        _s = s;
    }
    public long Read(string org, string id)
    {
        Bind(1, org); Bind(2, id);
        long sum = 0;
        if (N.sqlite3_step(_s) == 100) sum = Row();
        N.sqlite3_reset(_s);
        return sum;
    }
    public void StepOnly(string org, string id) { Bind(1, org); Bind(2, id); N.sqlite3_step(_s); }
    public void Reset() => N.sqlite3_reset(_s);
    void Bind(int index, string value)
    {
        Span<byte> buffer = stackalloc byte[128];
        var length = Encoding.UTF8.GetBytes(value, buffer);
        fixed (byte* p = buffer) N.sqlite3_bind_text(_s, index, p, length, new IntPtr(-1));
    }
    public void InsertRow(int i)
    {
        if (i == 0) { Bind(1, "org_01HZX3ABCDEF"); Bind(2, "key_01"); Bind(3, ""); Bind(4, "GET"); Bind(5, "/api/v1/contacts/{id}"); }
        N.sqlite3_bind_int64(_s, 6, 200); N.sqlite3_bind_int64(_s, 7, 120 + i); N.sqlite3_bind_int64(_s, 8, 0); N.sqlite3_bind_int64(_s, 9, 512);
        Bind(10, "0HN8ABCDEF:00000001"); Bind(11, "2026-11-22 20:47:22.1234567");
        N.sqlite3_step(_s); N.sqlite3_reset(_s);
    }
    public long Int64(int i) => N.sqlite3_column_int64(_s, i);
    public int Type(int i) => N.sqlite3_column_type(_s, i);
    public string Text(int i) => Encoding.UTF8.GetString(N.sqlite3_column_text(_s, i), N.sqlite3_column_bytes(_s, i));
    long Row()
    {
        long sum = 0;
        for (var i = 0; i < 8; i++) sum += Type(i) == 5 ? 0 : Text(i).Length;
        sum += Int64(8) + Int64(9);
        sum += Text(10).Length + Text(11).Length;
        return sum;
    }
    public void Dispose() { N.sqlite3_finalize(_s); _s = IntPtr.Zero; }

    static class N
    {
        const string L = "e_sqlite3";
        [DllImport(L)] public static extern int sqlite3_prepare_v2(IntPtr db, byte* sql, int bytes, IntPtr* statement, IntPtr* tail);
        [DllImport(L)] public static extern int sqlite3_bind_text(IntPtr statement, int index, byte* text, int bytes, IntPtr destructor);
        [DllImport(L)] public static extern int sqlite3_bind_int64(IntPtr statement, int index, long value);
        [DllImport(L)] public static extern int sqlite3_step(IntPtr statement);
        [DllImport(L)] public static extern int sqlite3_reset(IntPtr statement);
        [DllImport(L)] public static extern int sqlite3_finalize(IntPtr statement);
        [DllImport(L), SuppressGCTransition] public static extern int sqlite3_column_type(IntPtr statement, int column);
        [DllImport(L), SuppressGCTransition] public static extern long sqlite3_column_int64(IntPtr statement, int column);
        [DllImport(L), SuppressGCTransition] public static extern byte* sqlite3_column_text(IntPtr statement, int column);
        [DllImport(L), SuppressGCTransition] public static extern int sqlite3_column_bytes(IntPtr statement, int column);
    }
}
