using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Integrations;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// A loopback Slack that checks what Slack documents and answers Slack's shapes. <c>chat.postMessage</c> and
/// <c>auth.test</c> (Web API: POST, <c>Authorization: Bearer xoxb-…</c>, a JSON body with its charset, <c>channel</c>
/// and <c>text</c> or <c>blocks</c>; HTTP 200 with <c>"ok": true</c>, or <c>"ok": false</c> and <c>invalid_auth</c> /
/// <c>channel_not_found</c>; 429 <c>ratelimited</c> with <c>Retry-After</c>), and incoming webhooks under
/// <c>/services/…</c> (200 <c>ok</c>, or 4xx with a plain-text code). Channels script the answers: <c>missing-*</c> does
/// not exist, <c>ratelimit-*</c> is rate limited on its first message, <c>down-*</c> always fails with 503.
/// </summary>
public sealed class FakeSlack : IAsyncDisposable
{
    public const string BotToken = "xoxb-17653672481-test-bot-token";
    public FakeProvider Provider { get; }
    private readonly ConcurrentDictionary<string, int> _seen = new(StringComparer.Ordinal);

    private FakeSlack(FakeProvider provider) => Provider = provider;

    public static FakeSlack Start() => StartAsync().GetAwaiter().GetResult();

    public static async Task<FakeSlack> StartAsync()
    {
        FakeSlack? slack = null;
        var provider = await FakeProvider.StartAsync((app, fake) =>
        {
            app.MapPost("/api/chat.postMessage", (Delegate)((HttpContext http) => slack!.PostMessageAsync(http, fake)));
            app.MapPost("/api/auth.test", (Delegate)((HttpContext http) => AuthTest(http, fake)));
            app.MapPost("/services/{team}/{bot}/{secret}", (Delegate)((HttpContext http) => IncomingWebhookAsync(http, fake, slack!)));
        });
        slack = new FakeSlack(provider);
        return slack;
    }

    /// <summary>The messages Slack accepted (chat.postMessage and webhooks), as their JSON bodies.</summary>
    public ConcurrentQueue<JsonObject> Posted { get; } = new();

    public IEnumerable<FakeProvider.Recorded> Calls(string path) => Provider.Requests.Where(r => r.Path == path);

    private static bool Authorized(HttpContext http, FakeProvider fake)
    {
        var header = http.Request.Headers.Authorization.ToString();
        fake.Require(header.StartsWith("Bearer ", StringComparison.Ordinal), "Web API calls carry the token as Authorization: Bearer (Slack: tokens should be passed as an HTTP Authorization header)");
        return header == "Bearer " + BotToken;
    }

    private async Task<IResult> PostMessageAsync(HttpContext http, FakeProvider fake)
    {
        var contentType = http.Request.ContentType ?? "";
        fake.Require(contentType.StartsWith("application/json", StringComparison.Ordinal) && contentType.Contains("charset=utf-8", StringComparison.OrdinalIgnoreCase),
            $"chat.postMessage with a JSON body must send Content-Type: application/json; charset=utf-8 (got '{contentType}')");
        var body = JsonNode.Parse(await new StreamReader(http.Request.Body, Encoding.UTF8).ReadToEndAsync()) as JsonObject;
        if (!Authorized(http, fake)) return Results.Json(new { ok = false, error = "invalid_auth" });
        if (!fake.Require(body is not null, "chat.postMessage needs a JSON object body")) return Results.Json(new { ok = false, error = "invalid_json" });
        var channel = body!["channel"]?.GetValue<string>();
        fake.Require(!string.IsNullOrEmpty(channel), "chat.postMessage requires channel");
        fake.Require(body["text"] is not null || body["blocks"] is not null, "chat.postMessage requires text or blocks");
        if (body["blocks"] is { } blocks) CheckBlocks(blocks, fake);
        if (string.IsNullOrEmpty(channel)) return Results.Json(new { ok = false, error = "channel_not_found" });
        var count = _seen.AddOrUpdate(channel, 1, (_, n) => n + 1);
        if (channel.StartsWith("missing-", StringComparison.Ordinal)) return Results.Json(new { ok = false, error = "channel_not_found" });
        if (channel.StartsWith("ratelimit-", StringComparison.Ordinal) && count == 1)
        {
            http.Response.Headers.RetryAfter = "1";
            return Results.Json(new { ok = false, error = "ratelimited" }, statusCode: 429);
        }
        if (channel.StartsWith("down-", StringComparison.Ordinal)) return Results.Json(new { ok = false, error = "service_unavailable" }, statusCode: 503);
        Posted.Enqueue(body);
        return Results.Json(new { ok = true, channel, ts = $"1700000000.{count:000000}", message = new { text = body["text"]?.GetValue<string>(), type = "message" } });
    }

