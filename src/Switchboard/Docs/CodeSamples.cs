using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace Switchboard.Docs;

/// <summary>
/// Request and response examples for every operation, and <c>x-codeSamples</c> (curl, the TypeScript, Python and .NET
/// SDKs, JavaScript, Python, C#, PHP) generated from the finished document: method, path with sample ids, required query
/// parameters, the request body's example and the credentials the operation needs. Nothing is written by hand per
/// operation; the SDK samples name each operation's SDK method from <see cref="SdkMethods"/>, the SDKs' own tables.
/// </summary>
internal static class CodeSamples
{
    public const string BaseUrl = "http://localhost:5080";
    public const string ApiKeyVariable = "SWITCHBOARD_API_KEY";
    public const string AdminTokenVariable = "SWITCHBOARD_ADMIN_TOKEN";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Apply(OpenApiDocument document)
    {
        foreach (var (path, item) in document.Paths)
        {
            if (item.Operations is null) continue;
            foreach (var (method, operation) in item.Operations)
            {
                JsonNode? body = null;
                IOpenApiSchema? bodySchema = null;
                if (operation.RequestBody?.Content is { } requestContent)
                    foreach (var (mediaType, media) in requestContent)
                    {
                        if (!mediaType.Contains("json", StringComparison.Ordinal)) continue;
                        media.Example ??= Examples.For(media.Schema, document, forInput: true);
                        bodySchema ??= media.Schema;
                        body ??= media.Example;
                    }
                foreach (var (status, response) in operation.Responses ?? [])
                    if (status.StartsWith('2') && response is OpenApiResponse { Content: { } content })
                        foreach (var (mediaType, media) in content)
                            if (mediaType.Contains("json", StringComparison.Ordinal)) media.Example ??= Examples.For(media.Schema, document, forInput: false);

                var request = new Request(method.Method.ToUpperInvariant(), BaseUrl + Url(path, operation), body, Credentials(operation),
                    PathValues(path), RequiredQuery(operation), operation.RequestBody is not null);
                operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
                var samples = new JsonArray(Sample("curl", "curl", Curl(request)));
                if (operation.OperationId is { } id && SdkMethods.For(id) is { } sdk)
                {
                    samples.Add(Sample("TypeScript", "TypeScript SDK", TypeScriptSdk(request, sdk.TypeScript)));
                    samples.Add(Sample("Python", "Python SDK", PythonSdk(request, sdk)));
                    if (sdk.DotNet is { } dotNet) samples.Add(Sample("C#", ".NET SDK", DotNetSdk(request, dotNet, bodySchema, document)));
                }
                foreach (var sample in new[]
                {
                    Sample("JavaScript", "JavaScript", JavaScript(request)),
                    Sample("Python", "Python", Python(request)),
                    Sample("C#", "C#", CSharp(request)),
                    Sample("PHP", "PHP", Php(request)),
                })
                    samples.Add(sample);
                operation.Extensions["x-codeSamples"] = new JsonNodeExtension(samples);
            }
        }
    }

    private enum Auth { None, ApiKey, AdminToken }

    private sealed record Request(string Method, string Url, JsonNode? Body, Auth Auth, IReadOnlyList<string> PathValues,
        IReadOnlyList<(string Name, string Value, IOpenApiSchema? Schema)> RequiredQuery, bool TakesBody)
    {
        public string? Json => Body?.ToJsonString(Indented);
    }

    private static JsonObject Sample(string lang, string label, string source) => new() { ["lang"] = lang, ["label"] = label, ["source"] = source };

    private static Auth Credentials(OpenApiOperation operation)
    {
        var schemes = (operation.Security ?? []).SelectMany(r => r.Keys).Select(k => (k as OpenApiSecuritySchemeReference)?.Reference.Id).ToList();
        if (schemes.Contains(DocsSetup.AdminTokenScheme)) return Auth.AdminToken;
        return schemes.Count > 0 ? Auth.ApiKey : Auth.None;
    }

