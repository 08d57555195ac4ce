using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// Asana as its developer documentation describes it, on loopback (<see cref="FakeProvider"/>):
/// <list type="bullet">
/// <item>OAuth (https://developers.asana.com/docs/oauth): <c>POST /-/oauth_token</c> form with client id and secret; a
/// refresh answers a new access token and no new refresh token; <c>POST /-/oauth_revoke</c>.</item>
/// <item>The API under <c>/api/1.0</c> (https://developers.asana.com/docs/overview): bearer tokens (401
/// <c>{"errors":[{"message":"Not Authorized"}]}</c>), bodies wrapped in <c>{"data":…}</c>, errors as
/// <c>{"errors":[{"message","help"}]}</c>, 429 with Retry-After (https://developers.asana.com/docs/rate-limits).</item>
/// <item>GET /tasks (https://developers.asana.com/reference/gettasks): a project, limit 1 to 100, opt_fields, modified_since,
/// and an <c>offset</c> only with the query that issued it (https://developers.asana.com/docs/pagination); POST /tasks with
/// a name and the project; PUT /tasks/{gid}; never both due_on and due_at.</item>
/// <item>Webhooks (https://developers.asana.com/reference/createwebhook): POST /webhooks holds its answer until the
/// target has answered the handshake (a POST with <c>X-Hook-Secret</c>, to be echoed); deliveries carry
/// <c>X-Hook-Signature</c>, the hex HMAC-SHA256 of the body with that secret. GET /webhooks takes the workspace.</item>
/// </list>
/// </summary>
public sealed class AsanaFake : IAsyncDisposable
{
    public const string ClientId = "asana-client-id", ClientSecret = "asana-client-secret";

    public FakeProvider Provider { get; }
    public string BaseUrl => Provider.BaseUrl;
    /// <summary>Delivers a request to the node at the target URL's path (the test's client: the node listens in memory).</summary>
    public Func<string, HttpRequestMessage, Task<HttpResponseMessage>>? Deliver { get; set; }
    private readonly ConcurrentDictionary<string, Workspace> _byAccess = new(), _byRefresh = new();
    public ConcurrentQueue<string> Revoked { get; } = new();

    /// <summary>The next this many <c>DELETE /webhooks/{gid}</c> answer Asana's 500.</summary>
    public int FailWebhookDeletes { get => Volatile.Read(ref _failWebhookDeletes); set => Volatile.Write(ref _failWebhookDeletes, value); }
    internal int _failWebhookDeletes;
    private int _workspaces;
    private long _gids = 1_200_000_000_000_000;
    private AsanaFake(FakeProvider provider) => Provider = provider;

    public sealed class Workspace(int number)
    {
        public string Gid { get; } = $"{1_100_000_000_000_000 + number}";
        public string ProjectGid { get; } = $"{1_150_000_000_000_000 + number}";
        public string AccessToken { get; set; } = $"asat-{number}-1";
        public string RefreshToken { get; } = $"asrt-{number}";
        public int Number { get; } = number;
        public int Refreshes => Volatile.Read(ref _refreshes);
        private int _refreshes;
        internal int Refreshed() => Interlocked.Increment(ref _refreshes);
        public ConcurrentDictionary<string, JsonObject> Tasks { get; } = new();
        public ConcurrentDictionary<string, JsonObject> Webhooks { get; } = new();
        public ConcurrentDictionary<string, string> Secrets { get; } = new();
        public ConcurrentQueue<(int Status, string? RetryAfter, string Message)> Failures { get; } = new();
        private long _clock = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        public string Tick()
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            long next, seen;
            do { seen = Interlocked.Read(ref _clock); next = Math.Max(seen + 1, now); } while (Interlocked.CompareExchange(ref _clock, next, seen) != seen);
            return DateTimeOffset.FromUnixTimeMilliseconds(next).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        }

