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
            if (ShapeOf(entries[i].Metadata) is not { } shape) return false;
            rows[i] = new Row(shape, entries[i].Entity);
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

    /// <summary>Whether rows of <paramref name="type"/> are inserted here rather than by EF Core.</summary>
    internal static bool Handles(IEntityType type) => ShapeOf(type) is not null;

    /// <summary>The row that inserts <paramref name="entity"/>, of a type this handles.</summary>
    internal static Row RowOf(IModel model, object entity) =>
        new(ShapeOf(model.FindEntityType(entity.GetType())!) ?? throw new ArgumentException($"{entity.GetType().Name} is not inserted here."), entity);

    private static Shape? ShapeOf(IEntityType type) =>
        Shapes.GetValue(type.Model, static _ => new ConcurrentDictionary<IEntityType, Shape?>()).GetOrAdd(type, Shape.For);

    /// <summary>One row to insert: the entity and how its type is inserted.</summary>
    internal readonly record struct Row(Shape Shape, object Entity)
    {
        public NpgsqlBatchCommand Command(NpgsqlCommand factory) => Shape.Command(Entity, factory);
    }

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

    internal sealed record Column(IClrPropertyGetter Getter, RelationalTypeMapping Mapping, bool Nullable);
}