    private static string Url(string path, OpenApiOperation operation)
    {
        var url = new StringBuilder();
        foreach (var segment in path.Split('/'))
        {
            if (url.Length > 0 || segment.Length > 0) url.Append('/');
            url.Append(segment.StartsWith('{') ? Examples.IdFor(path[..(path.IndexOf(segment, StringComparison.Ordinal) + segment.Length)]) : segment);
        }
        var required = (operation.Parameters ?? []).Where(p => p.In == ParameterLocation.Query && p.Required).ToList();
        for (var i = 0; i < required.Count; i++)
            url.Append(i == 0 ? '?' : '&').Append(required[i].Name).Append('=').Append(Uri.EscapeDataString(required[i].Example?.ToString() ?? "value"));
        return url.ToString();
    }

    /// <summary>The sample ids of the path's parameters, in order (as <see cref="Url"/> puts them in the URL).</summary>
    private static List<string> PathValues(string path) =>
        path.Split('/').Where(s => s.StartsWith('{')).Select(s => Examples.IdFor(path[..(path.IndexOf(s, StringComparison.Ordinal) + s.Length)])).ToList();

    private static List<(string, string, IOpenApiSchema?)> RequiredQuery(OpenApiOperation operation) =>
        (operation.Parameters ?? []).Where(p => p.In == ParameterLocation.Query && p.Required)
            .Select(p => (p.Name!, p.Example?.ToString() ?? "value", p.Schema)).ToList();

    /// <summary>The call with the TypeScript SDK: path ids, then the body, then the query (its README's order).</summary>
    private static string TypeScriptSdk(Request r, string method)
    {
        var credentials = r.Auth switch
        {
            Auth.ApiKey => $"{{ apiKey: process.env.{ApiKeyVariable}! }}",
            Auth.AdminToken => $"{{ adminToken: process.env.{AdminTokenVariable}! }}",
            _ => "{}",
        };
        var args = r.PathValues.Select(v => JsonSerializer.Serialize(v)).ToList();
        if (r.TakesBody) args.Add(r.Json ?? "{}");
        if (r.RequiredQuery.Count > 0)
            args.Add("{ " + string.Join(", ", r.RequiredQuery.Select(q => $"{JsonSerializer.Serialize(q.Name)}: {JsonSerializer.Serialize(q.Value)}")) + " }");
        return $$"""
            import { Switchboard } from "@switchboard/sdk";

            const client = new Switchboard({{credentials}}, "{{BaseUrl}}");
            const result = await client.{{method}}({{string.Join(", ", args)}});
            console.log(result);
            """;
    }

    /// <summary>The call with the Python SDK: path ids positional, the body's fields and the query as keyword arguments.</summary>
    private static string PythonSdk(Request r, SdkMethod sdk)
    {
        var credentials = r.Auth switch
        {
            Auth.ApiKey => $"api_key=os.environ[\"{ApiKeyVariable}\"], ",
            Auth.AdminToken => $"admin_token=os.environ[\"{AdminTokenVariable}\"], ",
            _ => "",
        };
        var imports = "import os\n";
        var args = r.PathValues.Select(v => JsonSerializer.Serialize(v)).ToList();
        var named = new List<(string Name, string Literal)>();
        if (sdk.PythonRawBody)
        {
            imports = "import json\nimport os\n";
            named.Add(("content", $"json.dumps({PythonLiteral(r.Body ?? new JsonObject(), "    ")}).encode()"));
            named.Add(("content_type", "\"application/json\""));
        }
        else if (r.Body is JsonObject fields)
            named.AddRange(fields.Select(f => (sdk.PythonKeywords?.GetValueOrDefault(f.Key) ?? f.Key, PythonLiteral(f.Value, "    "))));
        named.AddRange(r.RequiredQuery.Select(q => (sdk.PythonKeywords?.GetValueOrDefault(q.Name) ?? q.Name, JsonSerializer.Serialize(q.Value))));
        // A name Python cannot take as a keyword (`from`, `class`, ...) goes in through **{...}.
        var plain = named.Where(n => IsPythonIdentifier(n.Name)).Select(n => $"{n.Name}={n.Literal}");
        var spread = named.Where(n => !IsPythonIdentifier(n.Name)).Select(n => $"{JsonSerializer.Serialize(n.Name)}: {n.Literal}").ToList();
        args.AddRange(plain);
        if (spread.Count > 0) args.Add("**{" + string.Join(", ", spread) + "}");
        var call = args.Count == 0 ? $"client.{sdk.Python}()" : $"client.{sdk.Python}(\n    " + string.Join(",\n    ", args) + ",\n)";
        return $"{imports}from switchboard import Switchboard\n\nclient = Switchboard({credentials}base_url=\"{BaseUrl}\")\nresult = {call}\nprint(result)";
    }