    private static IResult AuthTest(HttpContext http, FakeProvider fake) => Authorized(http, fake)
        ? Results.Json(new { ok = true, url = "https://acme.slack.com/", team = "Acme", user = "switchboard", team_id = "T0001", user_id = "U0001", bot_id = "B0001" })
        : Results.Json(new { ok = false, error = "invalid_auth" });

    private static async Task<IResult> IncomingWebhookAsync(HttpContext http, FakeProvider fake, FakeSlack slack)
    {
        fake.Require(http.Request.Headers.Authorization.Count == 0, "an incoming webhook takes no Authorization header (the URL is the secret)");
        fake.Require((http.Request.ContentType ?? "").StartsWith("application/json", StringComparison.Ordinal), "incoming webhooks take a JSON body");
        var body = JsonNode.Parse(await new StreamReader(http.Request.Body, Encoding.UTF8).ReadToEndAsync()) as JsonObject;
        fake.Require(body?["channel"] is null, "an incoming webhook posts to its own channel; it takes no channel argument");
        if (body?["text"] is null && body?["blocks"] is null) return Results.Text("invalid_payload", statusCode: 400);
        if (body!["blocks"] is { } blocks) CheckBlocks(blocks, fake);
        slack.Posted.Enqueue(body);
        return Results.Text("ok");
    }

    /// <summary>Block Kit's documented limits for what the connector sends.</summary>
    private static void CheckBlocks(JsonNode blocks, FakeProvider fake)
    {
        if (!fake.Require(blocks is JsonArray { Count: > 0 and <= 50 }, "blocks must be an array of 1 to 50 blocks")) return;
        foreach (var block in blocks.AsArray().OfType<JsonObject>())
        {
            var type = block["type"]?.GetValue<string>();
            fake.Require(type is "header" or "section" or "actions" or "context" or "divider", $"unknown block type {type}");
            if (type == "header") fake.Require(block["text"]?["type"]?.GetValue<string>() == "plain_text" && block["text"]!["text"]!.GetValue<string>().Length <= 150,
                "a header's text is plain_text of at most 150 characters");
            if (type == "section" && block["fields"] is JsonArray fields) fake.Require(fields.Count <= 10, "a section has at most 10 fields");
            if (type == "actions")
                foreach (var element in block["elements"]!.AsArray().OfType<JsonObject>())
                    fake.Require(element["type"]?.GetValue<string>() == "button" && element["action_id"] is not null && element["text"]?["type"]?.GetValue<string>() == "plain_text",
                        "a button has plain_text text and an action_id");
        }
    }

