using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Switchboard.Integrations.Actions;

/// <summary>
/// A rule's input template: a JSON object whose strings may hold template variables filled from the delivery's payload —
/// <c>{{data.field}}</c>, <c>{{data.nested.field}}</c>, <c>{{previousAttributes.status}}</c>, <c>{{type}}</c>,
/// <c>{{id}}</c>, <c>{{timestamp}}</c>. Substitution only, never evaluation. A string that is exactly one template variable
/// takes the value with its JSON type (<c>"{{data.score}}"</c> becomes the number 87); within text, a value is written as
/// text, and a missing one as nothing.
/// </summary>
public static partial class ActionTemplate
{
    [GeneratedRegex(@"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*\}\}")]
    private static partial Regex Variable();

    /// <summary>The template filled from <paramref name="payload"/> (the delivery's JSON body).</summary>
    public static JsonObject Render(JsonObject template, JsonNode? payload) => (JsonObject)Fill(template, payload)!;

    /// <summary>One string with its template variables replaced by text (<paramref name="escape"/> applied to each value, e.g. JSON escaping).</summary>
    public static string RenderText(string text, JsonNode? payload, Func<string, string>? escape = null) =>
        Variable().Replace(text, m =>
        {
            var value = AsText(Lookup(payload, m.Groups[1].Value));
            return escape is null ? value : escape(value);
        });

    /// <summary>The template variables' paths in a template, for validation (each must start with data, previousAttributes, type, id or timestamp).</summary>
    public static IEnumerable<string> Paths(JsonNode? template) => template switch
    {
        JsonObject o => o.SelectMany(p => Paths(p.Value)),
        JsonArray a => a.SelectMany(Paths),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => Variable().Matches(v.GetValue<string>()).Select(m => m.Groups[1].Value),
        _ => [],
    };

    /// <summary>Whether a template variable path names something a payload has.</summary>
    public static bool IsKnownRoot(string path) =>
        path.Split('.')[0] is "data" or "previousAttributes" or "type" or "id" or "timestamp";

    private static JsonNode? Fill(JsonNode? node, JsonNode? payload)
    {
        switch (node)
        {
            case JsonObject o:
                var copy = new JsonObject();
                foreach (var (name, value) in o) copy[name] = Fill(value, payload);
                return copy;
            case JsonArray a:
                return new JsonArray(a.Select(item => Fill(item, payload)).ToArray());
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                var text = v.GetValue<string>();
                if (!text.Contains("{{", StringComparison.Ordinal)) return JsonValue.Create(text);
                var whole = Variable().Match(text);
                if (whole.Success && whole.Index == 0 && whole.Length == text.Length) return Lookup(payload, whole.Groups[1].Value)?.DeepClone();
                return JsonValue.Create(RenderText(text, payload));
            default:
                return node?.DeepClone();
        }
    }

    private static JsonNode? Lookup(JsonNode? payload, string path) => EventFilter.Resolve(payload, path.Split('.'));

    /// <summary>A value as text: strings as they are, numbers and booleans as JSON writes them, objects and arrays as JSON, null as nothing.</summary>
    public static string AsText(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        _ => value.ToJsonString(),
    };

    /// <summary>A value escaped for the inside of a JSON string (the custom HTTP body of a JSON content type).</summary>
    public static string JsonEscape(string value)
    {
        var quoted = JsonSerializer.Serialize(value, JsonEscaping);
        return quoted[1..^1];
    }

    private static readonly JsonSerializerOptions JsonEscaping = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