    /// <summary>
    /// The call with the .NET SDK (its README's client construction): path ids, then the body as its request record (an object
    /// initializer of the example's fields, typed by the schema the SDK's models are generated from), then the required query
    /// parameters as the method's query record.
    /// </summary>
    private static string DotNetSdk(Request r, DotNetSdkMethod sdk, IOpenApiSchema? bodySchema, OpenApiDocument document)
    {
        var credentials = r.Auth switch
        {
            Auth.ApiKey => $"    ApiKey = Environment.GetEnvironmentVariable(\"{ApiKeyVariable}\"),\n",
            Auth.AdminToken => $"    AdminToken = Environment.GetEnvironmentVariable(\"{AdminTokenVariable}\"),\n",
            _ => "",
        };
        var literals = new CSharpLiterals(document);
        var args = r.PathValues.Select(CSharpString).ToList();
        if (sdk.Body is { } bodyType)
            args.Add(r.Body is null ? $"new {bodyType}()" : literals.Value(r.Body, bodySchema, "", bodyType));
        if (sdk.Query is { } queryType && r.RequiredQuery.Count > 0)
            args.Add($"new {queryType} {{ " + string.Join(", ", r.RequiredQuery.Select(q =>
                $"{CSharpLiterals.Member(q.Name, queryType)} = {literals.Value(literals.QueryValue(q.Value, q.Schema), q.Schema, "")}")) + " }");
        var call = $"await client.{sdk.Method}({string.Join(", ", args)});";
        var usings = (literals.UsesJsonNodes ? "using System.Text.Json.Nodes;\n" : "") + "using Switchboard.Client;\n";
        return usings + $$"""

            using var client = new SwitchboardClient(new SwitchboardClientOptions
            {
                BaseAddress = new Uri("{{BaseUrl}}"),
            {{credentials}}});
            {{(sdk.ReturnsNothing ? call : "var result = " + call + "\nConsole.WriteLine(result);")}}
            """;
    }

    private static string CSharpString(string value) => JsonSerializer.Serialize(value, Indented);

    /// <summary>
    /// C# expressions of example values, by the schema they were made from, as the .NET SDK's generator
    /// (sdks/dotnet/scripts/generate.py, <c>cs_type</c>) types that schema: a component object is its record (members in
    /// PascalCase), a free-form object a JsonObject, a map a dictionary, an array a collection expression, a date-time a
    /// DateTimeOffset, a date a DateOnly, a number a decimal. The .NET samples compile against the SDK in a test
    /// (SdkCodeSamplesTests), which is what keeps the two in step.
    /// </summary>
    private sealed class CSharpLiterals(OpenApiDocument document)
    {
        public bool UsesJsonNodes { get; private set; }

        /// <summary>A query parameter's example as the JSON value its schema types it (a number or boolean unquoted).</summary>
        public JsonNode? QueryValue(string text, IOpenApiSchema? schema)
        {
            if (Resolve(schema).Schema?.Type is { } type && !type.HasFlag(JsonSchemaType.String))
                try
                {
                    return JsonNode.Parse(text);
                }
                catch (JsonException)
                {
                    // Not a JSON scalar after all: shown as the text it is.
                }
            return JsonValue.Create(text);
        }

