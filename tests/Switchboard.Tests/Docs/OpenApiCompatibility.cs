using System.Globalization;
using System.Text.Json.Nodes;

namespace Switchboard.Tests.Docs;

/// <summary>
/// The changes from one OpenAPI 3.x document to the next that break a client written against the first, in the spirit
/// of oasdiff's error-level checks. References (<c>$ref</c>) are followed wherever they appear, so renaming or moving
/// a schema changes nothing; path parameters are matched by position, so renaming <c>{id}</c> changes nothing either.
/// Unions (<c>oneOf</c>/<c>anyOf</c>) are compared alternative by alternative: each old alternative must still be
/// there and compatible, and new alternatives are additions (a response that may now also be a partial record).
/// <para>Breaking, for a client that keeps sending what it sent and reading what it read:</para>
/// <list type="bullet">
/// <item>an operation (path + method) or a security scheme removed;</item>
/// <item>a parameter removed, made required, or new and required; its type narrowed, its format changed, an enum value
/// dropped, a bound tightened, its pattern changed;</item>
/// <item>a request body removed or made required, a media type no longer accepted; in the body, a field removed, made
/// required or new and required, narrowed or reformatted, enum values dropped, bounds tightened, unknown fields refused;</item>
/// <item>a success status, response media type or response header removed; in a response, a field removed or no longer
/// always present, its type widened (including to null), its format changed, an enum value removed.</item>
/// </list>
/// <para>Not breaking: new operations, optional parameters and fields, response fields, responses (errors included),
/// headers, descriptions, examples, extensions (<c>x-codeSamples</c>), deprecation; new enum values in responses
/// (clients must tolerate values they do not know, docs/versioning.md); and a restriction documented where there was
/// none (a first <c>enum</c>, <c>maxLength</c>, <c>pattern</c> or <c>format</c> on a request field), which
/// describes a rule the server already enforced — oasdiff too reports that as a warning, not an error.</para>
/// </summary>
public static class OpenApiCompatibility
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];
    private static readonly string[] UpperBounds = ["maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties"];
    private static readonly string[] LowerBounds = ["minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties"];

    public static IReadOnlyList<string> BreakingChanges(JsonNode before, JsonNode after) => new Comparison(before.AsObject(), after.AsObject()).Run();

    private enum Direction { Request, Response }

    private sealed class Comparison(JsonObject before, JsonObject after)
    {
        private readonly List<string> _problems = [];

        public List<string> Run()
        {
            var newPaths = PathItems(after);
            foreach (var (key, (template, oldItem)) in PathItems(before))
            {
                newPaths.TryGetValue(key, out var found);
                foreach (var method in Methods)
                {
                    if (oldItem is null || Resolve(before, oldItem[method]) is not JsonObject oldOperation) continue;
                    var where = $"{method.ToUpperInvariant()} {template}";
                    if (found.Item is not { } newItem || Resolve(after, newItem[method]) is not JsonObject newOperation)
                        Report($"{where}: the operation was removed");
                    else
                        CompareOperation(where, template, found.Template, oldItem!, oldOperation, newItem, newOperation);
                }
            }
            var newSchemes = Resolve(after, after["components"]?["securitySchemes"]) as JsonObject;
            foreach (var (name, _) in Resolve(before, before["components"]?["securitySchemes"]) as JsonObject ?? [])
                if (newSchemes?.ContainsKey(name) != true) Report($"security scheme '{name}' was removed");
            return _problems;
        }

        private void Report(string problem)
        {
            if (!_problems.Contains(problem)) _problems.Add(problem);
        }

        /// <summary>Path items by their template with parameter names blanked (<c>/contacts/{}</c>).</summary>
        private static Dictionary<string, (string Template, JsonObject? Item)> PathItems(JsonObject document)
        {
            var items = new Dictionary<string, (string, JsonObject?)>(StringComparer.Ordinal);
            foreach (var (template, item) in Resolve(document, document["paths"]) as JsonObject ?? [])
                if (Resolve(document, item) is JsonObject resolved) items[NormalizeTemplate(template)] = (template, resolved);
            return items;
        }

        private static string NormalizeTemplate(string template) => System.Text.RegularExpressions.Regex.Replace(template, "\\{[^}]*\\}", "{}");

        private void CompareOperation(string where, string oldTemplate, string newTemplate, JsonObject oldItem, JsonObject oldOperation, JsonObject newItem, JsonObject newOperation)
        {
            var oldParameters = Parameters(before, oldTemplate, oldItem, oldOperation);
            var newParameters = Parameters(after, newTemplate, newItem, newOperation);
            foreach (var (key, (name, location, oldParameter)) in oldParameters)
            {
                var label = $"{where}: {location} parameter '{name}'";
                if (!newParameters.TryGetValue(key, out var now)) { Report($"{label} was removed"); continue; }
                if (!IsTrue(oldParameter["required"]) && IsTrue(now.Parameter["required"])) Report($"{label} became required");
                CompareSchema($"{label}", "", Resolve(before, oldParameter["schema"]), Resolve(after, now.Parameter["schema"]), Direction.Request);
            }
            foreach (var (key, (name, location, parameter)) in newParameters)
                if (!oldParameters.ContainsKey(key) && IsTrue(parameter["required"])) Report($"{where}: new required {location} parameter '{name}'");

            CompareRequestBody(where, Resolve(before, oldOperation["requestBody"]) as JsonObject, Resolve(after, newOperation["requestBody"]) as JsonObject);

            var newResponses = Resolve(after, newOperation["responses"]) as JsonObject ?? [];
            foreach (var (status, oldResponse) in Resolve(before, oldOperation["responses"]) as JsonObject ?? [])
            {
                var success = status.StartsWith('2');
                if (Resolve(after, newResponses[status]) is not JsonObject newResponse)
                {
                    // Documenting fewer error statuses does not change what a client receives; a success it relied on does.
                    if (success) Report($"{where}: response {status} was removed");
                    continue;
                }
                if (Resolve(before, oldResponse) is not JsonObject oldResolved) continue;
                var newHeaders = Resolve(after, newResponse["headers"]) as JsonObject ?? [];
                foreach (var (header, _) in Resolve(before, oldResolved["headers"]) as JsonObject ?? [])
                    if (!newHeaders.Any(h => string.Equals(h.Key, header, StringComparison.OrdinalIgnoreCase)))
                        Report($"{where}: response {status} no longer has the header '{header}'");
                var newContent = Resolve(after, newResponse["content"]) as JsonObject ?? [];
                foreach (var (mediaType, oldMedia) in Resolve(before, oldResolved["content"]) as JsonObject ?? [])
                {
                    if (Resolve(after, newContent[mediaType]) is not JsonObject newMedia)
                    {
                        if (success) Report($"{where}: response {status} is no longer sent as {mediaType}");
                        continue;
                    }
                    CompareSchema($"{where}: response {status} ({mediaType})", "", Resolve(before, oldMedia?["schema"]), Resolve(after, newMedia["schema"]), Direction.Response);
                }
            }
        }

        private void CompareRequestBody(string where, JsonObject? oldBody, JsonObject? newBody)
        {
            if (newBody is null)
            {
                if (oldBody is not null) Report($"{where}: the request body was removed");
                return;
            }
            if (IsTrue(newBody["required"]) && (oldBody is null || !IsTrue(oldBody["required"]))) Report($"{where}: the request body became required");
            if (oldBody is null) return;
            var newContent = Resolve(after, newBody["content"]) as JsonObject ?? [];
            foreach (var (mediaType, oldMedia) in Resolve(before, oldBody["content"]) as JsonObject ?? [])
            {
                if (Resolve(after, newContent[mediaType]) is not JsonObject newMedia) { Report($"{where}: the request body is no longer accepted as {mediaType}"); continue; }
                CompareSchema($"{where}: request body ({mediaType})", "", Resolve(before, oldMedia?["schema"]), Resolve(after, newMedia["schema"]), Direction.Request);
            }
        }

        /// <summary>Path-item and operation parameters (the operation's win), keyed by location and name; path parameters by position.</summary>
        private static Dictionary<string, (string Name, string Location, JsonObject Parameter)> Parameters(JsonObject document, string template, JsonObject item, JsonObject operation)
        {
            var pathNames = System.Text.RegularExpressions.Regex.Matches(template, "\\{([^}]*)\\}").Select(m => m.Groups[1].Value).ToList();
            var result = new Dictionary<string, (string, string, JsonObject)>(StringComparer.Ordinal);
            foreach (var list in new[] { item["parameters"], operation["parameters"] })
                foreach (var node in Resolve(document, list) as JsonArray ?? [])
                {
                    if (Resolve(document, node) is not JsonObject parameter) continue;
                    var name = parameter["name"]?.GetValue<string>() ?? "";
                    var location = parameter["in"]?.GetValue<string>() ?? "";
                    var key = location switch
                    {
                        "path" => "path:" + pathNames.IndexOf(name).ToString(CultureInfo.InvariantCulture),
                        "header" => "header:" + name.ToLowerInvariant(), // RFC 9110 §5.1: field names are case-insensitive
                        _ => location + ":" + name,
                    };
                    result[key] = (name, location, parameter);
                }
            return result;
        }

        /// <summary>Compares one body or parameter schema, reporting its problems.</summary>
        private void CompareSchema(string where, string field, JsonNode? oldNode, JsonNode? newNode, Direction direction)
        {
            var problems = new List<string>();
            CompareSchema(where, field, oldNode, newNode, direction, problems, [], nullHandled: false);
            problems.ForEach(Report);
        }

        private void CompareSchema(string where, string field, JsonNode? oldNode, JsonNode? newNode, Direction direction,
            List<string> problems, HashSet<(JsonNode, JsonNode, Direction)> seen, bool nullHandled)
        {
            oldNode = Resolve(before, oldNode);
            newNode = Resolve(after, newNode);
            if (oldNode is null || newNode is null) return;
            // Pairs already being compared: recursive schemas end here.
            if (!seen.Add((oldNode, newNode, direction))) return;
            var label = field.Length == 0 ? where : $"{where}: field '{field}'";
            var request = direction == Direction.Request;

            if (IsUnion(oldNode) || IsUnion(newNode))
            {
                // oneOf/anyOf: each alternative the old schema had must still be there, compatible; new alternatives are
                // additions (oasdiff: "…-any-of-added" is informational). Null is an alternative of its own.
                var (oldVariants, oldNull) = Variants(before, oldNode);
                var (newVariants, newNull) = Variants(after, newNode);
                if (request && oldNull && !newNull) problems.Add($"{label} no longer accepts null");
                if (!request && newNull && !oldNull) problems.Add($"{label} may now be null");
                foreach (var oldVariant in oldVariants)
                {
                    List<string>? best = null;
                    foreach (var newVariant in newVariants)
                    {
                        var trial = new List<string>();
                        CompareSchema(where, field, oldVariant, newVariant, direction, trial, [.. seen], nullHandled: true);
                        if (best is null || trial.Count < best.Count) best = trial;
                        if (best.Count == 0) break;
                    }
                    problems.AddRange(best ?? [$"{label} no longer has the alternative {Shape.Describe(Shape.Of(before, oldVariant).Types)}"]);
                }
                return;
            }

            var old = Shape.Of(before, oldNode);
            var now = Shape.Of(after, newNode);
            var oldTypes = nullHandled ? Shape.WithoutNull(old.Types) : old.Types;
            var newTypes = nullHandled ? Shape.WithoutNull(now.Types) : now.Types;

            // A request must still accept every type it accepted; a response must not send a type clients never saw.
            var typeBroken = request ? !Shape.Covers(newTypes, oldTypes) : !Shape.Covers(oldTypes, newTypes);
            if (typeBroken) problems.Add($"{label} changed type from {Shape.Describe(oldTypes)} to {Shape.Describe(newTypes)}");
            else if (old.Format is not null && now.Format is not null && old.Format != now.Format)
                problems.Add($"{label} changed format from {old.Format} to {now.Format}");
            else if (!request && old.Format is not null && now.Format is null)
                problems.Add($"{label} no longer has the format {old.Format}");

            if (old.Enum is not null && now.Enum is not null)
                foreach (var value in old.Enum.Except(now.Enum))
                    problems.Add(request ? $"{label} no longer accepts the value {value}" : $"{label} no longer has the value {value}");

            if (request)
            {
                foreach (var bound in UpperBounds)
                    if (Number(old.Raw[bound]) is { } was && Number(now.Raw[bound]) is { } @is && @is < was) problems.Add($"{label} has a lower {bound} ({was} → {@is})");
                foreach (var bound in LowerBounds)
                    if (Number(old.Raw[bound]) is { } was && Number(now.Raw[bound]) is { } @is && @is > was) problems.Add($"{label} has a higher {bound} ({was} → {@is})");
                if (old.Raw["pattern"] is { } oldPattern && now.Raw["pattern"] is { } newPattern && oldPattern.ToJsonString() != newPattern.ToJsonString())
                    problems.Add($"{label} changed pattern from {oldPattern.ToJsonString()} to {newPattern.ToJsonString()}");
                if (old.AdditionalProperties is not JsonValue && now.AdditionalProperties is JsonValue v && v.TryGetValue<bool>(out var allowed) && !allowed && old.Properties.Count + now.Properties.Count > 0)
                    problems.Add($"{label} no longer accepts fields it does not list");
            }

            foreach (var (name, oldProperty) in old.Properties)
            {
                var path = field.Length == 0 ? name : $"{field}.{name}";
                if (!now.Properties.TryGetValue(name, out var newProperty))
                {
                    problems.Add($"{where}: field '{path}' was removed");
                    continue;
                }
                if (!request && old.Required.Contains(name) && !now.Required.Contains(name)) problems.Add($"{where}: field '{path}' is no longer always present");
                if (request && !old.Required.Contains(name) && now.Required.Contains(name)) problems.Add($"{where}: field '{path}' became required");
                CompareSchema(where, path, oldProperty, newProperty, direction, problems, seen, nullHandled: false);
            }
            if (request)
                foreach (var (name, _) in now.Properties)
                    if (!old.Properties.ContainsKey(name) && now.Required.Contains(name))
                        problems.Add($"{where}: new required field '{(field.Length == 0 ? name : $"{field}.{name}")}'");

            CompareSchema(where, field + "[]", old.Items, now.Items, direction, problems, seen, nullHandled: false);
            if (old.AdditionalProperties is JsonObject oldValues && now.AdditionalProperties is JsonObject newValues)
                CompareSchema(where, field + "{}", oldValues, newValues, direction, problems, seen, nullHandled: false);
        }

        private static bool IsUnion(JsonNode schema) => schema is JsonObject o && (o["oneOf"] is JsonArray || o["anyOf"] is JsonArray);

        /// <summary>
        /// The alternatives of a schema other than null, and whether null is one: a union's branches (nested unions
        /// flattened), or the schema itself, nullable when its <c>type</c> lists "null".
        /// </summary>
        private static (List<JsonNode> Variants, bool Nullable) Variants(JsonObject document, JsonNode schema)
        {
            var variants = new List<JsonNode>();
            var nullable = false;
            void Add(JsonNode? node, int depth)
            {
                if (Resolve(document, node) is not { } resolved) return;
                if (depth < 8 && IsUnion(resolved))
                {
                    foreach (var branch in (resolved["oneOf"] as JsonArray ?? []).Concat(resolved["anyOf"] as JsonArray ?? [])) Add(branch, depth + 1);
                    return;
                }
                var types = Shape.Of(document, resolved).Types;
                if (types is { Count: 1 } && types.Contains("null")) { nullable = true; return; }
                if (types?.Contains("null") == true || IsTrue(resolved["nullable"])) nullable = true;
                variants.Add(resolved);
            }
            Add(schema, 0);
            return (variants, nullable);
        }

        // Parsed documents hold JsonElements, built ones CLR values: reading the JSON text serves both.
        private static double? Number(JsonNode? node) =>
            node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number ? double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture) : null;
    }

    private static bool IsTrue(JsonNode? node) => node is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    /// <summary>Follows <c>$ref</c> (local JSON pointers, RFC 6901) until a node that is not a reference.</summary>
    private static JsonNode? Resolve(JsonObject document, JsonNode? node)
    {
        for (var hops = 0; node is JsonObject o && o["$ref"] is JsonValue reference && hops < 32; hops++)
        {
            var pointer = reference.GetValue<string>();
            if (!pointer.StartsWith("#/", StringComparison.Ordinal)) return node; // external references are not followed
            JsonNode? target = document;
            foreach (var token in pointer[2..].Split('/').Select(t => Uri.UnescapeDataString(t).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)))
                target = target is JsonObject obj ? obj[token] : target is JsonArray array && int.TryParse(token, CultureInfo.InvariantCulture, out var i) && i < array.Count ? array[i] : null;
            if (target is null) return node;
            node = target;
        }
        return node;
    }

    /// <summary>
    /// A schema flattened for comparison: <c>allOf</c> merged; <c>oneOf</c>/<c>anyOf</c> read as a union (a
    /// <c>{type: null}</c> branch as nullability); <c>nullable: true</c> (OpenAPI 3.0) as the null type.
    /// </summary>
    private sealed class Shape
    {
        /// <summary>null: any type.</summary>
        public HashSet<string>? Types { get; private set; }
        public string? Format { get; private set; }
        public HashSet<string>? Enum { get; private set; }
        public Dictionary<string, JsonNode> Properties { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Required { get; private set; } = new(StringComparer.Ordinal);
        public JsonNode? Items { get; private set; }
        public JsonNode? AdditionalProperties { get; private set; }
        public JsonObject Raw { get; private set; } = [];

        public static Shape Of(JsonObject document, JsonNode node) => Of(document, node, depth: 0);

        private static Shape Of(JsonObject document, JsonNode node, int depth)
        {
            var shape = new Shape();
            if (Resolve(document, node) is not JsonObject schema || depth > 16) return shape;
            shape.Raw = schema;
            shape.Types = schema["type"] switch
            {
                JsonValue single => [single.GetValue<string>()],
                JsonArray many => many.Select(t => t!.GetValue<string>()).ToHashSet(StringComparer.Ordinal),
                _ => null,
            };
            if (IsTrue(schema["nullable"])) shape.Types?.Add("null");
            shape.Format = schema["format"]?.GetValue<string>();
            if (schema["enum"] is JsonArray listed) shape.Enum = listed.Select(v => v?.ToJsonString() ?? "null").ToHashSet(StringComparer.Ordinal);
            else if (schema.ContainsKey("const")) shape.Enum = [schema["const"]?.ToJsonString() ?? "null"];
            foreach (var (name, property) in schema["properties"] as JsonObject ?? []) shape.Properties[name] = property!;
            foreach (var name in schema["required"] as JsonArray ?? []) shape.Required.Add(name!.GetValue<string>());
            shape.Items = schema["items"];
            shape.AdditionalProperties = schema["additionalProperties"];

            foreach (var part in schema["allOf"] as JsonArray ?? [])
            {
                var inner = Of(document, part!, depth + 1);
                if (inner.Types is not null) shape.Types = shape.Types is null ? inner.Types : [.. shape.Types.Intersect(inner.Types)];
                shape.Format ??= inner.Format;
                shape.Enum ??= inner.Enum;
                foreach (var (name, property) in inner.Properties) shape.Properties.TryAdd(name, property);
                shape.Required.UnionWith(inner.Required);
                shape.Items ??= inner.Items;
                shape.AdditionalProperties ??= inner.AdditionalProperties;
            }

            var branches = (schema["oneOf"] as JsonArray ?? []).Concat(schema["anyOf"] as JsonArray ?? []).Select(b => Of(document, b!, depth + 1)).ToList();
            if (branches.Count > 0)
            {
                var nullOnly = branches.Where(b => b.Types is { Count: 1 } t && t.Contains("null")).ToList();
                var values = branches.Except(nullOnly).ToList();
                HashSet<string>? union = values.Any(b => b.Types is null && b.Properties.Count == 0 && b.Items is null) ? null
                    : values.SelectMany(b => b.Types ?? (b.Items is not null ? ["array"] : ["object"])).ToHashSet(StringComparer.Ordinal);
                if (union is not null && nullOnly.Count > 0) union.Add("null");
                shape.Types ??= union;
                foreach (var branch in values)
                {
                    shape.Format ??= branch.Format;
                    foreach (var (name, property) in branch.Properties) shape.Properties.TryAdd(name, property);
                    shape.Items ??= branch.Items;
                    shape.AdditionalProperties ??= branch.AdditionalProperties;
                }
                if (values.Count > 0 && values.All(b => b.Enum is not null)) shape.Enum ??= values.SelectMany(b => b.Enum!).ToHashSet(StringComparer.Ordinal);
                // A field is surely there only when every alternative requires it.
                if (values.Count > 0) shape.Required.UnionWith(values.Skip(1).Aggregate(values[0].Required.AsEnumerable(), (all, b) => all.Intersect(b.Required)));
            }

            if (shape.Types is null && shape.Properties.Count > 0) shape.Types = ["object"];
            if (shape.Types is null && shape.Items is not null) shape.Types = ["array"];
            return shape;
        }

        /// <summary>Whether a value of any of <paramref name="inner"/>'s types is also one of <paramref name="outer"/>'s (integers are numbers).</summary>
        public static bool Covers(HashSet<string>? outer, HashSet<string>? inner)
        {
            if (outer is null) return true;
            if (inner is null) return false;
            return inner.All(t => outer.Contains(t) || (t == "integer" && outer.Contains("number")));
        }

        public static HashSet<string>? WithoutNull(HashSet<string>? types) =>
            types is null ? null : types.Where(t => t != "null").ToHashSet(StringComparer.Ordinal);

        public static string Describe(HashSet<string>? types) => types is null ? "any" : string.Join("|", types.Order(StringComparer.Ordinal));
    }
}
