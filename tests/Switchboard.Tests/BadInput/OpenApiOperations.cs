using System.Text.Json.Nodes;

namespace Switchboard.Tests.BadInput;

/// <summary>One operation of an OpenAPI document, as the bad-input suite needs it: where it is, what it takes.</summary>
public sealed record ApiOperation(
    string Document, string Method, string PathTemplate, string OperationId,
    IReadOnlyList<ApiParameter> Parameters, JsonObject? BodySchema, JsonNode? BodyExample, bool AdminOnly, bool Public)
{
    public string Name => $"{Document} {OperationId}";
    public bool HasBody => BodySchema is not null;
    public bool TakesBody => Method is "POST" or "PUT" or "PATCH";
    public IEnumerable<ApiParameter> PathParameters => Parameters.Where(p => p.In == "path");

    /// <summary>The collection path a create of this operation adds to (<c>/api/v1/contacts</c>), or null.</summary>
    public bool IsCollectionCreate => Method == "POST" && !PathTemplate.EndsWith('}') && HasBody;
}

public sealed record ApiParameter(string Name, string In, JsonObject Schema);

/// <summary>Reads the operations of an OpenAPI 3.1 document, resolving <c>$ref</c> schemas.</summary>
public sealed class OpenApiOperations(JsonObject document, string name)
{
    public string Name { get; } = name;

    public IEnumerable<ApiOperation> All()
    {
        foreach (var (path, item) in document["paths"]!.AsObject())
            foreach (var (method, node) in item!.AsObject())
            {
                if (node is not JsonObject op || method is "parameters" or "summary" or "description") continue;
                var parameters = op["parameters"]?.AsArray().Select(p => Resolve(p!.AsObject()))
                    .Select(p => new ApiParameter(p["name"]!.GetValue<string>(), p["in"]!.GetValue<string>(), Resolve(p["schema"]?.AsObject() ?? [])))
                    .ToList() ?? [];
                var json = op["requestBody"]?["content"]?["application/json"];
                var body = json?["schema"] is JsonObject schema ? Resolve(NonNull(schema)) : null;
                var admin = op["security"]?.AsArray().Any(s => s!.AsObject().ContainsKey("adminToken")) == true;
                var open = op["security"] is JsonArray { Count: 0 };
                yield return new ApiOperation(Name, method.ToUpperInvariant(), path, op["operationId"]?.GetValue<string>() ?? $"{method} {path}",
                    parameters, body, json?["example"]?.DeepClone(), admin, open);
            }
    }

    /// <summary>Follows <c>$ref</c> to the component it names.</summary>
    public JsonObject Resolve(JsonObject schema)
    {
        while (schema["$ref"]?.GetValue<string>() is { } reference)
        {
            JsonNode? target = document;
            foreach (var part in reference.TrimStart('#', '/').Split('/')) target = target?[part];
            schema = target as JsonObject ?? [];
        }
        return schema;
    }

    /// <summary>The non-null branch of <c>oneOf: [{type: null}, X]</c>, else the schema itself.</summary>
    public JsonObject NonNull(JsonObject schema)
    {
        if (schema["oneOf"] is JsonArray branches)
            foreach (var branch in branches)
                if (branch is JsonObject b && b["type"]?.ToString() != "null") return Resolve(b);
        return schema;
    }

    /// <summary>The JSON type of a schema ("string", "integer", …), ignoring "null" in a type array.</summary>
    public static string TypeOf(JsonObject schema) => schema["type"] switch
    {
        JsonArray types => types.Select(t => t!.GetValue<string>()).FirstOrDefault(t => t != "null") ?? "null",
        JsonValue type => type.GetValue<string>(),
        _ => schema.ContainsKey("properties") ? "object" : schema.ContainsKey("enum") ? "string" : "any",
    };
}
