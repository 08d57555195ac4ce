using System.Globalization;
using System.Text.Json.Nodes;

namespace Switchboard.Docs;

/// <summary>
/// Example values built from the JSON Schemas of an OpenAPI 3.1 document (as JSON), for request bodies and parameters.
/// What the document says comes first: <c>example</c>, <c>examples</c>, <c>default</c>, <c>const</c>, <c>enum</c>, then
/// <c>format</c>; where it says only "string", the property's name picks a value the API's validators accept (an
/// address for <c>email</c>, E.164 for <c>phone</c> and <c>…Number</c>, ISO 4217 for <c>currency</c>, …), so the
/// generated requests succeed as they are.
/// </summary>
internal sealed class PostmanSamples(JsonObject document)
{
    private const int MaxDepth = 8;
    private static readonly string[] JsonTypes = ["object", "array", "string", "integer", "number", "boolean"];

    /// <summary>An example of <paramref name="schema"/>; <paramref name="name"/> is the property or parameter it is for.</summary>
    public JsonNode? Sample(JsonNode? schema, string? name = null) => Sample(schema, name, 0, []);

    /// <summary>The schema a <c>$ref</c> points to (only local references, as the generator writes them).</summary>
    public JsonObject? Resolve(JsonNode? node)
    {
        for (var hops = 0; node is JsonObject o && o["$ref"]?.GetValue<string>() is { } reference && hops < MaxDepth; hops++)
            node = Pointer(reference);
        return node as JsonObject;
    }

