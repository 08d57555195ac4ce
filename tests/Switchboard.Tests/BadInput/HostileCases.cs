using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchboard.Tests.BadInput;

/// <summary>One hostile request: what it is (for the report), and exactly what goes on the wire.</summary>
public sealed record HostileCase(ApiOperation Operation, string Kind, string Path, byte[]? Body, string? ContentType)
{
    public Dictionary<string, string> Headers { get; init; } = [];
    public bool ExpectContinue { get; init; }
    /// <summary>No 2xx either: the request is wrong whatever the operation (not UTF-8, not JSON, a NUL, a framing header…).</summary>
    public bool MustRefuse { get; init; }
    /// <summary>The seed record the request addresses, when it addresses one (its state must not change on a refusal).</summary>
    public string? SeedId { get; init; }
    public override string ToString() => $"{Operation.Method} {Operation.PathTemplate} [{Kind}]";
}

/// <summary>
/// Generates the hostile requests of every operation of a document from its schemas: the bad-input suite covers an
/// operation the day it appears in the document, with no test to write.
/// </summary>
public sealed class HostileCases(OpenApiOperations document, IReadOnlyDictionary<string, string> seeds)
{
    private const string Marker = "@@hostile@@";
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly string Huge = new('x', 100_000);
    public static readonly string TenKilobytes = new('a', 10_240);

    /// <summary>Kinds of value no operation may accept: not the JSON type, not text a database stores, not a real date.</summary>
    private static readonly HashSet<string> Refused =
    [
        "number for string", "object for string", "array for string", "bool for string", "NUL", "NUL only", "lone high surrogate",
        "lone low surrogate", "min date +14:00", "max date -14:00", "year 10000", "negative year", "Feb 30", "hour 24", "offset +15:00",
        "not a date", "epoch number", "year 0", "string for number", "huge", "huge negative", "past int64", "below int64", "NaN",
        "Infinity", "leading zero", "hex", "bool for number", "string for bool", "number for bool", "[null]", "string for array",
        "object for array", "[number]", "[NUL]", "[object]", "nested arrays", "null value", "number value", "object value",
        "array for map", "NUL key", "NUL value", "array for object", "string for object", "unknown enum value", "enum with NUL",
        "enum as number", "header name with colon", "CRLF in header value", "date-time for date",
    ];

    /// <summary>The values every string field is tried with (raw JSON text).</summary>
    private static readonly (string Kind, string Json)[] StringValues =
    [
        ("number for string", "12345"), ("object for string", "{}"), ("array for string", "[\"a\"]"), ("bool for string", "true"),
        ("null", "null"), ("empty", "\"\""), ("NUL", "\"a\\u0000b\""), ("NUL only", "\"\\u0000\""),
        ("lone high surrogate", "\"a\\ud800b\""), ("lone low surrogate", "\"\\udc00\""), ("RTL override", "\"\u202Egnp.exe\""),
        ("emoji", "\"\U0001F600\U0001F469\u200D\U0001F4BB\""), ("combining marks", "\"e\u0301\u0301\u0301\u0301\""),
        ("huge string", "\"" + Huge + "\""), ("control chars", "\"\\u0001\\u001f\\b\""), ("escaped slash", "\"\\/..\\/..\\/etc\""),
    ];

    private static readonly (string Kind, string Json)[] DateTimeValues =
    [
        ("min date", "\"0001-01-01T00:00:00Z\""), ("min date +14:00", "\"0001-01-01T00:00:00+14:00\""),
        ("max date", "\"9999-12-31T23:59:59Z\""), ("max date -14:00", "\"9999-12-31T23:59:59-14:00\""),
        ("max date .9999999", "\"9999-12-31T23:59:59.9999999Z\""), ("year 10000", "\"10000-01-01T00:00:00Z\""),
        ("negative year", "\"-0001-01-01T00:00:00Z\""), ("Feb 30", "\"2026-02-30T00:00:00Z\""), ("hour 24", "\"2026-01-01T24:00:00Z\""),
        ("no offset", "\"2026-01-01T00:00:00\""), ("offset +15:00", "\"2026-01-01T00:00:00+15:00\""), ("not a date", "\"yesterday\""),
        ("epoch number", "1700000000"),
    ];

