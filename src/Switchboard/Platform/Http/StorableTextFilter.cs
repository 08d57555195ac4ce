using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.AspNetCore.Http.Metadata;
using Switchboard.Platform.Errors;

namespace Switchboard.Platform.Http;

/// <summary>
/// Refuses a request body holding a NUL (U+0000) in any text, as a field error (400 <c>validation_failed</c> naming
/// the field), on every endpoint with a body. PostgreSQL's text types cannot store a NUL and SQLite can, so without
/// this the same request failed on one database and was stored on the other. Done on the bound body, by walking its
/// properties (strings, <see cref="Optional{T}"/>, arrays, lists, dictionaries, nested records), not by a JSON
/// converter for strings: a custom string converter would also change how the OpenAPI document describes every string.
/// </summary>
public static class StorableTextFilter
{
    private const string Message = "Must not contain the NUL character (U+0000).";
    private static readonly ConcurrentDictionary<Type, (string Name, Func<object, object?> Get)[]> Properties = new();

    public static EndpointFilterDelegate Factory(EndpointFilterFactoryContext context, EndpointFilterDelegate next)
    {
        // Only parameters bound from the JSON body. A handler's other parameters of the project's types are services
        // (a DbContext's sets are IEnumerable: walking one would read whole tables) or explicitly bound from elsewhere.
        var services = context.ApplicationServices.GetService<IServiceProviderIsService>();
        var bodies = context.MethodInfo.GetParameters().Select((p, i) => (p, i))
            .Where(x => IsBody(x.p.ParameterType) && services?.IsService(x.p.ParameterType) != true
                && x.p.GetCustomAttributes().All(a => a is not (IFromServiceMetadata or IFromRouteMetadata or IFromQueryMetadata or IFromHeaderMetadata or AsParametersAttribute)))
            .Select(x => x.i).ToArray();
        if (bodies.Length == 0) return next;
        return async invocation =>
        {
            foreach (var index in bodies)
                if (invocation.Arguments[index] is { } body && FindNul(body, 0) is { Length: > 0 } field)
                    return ApiProblem.Validation(field, Message);
            return await next(invocation);
        };
    }

    /// <summary>Whether a handler may take a body this filter checks (the factory then keeps only the one bound from JSON).</summary>
    public static bool Applies(MethodInfo handler) => handler.GetParameters().Any(p => IsBody(p.ParameterType));

    private static bool IsBody(Type type) =>
        type.Namespace?.StartsWith("Switchboard", StringComparison.Ordinal) == true && !type.IsEnum && !type.IsPrimitive
        && type.GetProperties().Length > 0 && !typeof(Delegate).IsAssignableFrom(type);

    /// <summary>
    /// The JSON path, relative to <paramref name="value"/>, of the first field holding a NUL ("" for the value itself or
    /// a collection holding one), or null. The path is built only on a hit, so a clean body allocates nothing here.
    /// </summary>
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
        if (depth > 8 || type.IsPrimitive || type.IsEnum || value is decimal or DateTime or DateTimeOffset or DateOnly or TimeSpan or Guid) return null;
        if (type.Namespace?.StartsWith("Switchboard", StringComparison.Ordinal) != true) return null;
        var accessors = Properties.GetOrAdd(type, Accessors);
        if (accessors.Length == 1 && accessors[0].Name.Length == 0) return FindNul(accessors[0].Get(value), depth + 1); // Optional<T>
        foreach (var (name, get) in accessors)
            if (FindNul(get(value), depth + 1) is { } inner) return inner.Length == 0 ? name : name + "." + inner;
        return null;
    }

    /// <summary>An <see cref="Optional{T}"/> is looked through: one unnamed accessor, its value.</summary>
    private static (string, Func<object, object?>)[] Accessors(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Optional<>)
            ? [("", type.GetProperty(nameof(Optional<object>.Value))!.GetValue)]
            : type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0 && p.CanRead && p.Name != "EqualityContract")
            .Select(p => (char.ToLowerInvariant(p.Name[0]) + p.Name[1..], (Func<object, object?>)p.GetValue)).ToArray();
}