        /// <summary>A change made in Asana by a user.</summary>
        public void Change(string gid, Action<JsonObject> change)
        {
            var task = Tasks[gid];
            lock (task) { change(task); task["modified_at"] = Tick(); }
        }
    }

    public Workspace NewWorkspace()
    {
        var workspace = new Workspace(Interlocked.Increment(ref _workspaces));
        _byAccess[workspace.AccessToken] = workspace;
        _byRefresh[workspace.RefreshToken] = workspace;
        return workspace;
    }

    public void Expire(Workspace workspace) => _byAccess.TryRemove(workspace.AccessToken, out _);

    public JsonObject AddTask(Workspace workspace, string name, bool completed = false, string? dueOn = null)
    {
        var gid = Interlocked.Increment(ref _gids).ToString(CultureInfo.InvariantCulture);
        var task = new JsonObject
        {
            ["gid"] = gid, ["resource_type"] = "task", ["name"] = name, ["notes"] = "", ["completed"] = completed, ["due_on"] = dueOn, ["due_at"] = null,
            ["modified_at"] = workspace.Tick(),
        };
        workspace.Tasks[gid] = task;
        return task;
    }

    public static AsanaFake Start()
    {
        AsanaFake? self = null;
        var provider = FakeProvider.StartAsync((app, fake) =>
        {
            app.MapPost("/-/oauth_token", (Delegate)((HttpContext http) => self!.TokenAsync(http, fake)));
            app.MapPost("/-/oauth_revoke", (Delegate)(async (HttpContext http) =>
            {
                var form = await http.Request.ReadFormAsync();
                fake.Require(form["client_id"] == ClientId && form["client_secret"] == ClientSecret, "revocation takes the client's id and secret");
                self!.Revoked.Enqueue(form["token"].ToString());
                return Results.Ok();
            }));
            app.MapMethods("/api/1.0/{**path}", ["GET", "POST", "PUT", "DELETE"], (string path, HttpContext http) => self!.ApiAsync(http, fake, path));
        }).GetAwaiter().GetResult();
        self = new AsanaFake(provider);
        return self;
    }

    private static IResult Error(int status, string message) =>
        Results.Json(new JsonObject { ["errors"] = new JsonArray(new JsonObject { ["message"] = message, ["help"] = "For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors" }) }, statusCode: status);

    private async Task<IResult> TokenAsync(HttpContext http, FakeProvider fake)
    {
        var form = await http.Request.ReadFormAsync();
        fake.Require(form["client_id"] == ClientId && form["client_secret"] == ClientSecret, "the token request carries the client's id and secret");
        if (!fake.Require(form["grant_type"] == "refresh_token", "only refresh_token grants are expected here") || !_byRefresh.TryGetValue(form["refresh_token"].ToString(), out var workspace))
            return Results.Json(new { error = "invalid_grant", error_description = "The `refresh_token` provided is invalid." }, statusCode: 400);
        var n = workspace.Refreshed();
        workspace.AccessToken = $"asat-{workspace.Number}-{n + 1}";
        _byAccess[workspace.AccessToken] = workspace;
        return Results.Json(new JsonObject
        {
            ["access_token"] = workspace.AccessToken, ["expires_in"] = 3600, ["token_type"] = "bearer",
            ["data"] = new JsonObject { ["id"] = 4673218951, ["gid"] = "4673218951", ["name"] = "Greg Sanchez", ["email"] = "gsanchez@example.com" },
        });
    }

    private async Task<IResult> ApiAsync(HttpContext http, FakeProvider fake, string path)
    {
        var auth = http.Request.Headers.Authorization.ToString();
        if (!auth.StartsWith("Bearer ", StringComparison.Ordinal) || !_byAccess.TryGetValue(auth["Bearer ".Length..], out var ws)) return Error(401, "Not Authorized");
        if (ws.Failures.TryDequeue(out var failure))
        {
            if (failure.RetryAfter is not null) http.Response.Headers["Retry-After"] = failure.RetryAfter;
            return Error(failure.Status, failure.Message);
        }
        JsonObject? data = null;
        if (http.Request.Method is "POST" or "PUT")
        {
            fake.Require(http.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true, "JSON bodies");
            try { data = (await JsonNode.ParseAsync(http.Request.Body))?["data"] as JsonObject; }
            catch (System.Text.Json.JsonException) { }
            if (data is null) return Error(400, "data: Missing input");
        }
        var q = http.Request.Query;
        switch (http.Request.Method, path)
        {
            case ("GET", "users/me"):
                return Results.Json(new JsonObject { ["data"] = new JsonObject { ["gid"] = "4673218951", ["name"] = "Greg Sanchez", ["email"] = "gsanchez@example.com" } });
            case ("GET", "tasks"):
            {
                if (q["project"] != ws.ProjectGid) { fake.Violation("list the project's tasks"); return Error(400, "project: Not a recognized ID"); }
                var limit = int.Parse(q["limit"].FirstOrDefault() ?? "20", CultureInfo.InvariantCulture);
                fake.Require(limit is >= 1 and <= 100, "limit is 1 to 100");
                fake.Require(q["opt_fields"].ToString().Split(',').Contains("modified_at"), "name the fields (opt_fields), modified_at among them");
                var key = $"{q["project"]}|{q["modified_since"]}|{q["opt_fields"]}";
                var start = 0;
                if (q["offset"].FirstOrDefault() is { } offset)
                {
                    var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(offset)).Split('\n');
                    if (!fake.Require(decoded[0] == key, "an offset is used only with the query that issued it")) return Error(400, "offset: Your pagination token is invalid.");
                    start = int.Parse(decoded[1], CultureInfo.InvariantCulture);
                }
                IEnumerable<JsonObject> tasks = ws.Tasks.Values;
                if (q["modified_since"].FirstOrDefault() is { } since)
                {
                    var at = DateTimeOffset.Parse(since, CultureInfo.InvariantCulture);
                    tasks = tasks.Where(t => DateTimeOffset.Parse(t["modified_at"]!.GetValue<string>(), CultureInfo.InvariantCulture) >= at);
                }
                // Asana's order is its own (not by modification): by gid here.
                var all = tasks.OrderBy(t => t["gid"]!.GetValue<string>(), StringComparer.Ordinal).ToList();
                var page = all.Skip(start).Take(limit).Select(t => (JsonNode)t.DeepClone()).ToArray();
                var answer = new JsonObject { ["data"] = new JsonArray(page), ["next_page"] = null };
                if (start + page.Length < all.Count)
                {
                    var next = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{key}\n{start + page.Length}"));
                    answer["next_page"] = new JsonObject { ["offset"] = next, ["path"] = $"/tasks?project={ws.ProjectGid}&offset={next}", ["uri"] = $"https://app.asana.com/api/1.0/tasks?offset={next}" };
                }
                return Results.Json(answer);
            }
            case ("POST", "tasks"):
            {
                var projects = (data!["projects"] as JsonArray ?? []).Select(p => p!.GetValue<string>()).ToList();
                if (!projects.Contains(ws.ProjectGid)) { fake.Violation("a new task names its project"); return Error(400, "workspace: Missing input"); }
                if (data["due_on"] is not null && data["due_at"] is not null) return Error(400, "You may only provide one of due_on or due_at!");
                if (string.IsNullOrEmpty(data["name"]?.GetValue<string>())) return Error(400, "name: Missing input");
                var task = AddTask(ws, data["name"]!.GetValue<string>());
                Apply(task, data);
                return Results.Json(new JsonObject { ["data"] = task.DeepClone() }, statusCode: 201);
            }
            case ("PUT", _) when path.StartsWith("tasks/", StringComparison.Ordinal):
            {
                if (!ws.Tasks.TryGetValue(path["tasks/".Length..], out var task)) return Error(404, "task: Unknown object: " + path["tasks/".Length..]);
                if (data!["due_on"] is not null && data["due_at"] is not null) return Error(400, "You may only provide one of due_on or due_at!");
                fake.Require(data["projects"] is null, "projects are not changed by PUT (addProject)");
                lock (task) { Apply(task, data); task["modified_at"] = ws.Tick(); }
                return Results.Json(new JsonObject { ["data"] = task.DeepClone() });
            }
            case ("GET", "webhooks"):
                fake.Require(q["workspace"] == ws.Gid, "GET /webhooks requires the workspace");
                return Results.Json(new JsonObject
                {
                    ["data"] = new JsonArray([.. ws.Webhooks.Values.Where(w => q["resource"].Count == 0 || w["resource"]!["gid"]!.GetValue<string>() == q["resource"]).Select(w => (JsonNode)w.DeepClone())]),
                    ["next_page"] = null,
                });
            case ("POST", "webhooks"):
                return await EstablishAsync(ws, data!, fake);
            case ("DELETE", _) when path.StartsWith("webhooks/", StringComparison.Ordinal):
                // https://developers.asana.com/reference/deletewebhook: no body; answers {"data": {}}.
                fake.Require(http.Request.ContentLength is null or 0, "DELETE /webhooks/{webhook_gid} takes no body");
                if (Interlocked.Decrement(ref _failWebhookDeletes) >= 0) return Error(500, "Server Error");
                Interlocked.Exchange(ref _failWebhookDeletes, 0);
                return ws.Webhooks.TryRemove(path["webhooks/".Length..], out _) ? Results.Json(new JsonObject { ["data"] = new JsonObject() }) : Error(404, "webhook: Unknown object");
        }
        fake.Violation($"{http.Request.Method} /api/1.0/{path} is not an endpoint this connector should call");
        return Error(404, "Unknown path");
    }

    private static void Apply(JsonObject task, JsonObject data)
    {
        foreach (var name in new[] { "name", "notes", "completed" })
            if (data.TryGetPropertyValue(name, out var value)) task[name] = value?.DeepClone();
        if (data.TryGetPropertyValue("due_on", out var on)) { task["due_on"] = on?.DeepClone(); if (on is not null) task["due_at"] = null; }
        if (data.TryGetPropertyValue("due_at", out var at)) { task["due_at"] = at?.DeepClone(); if (at is not null) task["due_on"] = at.GetValue<string>()[..10]; }
    }

    /// <summary>The handshake first, while the creation waits: a POST to the target with X-Hook-Secret, which must come back.</summary>
    private async Task<IResult> EstablishAsync(Workspace ws, JsonObject data, FakeProvider fake)
    {
        var target = data["target"]?.GetValue<string>() ?? "";
        fake.Require(data["resource"]?.GetValue<string>() == ws.ProjectGid, "the webhook's resource is the project");
        fake.Require(target.StartsWith("https://", StringComparison.Ordinal), "the target is https");
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        using var handshake = new HttpRequestMessage(HttpMethod.Post, new Uri(target).PathAndQuery);
        handshake.Headers.TryAddWithoutValidation("X-Hook-Secret", secret);
        using var answer = await Deliver!(target, handshake);
        if (answer.StatusCode is not (System.Net.HttpStatusCode.OK or System.Net.HttpStatusCode.NoContent)
            || !answer.Headers.TryGetValues("X-Hook-Secret", out var echoed) || echoed.Single() != secret)
            return Error(400, "Could not complete activation handshake with target URL. Please ensure that the receiving server is accepting connections and supports SSL");
        var gid = Interlocked.Increment(ref _gids).ToString(CultureInfo.InvariantCulture);
        var webhook = new JsonObject
        {
            ["gid"] = gid, ["resource_type"] = "webhook", ["active"] = true, ["target"] = target,
            ["resource"] = new JsonObject { ["gid"] = ws.ProjectGid, ["resource_type"] = "project", ["name"] = "Support" },
        };
        ws.Webhooks[gid] = webhook;
        ws.Secrets[gid] = secret;
        return Results.Json(new JsonObject { ["data"] = webhook.DeepClone() }, statusCode: 201);
    }

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