    private static readonly (string Kind, string Json)[] DateValues =
    [
        ("min date", "\"0001-01-01\""), ("max date", "\"9999-12-31\""), ("year 0", "\"0000-01-01\""), ("Feb 30", "\"2026-02-30\""),
        ("date-time for date", "\"0001-01-01T00:00:00+14:00\""), ("not a date", "\"tomorrow\""),
    ];

    private static readonly (string Kind, string Json)[] NumberValues =
    [
        ("string for number", "\"12\""), ("huge", "1e400"), ("huge negative", "-1e400"), ("past int64", "9223372036854775808"),
        ("below int64", "-9223372036854775809"), ("past int32", "2147483648"), ("negative", "-1"), ("zero", "0"),
        ("fraction", "1.5"), ("tiny", "1e-400"), ("many digits", "0." + new string('1', 400)), ("null", "null"), ("bool for number", "false"),
        ("NaN", "NaN"), ("Infinity", "Infinity"), ("leading zero", "012"), ("hex", "0x10"),
    ];

    private static readonly (string Kind, string Json)[] BoolValues =
        [("string for bool", "\"true\""), ("number for bool", "1"), ("null", "null")];

    private static readonly (string Kind, string Json)[] ArrayValues =
    [
        ("null", "null"), ("[null]", "[null]"), ("string for array", "\"a\""), ("object for array", "{}"), ("[number]", "[1]"),
        ("[NUL]", "[\"\\u0000\"]"), ("[object]", "[{}]"), ("nested arrays", "[[\"a\"]]"), ("empty array", "[]"),
        ("10000 elements", "[" + string.Join(',', Enumerable.Repeat("\"a\"", 10_000)) + "]"),
    ];

    private static readonly (string Kind, string Json)[] MapValues =
    [
        ("null", "null"), ("null value", "{\"X-A\": null}"), ("number value", "{\"X-A\": 1}"), ("object value", "{\"X-A\": {}}"),
        ("array for map", "[]"), ("NUL key", "{\"\\u0000\": \"v\"}"), ("NUL value", "{\"k\": \"a\\u0000b\"}"), ("empty key", "{\"\": \"v\"}"),
        ("1000 keys", "{" + string.Join(',', Enumerable.Range(0, 1000).Select(i => $"\"k{i}\": \"v\"")) + "}"),
        ("huge value", "{\"k\": \"" + Huge + "\"}"), ("duplicate keys", "{\"k\": \"a\", \"k\": \"b\"}"),
    ];

    /// <summary>Header names a webhook's custom headers must never set: framing, hop-by-hop, and the engine's own.</summary>
    public static readonly string[] ForbiddenWebhookHeaders =
    [
        "Transfer-Encoding", "Content-Length", "Host", "Connection", "Keep-Alive", "TE", "Trailer", "Upgrade",
        "Proxy-Authorization", "Proxy-Connection", "Expect", "Content-Type", "X-Webhook-Signature", "webhook-id",
    ];

