using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Platform;
using Switchboard.Platform.Storage;

namespace Switchboard.Usage;

/// <summary>
/// Records every API request off the request path: the request hands a record to an in-memory queue (it never waits
/// and takes no lock; past <see cref="Capacity"/> queued records, under extreme overload, records are dropped and
/// counted), and a writer stores each second's records in one transaction, raw rows and roll-ups together. A
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
    private readonly UsageRollup _rollup = new();
    private UsageRowWriter? _rows;

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
        _rollup.Clear();
        while (_batch.Count < MaxBatch && _queue.TryDequeue(out var record))
        {
            _batch.Add(record);
            _rollup.Add(record);
        }
        if (_batch.Count == 0) return false;
        Interlocked.Add(ref _queued, -_batch.Count);
        try
        {
            await WriteAsync(cancellationToken);
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

    /// <summary>The batch's raw rows and its roll-up, in one transaction.</summary>
    private async Task WriteAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var rows = _rows ??= UsageRowWriter.For(scope.ServiceProvider.GetRequiredService<DatabaseSettings>());
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        await rows.InsertAsync(db, _batch, cancellationToken);
        await _rollup.WriteAsync(db, cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }
}
