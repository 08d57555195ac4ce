using System.Collections.Concurrent;
using Npgsql;

namespace Switchboard.Platform.Storage;

/// <summary>
/// Commits the node's insert-only units of work (a created record and its outbox events) on PostgreSQL, several
/// requests' units in one transaction when they arrive together: group commit, done by the application. A unit that
/// arrives while no commit is running is sent at once, so a lone request waits for nothing; units that arrive while
/// <see cref="MaxConcurrentCommits"/> commits are running wait for the first of them to finish and go together in the
/// next. Under load this turns many small transactions, each with its round trip, its WAL flush and its contention on
/// the same index pages, into a few larger ones, while every caller still returns only after its rows are durably
/// committed.
/// <para>
/// A batch goes without BEGIN and COMMIT: PostgreSQL runs the statements before a batch's single Sync as one implicit
/// transaction, committed at the Sync or rolled back whole if any statement fails (protocol, "Extended Query": "the
/// Sync message causes the backend to close the current transaction if it's not inside a BEGIN/COMMIT transaction
/// block"). When the server rejects a statement of a shared batch, nothing of it committed, and each unit is sent
/// again alone, so that only the unit at fault fails and it fails with its own error. Any other failure (a broken
/// connection, a timeout) leaves the outcome unknown and is reported to every unit of the batch, as it would have been
/// to a request that sent its own.
/// </para>
/// </summary>
public sealed class PostgresGroupCommit(NpgsqlDataSource dataSource, int maxConcurrentCommits = PostgresGroupCommit.DefaultConcurrentCommits)
{
    /// <summary>Commits that may run at once. Two keep one batch filling while the other waits for its WAL flush.</summary>
    public const int DefaultConcurrentCommits = 2;

    /// <summary>Statements per shared batch at most; a unit is never split, so a batch may exceed it by one unit.</summary>
    public const int MaxStatements = 256;

    private readonly ConcurrentQueue<Unit> _pending = new();
    private int _running;

    public int MaxConcurrentCommits { get; } = Math.Max(1, maxConcurrentCommits);

    /// <summary>Returns once the rows are committed; throws the store's error if they are not.</summary>
    internal Task CommitAsync(PostgresInserts.Row[] rows)
    {
        var unit = new Unit(rows);
        _pending.Enqueue(unit);
        Pump();
        return unit.Done.Task;
    }

    /// <summary>Starts a committer if units wait and fewer than the maximum run (on the caller's thread until it awaits).</summary>
    private void Pump()
    {
        while (!_pending.IsEmpty)
        {
            var running = Volatile.Read(ref _running);
            if (running >= MaxConcurrentCommits) return; // a running committer takes the unit when it finishes
            if (Interlocked.CompareExchange(ref _running, running + 1, running) != running) continue;
            _ = RunAsync();
            return;
        }
    }

    private async Task RunAsync()
    {
        try
        {
            while (Take() is { Count: > 0 } units) await CommitBatchAsync(units);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
        // A unit queued after the last Take saw the maximum running and left it to this committer.
        Pump();
    }

    private List<Unit> Take()
    {
        var units = new List<Unit>();
        var statements = 0;
        while (statements < MaxStatements && _pending.TryDequeue(out var unit))
        {
            units.Add(unit);
            statements += unit.Rows.Length;
        }
        return units;
    }

    private async Task CommitBatchAsync(List<Unit> units)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            try
            {
                await ExecuteAsync(connection, units);
                foreach (var unit in units) unit.Done.TrySetResult();
            }
            catch (PostgresException) when (units.Count > 1)
            {
                // The server rejected a statement: the implicit transaction rolled back whole. Each unit on its own.
                foreach (var unit in units)
                {
                    try
                    {
                        await ExecuteAsync(connection, [unit]);
                        unit.Done.TrySetResult();
                    }
                    catch (Exception ex)
                    {
                        unit.Done.TrySetException(ex);
                    }
                }
            }
        }
        catch (Exception ex)
        {
            foreach (var unit in units) unit.Done.TrySetException(ex);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, List<Unit> units)
    {
        await using var batch = new NpgsqlBatch(connection);
        using var factory = new NpgsqlCommand(); // creates the parameters EF's type mappings configure
        foreach (var unit in units)
            foreach (var row in unit.Rows)
                batch.BatchCommands.Add(row.Command(factory));
        await batch.ExecuteNonQueryAsync();
    }

    private sealed class Unit(PostgresInserts.Row[] rows)
    {
        public PostgresInserts.Row[] Rows { get; } = rows;

        // Completed by a committer: the callers' continuations must not run on its thread, holding up the next commit.
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