    /// <summary>Whole bodies that are wrong as a whole (raw bytes).</summary>
    private static IEnumerable<(string Kind, byte[] Body)> WholeBodies(string valid)
    {
        byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
        byte[] Splice(string before, byte[] bytes, string after) => [.. Utf8(before), .. bytes, .. Utf8(after)];
        var inner = valid.TrimStart('{').TrimEnd('}');
        var comma = inner.Length > 0 ? "," : "";
        yield return ("empty body", []);
        yield return ("truncated", Utf8(valid[..(valid.Length / 2)]));
        yield return ("just {", Utf8("{"));
        yield return ("null", Utf8("null"));
        yield return ("array", Utf8("[]"));
        yield return ("number", Utf8("42"));
        yield return ("string", Utf8("\"body\""));
        yield return ("trailing comma", Utf8("{" + inner + ",}"));
        yield return ("trailing garbage", Utf8(valid + " x"));
        yield return ("two objects", Utf8(valid + valid));
        yield return ("comment", Utf8("/* c */" + valid));
        yield return ("single quotes", Utf8("{'a': 'b'}"));
        yield return ("unquoted name", Utf8("{a: 1}"));
        yield return ("raw NUL byte in string", Splice("{\"zz\": \"a", [0], "b\"" + comma + inner + "}"));
        yield return ("raw newline in string", Utf8("{\"zz\": \"a\nb\"" + comma + inner + "}"));
        yield return ("deep nesting in unknown property", Utf8("{\"zz\": " + new string('[', 5000) + new string(']', 5000) + comma + inner + "}"));
        yield return ("deep nesting as body", Utf8(new string('[', 100_000) + new string(']', 100_000)));
        yield return ("deep object nesting", Utf8(string.Concat(Enumerable.Repeat("{\"a\":", 2000)) + "1" + new string('}', 2000)));
        yield return ("BOM", [0xEF, 0xBB, 0xBF, .. Utf8(valid)]);
        yield return ("UTF-16 body", Encoding.Unicode.GetBytes(valid));
        yield return ("UTF-32 body", Encoding.UTF32.GetBytes(valid));
        // RFC 8259 §8.1: JSON exchanged between systems MUST be UTF-8. Wherever the bad bytes sit, the body is refused.
        yield return ("overlong '/' in an unknown property's value", Splice("{\"zz\": \"", [0xC0, 0xAF], "\"" + comma + inner + "}"));
        yield return ("overlong NUL in an unknown property's value", Splice("{\"zz\": \"", [0xC0, 0x80], "\"" + comma + inner + "}"));
        yield return ("invalid byte in a property name", Splice("{\"z", [0xFF], "z\": 1" + comma + inner + "}"));
        yield return ("invalid byte in an unknown property's name", Splice("{\"", [0xFE, 0xFF], "\": \"v\"" + comma + inner + "}"));
        yield return ("lone continuation byte in an unknown value", Splice("{\"zz\": \"", [0x80], "\"" + comma + inner + "}"));
        yield return ("encoded surrogate (CESU) in an unknown value", Splice("{\"zz\": \"", [0xED, 0xA0, 0x80], "\"" + comma + inner + "}"));
        yield return ("truncated sequence at the end", Splice(valid, [0xE2, 0x82], ""));
        yield return ("Latin-1 byte between tokens", Splice("{", [0xA0], inner + "}"));
        yield return ("5-byte sequence", Splice("{\"zz\": \"", [0xF8, 0x88, 0x80, 0x80, 0x80], "\"" + comma + inner + "}"));
        yield return ("past U+10FFFF", Splice("{\"zz\": \"", [0xF4, 0x90, 0x80, 0x80], "\"" + comma + inner + "}"));
        yield return ("escaped lone surrogate in a property name", Utf8("{\"\\ud800\": 1" + comma + inner + "}"));
        yield return ("NUL in an unknown property's name", Utf8("{\"\\u0000\": 1" + comma + inner + "}"));
    }

    /// <summary>Content types tried with a valid body; the body must be JSON sent as UTF-8.</summary>
    private static readonly string?[] ContentTypes =
    [
        "application/json; charset=bogus", "application/json; charset=utf-16", "application/json; charset=latin1", "application/json; charset=",
        "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", null, "application/merge-patch+json",
        "application/json; charset=\"utf-8\"", "APPLICATION/JSON", "application/problem+json", "application/json;;;", "*/*",
    ];

