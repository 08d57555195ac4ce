using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchboard.Docs;

/// <summary>
/// Turns an OpenAPI 3.1 document (as JSON) into a Postman Collection v2.1
/// (https://schema.getpostman.com/json/collection/v2.1.0/collection.json): a folder per tag, a request per operation
/// with its path variables, query parameters (optional ones disabled), headers and an example JSON body; the
/// collection authenticates with <c>Bearer {{apiKey}}</c> against <c>{{baseUrl}}</c>, operations that need no
/// credentials say <c>noauth</c>, and operations guarded by another header scheme get that header with a variable.
/// </summary>
internal static class PostmanCollection
{
    public const string SchemaUrl = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";
    public const string BaseUrlVariable = "baseUrl";
    public const string ApiKeyVariable = "apiKey";
    private static readonly string[] Methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
    // The body is a string inside the collection's JSON, which escapes it again: the body itself can stay readable (+, <, ').
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static JsonObject FromOpenApi(JsonObject document)
    {
        var samples = new PostmanSamples(document);
        var schemes = document["components"]?["securitySchemes"] as JsonObject ?? [];
        var variables = new List<(string Key, string Value, string Description)>
        {
            (BaseUrlVariable, "http://localhost:5080", "Where the API is served (scheme, host and port, no trailing slash)."),
            (ApiKeyVariable, "", "An API key (sbk_…) or an access token, sent as Authorization: Bearer."),
        };

        var folders = new Dictionary<string, JsonArray>(StringComparer.Ordinal);
        foreach (var tag in document["tags"] as JsonArray ?? [])
            if (tag?["name"]?.GetValue<string>() is { } name) folders[name] = [];
        foreach (var (path, pathItemNode) in document["paths"] as JsonObject ?? [])
        {
            if (samples.Resolve(pathItemNode) is not { } pathItem) continue;
            foreach (var method in Methods)
            {
                if (pathItem[method] is not JsonObject operation) continue;
                var tag = (operation["tags"] as JsonArray)?.FirstOrDefault()?.GetValue<string>() ?? "Other";
                if (!folders.TryGetValue(tag, out var items)) folders[tag] = items = [];
                items.Add(Item(document, samples, schemes, variables, path, method, pathItem, operation));
            }
        }

        var info = document["info"];
        var collection = WithoutNulls(new JsonObject
        {
            ["info"] = new JsonObject
            {
                ["name"] = info?["title"]?.GetValue<string>() ?? "API",
                ["description"] = info?["description"]?.GetValue<string>(),
                ["version"] = info?["version"]?.GetValue<string>(),
                ["schema"] = SchemaUrl,
            },
            ["auth"] = Bearer(),
            ["item"] = new JsonArray(folders.Where(f => f.Value.Count > 0).Select(f => (JsonNode)new JsonObject
            {
                ["name"] = f.Key,
                ["description"] = TagDescription(document, f.Key),
                ["item"] = f.Value,
            }).ToArray()),
            ["variable"] = new JsonArray(variables.Select(v => (JsonNode)new JsonObject
            {
                ["key"] = v.Key, ["value"] = v.Value, ["type"] = "string", ["description"] = v.Description,
            }).ToArray()),
        });
        return collection;
    }

    /// <summary>Drops properties the document had nothing for (a null description, …), as Postman itself writes collections.</summary>
    private static JsonObject WithoutNulls(JsonObject node)
    {
        foreach (var (key, value) in node.ToList())
        {
            if (value is null) node.Remove(key);
            else if (value is JsonObject child) WithoutNulls(child);
            else if (value is JsonArray array)
                foreach (var element in array.OfType<JsonObject>()) WithoutNulls(element);
        }
        return node;
    }

    /// <summary>Points the collection's <c>{{baseUrl}}</c> at <paramref name="baseUrl"/> (the node that served it).</summary>
    public static void SetBaseUrl(JsonObject collection, string baseUrl)
    {
        foreach (var variable in collection["variable"]!.AsArray())
            if (variable?["key"]?.GetValue<string>() == BaseUrlVariable) variable["value"] = baseUrl.TrimEnd('/');
    }

