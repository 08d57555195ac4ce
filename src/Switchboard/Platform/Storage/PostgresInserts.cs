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
/// Saves a unit of work that only adds rows (a created record and its outbox events) on PostgreSQL as INSERTs whose SQL
/// is built once per entity type, instead of through EF Core's update pipeline, which builds modification commands,
/// generates their SQL and creates their parameters anew on every save; <see cref="PostgresGroupCommit"/> sends them.
/// The columns, type mappings and value converters are EF's own, so a row is stored as EF would store it. Entity types
/// this cannot store as EF would (generated values, shadow or complex properties, owned types, inheritance) are left
/// to EF Core.
/// </summary>
internal static class PostgresInserts
{
    private static readonly ConditionalWeakTable<IModel, ConcurrentDictionary<IEntityType, Shape?>> Shapes = new();

    /// <summary>
    /// Inserts the added <paramref name="entries"/> in one transaction, through the node's <see cref="PostgresGroupCommit"/>
    /// (which may commit them together with other requests' rows). Answers false, having done nothing, when an entity type
    /// is not one this can store.
    /// </summary>
    public static async Task<bool> TryInsertAsync(DbContext db, PostgresGroupCommit group, IReadOnlyList<EntityEntry> entries)
    {
        var rows = new Row[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            if (Row.Of(entries[i].Metadata, entries[i].Entity) is not { } row) return false;
            rows[i] = row;
        }
        try
        {
            await group.CommitAsync(rows);
        }
        catch (DbException ex)
        {
            // As EF Core reports a failed save: the store's error inside a DbUpdateException naming the entries.
            throw new DbUpdateException("An error occurred while saving the entity changes. See the inner exception for details.", ex, entries);
        }
        db.ChangeTracker.AcceptAllChanges();
        return true;
    }

    /// <summary>One row to insert: the entity and how its type is inserted.</summary>
    internal readonly record struct Row(Shape Shape, object Entity)
    {
        /// <summary>The row that inserts <paramref name="entity"/>, or null when its type is not one this can store.</summary>
        public static Row? Of(IEntityType type, object entity) => ShapeOf(type) is { } shape ? new Row(shape, entity) : null;

        public NpgsqlBatchCommand Command(NpgsqlCommand factory) => Shape.Command(Entity, factory);
    }

    private static Shape? ShapeOf(IEntityType type) =>
        Shapes.GetValue(type.Model, static _ => new ConcurrentDictionary<IEntityType, Shape?>()).GetOrAdd(type, Shape.For);

    /// <summary>An entity type's INSERT (from <see cref="EntityRows"/>) and, per column, what makes its parameter.</summary>
    internal sealed class Shape(string sql, Column[] columns)
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
            if (type.GetTableName() is null) return null;
            var rows = EntityRows.For(type.Model, type.ClrType);
            if (!rows.Insertable) return null;
            var columns = rows.Properties.Select(p => new Column(p.GetGetter(), p.GetRelationalTypeMapping(), p.IsNullable)).ToArray();
            return new Shape(rows.Insert(i => "$" + i), columns);
        }
    }

    internal sealed record Column(IClrPropertyGetter Getter, RelationalTypeMapping Mapping, bool Nullable);
}