    private static readonly (string Kind, string Value)[] PathValues =
    [
        ("garbage id", "not-an-id"), ("NUL", "a%00b"), ("10 KB id", TenKilobytes), ("dot segments", "..%2F..%2Fadmin"),
        ("overlong UTF-8", "%C0%AF"), ("invalid UTF-8", "%FF%FE"), ("encoded surrogate", "%ED%A0%80"), ("emoji", "%F0%9F%98%80"),
        ("RTL", "%E2%80%AE"), ("right prefix, wrong body", "con_!!!!!!!!!!!!!!!!!!!!!!!!!!"), ("sql", "1%27%20OR%20%271%27%3D%271"),
    ];

    /// <summary>Every query parameter gets these; then those of its type (<see cref="QueryValuesFor"/>).</summary>
    private static readonly (string Kind, string Value)[] QueryValues =
        [("NUL", "a%00b"), ("empty", ""), ("overlong UTF-8", "%C0%AF"), ("invalid UTF-8", "%FF"), ("encoded surrogate", "%ED%A0%80")];

    private static IEnumerable<(string Kind, string Value)> QueryValuesFor(ApiParameter parameter) =>
        (OpenApiOperations.TypeOf(parameter.Schema), parameter.Schema["format"]?.GetValue<string>()) switch
        {
            ("integer" or "number", _) => [("negative", "-1"), ("word", "abc"), ("huge number", "1e400"), ("past int64", "99999999999999999999"), ("fraction", "1.5")],
            (_, "date-time" or "date") =>
            [
                ("min date", "0001-01-01T00:00:00Z"), ("min date +14:00", "0001-01-01T00:00:00%2B14:00"), ("max date -14:00", "9999-12-31T23:59:59-14:00"),
                ("max date", "9999-12-31T23:59:59Z"), ("word", "yesterday"),
            ],
            _ when parameter.Name == "cursor" => [("garbage cursor", "!!!not-base64!!!"), ("base64 of garbage", "eyJ4IjoxfQ"), ("huge base64", new string('A', 4000))],
            _ => [("emoji", "%F0%9F%98%80"), ("RTL", "%E2%80%AE"), ("sql", "%27%3B--"), ("unknown value", "no_such_value")],
        };

    private static readonly (string Kind, string Value)[] HeaderValues =
        [("garbage", "\"unterminated"), ("10 KB value", TenKilobytes), ("star", "*"), ("list", "\"a\", W/\"b\", garbage"), ("empty", "")];

