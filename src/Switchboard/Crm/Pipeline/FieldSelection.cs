using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchboard.Crm.Pipeline;

/// <summary>
/// <c>fields=a,b</c>: only those fields (and always <c>id</c>) of each record. A field of a nested object is named by
/// its path (<c>fields=name.first</c> keeps <c>name</c> with only <c>first</c>); naming the object keeps all of it.
/// </summary>
public sealed class FieldSelection
{
    private static readonly ConcurrentDictionary<Type, HashSet<string>> Known = new();
    private readonly HashSet<string> _fields;

    private FieldSelection(HashSet<string> fields) => _fields = fields;

    /// <summary>Parses the parameter against <paramref name="responseType"/>'s fields; null selection means all fields.</summary>
    public static bool TryParse(string? parameter, Type responseType, out FieldSelection? selection, out string? error)
    {
        selection = null;
        error = null;
        if (string.IsNullOrWhiteSpace(parameter)) return true;
        var known = Known.GetOrAdd(responseType, t => Paths(t, "", depth: 0).ToHashSet(StringComparer.Ordinal));
        var requested = parameter.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        var unknown = requested.Where(f => !known.Contains(f)).ToList();
        if (unknown.Count > 0)
        {
            error = $"Unknown field(s): {string.Join(", ", unknown)}. Fields: {string.Join(", ", known.Order(StringComparer.Ordinal))}.";
            return false;
        }
        requested.Add("id");
        selection = new FieldSelection(requested);
        return true;
    }

    public JsonObject Apply(JsonObject record) => Keep(record, _fields);

    private static JsonObject Keep(JsonObject node, IReadOnlyCollection<string> paths)
    {
        foreach (var name in node.Select(p => p.Key).ToList())
        {
            if (paths.Contains(name)) continue;
            var prefix = name + ".";
            var inner = paths.Where(p => p.StartsWith(prefix, StringComparison.Ordinal)).Select(p => p[prefix.Length..]).ToList();
            if (inner.Count == 0) node.Remove(name);
            else if (node[name] is JsonObject child) Keep(child, inner); // a null object stays null
        }
        return node;
    }

    /// <summary>Field paths of a response type: its properties, and those of nested objects of the API's own types.</summary>
    private static IEnumerable<string> Paths(Type type, string prefix, int depth)
    {
        foreach (var property in type.GetProperties())
        {
            var path = prefix + JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            yield return path;
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (depth < 3 && IsNestedObject(propertyType))
                foreach (var inner in Paths(propertyType, path + ".", depth + 1)) yield return inner;
        }
    }

    // Collections and dictionaries (metadata) are values, not objects whose members can be picked.
    private static bool IsNestedObject(Type type) =>
        type.IsClass && type != typeof(string) && !typeof(System.Collections.IEnumerable).IsAssignableFrom(type)
        && type.Namespace?.StartsWith("Switchboard", StringComparison.Ordinal) == true;
}
