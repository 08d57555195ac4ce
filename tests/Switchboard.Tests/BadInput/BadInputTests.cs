using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Switchboard.Tests.BadInput;

/// <summary>
/// The contract's "no endpoint answers 500 to bad input", proven over every operation of the served OpenAPI documents:
/// each operation gets the hostile requests <see cref="HostileCases"/> derives from its parameters and body schema. Every
/// answer must be a 4xx problem+json whose <c>status</c> is the HTTP status and whose <c>code</c> is set, or a 2xx; and
/// a refused request changes nothing (the organization's records are the same before and after, but for records a
/// successful response returned).
/// </summary>
public abstract class BadInputTests<TNode>(TNode node, ITestOutputHelper output) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    private const int Concurrency = 8;

    [Fact]
    public async Task EveryOperationAnswersHostileInputWithAProblemAndChangesNothing()
    {
        var clock = Stopwatch.StartNew();
        using var api = node.Client();
        await api.SignupAsync(organization: "Hostile Input");
        var documents = new List<OpenApiOperations>();
        foreach (var name in new[] { "v1", "v2" })
            documents.Add(new OpenApiOperations(JsonNode.Parse(await api.Http.GetStringAsync($"/api/openapi/{name}.json"))!.AsObject(), name));

        var seeds = await SeedAsync(api, documents);
        var lists = documents.SelectMany(d => d.All()).Where(o => o.Method == "GET" && o.Parameters.Any(p => p.Name == "limit")
                // The audit log and webhook deliveries grow with every legitimate write: side effects, not records.
                && !o.PathTemplate.Contains("audit-logs", StringComparison.Ordinal) && !o.PathTemplate.Contains("deliveries", StringComparison.Ordinal)
                && o.PathParameters.All(p => seeds.ContainsKey(HostileCases.CollectionOf(o.PathTemplate, p.Name))))
            .Select(o => o.PathParameters.Aggregate(o.PathTemplate, (path, p) => path.Replace("{" + p.Name + "}", seeds[HostileCases.CollectionOf(o.PathTemplate, p.Name)], StringComparison.Ordinal)))
            .ToList();
        var recordsBefore = await RecordIdsAsync(api, lists);
        var seedsBefore = await SeedStatesAsync(api, seeds);

        var cases = documents.SelectMany(d => new HostileCases(d, seeds).Pipe(g => d.All().SelectMany(g.For))).ToList();
        var operations = documents.SelectMany(d => d.All()).Select(o => o.Name).ToHashSet();
        operations.Except(cases.Select(c => c.Operation.Name)).ShouldBeEmpty("every operation gets hostile requests");

        // Operations open to anyone (signup, login, logout, …) are tried without credentials: a logout would end this session.
        using var anonymous = api.Anonymous();
        output.WriteLine($"{node.Provider}: {cases.Count} cases generated and {seeds.Count} seeds made in {clock.Elapsed.TotalSeconds:F1} s");
        var failures = new ConcurrentBag<string>();
        var returnedIds = new ConcurrentDictionary<string, byte>();
        var touchedSeeds = new ConcurrentDictionary<string, byte>();
        using var gate = new SemaphoreSlim(Concurrency);
        var done = 0;
        await Task.WhenAll(cases.Select(async c =>
        {
            await gate.WaitAsync();
            try
            {
                var (status, problem) = await SendAsync(c.Operation.Public ? anonymous : api, c);
                if (problem is not null) failures.Add($"{status} {c}: {problem}");
                if (problem is not null && status is >= 200 and < 300 && c.Operation.Method != "GET")
                    foreach (var id in returnedIdsOf(c)) returnedIds[id] = 0; // reported already; not again as "stored"
                else if (status is >= 200 and < 300)
                {
                    if (c.SeedId is not null && c.Operation.Method != "GET") touchedSeeds[c.SeedId] = 0;
                    if (c.Operation.Method != "GET") foreach (var id in returnedIdsOf(c)) returnedIds[id] = 0;
                }
            }
            finally
            {
                gate.Release();
                if (Interlocked.Increment(ref done) % 1000 == 0) output.WriteLine($"{done} at {clock.Elapsed.TotalSeconds:F1} s");
            }
        }));
        IEnumerable<string> returnedIdsOf(HostileCase c) => c.Operation.Method == "DELETE" ? [] : _lastIds.TryRemove(c, out var ids) ? ids : [];

        // Nothing stored, nothing removed by a refusal.
        var recordsAfter = await RecordIdsAsync(api, lists);
        foreach (var added in recordsAfter.Except(recordsBefore).Where(id => !returnedIds.ContainsKey(id[(id.LastIndexOf(':') + 1)..])))
            failures.Add($"stored although refused: {added}");
        foreach (var removed in recordsBefore.Except(recordsAfter))
            failures.Add($"removed although refused: {removed}");
        var seedsAfter = await SeedStatesAsync(api, seeds);
        foreach (var (path, state) in seedsBefore)
            if (!touchedSeeds.Keys.Any(id => path.EndsWith("/" + id, StringComparison.Ordinal)) && seedsAfter[path] != state)
                failures.Add($"changed although every change was refused: {path}\n  before {state}\n  after  {seedsAfter[path]}");

        var report = failures.Order(StringComparer.Ordinal).ToList();
        output.WriteLine($"{node.Provider}: {cases.Count} hostile requests over {operations.Count} operations in {clock.Elapsed.TotalSeconds:F1} s; " +
                         $"{report.Count} failures ({report.Count(f => f.StartsWith('5'))} answered 5xx)");
        foreach (var line in report) output.WriteLine(line.Length > 600 ? line[..600] + "…" : line);
        report.ShouldBeEmpty($"{report.Count} of {cases.Count} hostile requests were not answered with a 4xx problem or a 2xx (see the test output)");
    }

    private readonly ConcurrentDictionary<HostileCase, List<string>> _lastIds = new();

    /// <summary>Sends one case; answers the status and what is wrong with the answer (null when it is a proper answer).</summary>
    private async Task<(int Status, string? Problem)> SendAsync(ApiClient api, HostileCase c)
    {
        using var request = new HttpRequestMessage(new HttpMethod(c.Operation.Method), c.Path);
        if (c.Body is not null)
        {
            request.Content = new ByteArrayContent(c.Body);
            if (c.ContentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", c.ContentType);
        }
        if (c.Operation.AdminOnly) request.Headers.Add("X-Admin-Token", node.AdminToken);
        foreach (var (name, value) in c.Headers) request.Headers.TryAddWithoutValidation(name, value);
        if (c.ExpectContinue) request.Headers.ExpectContinue = true;
        HttpResponseMessage response;
        string text;
        try
        {
            response = await api.Http.SendAsync(request);
            text = await response.Content.ReadAsStringAsync();
        }
        catch (HttpRequestException e)
        {
            return (0, $"no answer: {e.Message} {e.InnerException?.Message}");
        }
        using var _ = response;
        var status = (int)response.StatusCode;
        if (status >= 500) return (status, Describe(text));
        if (status is >= 200 and < 300 && c.MustRefuse) return (status, "accepted although it must be refused: " + Describe(text));
        if (status is >= 200 and < 300 || (status == 304 && c.Operation.Method == "GET"))
        {
            if (c.Operation.Method != "GET" && text.Length > 0 && JsonNode.Parse(text) is { } body) _lastIds[c] = IdsIn(body).ToList();
            return (status, null);
        }
        if (status is < 400 or >= 500) return (status, "neither 2xx nor 4xx: " + Describe(text));
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            return (status, $"not problem+json ({response.Content.Headers.ContentType?.ToString() ?? "no content type"}): {Describe(text)}");
        try
        {
            var problem = JsonNode.Parse(text)!.AsObject();
            if (problem["status"]?.GetValue<int>() != status) return (status, "problem status differs: " + Describe(text));
            if (problem["code"]?.GetValue<string>() is not { Length: > 0 }) return (status, "problem has no code: " + Describe(text));
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            return (status, "problem body is not JSON: " + Describe(text));
        }
        return (status, null);
    }

    private static string Describe(string text) => text.Length == 0 ? "(empty body)" : text.Length > 300 ? text[..300] : text;

    private static IEnumerable<string> IdsIn(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, value) in o)
                {
                    if (name == "id" && value is JsonValue v && v.TryGetValue<string>(out var id)) yield return id;
                    foreach (var inner in IdsIn(value)) yield return inner;
                }
                break;
            case JsonArray a:
                foreach (var item in a)
                    foreach (var inner in IdsIn(item)) yield return inner;
                break;
        }
    }

    /// <summary>One record per collection, created from the document's example: what PATCH and the sub-resources address.</summary>
    private async Task<Dictionary<string, string>> SeedAsync(ApiClient api, List<OpenApiOperations> documents)
    {
        var seeds = new Dictionary<string, string>();
        var v1 = documents[0];
        foreach (var op in v1.All().Where(o => o.IsCollectionCreate && !o.PathTemplate.Contains('{', StringComparison.Ordinal) && !o.PathTemplate.Contains("/auth/", StringComparison.Ordinal)))
        {
            var response = await api.SendRawAsync(HttpMethod.Post, op.PathTemplate, HostileCases.ValidBody(op));
            if (response.StatusCode != HttpStatusCode.Created)
            {
                output.WriteLine($"no seed from {op.PathTemplate}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                continue;
            }
            seeds[HostileCases.CollectionOf(op.PathTemplate, "")] = IdsIn(await ApiClient.ReadAsync(response)).First();
        }
        return seeds;
    }

    private static async Task<HashSet<string>> RecordIdsAsync(ApiClient api, List<string> lists)
    {
        var ids = new HashSet<string>();
        foreach (var list in lists)
        {
            string? cursor = null;
            do
            {
                var page = await api.GetJsonAsync($"{list}?limit=100" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
                foreach (var item in page["data"]!.AsArray()) ids.Add($"{list}:{item!["id"] ?? item["userId"]}");
                cursor = page["nextCursor"]?.GetValue<string>();
            } while (cursor is not null);
        }
        return ids;
    }

    private static async Task<Dictionary<string, string>> SeedStatesAsync(ApiClient api, Dictionary<string, string> seeds)
    {
        var states = new Dictionary<string, string>();
        foreach (var (collection, id) in seeds)
        {
            var path = $"/api/v1{collection}/{id}";
            var response = await api.GetAsync(path);
            if (response.StatusCode == HttpStatusCode.OK) states[path] = await response.Content.ReadAsStringAsync();
        }
        return states;
    }

    [Fact]
    public async Task TheServersOwnRefusalsCarryAProblem()
    {
        using var api = node.Client();
        var port = api.Http.BaseAddress!.Port;
        var cases = new (string Kind, byte[] Request, int Status)[]
        {
            ("20 KB request target", Ascii($"GET /api/v1/contacts/{new string('a', 20_000)} HTTP/1.1\r\nHost: x\r\n\r\n"), 414),
            ("20 KB query", Ascii($"GET /api/v1/contacts?q={new string('a', 20_000)} HTTP/1.1\r\nHost: x\r\n\r\n"), 414),
            ("NUL in the path", Ascii("GET /api/v1/contacts/a\0b HTTP/1.1\r\nHost: x\r\n\r\n"), 400),
            ("encoded NUL in the path", Ascii("GET /api/v1/contacts/a%00b HTTP/1.1\r\nHost: x\r\n\r\n"), 0),
            ("garbage request line", Ascii("GARBAGE\r\nHost: x\r\n\r\n"), 400),
            ("unknown HTTP version", Ascii("GET /alive HTTP/9.9\r\nHost: x\r\n\r\n"), 505), // RFC 9110 §15.6.6: the one 5xx a request earns
            ("no Host", Ascii("GET /alive HTTP/1.1\r\n\r\n"), 400),
            ("40 KB header", Ascii($"GET /alive HTTP/1.1\r\nHost: x\r\nX-Padding: {new string('h', 40_000)}\r\n\r\n"), 431),
            ("header without colon", Ascii("GET /alive HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n"), 400),
            ("bad chunk size", Ascii("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"), 400),
            ("both Content-Length and chunked", Ascii("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 0),
            ("negative Content-Length", Ascii("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n"), 400),
        };
        var failures = new List<string>();
        foreach (var (kind, bytes, expected) in cases)
        {
            var (status, headers, body) = await RawHttp.ExchangeAsync(port, bytes);
            var problem = status >= 500 && status != expected ? "5xx" : status is < 400 and not 200 ? "not 4xx" :
                expected != 0 && status != expected ? $"expected {expected}" :
                status >= 400 && !headers.Contains("content-type: application/problem+json", StringComparison.OrdinalIgnoreCase) ? "not problem+json" :
                status >= 400 && !body.Contains($"\"status\":{status}", StringComparison.Ordinal) ? "no problem status" : null;
            if (problem is not null) failures.Add($"{kind}: {status} {problem}\n{headers}\n{(body.Length > 200 ? body[..200] : body)}");
        }
        foreach (var failure in failures) output.WriteLine(failure);
        failures.ShouldBeEmpty();
    }

    [Fact]
    public async Task ABodyPastTheLimitIsAnsweredWithoutResettingTheConnection()
    {
        using var api = node.Client();
        await api.SignupAsync(organization: "Past The Limit");
        var readOnlyKey = (await api.CreateKeyAsync("contacts:read"))["key"]!.GetValue<string>();
        var port = api.Http.BaseAddress!.Port;
        var body = Encoding.ASCII.GetBytes("{\"zz\": \"" + new string('a', 20 * 1024 * 1024) + "\"}");
        // An open operation, one without credentials (401 but for the size) and one the key's scopes refuse (403): the
        // size is refused first, and the body drained, before anything else could answer early and leave it unread.
        foreach (var (path, authorization) in new[] { ("/api/v1/auth/login", ""), ("/api/v1/deals", ""), ("/api/v1/deals", $"X-API-Key: {readOnlyKey}\r\n") })
        {
            var head = Ascii($"POST {path} HTTP/1.1\r\nHost: x\r\n{authorization}Content-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n");
            // The whole request is written (no Expect: 100-continue, as curl, browsers and Node send it) before reading.
            var (status, headers, text) = await RawHttp.ExchangeAsync(port, [.. head, .. body]);
            status.ShouldBe(413, $"{path} {authorization}: {headers}{text}");
            headers.ShouldContain("content-type: application/problem+json", Case.Insensitive);
            text.ShouldContain("\"code\":\"payload_too_large\"");
        }
    }

    private static byte[] Ascii(string s) => Encoding.Latin1.GetBytes(s);
}

internal static class PipeExtensions
{
    public static TResult Pipe<T, TResult>(this T value, Func<T, TResult> f) => f(value);
}

public sealed class BadInputTestsOnSqlite(SqliteSwitchboard node, ITestOutputHelper output) : BadInputTests<SqliteSwitchboard>(node, output);
public sealed class BadInputTestsOnPostgres(PostgresSwitchboard node, ITestOutputHelper output) : BadInputTests<PostgresSwitchboard>(node, output);