    public async Task<JsonObject> WaitForPostAsync(Func<JsonObject, bool> match, int timeoutMs = 15_000) =>
        (await FakeProvider.WaitForAsync(Posted, match, "Slack", timeoutMs: timeoutMs))[0];

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

/// <summary>A node whose Slack is a <see cref="FakeSlack"/> (API, hooks and token URLs), with a fast scheduler.</summary>
public static class SlackNode
{
    public static T Configure<T>(T node, FakeSlack slack) where T : SwitchboardFactory
    {
        node.With("Switchboard:Integrations:Providers:slack:BaseUrls:api", slack.Provider.BaseUrl + "/api");
        node.With("Switchboard:Integrations:Providers:slack:BaseUrls:hooks", slack.Provider.BaseUrl);
        node.With("Switchboard:Integrations:Providers:slack:TokenUrl", slack.Provider.BaseUrl + "/api/oauth.v2.access");
        node.With("Switchboard:Integrations:SchedulerPollSeconds", "0.2");
        return node;
    }
}

public sealed class SlackSqliteNode : SqliteSwitchboard
{
    public FakeSlack Slack { get; } = FakeSlack.Start();
    public SlackSqliteNode() => SlackNode.Configure(this, Slack);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Slack.DisposeAsync();
    }
}

public sealed class SlackPostgresNode : PostgresSwitchboard
{
    public FakeSlack Slack { get; } = FakeSlack.Start();
    public SlackPostgresNode() => SlackNode.Configure(this, Slack);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Slack.DisposeAsync();
    }
}

/// <summary>
/// Installations made straight in the node's database (the installations API is another change's), as that API would
/// store them: configuration plain, credentials and tokens encrypted under purposes bound to the installation's id.
/// </summary>
public static class ActionsTestKit
{
    public static async Task<string> InstallAsync(SwitchboardFactory node, string organizationId, string provider, object? config = null, object? credentials = null,
        bool botToken = false, int? maxActionsPerSecond = null, string status = InstallationStatus.Active)
    {
        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var secrets = scope.ServiceProvider.GetRequiredService<IntegrationSecrets>();
        var id = Ids.New(IntegrationResources.Installations);
        var now = node.Clock.GetUtcNow().UtcDateTime;
        var creds = credentials is null ? null : System.Text.Json.JsonSerializer.SerializeToNode(credentials)!.AsObject();
        db.Add(new IntegrationInstallation
        {
            Id = id, OrganizationId = organizationId, ProviderKey = provider, Name = provider + " (test)",
            Config = config is null ? "{}" : System.Text.Json.JsonSerializer.Serialize(config),
            CredentialsEncrypted = creds is { Count: > 0 } ? secrets.ProtectCredentials(id, creds) : null,
            TokensEncrypted = botToken ? secrets.ProtectTokens(id, new ProviderTokens(FakeSlack.BotToken, null, null, "chat:write,commands", "bot")) : null,
            Status = status, MaxActionsPerSecond = maxActionsPerSecond, CreatedAt = now, UpdatedAt = now,
        });
        await db.SaveChangesAsync();
        return id;
    }

    public static async Task<string> CreateRuleAsync(ApiClient owner, string installationId, object body)
    {
        var response = await owner.PostAsync($"/api/v1/integrations/{installationId}/rules", body);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await ApiClient.ReadAsync(response))["id"]!.GetValue<string>();
    }

    public static async Task<string> CreateLeadAsync(ApiClient owner, object lead)
    {
        var response = await owner.PostAsync("/api/v1/leads", lead);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await ApiClient.ReadAsync(response))["id"]!.GetValue<string>();
    }

    /// <summary>The installation's action runs, once <paramref name="until"/> holds of them (polled up to 10 s; the last read otherwise).</summary>
    public static async Task<JsonArray> RunsAsync(ApiClient owner, string installationId, Func<JsonArray, bool> until, string query = "")
    {
        JsonArray runs = [];
        for (var i = 0; i < 200; i++)
        {
            runs = (await owner.GetJsonAsync($"/api/v1/integrations/{installationId}/action-runs{query}"))["data"]!.AsArray();
            if (until(runs)) break;
            await Task.Delay(50);
        }
        return runs;
    }

    public static async Task<List<Switchboard.Platform.Outbox.OutboxEvent>> EventsOfTypeAsync(SwitchboardFactory node, string resourceId, string type) =>
        (await node.EventsForAsync(resourceId)).Where(e => e.Type == type).ToList();
}
