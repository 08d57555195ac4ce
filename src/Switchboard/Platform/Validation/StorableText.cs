using System.Collections;
using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using Switchboard.Platform.Http;

namespace Switchboard.Platform.Validation;

/// <summary>
/// The rule every request body obeys before its own validator runs (<see cref="RequestValidation.CheckAsync{T}(FluentValidation.IValidator{T}, T, CancellationToken)"/>):
/// no text holds a NUL (U+0000). PostgreSQL's text types cannot store one and SQLite can, so without it the same
/// request failed on one database and was stored on the other. It walks the bound body (strings, <see cref="Optional{T}"/>,
/// arrays, lists, dictionaries, nested records of the project's types) through getters compiled once per type, not by
/// a JSON converter for strings: a custom string converter would also change how the OpenAPI document describes
/// every string. Only the body is walked, never a service or a query.
/// </summary>
public static class StorableText
{
    public const string Message = "Must not contain the NUL character (U+0000).";
    private const int MaxDepth = 8;
    private static readonly ConcurrentDictionary<Type, (string Name, Func<object, object?> Get)[]> Getters = new();

    /// <summary>
    /// The JSON path, relative to <paramref name="value"/>, of the first field holding a NUL ("" for the value itself or
    /// a collection holding one), or null. The path is built only on a hit, so a clean body allocates nothing here.
    /// </summary>
    public static string? FindNul(object? value) => FindNul(value, 0);

    private static string? FindNul(object? value, int depth)
    {
        switch (value)
        {
            case null:
                return null;
            case string text:
                return text.Contains('\0', StringComparison.Ordinal) ? "" : null;
            case IQueryable:
                return null; // a query, not data the client sent: never enumerated
            case IDictionary dictionary:
                foreach (DictionaryEntry entry in dictionary)
                    if ((entry.Key as string)?.Contains('\0', StringComparison.Ordinal) == true || FindNul(entry.Value, depth + 1) is not null)
                        return "";
                return null;
            case IEnumerable items:
                foreach (var item in items)
                    if (FindNul(item, depth + 1) is { } inner) return inner;
                return null;
        }
        var type = value.GetType();
        if (depth > MaxDepth || type.IsPrimitive || type.IsEnum || value is decimal or DateTime or DateTimeOffset or DateOnly or TimeSpan or Guid) return null;
        if (type.Namespace?.StartsWith("Switchboard", StringComparison.Ordinal) != true) return null;
        var getters = Getters.GetOrAdd(type, Compile);
        if (getters.Length == 1 && getters[0].Name.Length == 0) return FindNul(getters[0].Get(value), depth + 1); // Optional<T>
        foreach (var (name, get) in getters)
            if (FindNul(get(value), depth + 1) is { } inner) return inner.Length == 0 ? name : name + "." + inner;
        return null;
    }

    /// <summary>
    /// The getters of a type's readable properties that can hold text, compiled to delegates (a reflection
    /// <c>GetValue</c> per field per request cost more than the rule itself). An <see cref="Optional{T}"/> is looked
    /// through: one unnamed getter, its value.
    /// </summary>
    private static (string, Func<object, object?>)[] Compile(Type type)
    {
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Optional<>))
            return [("", Getter(type.GetProperty(nameof(Optional<object>.Value))!))];
        return type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.CanRead && p.Name != "EqualityContract" && MayHoldText(p.PropertyType))
            .Select(p => (char.ToLowerInvariant(p.Name[0]) + p.Name[1..], Getter(p))).ToArray();
    }

    private static bool MayHoldText(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return !(type.IsPrimitive || type.IsEnum || type == typeof(decimal) || type == typeof(DateTime) || type == typeof(DateTimeOffset)
            || type == typeof(DateOnly) || type == typeof(TimeSpan) || type == typeof(Guid));
    }

    private static Func<object, object?> Getter(PropertyInfo property)
    {
        var instance = Expression.Parameter(typeof(object), "instance");
        var read = Expression.Property(Expression.Convert(instance, property.DeclaringType!), property);
        return Expression.Lambda<Func<object, object?>>(Expression.Convert(read, typeof(object)), instance).Compile();
    }
}
