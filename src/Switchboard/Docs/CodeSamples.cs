using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace Switchboard.Docs;

/// <summary>
/// Request and response examples for every operation, and <c>x-codeSamples</c> (curl, the TypeScript and Python SDKs,
/// JavaScript, Python, C#, PHP) generated from the finished document: method, path with sample ids, required query
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
                if (operation.RequestBody?.Content is { } requestContent)
                    foreach (var (mediaType, media) in requestContent)
                    {
                        if (!mediaType.Contains("json", StringComparison.Ordinal)) continue;
                        media.Example ??= Examples.For(media.Schema, document, forInput: true);
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
        IReadOnlyList<(string Name, string Value)> RequiredQuery, bool TakesBody)
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

    private static List<(string, string)> RequiredQuery(OpenApiOperation operation) =>
        (operation.Parameters ?? []).Where(p => p.In == ParameterLocation.Query && p.Required).Select(p => (p.Name!, p.Example?.ToString() ?? "value")).ToList();

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
