using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Switchboard.Tests.Infrastructure;

/// <summary>
/// Checks real responses against an OpenAPI 3.1 document: the operation and status must be documented, the body must
/// validate against the documented schema, and documented headers that always come (X-Request-Id, Location, ETag and
/// the rate-limit headers) must be there. The JSON Schema checks cover the keywords the document uses ($ref, allOf,
/// oneOf, anyOf, type, enum, properties, required, additionalProperties, items, format, pattern, minimum, maximum);
/// written here, independently of the generator, so the test does not trust the code it checks.
/// </summary>
public sealed class OpenApiConformance(JsonObject document)
{
    private readonly List<(Regex Pattern, int Parameters, string Template)> _paths = document["paths"]!.AsObject()
        .Select(p => (new Regex("^" + Regex.Replace(Regex.Escape(p.Key), @"\\\{[^}]+}", "[^/]+") + "$", RegexOptions.CultureInvariant),
            p.Key.Count(c => c == '{'), p.Key))
        .OrderBy(p => p.Item2).ToList();

    public List<string> Failures { get; } = [];
    public HashSet<string> Seen { get; } = [];

    public string? TemplateOf(string path) => _paths.FirstOrDefault(p => p.Pattern.IsMatch(path)).Template;

    public void Check(HttpMethod method, string path, int status, HttpResponseHeaders headers, HttpContentHeaders? contentHeaders, string body)
    {
        var where = $"{method} {path} → {status}";
        var template = TemplateOf(path);
        var operation = template is null ? null : document["paths"]![template]![method.Method.ToLowerInvariant()];
        if (operation is null) { Failures.Add($"{where}: no such operation in the document"); return; }
        Seen.Add($"{method.Method.ToUpperInvariant()} {template}");
        var response = Resolve(operation["responses"]?[status.ToString(CultureInfo.InvariantCulture)]);
        if (response is null) { Failures.Add($"{where}: status {status} is not documented for this operation"); return; }

        if (!headers.Contains("X-Request-Id")) Failures.Add($"{where}: no X-Request-Id");
        foreach (var (name, _) in response["headers"]?.AsObject() ?? [])
        {
            var always = name is "X-Request-Id" or "Location" || (name == "ETag" && status is 200 or 201 or 304)
                         || (name.Contains("RateLimit", StringComparison.Ordinal) && status < 400);
            if (always && !headers.Contains(name) && contentHeaders?.Contains(name) != true)
                Failures.Add($"{where}: documented header {name} is missing");
        }

        var content = response["content"]?.AsObject();
        if (content is null || content.Count == 0)
        {
            if (body.Length > 0) Failures.Add($"{where}: a body came but none is documented");
            return;
        }
        var mediaType = contentHeaders?.ContentType?.MediaType;
        if (mediaType is null || content[mediaType] is not { } media) { Failures.Add($"{where}: content type {mediaType} is not documented"); return; }
        if (!mediaType.EndsWith("json", StringComparison.Ordinal)) return; // an image or a page: its documented type is all there is to check
        JsonNode? value;
        try { value = JsonNode.Parse(body); }
        catch (System.Text.Json.JsonException) { Failures.Add($"{where}: the body is not JSON"); return; }
        var errors = new List<string>();
        Validate(value, media["schema"], "$", errors);
        foreach (var error in errors.Take(5)) Failures.Add($"{where}: {error}");
    }

