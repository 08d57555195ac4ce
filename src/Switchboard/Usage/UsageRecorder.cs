using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Storage;

namespace Switchboard.Usage;

public readonly record struct UsageRecord(
    string OrganizationId, string ApiKeyId, string UserId, string Method, string Route, int Status, long LatencyMicros,
    long RequestBytes, long ResponseBytes, string RequestId, DateTime At);

/// <summary>
/// Records every API request off the request path: the request hands a record to an in-memory queue (it never waits
/// and takes no lock; past <see cref="Capacity"/> queued records, under extreme overload, records are dropped and
/// counted), and a writer stores each second's records in one transaction, raw rows and hourly roll-ups together. A
/// crash loses at most the records of the last flush interval.
/// </summary>
public sealed class UsageRecorder(IServiceScopeFactory scopes, IOptions<SwitchboardOptions> options, ILogger<UsageRecorder> logger) : BackgroundService
{
    private const int Capacity = 200_000;
    private const int MaxBatch = 50_000;
    private readonly ConcurrentQueue<UsageRecord> _queue = new();
    private int _queued;
    private long _dropped;
    // One flush at a time: the background loop, shutdown and tests all flush, and a flush that returns has written
    // everything recorded before it was called (a concurrent one waits for the one in progress, then writes the rest).
    private readonly SemaphoreSlim _flushing = new(1, 1);
    // The flush's buffers, reused from flush to flush (only the holder of _flushing touches them).
    private readonly List<UsageRecord> _batch = [];
    private readonly Dictionary<HourKey, HourSums> _hours = [];

    public long Dropped => Interlocked.Read(ref _dropped);