        public string Value(JsonNode? node, IOpenApiSchema? schema, string indent, string? recordName = null)
        {
            var (resolved, referenced) = Resolve(schema);
            if (node is null) return "null";
            if (referenced is "JsonObject" or "JsonNode" or "JsonElement" || resolved is null) return Free(node, indent);
            var type = resolved.Type ?? (resolved.Properties is { Count: > 0 } ? JsonSchemaType.Object : 0);
            if (type.HasFlag(JsonSchemaType.Object) && node is JsonObject fields)
            {
                if ((recordName ?? referenced) is { } record && resolved.Properties is { Count: > 0 } properties)
                {
                    if (fields.Count == 0) return $"new {record}()";
                    var members = fields.Select(f => $"{indent}    {Member(f.Key, record)} = {Value(f.Value, properties.TryGetValue(f.Key, out var property) ? property : null, indent + "    ")},\n");
                    return $"new {record}\n{indent}{{\n{string.Concat(members)}{indent}}}";
                }
                if (resolved.AdditionalProperties is { } values)
                {
                    var entries = fields.Select(f => $"{indent}    [{CSharpString(f.Key)}] = {Value(f.Value, values, indent + "    ")},\n");
                    return $"new Dictionary<string, {TypeOf(values)}>\n{indent}{{\n{string.Concat(entries)}{indent}}}";
                }
                return Free(node, indent);
            }
            if (type.HasFlag(JsonSchemaType.Array) && node is JsonArray items)
            {
                var parts = items.Select(i => Value(i, resolved.Items, indent + "    ")).ToList();
                return parts.Any(p => p.Contains('\n', StringComparison.Ordinal))
                    ? "[\n" + string.Concat(parts.Select(p => $"{indent}    {p},\n")) + indent + "]"
                    : "[" + string.Join(", ", parts) + "]";
            }
            if (node is not JsonValue value) return Free(node, indent);
            if (type.HasFlag(JsonSchemaType.String) && value.TryGetValue<string>(out var text))
                return resolved.Format switch
                {
                    "date-time" when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) => Instant(at),
                    "date" when DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) =>
                        $"new DateOnly({day.Year}, {day.Month}, {day.Day})",
                    _ => CSharpString(text),
                };
            if (type.HasFlag(JsonSchemaType.Number) && !type.HasFlag(JsonSchemaType.Integer) && value.GetValueKind() == JsonValueKind.Number)
                return value.ToJsonString() + "m";
            return Scalar(value);
        }

        /// <summary>A DateTimeOffset at the example's instant: its fields when they are whole seconds, else parsed.</summary>
        private static string Instant(DateTimeOffset at) => at.Millisecond == 0 && at.Microsecond == 0
            ? $"new DateTimeOffset({at.Year}, {at.Month}, {at.Day}, {at.Hour}, {at.Minute}, {at.Second}, " +
              (at.Offset == TimeSpan.Zero ? "TimeSpan.Zero" : $"TimeSpan.FromMinutes({at.Offset.TotalMinutes.ToString(CultureInfo.InvariantCulture)})") + ")"
            : $"DateTimeOffset.Parse({CSharpString(at.ToString("O", CultureInfo.InvariantCulture))}, System.Globalization.CultureInfo.InvariantCulture)";

        /// <summary>A value of a free-form field (JsonObject, JsonNode): JSON nodes built in place.</summary>
        private string Free(JsonNode node, string indent)
        {
            UsesJsonNodes = true;
            return node switch
            {
                JsonObject { Count: 0 } => "new JsonObject()",
                JsonObject o => "new JsonObject\n" + indent + "{\n" +
                    string.Concat(o.Select(p => $"{indent}    [{CSharpString(p.Key)}] = {(p.Value is null ? "null" : Free(p.Value, indent + "    "))},\n")) + indent + "}",
                JsonArray a => "new JsonArray(" + string.Join(", ", a.Select(v => v is null ? "null" : Free(v, indent))) + ")",
                JsonValue v => Scalar(v),
                _ => "null",
            };
        }

        private static string Scalar(JsonValue value) => value.GetValueKind() switch
        {
            JsonValueKind.String => CSharpString(value.GetValue<string>()),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            // The JSON text of the number (a value built in memory converts only to its own CLR type): a whole number as
            // written, a fraction as a decimal.
            JsonValueKind.Number when value.ToJsonString() is var number => number.All(c => char.IsAsciiDigit(c) || c == '-') ? number : number + "m",
            _ => "null",
        };

        /// <summary>The C# type of a schema (a dictionary's values), as generate.py's <c>cs_type</c> names it.</summary>
        private string TypeOf(IOpenApiSchema? schema)
        {
            var (resolved, referenced) = Resolve(schema);
            if (referenced is "JsonObject") { UsesJsonNodes = true; return "JsonObject"; }
            if (referenced is not null && referenced is not ("JsonNode" or "JsonElement")) return referenced;
            var type = resolved?.Type ?? 0;
            if (type.HasFlag(JsonSchemaType.String))
                return resolved!.Format switch { "date-time" => "DateTimeOffset", "date" => "DateOnly", _ => "string" } + (type.HasFlag(JsonSchemaType.Null) ? "?" : "");
            if (type.HasFlag(JsonSchemaType.Integer)) return resolved!.Format == "int64" ? "long" : "int";
            if (type.HasFlag(JsonSchemaType.Number)) return "decimal";
            if (type.HasFlag(JsonSchemaType.Boolean)) return "bool";
            if (type.HasFlag(JsonSchemaType.Array)) return $"IReadOnlyList<{TypeOf(resolved!.Items)}>";
            if (type.HasFlag(JsonSchemaType.Object) && resolved!.AdditionalProperties is { } values) return $"IReadOnlyDictionary<string, {TypeOf(values)}>";
            UsesJsonNodes = true;
            return type.HasFlag(JsonSchemaType.Object) ? "JsonObject" : "JsonNode?";
        }

        /// <summary>
        /// The schema behind references and a nullable oneOf/anyOf (its first other choice, as generate.py takes it), and the
        /// component it was referenced as (the record's name).
        /// </summary>
        public (IOpenApiSchema? Schema, string? Referenced) Resolve(IOpenApiSchema? schema)
        {
            for (var depth = 0; depth < 8 && schema is not null; depth++)
            {
                if (schema is OpenApiSchemaReference { Reference.Id: { } id })
                    return (document.Components?.Schemas?.TryGetValue(id, out var target) == true ? target : schema, id);
                if ((schema.OneOf ?? schema.AnyOf) is { Count: > 0 } choices)
                    schema = choices.FirstOrDefault(c => c.Type != JsonSchemaType.Null);
                else return (schema, null);
            }
            return (schema, null);
        }

        /// <summary>A JSON field's member in the SDK's records: PascalCase, and <c>Value</c> after a member named like its record.</summary>
        public static string Member(string field, string record)
        {
            var sb = new StringBuilder();
            var upper = true;
            foreach (var c in field)
            {
                if (!char.IsAsciiLetterOrDigit(c)) { upper = true; continue; }
                sb.Append(upper ? char.ToUpperInvariant(c) : c);
                upper = false;
            }
            var member = sb.ToString();
            return member == record ? member + "Value" : member;
        }
    }

    private static readonly HashSet<string> PythonKeywords =
    [
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else", "except",
        "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try",
        "while", "with", "yield",
    ];

    private static bool IsPythonIdentifier(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && !PythonKeywords.Contains(name);

    private static string Curl(Request r)
    {
        var lines = new List<string> { $"curl -X {r.Method} '{r.Url}'" };
        if (r.Auth == Auth.ApiKey) lines.Add($"  -H \"Authorization: Bearer ${ApiKeyVariable}\"");
        if (r.Auth == Auth.AdminToken) lines.Add($"  -H \"X-Admin-Token: ${AdminTokenVariable}\"");
        if (r.Json is { } json)
        {
            lines.Add("  -H 'Content-Type: application/json'");
            lines.Add($"  -d '{json.Replace("'", "'\\''", StringComparison.Ordinal)}'");
        }
        return string.Join(" \\\n", lines);
    }

    private static string JavaScript(Request r)
    {
        var headers = new List<string>();
        if (r.Auth == Auth.ApiKey) headers.Add($"Authorization: `Bearer ${{process.env.{ApiKeyVariable}}}`");
        if (r.Auth == Auth.AdminToken) headers.Add($"'X-Admin-Token': process.env.{AdminTokenVariable}");
        if (r.Json is not null) headers.Add("'Content-Type': 'application/json'");
        var options = new List<string> { $"  method: '{r.Method}'" };
        if (headers.Count > 0) options.Add("  headers: {\n" + string.Join(",\n", headers.Select(h => "    " + h)) + ",\n  }");
        if (r.Json is { } json) options.Add("  body: JSON.stringify(" + Indent(json, "  ") + ")");
        return $$"""
            const response = await fetch('{{r.Url}}', {
            {{string.Join(",\n", options)}},
            });
            if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);
            console.log(response.status === 204 ? null : await response.json());
            """;
    }

    private static string Python(Request r)
    {
        var sb = new StringBuilder("import os\nimport requests\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"response = requests.request(\n    \"{r.Method}\",\n    \"{r.Url}\",\n");
        if (r.Auth == Auth.ApiKey) sb.Append(CultureInfo.InvariantCulture, $"    headers={{\"Authorization\": f\"Bearer {{os.environ['{ApiKeyVariable}']}}\"}},\n");
        if (r.Auth == Auth.AdminToken) sb.Append(CultureInfo.InvariantCulture, $"    headers={{\"X-Admin-Token\": os.environ[\"{AdminTokenVariable}\"]}},\n");
        if (r.Body is { } body) sb.Append("    json=").Append(PythonLiteral(body, "    ")).Append(",\n");
        sb.Append("    timeout=30,\n)\nresponse.raise_for_status()\nprint(response.json() if response.content else None)");
        return sb.ToString();
    }

    private static string CSharp(Request r)
    {
        var sb = new StringBuilder("using var http = new HttpClient();\n");
        sb.Append(CultureInfo.InvariantCulture, $"using var request = new HttpRequestMessage(new HttpMethod(\"{r.Method}\"), \"{r.Url}\");\n");
        if (r.Auth == Auth.ApiKey)
            sb.Append(CultureInfo.InvariantCulture, $"request.Headers.Authorization = new(\"Bearer\", Environment.GetEnvironmentVariable(\"{ApiKeyVariable}\"));\n");
        if (r.Auth == Auth.AdminToken)
            sb.Append(CultureInfo.InvariantCulture, $"request.Headers.Add(\"X-Admin-Token\", Environment.GetEnvironmentVariable(\"{AdminTokenVariable}\"));\n");
        if (r.Json is { } json)
            sb.Append("request.Content = new StringContent(\"\"\"\n").Append(json).Append("\n\"\"\", System.Text.Encoding.UTF8, \"application/json\");\n");
        sb.Append("using var response = await http.SendAsync(request);\nresponse.EnsureSuccessStatusCode();\nConsole.WriteLine(await response.Content.ReadAsStringAsync());");
        return sb.ToString();
    }

    private static string Php(Request r)
    {
        var headers = new List<string>();
        if (r.Auth == Auth.ApiKey) headers.Add($"'Authorization: Bearer ' . getenv('{ApiKeyVariable}')");
        if (r.Auth == Auth.AdminToken) headers.Add($"'X-Admin-Token: ' . getenv('{AdminTokenVariable}')");
        if (r.Json is not null) headers.Add("'Content-Type: application/json'");
        var sb = new StringBuilder("<?php\n");
        if (r.Json is { } json) sb.Append("$body = <<<'JSON'\n").Append(json).Append("\nJSON;\n");
        sb.Append(CultureInfo.InvariantCulture, $"$ch = curl_init('{r.Url}');\n");
        sb.Append("curl_setopt_array($ch, [\n");
        sb.Append(CultureInfo.InvariantCulture, $"    CURLOPT_CUSTOMREQUEST => '{r.Method}',\n    CURLOPT_RETURNTRANSFER => true,\n");
        if (headers.Count > 0) sb.Append("    CURLOPT_HTTPHEADER => [").Append(string.Join(", ", headers)).Append("],\n");
        if (r.Json is not null) sb.Append("    CURLOPT_POSTFIELDS => $body,\n");
        sb.Append("]);\n$response = curl_exec($ch);\n$status = curl_getinfo($ch, CURLINFO_RESPONSE_CODE);\ncurl_close($ch);\n");
        sb.Append("if ($status >= 400) { throw new RuntimeException(\"HTTP $status: $response\"); }\nvar_dump(json_decode($response, true));");
        return sb.ToString();
    }

    private static string Indent(string text, string indent) => text.Replace("\n", "\n" + indent, StringComparison.Ordinal);

    /// <summary>A JSON value as a Python literal (True/False/None; strings JSON-escaped, which Python reads the same).</summary>
    private static string PythonLiteral(JsonNode? node, string indent) => node switch
    {
        null => "None",
        JsonObject o when o.Count == 0 => "{}",
        JsonObject o => "{\n" + string.Join(",\n", o.Select(p => $"{indent}    {JsonSerializer.Serialize(p.Key)}: {PythonLiteral(p.Value, indent + "    ")}")) + $",\n{indent}}}",
        JsonArray a when a.Count == 0 => "[]",
        JsonArray a => "[" + string.Join(", ", a.Select(v => PythonLiteral(v, indent))) + "]",
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "True" : "False",
        _ => node.ToJsonString(Indented),
    };
}
