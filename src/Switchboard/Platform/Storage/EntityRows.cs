using System.Collections.Concurrent;
using System.Data.Common;
using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Switchboard.Platform.Storage;

/// <summary>
/// How an entity type's rows are read without EF Core's query pipeline, for the few hot reads that skip it (a record by
/// id, the delivery queue): the table, its columns in the model's order, and compiled code that builds the entity from
/// a row of a <see cref="DbDataReader"/> as EF's own shaper does (the provider's reader method for each column's type
/// mapping, then the mapping's value converter). Made once per model and type. Shadow properties are not read: they
/// live in EF's change tracker, not on the entity, and these reads do not track.
/// </summary>
public sealed class EntityRows
{
    private static readonly ConditionalWeakTable<IModel, ConcurrentDictionary<Type, EntityRows>> Cache = new();

    private readonly StoreObjectIdentifier _table;
    private readonly IEntityType _type;

    private EntityRows(IEntityType type)
    {
        _type = type;
        _table = StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema());
        var properties = type.GetProperties().Where(p => !p.IsShadowProperty()).ToList();
        Table = (type.GetSchema() is { } schema ? Quote(schema) + "." : "") + Quote(type.GetTableName()!);
        Columns = string.Join(", ", properties.Select(p => Quote(p.GetColumnName(_table)!)));

        var reader = Expression.Parameter(typeof(DbDataReader), "reader");
        var entity = Expression.Variable(type.ClrType, "entity");
        var body = new List<Expression> { Expression.Assign(entity, Expression.New(type.ClrType)) };
        for (var ordinal = 0; ordinal < properties.Count; ordinal++)
        {
            var property = properties[ordinal];
            // EF's member for materializing: the backing field where there is one. An init-only property's backing field is
            // readonly, which EF writes past but an expression cannot; its (init) setter sets the same field.
            var member = property.GetMemberInfo(forMaterialization: true, forSet: true);
            if (member is System.Reflection.FieldInfo { IsInitOnly: true } && property.PropertyInfo is { CanWrite: true } setter) member = setter;
            var target = Expression.MakeMemberAccess(entity, member);
            body.Add(Expression.Assign(target, ReadColumn(reader, ordinal, property, target.Type)));
        }
        body.Add(entity);
        var lambda = Expression.Lambda(typeof(Func<,>).MakeGenericType(typeof(DbDataReader), type.ClrType),
            Expression.Block(type.ClrType, [entity], body), reader);
        var calls = new ReaderCalls(reader);
        calls.Visit(lambda);
        ReaderMethods = calls.Methods;
        Materializer = lambda.Compile();
    }

    /// <summary>The entity type <paramref name="clrType"/> of <paramref name="model"/>.</summary>
    public static EntityRows For(IModel model, Type clrType) =>
        Cache.GetValue(model, static _ => new ConcurrentDictionary<Type, EntityRows>())
            .GetOrAdd(clrType, static (t, m) => new EntityRows(m.FindEntityType(t) ?? throw new InvalidOperationException($"{t.Name} is not part of the model.")), model);

    /// <summary>The table, quoted (with its schema, if any).</summary>
    public string Table { get; }

    /// <summary>The columns the materializer reads, quoted, comma-separated, in the order it reads them.</summary>
    public string Columns { get; }

    /// <summary>A <c>Func&lt;DbDataReader, TEntity&gt;</c> that builds the entity from the current row, its columns as <see cref="Columns"/>.</summary>
    public Delegate Materializer { get; }

    /// <summary>The reader methods the materializer calls (so a reader that answers only some can tell whether it can serve).</summary>
    public IReadOnlyList<System.Reflection.MethodInfo> ReaderMethods { get; }

    /// <summary>The quoted column of the property <paramref name="name"/>.</summary>
    public string Column(string name) => Quote(_type.FindProperty(name)!.GetColumnName(_table)!);

    public Func<DbDataReader, TEntity> Materialize<TEntity>() => (Func<DbDataReader, TEntity>)Materializer;

    private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>The reader methods a materializer calls.</summary>
    private sealed class ReaderCalls(ParameterExpression reader) : ExpressionVisitor
    {
        public List<System.Reflection.MethodInfo> Methods { get; } = [];

        protected override Expression VisitMethodCall(MethodCallExpression node)
        {
            if (node.Object == reader) Methods.Add(node.Method.GetBaseDefinition());
            return base.VisitMethodCall(node);
        }
    }

    /// <summary>What EF's own shaper does for one column: the provider's reader method, then the value converter.</summary>
    private static Expression ReadColumn(ParameterExpression reader, int ordinal, IProperty property, Type targetType)
    {
        var mapping = property.GetRelationalTypeMapping();
        var index = Expression.Constant(ordinal);
        Expression value = Expression.Call(reader, mapping.GetDataReaderMethod(), index);
        value = mapping.CustomizeDataReaderExpression(value);
        if (mapping.Converter is { } converter)
        {
            var fromProvider = converter.ConvertFromProviderExpression;
            var input = fromProvider.Parameters[0].Type;
            if (value.Type != input) value = Expression.Convert(value, input);
            value = Expression.Invoke(fromProvider, value); // compiled inline
        }
        if (value.Type != targetType) value = Expression.Convert(value, targetType);
        if (!property.IsNullable) return value;
        var isNull = Expression.Call(reader, typeof(DbDataReader).GetMethod(nameof(DbDataReader.IsDBNull), [typeof(int)])!, index);
        return Expression.Condition(isNull, Expression.Default(targetType), value);
    }
}
