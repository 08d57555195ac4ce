using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using Switchboard.Platform.Storage;

namespace Switchboard.Crm.Pipeline;

/// <summary>
/// Reads one CRM record of one organization by id: the hottest query of the API (<c>GET /{resource}/{id}</c>), read
/// with a statement prepared once per connection instead of through EF Core's query pipeline, which on SQLite
/// parses and prepares the SQL anew for every command. The SQL and the materializer are derived from the EF model
/// (table, column names, type mappings and value converters), so the record read is the one EF would read;
/// <c>RecordReaderTests</c> compares the two for every resource on both databases. Tenancy is explicit: the
/// organization is part of the WHERE clause, not a query filter.
/// </summary>
public sealed class RecordReader : IAsyncDisposable
{
    private readonly DatabaseSettings _settings;
    private readonly IModel _model;
    private readonly ConcurrentDictionary<Type, Shape> _shapes = new();
    private readonly ConcurrentBag<SqliteLease> _idle = [];
    private readonly NpgsqlDataSource? _postgres; // set on PostgreSQL only
    private const int MaxIdleSqliteConnections = 32;
    private bool _disposed;

    public RecordReader(DatabaseSettings settings, IDbContextFactory<SwitchboardDbContext> contexts, PostgresDataSource postgres)
    {
        _settings = settings;
        using (var db = contexts.CreateDbContext()) _model = db.Model;
        // EF Core's own data source: with the service's defaults (DatabaseSettings.WithPostgresDefaults) Npgsql prepares
        // the statement on each physical connection once it has run twice, and keeps it.
        if (settings.IsPostgres) _postgres = postgres.DataSource ?? throw new InvalidOperationException("PostgreSQL has no data source.");
    }

    /// <summary>The record <paramref name="id"/> of <paramref name="organizationId"/>, or null.</summary>
    public async ValueTask<TEntity?> FindAsync<TEntity>(string organizationId, string id, CancellationToken cancellationToken) where TEntity : CrmRecord
    {
        var shape = ShapeOf(typeof(TEntity));
        if (_postgres is not null) return (TEntity?)await shape.Batches!.ReadAsync(_postgres, organizationId, id, cancellationToken);
        var materialize = (Func<DbDataReader, TEntity>)shape.Materializer;

        // SQLite answers from the calling thread whatever the API; its reads are done synchronously, as its async
        // methods would do anyway.
        var lease = Rent();
        try
        {
            if (shape.ReadsRaw)
            {
                var statement = lease.Statement(shape);
                statement.BindText(1, organizationId);
                statement.BindText(2, id);
                try
                {
                    return statement.Step() ? materialize(statement.Row) : null;
                }
                finally
                {
                    statement.Reset(); // ends the read transaction
                }
            }
            var command = lease.Command(shape);
            command.Parameters[0].Value = organizationId;
            command.Parameters[1].Value = id;
            using var reader = command.ExecuteReader(System.Data.CommandBehavior.SingleRow);
            return reader.Read() ? materialize(reader) : null;
        }
        catch
        {
            lease.Dispose(); // a connection that failed mid-read is not worth keeping
            lease = null;
            throw;
        }
        finally
        {
            if (lease is not null) Return(lease);
        }
    }

    /// <summary>PostgreSQL: the statements sent for record reads, and the reads that went in a statement with others.</summary>
    internal (long Statements, long ReadsInBatches) BatchStatistics()
    {
        long statements = 0, batched = 0;
        foreach (var shape in _shapes.Values)
            if (shape.Batches is { } b) (statements, batched) = (statements + Interlocked.Read(ref b.Statements), batched + Interlocked.Read(ref b.ReadsInBatches));
        return (statements, batched);
    }

    private Shape ShapeOf(Type type) => _shapes.GetOrAdd(type, static (t, self) => Shape.For(self._model, t, self._settings.IsPostgres), this);