    public IEnumerable<HostileCase> For(ApiOperation op)
    {
        var path = ConcretePath(op, out var seed);
        var valid = op.HasBody ? ValidBody(op) : op.TakesBody ? "{}" : null;

        foreach (var parameter in op.PathParameters)
            foreach (var (kind, value) in PathValues)
            {
                var bad = op.PathTemplate;
                foreach (var other in op.PathParameters)
                    bad = bad.Replace("{" + other.Name + "}", other == parameter ? value : Segment(other, op), StringComparison.Ordinal);
                yield return Case(op, $"path {parameter.Name}: {kind}", bad, valid);
            }

        var first = true;
        foreach (var parameter in op.Parameters.Where(p => p.In == "query"))
        {
            foreach (var (kind, value) in QueryValues.Concat(QueryValuesFor(parameter)))
                yield return Case(op, $"query {parameter.Name}: {kind}", $"{path}?{parameter.Name}={value}", valid) with { SeedId = seed };
            if (first) yield return Case(op, $"query {parameter.Name}: 10 KB value", $"{path}?{parameter.Name}={TenKilobytes}", valid) with { SeedId = seed };
            yield return Case(op, $"query {parameter.Name}: repeated", $"{path}?{parameter.Name}=1&{parameter.Name}=2", valid) with { SeedId = seed };
            first = false;
        }

        foreach (var parameter in op.Parameters.Where(p => p.In == "header"))
            foreach (var (kind, value) in HeaderValues)
                yield return Case(op, $"header {parameter.Name}: {kind}", path, valid) with { SeedId = seed, Headers = new() { [parameter.Name] = value } };

        // Oversized headers (Kestrel's limit is 32 KB in all).
        yield return Case(op, "40 KB header", path, valid) with { SeedId = seed, Headers = new() { ["X-Padding"] = new string('h', 40_000) } };
        yield return Case(op, "many headers", path, valid) with
        {
            SeedId = seed, Headers = Enumerable.Range(0, 150).ToDictionary(i => $"X-H{i}", i => new string('h', 200)),
        };

        if (!op.TakesBody) yield break;
        var validBody = valid!;
        foreach (var contentType in ContentTypes)
            yield return new HostileCase(op, $"content type {contentType ?? "(none)"}", path, Encoding.UTF8.GetBytes(validBody), contentType)
                { SeedId = seed, MustRefuse = op.HasBody && contentType is not ("application/json; charset=\"utf-8\"" or "APPLICATION/JSON" or "application/json;;;" or "application/json; charset="
                    or "application/problem+json" or "application/merge-patch+json") }; // +json types are JSON (RFC 6839)
        foreach (var (kind, body) in WholeBodies(validBody))
            yield return new HostileCase(op, "body: " + kind, path, body, "application/json") { SeedId = seed, MustRefuse = op.HasBody && kind is not ("BOM" or "deep nesting in unknown property"
                    // Unknown names are skipped undecoded: an escaped NUL or lone surrogate in one is never text of the API's.
                    or "NUL in an unknown property's name" or "escaped lone surrogate in a property name") };
        // Past the configured limit (1 MB); with Expect: 100-continue the client waits for the refusal instead of racing it.
        yield return new HostileCase(op, "body: 2 MB", path, Encoding.UTF8.GetBytes("{\"zz\": \"" + new string('a', 2 * 1024 * 1024) + "\"}"), "application/json")
            { SeedId = seed, ExpectContinue = true };

        if (op.BodySchema is null) yield break;
        foreach (var (field, schema) in Fields(op.BodySchema, ""))
            foreach (var (kind, json) in ValuesFor(field, schema))
                yield return new HostileCase(op, $"{field}: {kind}", path, Mutate(validBody, field, json), "application/json")
                    { SeedId = seed, MustRefuse = Refused.Contains(kind) || kind.StartsWith("header ", StringComparison.Ordinal) };
    }

    private static HostileCase Case(ApiOperation op, string kind, string path, string? body) =>
        new(op, kind, path, body is null ? null : Encoding.UTF8.GetBytes(body), body is null ? null : "application/json");

    private string ConcretePath(ApiOperation op, out string? seed)
    {
        seed = null;
        var path = op.PathTemplate;
        foreach (var parameter in op.PathParameters)
        {
            var value = Segment(parameter, op);
            if (op.Method != "DELETE" && seeds.ContainsKey(CollectionOf(op.PathTemplate, parameter.Name))) seed = value;
            path = path.Replace("{" + parameter.Name + "}", value, StringComparison.Ordinal);
        }
        return path;
    }

    /// <summary>The seed record's id for a path parameter, or a well-formed id of nothing (always, for a DELETE: "If-Match: *" is a fine reason to delete).</summary>
    private string Segment(ApiParameter parameter, ApiOperation op) =>
        op.Method != "DELETE" && seeds.TryGetValue(CollectionOf(op.PathTemplate, parameter.Name), out var id) ? id : "zzz_01JD4V2Q8M3ZC5X7T9W1E6R0YB";

    /// <summary><c>/api/v1/contacts/{id}/…</c> → <c>/contacts</c>: the collection a path parameter indexes.</summary>
    public static string CollectionOf(string template, string parameter)
    {
        var at = template.IndexOf("/{" + parameter + "}", StringComparison.Ordinal);
        var collection = at < 0 ? template : template[..at];
        // /api/v1/contacts and /api/v2/contacts hold the same records.
        var version = collection.IndexOf('/', "/api/".Length);
        return collection.StartsWith("/api/", StringComparison.Ordinal) && version > 0 ? collection[version..] : collection;
    }

