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
        var materialize = (Func<DbDataReader, TEntity>)shape.Materializer;
        if (_postgres is not null)
        {
            await using var connection = await _postgres.OpenConnectionAsync(cancellationToken);
            await using var command = new NpgsqlCommand(shape.Sql, connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = organizationId });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SingleRow, cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? materialize(reader) : null;
        }

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
    /// A record type's SELECT and the compiled code that builds the entity from a row (<see cref="EntityRows"/>). On
    /// SQLite, a shape whose materializer calls only the accessors <see cref="SqliteRawRow"/> answers
    /// (<see cref="EntityRows.ReadsRaw"/>) is read through it (a statement stepped through SQLite's C API); any other
    /// goes through Microsoft.Data.Sqlite's reader.
    /// </summary>
    private sealed record Shape(Type Type, string Sql, Delegate Materializer, bool ReadsRaw)
    {
        public static Shape For(IModel model, Type type, bool postgres)
        {
            var rows = EntityRows.For(model, type);
            var (p1, p2) = postgres ? ("$1", "$2") : ("$organization", "$id");
            var sql = rows.Select($"{rows.Column(nameof(CrmRecord.OrganizationId))} = {p1} AND {rows.Column(nameof(CrmRecord.Id))} = {p2}");
            return new Shape(type, sql, rows.Materializer, !postgres && rows.ReadsRaw);
        }
    }
}