    private SqliteLease Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryTake(out var lease)) return lease;
        var connection = new SqliteConnection(_settings.ConnectionString);
        connection.Open();
        return new SqliteLease(connection);
    }

    private void Return(SqliteLease lease)
    {
        if (_disposed || _idle.Count >= MaxIdleSqliteConnections) lease.Dispose();
        else _idle.Add(lease);
    }

    /// <summary>Closes the kept SQLite connections. The PostgreSQL data source is the container's (<see cref="PostgresDataSource"/>).</summary>
    public ValueTask DisposeAsync()
    {
        _disposed = true;
        while (_idle.TryTake(out var lease)) lease.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>An open SQLite connection and the statements prepared on it, one per record type.</summary>
    private sealed class SqliteLease(SqliteConnection connection) : IDisposable
    {
        private readonly Dictionary<Type, SqliteCommand> _commands = [];
        private readonly Dictionary<Type, SqliteRawStatement> _statements = [];

        public SqliteRawStatement Statement(Shape shape)
        {
            if (_statements.TryGetValue(shape.Type, out var statement)) return statement;
            statement = new SqliteRawStatement(connection, shape.Sql);
            _statements[shape.Type] = statement;
            return statement;
        }

        public SqliteCommand Command(Shape shape)
        {
            if (_commands.TryGetValue(shape.Type, out var command)) return command;
            command = connection.CreateCommand();
            command.CommandText = shape.Sql;
            command.Parameters.Add("$organization", SqliteType.Text);
            command.Parameters.Add("$id", SqliteType.Text);
            command.Prepare();
            _commands[shape.Type] = command;
            return command;
        }

        public void Dispose()
        {
            foreach (var command in _commands.Values) command.Dispose();
            foreach (var statement in _statements.Values) statement.Dispose(); // finalized before the connection closes
            connection.Dispose();
        }
    }

    /// <summary>
    /// PostgreSQL reads of one record type, sent together when they arrive together. A read goes at once while fewer than
    /// <see cref="MaxInFlight"/> statements of its type are out; otherwise it waits for the next one to come back and
    /// goes in one statement with every read that waited meanwhile (at most <see cref="MaxBatch"/>): the more concurrent
    /// reads, the fewer statements, round trips and PostgreSQL backend wake-ups per read. There is no timer: a read waits
    /// only while the database is busy with reads of its type, at most one statement's time. Each read is still sent after
    /// it arrived, so it sees every write committed before it (as a statement of its own would); a statement's failure
    /// fails the reads in it. Tenancy as in the single read: a row answers only the read of its organization and id.
    /// </summary>
    private sealed class Batcher(string singleSql, string batchSql, Func<DbDataReader, object> materialize)
    {
        private const int MaxInFlight = 2, MaxBatch = 64;

        private sealed class Read(string organizationId, string id)
        {
            public readonly string OrganizationId = organizationId, Id = id;
            public readonly TaskCompletionSource<object?> Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        private readonly Lock _gate = new();
        private readonly Queue<Read> _waiting = new();
        private int _inFlight;
        internal long Statements, ReadsInBatches; // statements sent; reads that went in a statement with others

        public Task<object?> ReadAsync(NpgsqlDataSource dataSource, string organizationId, string id, CancellationToken cancellationToken)
        {
            var read = new Read(organizationId, id);
            List<Read>? batch = null;
            lock (_gate)
            {
                _waiting.Enqueue(read);
                if (_inFlight < MaxInFlight)
                {
                    _inFlight++;
                    batch = Take();
                }
            }
            if (batch is not null) _ = RunAsync(dataSource, batch);
            // A caller that gives up stops waiting; the statement it was in still answers the others.
            return read.Done.Task.WaitAsync(cancellationToken);
        }

        private List<Read> Take()
        {
            var batch = new List<Read>(Math.Min(_waiting.Count, MaxBatch));
            while (batch.Count < MaxBatch && _waiting.TryDequeue(out var read)) batch.Add(read);
            return batch;
        }

        /// <summary>Runs a statement for <paramref name="batch"/>, then the reads that waited meanwhile, until none is left.</summary>
        private async Task RunAsync(NpgsqlDataSource dataSource, List<Read> batch)
        {
            while (true)
            {
                try
                {
                    // Not one caller's token: the statement answers every read in it. Npgsql's command timeout bounds it.
                    await ExecuteAsync(dataSource, batch);
                }
                catch (Exception ex)
                {
                    foreach (var read in batch) read.Done.TrySetException(ex);
                }
                lock (_gate)
                {
                    if (_waiting.Count == 0)
                    {
                        _inFlight--;
                        return;
                    }
                    batch = Take();
                }
            }
        }

        private async Task ExecuteAsync(NpgsqlDataSource dataSource, List<Read> batch)
        {
            await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
            if (batch.Count == 1)
            {
                // The single read keeps its own prepared statement: the common case at low concurrency.
                var read = batch[0];
                await using var command = new NpgsqlCommand(singleSql, connection);
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = read.OrganizationId });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = read.Id });
                Interlocked.Increment(ref Statements);
                await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SingleRow, CancellationToken.None);
                read.Done.TrySetResult(await reader.ReadAsync(CancellationToken.None) ? materialize(reader) : null);
                return;
            }
            Interlocked.Increment(ref Statements);
            Interlocked.Add(ref ReadsInBatches, batch.Count);
            var organizations = new string[batch.Count];
            var ids = new string[batch.Count];
            for (var i = 0; i < batch.Count; i++) (organizations[i], ids[i]) = (batch[i].OrganizationId, batch[i].Id);
            await using (var command = new NpgsqlCommand(batchSql, connection))
            {
                command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = organizations });
                command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
                await using var reader = await command.ExecuteReaderAsync(CancellationToken.None);
                while (await reader.ReadAsync(CancellationToken.None))
                {
                    // The row answers each read of its organization and id (one entity each: two reads of one record in
                    // a statement get two objects). The WHERE matched each column alone, so the pair is checked here.
                    var entity = (CrmRecord)materialize(reader);
                    object? answer = entity;
                    foreach (var read in batch)
                    {
                        if (!string.Equals(read.Id, entity.Id, StringComparison.Ordinal)
                            || !string.Equals(read.OrganizationId, entity.OrganizationId, StringComparison.Ordinal)) continue;
                        read.Done.TrySetResult(answer ?? materialize(reader));
                        answer = null;
                    }
                }
            }
            foreach (var read in batch) read.Done.TrySetResult(null); // no row: not found (or another organization's)
        }
    }

    /// <summary>
    /// A record type's SELECT and the compiled code that builds the entity from a row (<see cref="EntityRows"/>). On
    /// SQLite, a shape whose materializer calls only the accessors <see cref="SqliteRawRow"/> answers
    /// (<see cref="EntityRows.ReadsRaw"/>) is read through it (a statement stepped through SQLite's C API); any other
    /// goes through Microsoft.Data.Sqlite's reader.
    /// </summary>
    private sealed record Shape(Type Type, string Sql, Delegate Materializer, bool ReadsRaw, Batcher? Batches)
    {
        public static Shape For(IModel model, Type type, bool postgres)
        {
            var rows = EntityRows.For(model, type);
            var (organization, id) = (rows.Column(nameof(CrmRecord.OrganizationId)), rows.Column(nameof(CrmRecord.Id)));
            var (p1, p2) = postgres ? ("$1", "$2") : ("$organization", "$id");
            var sql = rows.Select($"{organization} = {p1} AND {id} = {p2}");
            if (!postgres) return new Shape(type, sql, rows.Materializer, rows.ReadsRaw, null);
            // Several reads in one statement: ids by the primary key's index; each row is matched to its read's pair.
            var batchSql = rows.Select($"{id} = ANY($2) AND {organization} = ANY($1)");
            var materialize = (Func<DbDataReader, object>)rows.Materializer; // Func<DbDataReader, TEntity>, covariant
            return new Shape(type, sql, rows.Materializer, false, new Batcher(sql, batchSql, materialize));
        }
    }
}
