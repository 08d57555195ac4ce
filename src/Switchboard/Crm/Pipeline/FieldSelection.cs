using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchboard.Crm.Pipeline;

/// <summary><c>fields=a,b</c>: only those top-level fields (and always <c>id</c>) of each record.</summary>
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
        var known = Known.GetOrAdd(responseType, t => t.GetProperties().Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)).ToHashSet(StringComparer.Ordinal));
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

    public JsonObject Apply(JsonObject record)
    {
        foreach (var name in record.Select(p => p.Key).ToList())
            if (!_fields.Contains(name)) record.Remove(name);
        return record;
    }
}