    private static JsonObject Item(JsonObject document, PostmanSamples samples, JsonObject schemes,
        List<(string Key, string Value, string Description)> variables, string path, string method, JsonObject pathItem, JsonObject operation)
    {
        var parameters = Parameters(samples, pathItem, operation);
        var segments = path.Trim('/').Split('/').Select(s => s.StartsWith('{') && s.EndsWith('}') ? ":" + s[1..^1] : s).ToList();
        var query = parameters.Where(p => p.In == "query").Select(p => (JsonNode)new JsonObject
        {
            ["key"] = p.Name, ["value"] = Text(p.Value), ["description"] = p.Description, ["disabled"] = !p.Required,
        }).ToArray();
        var raw = "{{" + BaseUrlVariable + "}}/" + string.Join('/', segments) +
                  (query.Length == 0 ? "" : "?" + string.Join('&', parameters.Where(p => p.In == "query" && p.Required).Select(p => $"{p.Name}={Text(p.Value)}")));
        var url = new JsonObject
        {
            ["raw"] = raw.TrimEnd('?'),
            ["host"] = new JsonArray("{{" + BaseUrlVariable + "}}"),
            ["path"] = new JsonArray(segments.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
        };
        if (query.Length > 0) url["query"] = new JsonArray(query);
        var pathVariables = parameters.Where(p => p.In == "path").ToList();
        if (pathVariables.Count > 0)
            url["variable"] = new JsonArray(pathVariables.Select(p => (JsonNode)new JsonObject
            {
                ["key"] = p.Name, ["value"] = "", ["description"] = p.Description,
            }).ToArray());

        var headers = new JsonArray { Header("Accept", "application/json") };
        foreach (var header in parameters.Where(p => p.In == "header"))
            headers.Add(new JsonObject
            {
                ["key"] = header.Name, ["value"] = Text(header.Value), ["description"] = header.Description, ["disabled"] = !header.Required,
            });

        var request = new JsonObject { ["method"] = method.ToUpperInvariant(), ["header"] = headers, ["url"] = url };
        if (Body(samples, operation) is { } body)
        {
            headers.Insert(0, Header("Content-Type", "application/json"));
            request["body"] = new JsonObject
            {
                ["mode"] = "raw",
                ["raw"] = body.ToJsonString(Indented),
                ["options"] = new JsonObject { ["raw"] = new JsonObject { ["language"] = "json" } },
            };
        }
        if (Auth(document, schemes, variables, operation) is { } auth) request["auth"] = auth;
        if (operation["description"]?.GetValue<string>() is { Length: > 0 } description) request["description"] = description;

        return new JsonObject
        {
            ["name"] = operation["summary"]?.GetValue<string>() ?? operation["operationId"]?.GetValue<string>() ?? $"{method.ToUpperInvariant()} {path}",
            ["request"] = request,
            ["response"] = new JsonArray(),
        };
    }

    private sealed record Parameter(string Name, string In, bool Required, string? Description, JsonNode? Value);

    /// <summary>The path item's parameters overridden by the operation's own (by name and location), OAS 3.1 §4.8.9.1.</summary>
    private static List<Parameter> Parameters(PostmanSamples samples, JsonObject pathItem, JsonObject operation)
    {
        var byKey = new Dictionary<(string, string), Parameter>();
        foreach (var node in (pathItem["parameters"] as JsonArray ?? []).Concat(operation["parameters"] as JsonArray ?? []))
        {
            if (samples.Resolve(node) is not { } p || p["name"]?.GetValue<string>() is not { } name || p["in"]?.GetValue<string>() is not { } location) continue;
            // Postman sets these itself: the body's type and the collection's or request's auth.
            if (location == "header" && name.ToLowerInvariant() is "authorization" or "content-type" or "accept") continue;
            var value = p.TryGetPropertyValue("example", out var example) && example is not null ? example.DeepClone()
                : (p["examples"] as JsonObject)?.Select(e => samples.Resolve(e.Value)?["value"]).FirstOrDefault(v => v is not null)?.DeepClone()
                  ?? samples.Sample(p["schema"], name);
            byKey[(name, location)] = new Parameter(name, location, location == "path" || p["required"]?.GetValue<bool>() == true,
                p["description"]?.GetValue<string>(), value);
        }
        return byKey.Values.ToList();
    }

    private static JsonNode? Body(PostmanSamples samples, JsonObject operation)
    {
        if (samples.Resolve(operation["requestBody"])?["content"] is not JsonObject content) return null;
        var media = content.FirstOrDefault(c => c.Key == "application/json" || c.Key.EndsWith("+json", StringComparison.Ordinal)).Value as JsonObject;
        if (media is null) return null;
        var body = media.TryGetPropertyValue("example", out var example) && example is not null ? example.DeepClone()
            : (media["examples"] as JsonObject)?.Select(e => samples.Resolve(e.Value)?["value"]).FirstOrDefault(v => v is not null)?.DeepClone()
              ?? samples.Sample(media["schema"]) ?? new JsonObject();
        samples.ReplaceReferences(body, media["schema"]);
        return body;
    }

    /// <summary>
    /// Nothing (inherit the collection's bearer) when the operation accepts the bearer scheme; <c>noauth</c> when it
    /// needs no credentials (no requirement, or only the empty one); an API-key header with a variable of the
    /// scheme's name when that is all it accepts.
    /// </summary>
    private static JsonObject? Auth(JsonObject document, JsonObject schemes, List<(string Key, string Value, string Description)> variables, JsonObject operation)
    {
        if ((operation["security"] ?? document["security"]) is not JsonArray requirements) return null;
        var named = requirements.OfType<JsonObject>().Where(r => r.Count > 0).ToList();
        if (named.Count == 0) return new JsonObject { ["type"] = "noauth" };
        if (named.Any(r => r.Any(s => schemes[s.Key] is { } scheme && IsBearer(scheme)))) return null;
        if (requirements.OfType<JsonObject>().Any(r => r.Count == 0)) return new JsonObject { ["type"] = "noauth" }; // credentials optional
        var schemeName = named[0].First().Key;
        if (schemes[schemeName] is not JsonObject apiKey || apiKey["type"]?.GetValue<string>() != "apiKey") return null;
        if (!variables.Any(v => v.Key == schemeName))
            variables.Add((schemeName, "", apiKey["description"]?.GetValue<string>() ?? $"The {apiKey["name"]} credential."));
        return new JsonObject
        {
            ["type"] = "apikey",
            ["apikey"] = new JsonArray(
                KeyValue("key", apiKey["name"]?.GetValue<string>() ?? schemeName),
                KeyValue("value", "{{" + schemeName + "}}"),
                KeyValue("in", apiKey["in"]?.GetValue<string>() == "query" ? "query" : "header")),
        };
    }

    private static bool IsBearer(JsonNode scheme) =>
        scheme["type"]?.GetValue<string>() == "http" && string.Equals(scheme["scheme"]?.GetValue<string>(), "bearer", StringComparison.OrdinalIgnoreCase);

    private static JsonObject Bearer() => new()
    {
        ["type"] = "bearer",
        ["bearer"] = new JsonArray(KeyValue("token", "{{" + ApiKeyVariable + "}}")),
    };

    private static JsonObject KeyValue(string key, string value) => new() { ["key"] = key, ["value"] = value, ["type"] = "string" };

    private static JsonObject Header(string key, string value) => new() { ["key"] = key, ["value"] = value };

    private static string? TagDescription(JsonObject document, string tag) =>
        (document["tags"] as JsonArray)?.FirstOrDefault(t => t?["name"]?.GetValue<string>() == tag)?["description"]?.GetValue<string>();

    private static string Text(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
        JsonValue v => v.ToJsonString(),
        _ => value.ToJsonString(),
    };
}
