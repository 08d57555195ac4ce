using System.Collections.Concurrent;
using System.Data.Common;
using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Switchboard.Platform.Storage;

/// <summary>
/// An entity type's rows as the EF model stores them, for the few hot paths that skip EF Core's query and update
/// pipelines (a record by id, the delivery queue, inserts of new records and their events, usage rows): the table, its
/// columns quoted and in the model's order, each column's type mapping and value converter, and compiled code that
/// builds the entity from a row of a <see cref="DbDataReader"/> as EF's own shaper does (the provider's reader method
/// for each column's type mapping, then the mapping's value converter). Every SQL statement those paths run on an
/// entity's table takes its names from here, so a renamed column or table is renamed for them too. Made once per model
/// and type. Shadow properties are not read: they live in EF's change tracker, not on the entity, and these reads do
/// not track.
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
        Properties = [.. type.GetProperties().Where(p => !p.IsShadowProperty())];
        Table = (type.GetSchema() is { } schema ? Quote(schema) + "." : "") + Quote(type.GetTableName()!);
        Columns = string.Join(", ", Properties.Select(p => Quote(p.GetColumnName(_table)!)));
        Insertable = CanInsert(type, _table);

        var reader = Expression.Parameter(typeof(DbDataReader), "reader");
        var entity = Expression.Variable(type.ClrType, "entity");
        var body = new List<Expression> { Expression.Assign(entity, Expression.New(type.ClrType)) };
        for (var ordinal = 0; ordinal < Properties.Count; ordinal++)
        {
            var property = Properties[ordinal];
            // EF's member for materializing: the backing field where there is one. An init-only property's backing field is
            // readonly, which EF writes past but an expression cannot; its (init) setter sets the same field.
            var member = property.GetMemberInfo(forMaterialization: true, forSet: true);
            if (member is FieldInfo { IsInitOnly: true } && property.PropertyInfo is { CanWrite: true } setter) member = setter;
            var target = Expression.MakeMemberAccess(entity, member);
            body.Add(Expression.Assign(target, ReadColumn(reader, ordinal, property, target.Type)));
        }
        body.Add(entity);
        var lambda = Expression.Lambda(typeof(Func<,>).MakeGenericType(typeof(DbDataReader), type.ClrType),
            Expression.Block(type.ClrType, [entity], body), reader);
        var calls = new ReaderCalls(reader);
        calls.Visit(lambda);
        ReaderMethods = calls.Methods;
        ReadsRaw = calls.Methods.All(SqliteRawRow.Supports);
        Materializer = lambda.Compile();
    }

    /// <summary>The entity type <paramref name="clrType"/> of <paramref name="model"/>.</summary>
    public static EntityRows For(IModel model, Type clrType) =>
        Cache.GetValue(model, static _ => new ConcurrentDictionary<Type, EntityRows>())
            .GetOrAdd(clrType, static (t, m) => new EntityRows(m.FindEntityType(t) ?? throw new InvalidOperationException($"{t.Name} is not part of the model.")), model);

    /// <summary>
    /// An identifier quoted as SQL quotes it (ISO/IEC 9075 delimited identifier, which SQLite and PostgreSQL both
    /// follow): in double quotes, a double quote inside doubled.
    /// </summary>
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>The table, quoted (with its schema, if any).</summary>
    public string Table { get; }

    /// <summary>The columns the materializer reads and an insert writes, quoted, comma-separated, in <see cref="Properties"/>' order.</summary>
    public string Columns { get; }

    /// <summary>The mapped properties that live on the entity (not shadow properties), in the model's order.</summary>
    public IReadOnlyList<IProperty> Properties { get; }

    /// <summary>A <c>Func&lt;DbDataReader, TEntity&gt;</c> that builds the entity from the current row, its columns as <see cref="Columns"/>.</summary>
    public Delegate Materializer { get; }

    /// <summary>The reader methods the materializer calls.</summary>
    public IReadOnlyList<MethodInfo> ReaderMethods { get; }

    /// <summary>Whether the materializer calls only accessors <see cref="SqliteRawRow"/> answers, so that a SQLite read can step a <see cref="SqliteRawStatement"/>.</summary>
    public bool ReadsRaw { get; }

    /// <summary>
    /// Whether an INSERT of <see cref="Columns"/> with the entity's values (<see cref="Insert"/>) stores a row as EF Core
    /// would: no value generated by the store, no shadow, computed, complex or owned properties, no inheritance.
    /// </summary>
    public bool Insertable { get; }

    /// <summary>The quoted column of the property <paramref name="name"/>.</summary>
    public string Column(string name) => Quote(Property(name).GetColumnName(_table)!);

    /// <summary>The quoted columns of the properties <paramref name="names"/>, comma-separated, in their order.</summary>
    public string ColumnsOf(params ReadOnlySpan<string> names)
    {
        var columns = new string[names.Length];
        for (var i = 0; i < names.Length; i++) columns[i] = Column(names[i]);
        return string.Join(", ", columns);
    }

    /// <summary>The property <paramref name="name"/>.</summary>
    public IProperty Property(string name) =>
        _type.FindProperty(name) ?? throw new InvalidOperationException($"{_type.ClrType.Name} has no mapped property {name}.");

    /// <summary><c>SELECT</c> <see cref="Columns"/> <c>FROM</c> the table <c>WHERE</c> <paramref name="condition"/>, for the materializer.</summary>
    public string Select(string condition) => $"SELECT {Columns} FROM {Table} WHERE {condition}";

    /// <summary>
    /// <c>INSERT INTO</c> the table (<see cref="Columns"/>) <c>VALUES</c> one parameter per column, each written as
    /// <paramref name="parameter"/> makes it from its 1-based position (<c>$1</c> for Npgsql, <c>?1</c> for SQLite).
    /// </summary>
    public string Insert(Func<int, string> parameter) => Insert(parameter, rows: 1);

    /// <summary>
    /// <c>INSERT INTO</c> the table (<see cref="Columns"/>) <c>VALUES</c> <paramref name="rows"/> rows of one parameter per
    /// column, numbered on from row to row (the second row's first column is parameter <c>Properties.Count + 1</c>).
    /// </summary>
    public string Insert(Func<int, string> parameter, int rows)
    {
        if (!Insertable) throw new InvalidOperationException($"Rows of {_type.ClrType.Name} are not inserted as EF Core inserts them; leave them to EF Core.");
        var columns = Properties.Count;
        var sql = new System.Text.StringBuilder($"INSERT INTO {Table} ({Columns}) VALUES ");
        for (var row = 0; row < rows; row++)
        {
            sql.Append(row == 0 ? "(" : ", (");
            for (var i = 1; i <= columns; i++) sql.Append(i == 1 ? "" : ", ").Append(parameter(row * columns + i));
            sql.Append(')');
        }
        return sql.ToString();
    }

    public Func<DbDataReader, TEntity> Materialize<TEntity>() => (Func<DbDataReader, TEntity>)Materializer;

    private static bool CanInsert(IEntityType type, StoreObjectIdentifier table) =>
        type.BaseType is null && !type.GetDerivedTypes().Any() && !type.IsOwned() && !type.GetNavigations().Any(n => n.TargetEntityType.IsOwned())
            && !type.GetComplexProperties().Any()
            && type.GetProperties().All(p => !p.IsShadowProperty() && p.ValueGenerated == ValueGenerated.Never
                && p.GetComputedColumnSql(table) is null && p.GetColumnName(table) is not null);

    /// <summary>The reader methods a materializer calls.</summary>
    private sealed class ReaderCalls(ParameterExpression reader) : ExpressionVisitor
    {
        public List<MethodInfo> Methods { get; } = [];

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
