using System.Collections.Concurrent;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Switchboard.Platform.Storage;

/// <summary>
/// Saves a unit of work that only adds rows (a created record and its outbox events) on PostgreSQL as one batch of
/// INSERTs whose SQL is built once per entity type, instead of through EF Core's update pipeline, which builds
/// modification commands, generates their SQL and creates their parameters anew on every save. The columns, type
/// mappings and value converters are EF's own, so a row is stored as EF would store it. Entity types this cannot
/// store as EF would (generated values, shadow or complex properties, owned types, inheritance) are left to EF Core.
/// </summary>
internal static class PostgresInserts
{
    private static readonly ConditionalWeakTable<IModel, ConcurrentDictionary<IEntityType, Shape?>> Shapes = new();

    /// <summary>
    /// Inserts the added <paramref name="entries"/> as one batch, without BEGIN/COMMIT: PostgreSQL runs a batch's
    /// statements as one implicit transaction, committed at its Sync or rolled back whole. Answers false, having done
    /// nothing, when an entity type is not one this can store.
    /// </summary>
    public static async Task<bool> TryInsertAsync(DbContext db, IReadOnlyList<EntityEntry> entries, CancellationToken cancellationToken)
    {
        var batchShapes = new Shape[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            if (ShapeOf(entries[i].Metadata) is not { } shape) return false;
            batchShapes[i] = shape;
        }

        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var batch = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection());
            if (db.Database.GetCommandTimeout() is { } timeout) batch.Timeout = timeout;
            using var factory = new NpgsqlCommand(); // creates the parameters EF's type mappings configure
            for (var i = 0; i < entries.Count; i++)
                batch.BatchCommands.Add(batchShapes[i].Command(entries[i].Entity, factory));
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (DbException ex)
        {
            // As EF Core reports a failed save: the store's error inside a DbUpdateException naming the entries.
            throw new DbUpdateException("An error occurred while saving the entity changes. See the inner exception for details.", ex, entries);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
        db.ChangeTracker.AcceptAllChanges();
        return true;
    }

    /// <summary>Whether rows of <paramref name="type"/> are inserted here rather than by EF Core.</summary>
    internal static bool Handles(IEntityType type) => ShapeOf(type) is not null;

    private static Shape? ShapeOf(IEntityType type) =>
        Shapes.GetValue(type.Model, static _ => new ConcurrentDictionary<IEntityType, Shape?>()).GetOrAdd(type, Shape.For);

    private sealed class Shape(string sql, Column[] columns)
    {
        public NpgsqlBatchCommand Command(object entity, NpgsqlCommand factory)
        {
            var command = new NpgsqlBatchCommand(sql);
            foreach (var column in columns)
            {
                // The model's value: the mapping applies its value converter as it makes the parameter.
                var value = column.Getter.GetClrValueUsingContainingEntity(entity);
                command.Parameters.Add((NpgsqlParameter)column.Mapping.CreateParameter(factory, "", value, column.Nullable));
            }
            return command;
        }

        public static Shape? For(IEntityType type)
        {
            if (type.BaseType is not null || type.GetDerivedTypes().Any() || type.IsOwned() || type.GetNavigations().Any(n => n.TargetEntityType.IsOwned())
                || type.GetComplexProperties().Any() || type.GetTableName() is not { } table)
                return null;
            var store = StoreObjectIdentifier.Table(table, type.GetSchema());
            var properties = type.GetProperties().ToList();
            if (properties.Any(p => p.IsShadowProperty() || p.ValueGenerated != ValueGenerated.Never || p.GetComputedColumnSql(store) is not null
                || p.GetColumnName(store) is null))
                return null;
            static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            var target = (type.GetSchema() is { } schema ? Quote(schema) + "." : "") + Quote(table);
            var names = string.Join(", ", properties.Select(p => Quote(p.GetColumnName(store)!)));
            var values = string.Join(", ", properties.Select((_, i) => "$" + (i + 1)));
            var columns = properties.Select(p => new Column(p.GetGetter(), p.GetRelationalTypeMapping(), p.IsNullable)).ToArray();
            return new Shape($"INSERT INTO {target} ({names}) VALUES ({values})", columns);
        }
    }

    private sealed record Column(IClrPropertyGetter Getter, RelationalTypeMapping Mapping, bool Nullable);
}