public sealed class AsanaSqliteNode : SqliteSwitchboard
{
    public AsanaFake Asana { get; } = AsanaFake.Start();
    public AsanaSqliteNode() => AsanaNode.Configure(this, Asana);
    public override async ValueTask DisposeAsync() { await base.DisposeAsync(); await Asana.DisposeAsync(); }
}

public sealed class AsanaPostgresNode : PostgresSwitchboard
{
    public AsanaFake Asana { get; } = AsanaFake.Start();
    public AsanaPostgresNode() => AsanaNode.Configure(this, Asana);
    public override async ValueTask DisposeAsync() { await base.DisposeAsync(); await Asana.DisposeAsync(); }
}

internal static class AsanaNode
{
    public static void Configure(SwitchboardFactory node, AsanaFake asana)
    {
        const string Prefix = "Switchboard:Integrations:Providers:asana:";
        node.With(Prefix + "BaseUrls:api", asana.BaseUrl + "/api/1.0");
        node.With(Prefix + "TokenUrl", asana.BaseUrl + "/-/oauth_token");
        node.With(Prefix + "RevokeUrl", asana.BaseUrl + "/-/oauth_revoke");
        node.With(Prefix + "ClientId", AsanaFake.ClientId);
        node.With(Prefix + "ClientSecret", AsanaFake.ClientSecret);
        node.With("Switchboard:PublicBaseUrl", JiraNode.PublicBaseUrl);
        node.With("Switchboard:Integrations:SchedulerPollSeconds", "0.2");
        node.With("Switchboard:Integrations:SyncLeaseSeconds", "5");
    }
}