    public void Record(in UsageRecord record)
    {
        if (Interlocked.Increment(ref _queued) > Capacity)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _dropped);
            return;
        }
        _queue.Enqueue(record);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.Value.Usage.FlushSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await Task.Delay(interval, stoppingToken); }
            catch (OperationCanceledException) { break; }
            await FlushAsync(CancellationToken.None);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(CancellationToken.None);
    }

    /// <summary>Writes everything recorded so far. Public so tests and shutdown can force it.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _flushing.WaitAsync(cancellationToken);
        try
        {
            // Batches of at most MaxBatch records, until the queue is as empty as it was when this flush began.
            for (var pending = Volatile.Read(ref _queued); pending > 0; pending -= MaxBatch)
                if (!await FlushBatchAsync(cancellationToken)) break;
        }
        finally
        {
            _flushing.Release();
        }
        var dropped = Interlocked.Exchange(ref _dropped, 0);
        if (dropped > 0) logger.LogWarning("Dropped {Count} usage records: the recorder's buffer was full", dropped);
    }

    private async Task<bool> FlushBatchAsync(CancellationToken cancellationToken)
    {
        _batch.Clear();
        _hours.Clear();
        while (_batch.Count < MaxBatch && _queue.TryDequeue(out var record))
        {
            _batch.Add(record);
            // The hourly roll-up, summed as the batch is taken: one row per organization, hour, credential, route and status.
            var key = new HourKey(record.OrganizationId, UsageHour.HourOf(record.At),
                record.ApiKeyId, record.UserId, record.Method, record.Route, record.Status);
            ref var sums = ref CollectionsMarshal.GetValueRefOrAddDefault(_hours, key, out _);
            (sums ??= new HourSums()).Add(record);
        }
        if (_batch.Count == 0) return false;
        Interlocked.Add(ref _queued, -_batch.Count);
        try
        {
            await WriteAsync(_batch, _hours, cancellationToken);
        }
        catch (Exception ex)
        {
            // The batch is lost; the API is not. Usage is accounting, not a ledger of record.
            logger.LogError(ex, "Writing {Count} usage records failed", _batch.Count);
        }
        // A spike's buffers are not kept for the node's life.
        if (_batch.Capacity > 4 * 8_192 && _batch.Count < 8_192) _batch.Capacity = 8_192;
        return true;
    }

    private readonly record struct HourKey(string OrganizationId, DateTime Hour, string ApiKeyId, string UserId, string Method, string Route, int Status);

    private sealed class HourSums
    {
        public readonly long[] Histogram = new long[LatencyHistogram.Buckets];
        public long Requests, LatencyMicros, RequestBytes, ResponseBytes;

        public void Add(in UsageRecord r)
        {
            Histogram[LatencyHistogram.BucketOf(r.LatencyMicros)]++;
            Requests++;
            LatencyMicros += r.LatencyMicros;
            RequestBytes += r.RequestBytes;
            ResponseBytes += r.ResponseBytes;
        }
    }

    /// <summary>
    /// PostgreSQL: one binary COPY. SQLite: one statement prepared once and stepped per row.
    /// Both inside the flush's transaction, and neither through change tracking, which cost more than the requests did.
    /// </summary>
    private static async Task InsertRawAsync(SwitchboardDbContext db, List<UsageRecord> batch, CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        if (connection is Npgsql.NpgsqlConnection npgsql)
        {
            await using var copy = await npgsql.BeginBinaryImportAsync($"COPY api_requests ({RawRows.Columns}) FROM STDIN (FORMAT BINARY)", cancellationToken);
            foreach (var r in batch)
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(r.OrganizationId, NpgsqlTypes.NpgsqlDbType.Varchar, cancellationToken);
                await copy.WriteAsync(r.ApiKeyId, NpgsqlTypes.NpgsqlDbType.Varchar, cancellationToken);
                await copy.WriteAsync(r.UserId, NpgsqlTypes.NpgsqlDbType.Varchar, cancellationToken);
                await copy.WriteAsync(r.Method, NpgsqlTypes.NpgsqlDbType.Varchar, cancellationToken);
                await copy.WriteAsync(r.Route, NpgsqlTypes.NpgsqlDbType.Varchar, cancellationToken);
                await copy.WriteAsync(r.Status, NpgsqlTypes.NpgsqlDbType.Integer, cancellationToken);
                await copy.WriteAsync(r.LatencyMicros, NpgsqlTypes.NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(r.RequestBytes, NpgsqlTypes.NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(r.ResponseBytes, NpgsqlTypes.NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(Truncate(r.RequestId), NpgsqlTypes.NpgsqlDbType.Varchar, cancellationToken);
                await copy.WriteAsync(r.At, NpgsqlTypes.NpgsqlDbType.TimestampTz, cancellationToken);
            }
            await copy.CompleteAsync(cancellationToken);
            return;
        }

        // SQLite: the statement is prepared once and stepped per row on the connection's own handle (inside the flush's
        // transaction). SqliteCommand opens a data reader per execution and binds parameters by name; stepping directly
        // took a flush of ~25,000 rows from ~14 to ~11 µs a row under full load.
        // What a row costs is mostly binding text: SQLite copies every text value it is given, and a .NET string is first
        // made into a new UTF-8 array. So the columns that repeat from row to row (organization, credential, method, route)
        // are bound only when they change, since bindings outlive sqlite3_reset; the values new in every row (the request id
        // and the time) are written as UTF-8 into one buffer. The key is the rowid, so a row is one B-tree append.
        var handle = ((Microsoft.Data.Sqlite.SqliteConnection)connection).Handle!;
        Check(handle, SQLitePCL.raw.sqlite3_prepare_v2(handle,
            $"INSERT INTO api_requests ({RawRows.Columns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", out var statement));
        using (statement)
        {
            Span<byte> utf8 = stackalloc byte[RawRows.MaxUtf8];
            string? organization = null, apiKey = null, user = null, method = null, route = null;
            foreach (var r in batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!ReferenceEquals(r.OrganizationId, organization)) SQLitePCL.raw.sqlite3_bind_text(statement, 1, organization = r.OrganizationId);
                if (!ReferenceEquals(r.ApiKeyId, apiKey)) SQLitePCL.raw.sqlite3_bind_text(statement, 2, apiKey = r.ApiKeyId);
                if (!ReferenceEquals(r.UserId, user)) SQLitePCL.raw.sqlite3_bind_text(statement, 3, user = r.UserId);
                if (!ReferenceEquals(r.Method, method)) SQLitePCL.raw.sqlite3_bind_text(statement, 4, method = r.Method);
                if (!ReferenceEquals(r.Route, route)) SQLitePCL.raw.sqlite3_bind_text(statement, 5, route = r.Route);
                SQLitePCL.raw.sqlite3_bind_int(statement, 6, r.Status);
                SQLitePCL.raw.sqlite3_bind_int64(statement, 7, r.LatencyMicros);
                SQLitePCL.raw.sqlite3_bind_int64(statement, 8, r.RequestBytes);
                SQLitePCL.raw.sqlite3_bind_int64(statement, 9, r.ResponseBytes);
                BindText(statement, 10, r.RequestId.AsSpan(0, Math.Min(r.RequestId.Length, ApiRequestRecord.RequestIdMaxLength)), utf8);
                // The text form Microsoft.Data.Sqlite (and so EF Core) writes and compares DateTime values in.
                var at = SqliteRawRow.WriteCanonical(r.At, utf8);
                SQLitePCL.raw.sqlite3_bind_text(statement, 11, utf8[..at]);
                var step = SQLitePCL.raw.sqlite3_step(statement);
                SQLitePCL.raw.sqlite3_reset(statement);
                if (step != SQLitePCL.raw.SQLITE_DONE) Check(handle, step);
            }
        }
    }

    /// <summary>Binds text through <paramref name="buffer"/> as UTF-8 (SQLite copies it); empty text as a string, which binds '' rather than NULL.</summary>
    private static void BindText(SQLitePCL.sqlite3_stmt statement, int index, ReadOnlySpan<char> text, Span<byte> buffer)
    {
        if (text.IsEmpty) SQLitePCL.raw.sqlite3_bind_text(statement, index, "");
        else SQLitePCL.raw.sqlite3_bind_text(statement, index, buffer[..System.Text.Encoding.UTF8.GetBytes(text, buffer)]);
    }

    private static void Check(SQLitePCL.sqlite3 handle, int result)
    {
        if (result is not (SQLitePCL.raw.SQLITE_OK or SQLitePCL.raw.SQLITE_DONE))
            throw new Microsoft.Data.Sqlite.SqliteException(SQLitePCL.raw.sqlite3_errmsg(handle).utf8_to_string(), result);
    }

    private static string Truncate(string requestId) => requestId.Length <= ApiRequestRecord.RequestIdMaxLength ? requestId : requestId[..ApiRequestRecord.RequestIdMaxLength];

    private async Task WriteAsync(List<UsageRecord> batch, Dictionary<HourKey, HourSums> hours, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        await InsertRawAsync(db, batch, cancellationToken);

        foreach (var (k, s) in hours)
        {
            var h = s.Histogram;
            // Additive upsert: every node adds its counts into the same row.
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO api_usage_hourly (organization_id, hour, api_key_id, user_id, method, route, status, requests, latency_micros,
                    request_bytes, response_bytes, l0, l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12, l13)
                VALUES ({k.OrganizationId}, {k.Hour}, {k.ApiKeyId}, {k.UserId}, {k.Method}, {k.Route}, {k.Status}, {s.Requests}, {s.LatencyMicros},
                    {s.RequestBytes}, {s.ResponseBytes}, {h[0]}, {h[1]}, {h[2]}, {h[3]}, {h[4]}, {h[5]}, {h[6]}, {h[7]}, {h[8]}, {h[9]}, {h[10]}, {h[11]}, {h[12]}, {h[13]})
                ON CONFLICT (organization_id, hour, api_key_id, user_id, method, route, status) DO UPDATE SET
                    requests = api_usage_hourly.requests + excluded.requests,
                    latency_micros = api_usage_hourly.latency_micros + excluded.latency_micros,
                    request_bytes = api_usage_hourly.request_bytes + excluded.request_bytes,
                    response_bytes = api_usage_hourly.response_bytes + excluded.response_bytes,
                    l0 = api_usage_hourly.l0 + excluded.l0, l1 = api_usage_hourly.l1 + excluded.l1, l2 = api_usage_hourly.l2 + excluded.l2,
                    l3 = api_usage_hourly.l3 + excluded.l3, l4 = api_usage_hourly.l4 + excluded.l4, l5 = api_usage_hourly.l5 + excluded.l5,
                    l6 = api_usage_hourly.l6 + excluded.l6, l7 = api_usage_hourly.l7 + excluded.l7, l8 = api_usage_hourly.l8 + excluded.l8,
                    l9 = api_usage_hourly.l9 + excluded.l9, l10 = api_usage_hourly.l10 + excluded.l10, l11 = api_usage_hourly.l11 + excluded.l11,
                    l12 = api_usage_hourly.l12 + excluded.l12, l13 = api_usage_hourly.l13 + excluded.l13
                """, cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
    }
}

/// <summary>Raw-row insertion, the bulk of the recorder's work at high request rates.</summary>
file static class RawRows
{
    /// <summary>The longest UTF-8 text bound per row: a request id of its column's length, 3 bytes a character at most.</summary>
    public const int MaxUtf8 = ApiRequestRecord.RequestIdMaxLength * 3;

    public const string Columns = "organization_id, api_key_id, user_id, method, route, status, latency_micros, request_bytes, response_bytes, request_id, created_at";
}

/// <summary>Times each /api request and hands its usage record to the recorder once the response is done.</summary>
public sealed class UsageMiddleware(RequestDelegate next, UsageRecorder recorder, TimeProvider time)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
        {
            await next(context);
            return;
        }
        var started = Stopwatch.GetTimestamp();
        var body = context.Features.Get<IHttpResponseBodyFeature>()!;
        var counting = new CountingBody(body);
        context.Features.Set<IHttpResponseBodyFeature>(counting);
        try
        {
            await next(context);
        }
        finally
        {
            context.Features.Set(body);
            if (context.FindCaller() is { } caller)
            {
                var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(unmatched)";
                recorder.Record(new UsageRecord(caller.OrganizationId, caller.ApiKeyId ?? "", caller.UserId ?? "", context.Request.Method,
                    route.Length <= 200 ? route : route[..200], context.Response.StatusCode, (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds,
                    context.Request.ContentLength ?? 0, context.Response.ContentLength ?? counting.Written, context.TraceIdentifier, time.UtcNow()));
            }
        }
    }

    /// <summary>
    /// The response body, counting the bytes written through it. It wraps the body feature rather than replacing
    /// <c>Response.Body</c>: a replaced stream turns <c>Response.BodyWriter</c> (what the JSON results write to) into a pipe
    /// over that stream, with its own buffers, a copy and an async flush per response. Here the writer counts and hands
    /// each call to the server's own writer; the stream, for code that writes through it, counts on top of the server's.
    /// </summary>
    private sealed class CountingBody(IHttpResponseBodyFeature inner) : PipeWriter, IHttpResponseBodyFeature
    {
        private CountingStream? _stream;
        public long Written;

        public Stream Stream => _stream ??= new CountingStream(inner.Stream, this);
        public PipeWriter Writer => this;
        public void DisableBuffering() => inner.DisableBuffering();
        public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);
        public Task CompleteAsync() => inner.CompleteAsync();

        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
        {
            Written += count ?? Math.Max(0, new FileInfo(path).Length - offset);
            return inner.SendFileAsync(path, offset, count, cancellationToken);
        }

        public override void Advance(int bytes)
        {
            Written += bytes;
            inner.Writer.Advance(bytes);
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.Writer.GetMemory(sizeHint);
        public override Span<byte> GetSpan(int sizeHint = 0) => inner.Writer.GetSpan(sizeHint);
        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.Writer.FlushAsync(cancellationToken);
        public override void CancelPendingFlush() => inner.Writer.CancelPendingFlush();
        public override void Complete(Exception? exception = null) => inner.Writer.Complete(exception);
        public override ValueTask CompleteAsync(Exception? exception = null) => inner.Writer.CompleteAsync(exception);
        public override bool CanGetUnflushedBytes => inner.Writer.CanGetUnflushedBytes;
        public override long UnflushedBytes => inner.Writer.UnflushedBytes;

        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            Written += source.Length;
            return inner.Writer.WriteAsync(source, cancellationToken);
        }
    }

    private sealed class CountingStream(Stream inner, CountingBody counter) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) { counter.Written += count; inner.Write(buffer, offset, count); }
        public override void Write(ReadOnlySpan<byte> buffer) { counter.Written += buffer.Length; inner.Write(buffer); }
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            counter.Written += count;
            return inner.WriteAsync(buffer, offset, count, cancellationToken);
        }
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            counter.Written += buffer.Length;
            return inner.WriteAsync(buffer, cancellationToken);
        }
    }
}