    private JsonNode? Pointer(string reference)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal)) return null;
        JsonNode? node = document;
        foreach (var segment in reference[2..].Split('/'))
            node = node?[segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)];
        return node;
    }

    private JsonNode? Sample(JsonNode? node, string? name, int depth, HashSet<string> expanding)
    {
        var reference = (node as JsonObject)?["$ref"]?.GetValue<string>();
        if (reference is not null && !expanding.Add(reference)) return null; // a recursive schema: stop at the second visit
        try
        {
            var schema = Resolve(node);
            if (schema is null || depth > MaxDepth) return null;
            if (Declared(schema) is { } declared) return declared;
            if (schema["allOf"] is JsonArray allOf) return Merge(allOf.Select(s => Sample(s, name, depth + 1, expanding)));
            foreach (var choice in new[] { "oneOf", "anyOf" })
                if (schema[choice] is JsonArray branches)
                    return Sample(branches.FirstOrDefault(b => !IsNull(Resolve(b))), name, depth + 1, expanding);

            return TypeOf(schema) switch
            {
                "object" => Object(schema, depth, expanding),
                "array" => Sample(schema["items"], Singular(name), depth + 1, expanding) is { } item ? new JsonArray(item) : new JsonArray(),
                "integer" => Integer(schema, name),
                "number" => Number(schema, name),
                "boolean" => JsonValue.Create(true),
                "string" => JsonValue.Create(Text(schema, name)),
                _ => null,
            };
        }
        finally
        {
            if (reference is not null) expanding.Remove(reference);
        }
    }

    private static JsonNode? Declared(JsonObject schema)
    {
        if (schema.TryGetPropertyValue("example", out var example) && example is not null) return example.DeepClone();
        if (schema["examples"] is JsonArray { Count: > 0 } examples && examples[0] is { } first) return first.DeepClone();
        if (schema.TryGetPropertyValue("default", out var value) && value is not null) return value.DeepClone();
        if (schema.TryGetPropertyValue("const", out var constant) && constant is not null) return constant.DeepClone();
        if (schema["enum"] is JsonArray values && values.FirstOrDefault(v => v is not null) is { } option) return option.DeepClone();
        return null;
    }

    private JsonObject Object(JsonObject schema, int depth, HashSet<string> expanding)
    {
        var result = new JsonObject();
        var required = (schema["required"] as JsonArray)?.Select(r => r?.GetValue<string>()).ToHashSet() ?? [];
        foreach (var (property, propertySchema) in schema["properties"] as JsonObject ?? [])
        {
            if (Resolve(propertySchema)?["readOnly"]?.GetValue<bool>() == true) continue;
            if (IsReference(property, propertySchema))
            {
                if (required.Contains(property)) result[property] = Variable(property);
                continue;
            }
            if (Sample(propertySchema, property, depth + 1, expanding) is { } value) result[property] = value;
        }
        if (result.Count == 0 && schema["additionalProperties"] is JsonObject values && Sample(values, "value", depth + 1, expanding) is { } sample)
            result["key"] = sample;
        return result;
    }

    /// <summary>
    /// The id of another record (<c>contactId</c>, …) is accepted only if that record exists in the caller's
    /// organization, which no example id does: in an example body an optional one is left out and a required one
    /// becomes a Postman variable to fill in (<c>{{contactId}}</c>), whatever example the document gives.
    /// </summary>
    public void ReplaceReferences(JsonNode? body, JsonNode? schema)
    {
        if (body is not JsonObject values || Resolve(schema) is not { } resolved || resolved["properties"] is not JsonObject properties) return;
        var required = (resolved["required"] as JsonArray)?.Select(r => r?.GetValue<string>()).ToHashSet() ?? [];
        foreach (var (property, propertySchema) in properties)
        {
            if (!values.ContainsKey(property) || !IsReference(property, propertySchema)) continue;
            if (required.Contains(property)) values[property] = Variable(property);
            else values.Remove(property);
        }
    }

    private bool IsReference(string property, JsonNode? schema) =>
        property.Length > 2 && property.EndsWith("Id", StringComparison.Ordinal) && TypeOf(Resolve(schema)) == "string";

    private static string Variable(string name) => "{{" + name + "}}";

    private static JsonValue Integer(JsonObject schema, string? name)
    {
        var (min, max) = (Bound(schema, "minimum"), Bound(schema, "maximum"));
        var value = min is { } low && max is { } high ? Math.Floor((low + high) / 2) : name?.EndsWith("Seconds", StringComparison.Ordinal) == true ? 60 : 1;
        if (min is { } floor) value = Math.Max(value, floor);
        if (max is { } ceiling) value = Math.Min(value, ceiling);
        return JsonValue.Create((long)value);
    }

    private static JsonValue Number(JsonObject schema, string? name)
    {
        decimal value = name?.Contains("amount", StringComparison.OrdinalIgnoreCase) == true ? 1250.50m : 1.5m;
        if (Bound(schema, "minimum") is { } floor) value = Math.Max(value, (decimal)floor);
        if (Bound(schema, "maximum") is { } ceiling) value = Math.Min(value, (decimal)ceiling);
        return JsonValue.Create(value);
    }

    private static double? Bound(JsonObject schema, string key) =>
        schema[key] is JsonValue v && double.TryParse(v.ToJsonString().Trim('"'), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;

    private static string Text(JsonObject schema, string? name)
    {
        var text = Formatted(schema["format"]?.GetValue<string>()) ?? Named(name ?? "") ?? "sample";
        var minLength = (int?)Bound(schema, "minLength") ?? 0;
        return text.Length >= minLength ? text : text.PadRight(minLength, 'x');
    }

    private static string? Formatted(string? format) => format switch
    {
        "date-time" => "2030-01-15T09:30:00Z",
        "date" => "2030-01-15",
        "time" => "09:30:00",
        "email" => "jane.doe@example.com",
        "uri" or "url" or "uri-reference" => "https://example.com/webhooks/switchboard",
        "uuid" => "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "ipv4" => "203.0.113.10",
        "ipv6" => "2001:db8::10",
        "hostname" => "example.com",
        _ => null,
    };

    /// <summary>Values the API's validators accept for the fields the document types only as strings.</summary>
    private static string? Named(string name)
    {
        var n = name.ToLowerInvariant();
        return n switch
        {
            "firstname" => "Jane",
            "lastname" => "Doe",
            "name" or "authorname" or "visitorname" => "Jane Doe",
            "company" or "organizationname" => "Acme Inc.",
            "password" => "correct horse battery staple",
            "currency" => "USD",
            "language" => "en",
            "scopes" or "scope" => "contacts:read",
            "events" or "event" => "contact.created",
            "allowedips" or "allowedip" => "203.0.113.0/24",
            _ when n.Contains("email", StringComparison.Ordinal) => "jane.doe@example.com",
            _ when n.Contains("phone", StringComparison.Ordinal) || n.EndsWith("number", StringComparison.Ordinal) => "+14155550123",
            _ when n.EndsWith("url", StringComparison.Ordinal) || n.EndsWith("uri", StringComparison.Ordinal) => "https://example.com/webhooks/switchboard",
            _ when name.EndsWith("At", StringComparison.Ordinal) || n is "since" or "from" or "to" => "2030-01-15T09:30:00Z",
            _ when n.EndsWith("date", StringComparison.Ordinal) => "2030-01-15",
            _ => null,
        };
    }

    private static string? TypeOf(JsonObject? schema) => schema?["type"] switch
    {
        JsonValue v => v.GetValue<string>(),
        JsonArray types => types.Select(t => t?.GetValue<string>()).FirstOrDefault(t => t is not null && JsonTypes.Contains(t)),
        _ => schema?["properties"] is not null || schema?["additionalProperties"] is not null ? "object" : schema?["items"] is not null ? "array" : null,
    };

    private static bool IsNull(JsonObject? schema) => schema?["type"] is JsonValue v && v.GetValue<string>() == "null";

    private static string? Singular(string? name) => name is { Length: > 1 } && name.EndsWith('s') ? name[..^1] : name;

    private static JsonNode? Merge(IEnumerable<JsonNode?> parts)
    {
        var merged = new JsonObject();
        JsonNode? last = null;
        foreach (var part in parts)
        {
            if (part is JsonObject o)
                foreach (var (key, value) in o) merged[key] = value?.DeepClone();
            else if (part is not null) last = part;
        }
        return merged.Count > 0 ? merged : last;
    }
}