    private JsonNode? Resolve(JsonNode? node)
    {
        while (node?["$ref"]?.GetValue<string>() is { } reference)
        {
            var parts = reference.TrimStart('#', '/').Split('/');
            node = document;
            foreach (var part in parts) node = node?[part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)];
        }
        return node;
    }

    public void Validate(JsonNode? value, JsonNode? schemaNode, string at, List<string> errors)
    {
        if (schemaNode is null) return;
        if (schemaNode is JsonValue boolean && boolean.TryGetValue<bool>(out var allowed))
        {
            if (!allowed) errors.Add($"{at}: no value is allowed here");
            return;
        }
        var schema = schemaNode.AsObject();
        if (schema["$ref"] is not null) Validate(value, Resolve(schema), at, errors);

        foreach (var part in schema["allOf"]?.AsArray() ?? []) Validate(value, part, at, errors);
        if (schema["oneOf"] is JsonArray oneOf)
        {
            var matching = oneOf.Count(s => Passes(value, s, at));
            if (matching != 1) errors.Add($"{at}: matches {matching} of the oneOf schemas, not exactly one");
        }
        if (schema["anyOf"] is JsonArray anyOf && !anyOf.Any(s => Passes(value, s, at))) errors.Add($"{at}: matches none of the anyOf schemas");

        if (schema["type"] is { } type)
        {
            var types = type is JsonArray list ? list.Select(t => t!.GetValue<string>()).ToList() : [type.GetValue<string>()];
            if (!types.Any(t => IsType(value, t)))
            {
                errors.Add($"{at}: is {Kind(value)}, the document says {string.Join(" or ", types)}");
                return;
            }
        }
        if (schema["enum"] is JsonArray values && !values.Any(v => JsonNode.DeepEquals(v, value)))
            errors.Add($"{at}: {value?.ToJsonString() ?? "null"} is not one of {values.ToJsonString()}");

        switch (value)
        {
            case JsonObject obj:
                var properties = schema["properties"]?.AsObject();
                foreach (var required in schema["required"]?.AsArray() ?? [])
                    if (!obj.ContainsKey(required!.GetValue<string>())) errors.Add($"{at}: required property '{required}' is missing");
                foreach (var (name, child) in obj)
                {
                    if (properties?[name] is { } propertySchema) Validate(child, propertySchema, $"{at}.{name}", errors);
                    else if (schema["additionalProperties"] is { } extra) Validate(child, extra, $"{at}.{name}", errors);
                }
                break;
            case JsonArray array when schema["items"] is { } items:
                for (var i = 0; i < array.Count; i++) Validate(array[i], items, $"{at}[{i}]", errors);
                break;
            case JsonValue text when text.TryGetValue<string>(out var s):
                if (schema["pattern"]?.GetValue<string>() is { } pattern && !Regex.IsMatch(s, pattern)) errors.Add($"{at}: '{s}' does not match {pattern}");
                switch (schema["format"]?.GetValue<string>())
                {
                    case "date-time" when !DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out _):
                    case "date" when !DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _):
                    case "email" when !s.Contains('@', StringComparison.Ordinal):
                    case "uri" when !Uri.TryCreate(s, UriKind.Absolute, out _):
                        errors.Add($"{at}: '{s}' is not a valid {schema["format"]}");
                        break;
                }
                break;
            case JsonValue number when number.TryGetValue<double>(out var n):
                if (schema["minimum"] is { } min && n < double.Parse(min.ToString(), CultureInfo.InvariantCulture)) errors.Add($"{at}: {n} is below the minimum {min}");
                if (schema["maximum"] is { } max && n > double.Parse(max.ToString(), CultureInfo.InvariantCulture)) errors.Add($"{at}: {n} is above the maximum {max}");
                break;
        }
    }

    private bool Passes(JsonNode? value, JsonNode? schema, string at)
    {
        var errors = new List<string>();
        Validate(value, schema, at, errors);
        return errors.Count == 0;
    }

    private static bool IsType(JsonNode? value, string type) => type switch
    {
        "null" => value is null,
        "object" => value is JsonObject,
        "array" => value is JsonArray,
        "string" => value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String,
        "boolean" => value is JsonValue v && v.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False,
        "number" => value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number,
        "integer" => value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number && v.TryGetValue<double>(out var d) && Math.Floor(d) == d,
        _ => false,
    };

    private static string Kind(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        _ => value.GetValueKind().ToString().ToLowerInvariant(),
    };
}

/// <summary>Hands every response that passes through to an <see cref="OpenApiConformance"/> check.</summary>
public sealed class ConformanceRecorder(OpenApiConformance conformance) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        lock (conformance)
            conformance.Check(request.Method, request.RequestUri!.AbsolutePath, (int)response.StatusCode, response.Headers, response.Content.Headers, body);
        return response;
    }
}