    /// <summary>The document's example body without links to other records (they would name records that do not exist).</summary>
    public static string ValidBody(ApiOperation op)
    {
        if (op.BodyExample is not JsonObject example) return "{}";
        var body = example.DeepClone().AsObject();
        foreach (var (name, value) in body.ToList())
        {
            if (name.EndsWith("Id", StringComparison.Ordinal)) body.Remove(name);
            else if (name == "url") body[name] = "http://127.0.0.1:9/hook"; // never leave the machine
            else if (name == "email") body[name] = $"bad-input-{Guid.NewGuid():N}@example.com";
        }
        return body.ToJsonString(Relaxed);
    }

    private IEnumerable<(string Field, JsonObject Schema)> Fields(JsonObject schema, string prefix)
    {
        if (schema["properties"] is not JsonObject properties) yield break;
        foreach (var (name, node) in properties)
        {
            var field = document.NonNull(document.Resolve(node!.AsObject()));
            yield return (prefix + name, field);
            if (prefix.Length == 0 && OpenApiOperations.TypeOf(field) == "object")
                foreach (var nested in Fields(field, name + "."))
                    yield return nested;
        }
    }

    private static IEnumerable<(string Kind, string Json)> ValuesFor(string field, JsonObject schema)
    {
        var type = OpenApiOperations.TypeOf(schema);
        var format = schema["format"]?.GetValue<string>();
        IEnumerable<(string, string)> values = type switch
        {
            "string" when format == "date-time" => [.. DateTimeValues, .. StringValues.Take(6)],
            "string" when format == "date" => [.. DateValues, .. StringValues.Take(6)],
            "string" => StringValues,
            "integer" or "number" => NumberValues,
            "boolean" => BoolValues,
            "array" => ArrayValues,
            "object" when schema.ContainsKey("additionalProperties") => MapValues,
            "object" => [("null", "null"), ("empty object", "{}"), ("array for object", "[]"), ("string for object", "\"x\"")],
            _ => [("null", "null"), ("huge string", "\"" + Huge + "\""), ("NUL", "\"\\u0000\"")],
        };
        if (schema["enum"] is JsonArray)
            values = [.. values, ("unknown enum value", "\"no_such_value\""), ("enum in upper case", "\"" + schema["enum"]![0]!.ToString().ToUpperInvariant() + "\""),
                ("enum with NUL", "\"" + schema["enum"]![0] + "\\u0000\""), ("enum as number", "0")];
        if (field.EndsWith("headers", StringComparison.OrdinalIgnoreCase))
            values = [.. values, .. ForbiddenWebhookHeaders.Select(h => ($"header {h}", $"{{\"{h}\": \"x\"}}")), ("header in lower case", "{\"transfer-encoding\": \"chunked\"}"),
                ("header name with colon", "{\"X-A: b\": \"x\"}"), ("CRLF in header value", "{\"X-A\": \"a\\r\\nX-B: c\"}")];
        return values;
    }

    /// <summary>The valid body with one field (a dotted path) set to the given raw JSON, as UTF-8 bytes.</summary>
    public static byte[] Mutate(string validBody, string field, string rawJson)
    {
        var body = JsonNode.Parse(validBody)!.AsObject();
        var parts = field.Split('.');
        var target = body;
        foreach (var part in parts[..^1])
        {
            if (target[part] is not JsonObject next) target[part] = next = [];
            target = next;
        }
        target[parts[^1]] = Marker;
        var text = body.ToJsonString(Relaxed);
        return Encoding.UTF8.GetBytes(text.Replace("\"" + Marker + "\"", rawJson, StringComparison.Ordinal));
    }
}
