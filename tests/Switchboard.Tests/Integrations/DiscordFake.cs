using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// A loopback Discord (API v10) for channel webhooks, checking what Discord documents
/// (discord/discord-api-docs: developers/resources/webhook.mdx, developers/resources/message.mdx,
/// developers/topics/rate-limits.mdx, developers/topics/opcodes-and-status-codes.mdx, developers/reference.mdx):
/// <list type="bullet">
/// <item>Get Webhook with Token, <c>GET /webhooks/{id}/{token}</c>: "does not require authentication" (no Authorization
/// header is sent); answers the webhook object (with its token and url, as Discord does for incoming webhooks), 404
/// <c>{"message":"Unknown Webhook","code":10015}</c> for a deleted webhook, 401 <c>{"message":"Invalid Webhook
/// Token","code":50027}</c> for a wrong token.</item>
/// <item>Execute Webhook, <c>POST /webhooks/{id}/{token}?wait=true</c>: the connector always waits ("waits for server
/// confirmation of message send … returns the created message body"; without it a message that is not saved returns no
/// error); a JSON body with at least one of content, embeds (the connector sends no files or polls); content at most
/// 2,000 characters; at most 10 embeds; no <c>type</c>, <c>provider</c> or <c>video</c> in a webhook's embeds; the
/// Embed Limits (title 256, description 4096, 25 fields, field name 256, value 1024, footer 2048, author 256, 6,000 in
/// all, whitespace trimmed) — a breach is a violation and answers 400 <c>{"code":50035,"errors":{…},"message":"Invalid
/// Form Body"}</c>; an embed url absolute. Success is 200 with the message object and the X-RateLimit-* headers.</item>
/// <item>Rate limits: a scripted 429 with the documented body (<c>message</c>, <c>retry_after</c> in seconds with
/// decimals, <c>global</c>), <c>Retry-After</c> and <c>X-RateLimit-Limit/Remaining/Reset/Reset-After/Bucket/Scope</c>;
/// a request before the announced reset is itself a violation (Discord: do not make requests on exhausted buckets).</item>
/// </list>
/// </summary>
public sealed class DiscordFake : IAsyncDisposable
{
    public const string WebhookId = "1180000000000000001", Token = "sB6nWebhookToken_ABCdef-123456789xyz", DeletedWebhookId = "1180000000000000666";
    public static string WebhookUrl(string id = WebhookId, string token = Token) => $"https://discord.com/api/webhooks/{id}/{token}";

    public FakeProvider Provider { get; }
    public ConcurrentQueue<JsonObject> Messages { get; } = new();
    private readonly ConcurrentQueue<(double RetryAfter, bool Global)> _rateLimits = new();
    private DateTimeOffset _blockedUntil = DateTimeOffset.MinValue;
    private long _messageIds = 1_190_000_000_000_000_000;

    private DiscordFake(FakeProvider provider) => Provider = provider;

    public string ApiBaseUrl => Provider.BaseUrl + "/api/v10";

    public static async Task<DiscordFake> StartAsync()
    {
        DiscordFake? discord = null;
        var provider = await FakeProvider.StartAsync((app, fake) =>
        {
            app.MapGet("/api/v10/webhooks/{id}/{token}", (Delegate)((HttpContext http) => Get(http, fake, Route(http, "id"), Route(http, "token"))));
            app.MapPost("/api/v10/webhooks/{id}/{token}", (Delegate)((HttpContext http) => discord!.ExecuteAsync(http, fake, Route(http, "id"), Route(http, "token"))));
        });
        discord = new DiscordFake(provider);
        return discord;
    }

    /// <summary>The next execute answers 429 with this <c>retry_after</c>.</summary>
    public void RateLimitNext(double retryAfterSeconds, bool global = false) => _rateLimits.Enqueue((retryAfterSeconds, global));

    public IEnumerable<FakeProvider.Recorded> Executions => Provider.Requests.Where(r => r.Method == "POST");

    private static IResult? Refused(HttpContext http, FakeProvider fake, string id, string token)
    {
        fake.Require(!http.Request.Headers.ContainsKey("Authorization"), "webhook calls with the token in the path need no Authorization header (and a bot token must not leak to them)");
        if (id == DeletedWebhookId || id != WebhookId) return Results.Json(new { message = "Unknown Webhook", code = 10015 }, statusCode: 404);
        return token == Token ? null : Results.Json(new { message = "Invalid Webhook Token", code = 50027 }, statusCode: 401);
    }

    private static string Route(HttpContext http, string name) => http.Request.RouteValues[name]?.ToString() ?? "";

    private static IResult Get(HttpContext http, FakeProvider fake, string id, string token) => Refused(http, fake, id, token) ?? Results.Json(new JsonObject
    {
        ["application_id"] = null, ["avatar"] = null, ["channel_id"] = "1170000000000000042", ["guild_id"] = "1160000000000000007", ["id"] = id,
        ["name"] = "CRM alerts", ["type"] = 1, ["token"] = token, ["url"] = WebhookUrl(id, token),
    });

    private async Task<IResult> ExecuteAsync(HttpContext http, FakeProvider fake, string id, string token)
    {
        var now = DateTimeOffset.UtcNow;
        fake.Require(http.Request.Query["wait"] == "true", "Execute Webhook is called with wait=true, so a message that is not saved is an error rather than silence");
        fake.Require((http.Request.ContentType ?? "").StartsWith("application/json", StringComparison.Ordinal), "Execute Webhook takes a JSON body (Content-Type: application/json)");
        fake.Require(now >= _blockedUntil, "a request was made on an exhausted bucket before its announced reset (Discord: wait retry_after / Retry-After)");
        if (Refused(http, fake, id, token) is { } refused) return refused;
        var body = JsonNode.Parse(await new StreamReader(http.Request.Body, Encoding.UTF8).ReadToEndAsync()) as JsonObject;
        if (!fake.Require(body is not null, "the body is a JSON object")) return Results.Json(new { message = "Cannot send an empty message", code = 50006 }, statusCode: 400);

        if (_rateLimits.TryDequeue(out var limit))
        {
            _blockedUntil = now + TimeSpan.FromSeconds(limit.RetryAfter) - TimeSpan.FromMilliseconds(50);
            http.Response.Headers.RetryAfter = Math.Ceiling(limit.RetryAfter).ToString(CultureInfo.InvariantCulture);
            http.Response.Headers["X-RateLimit-Limit"] = "5";
            http.Response.Headers["X-RateLimit-Remaining"] = "0";
            http.Response.Headers["X-RateLimit-Reset"] = (now.ToUnixTimeMilliseconds() / 1000.0 + limit.RetryAfter).ToString("0.000", CultureInfo.InvariantCulture);
            http.Response.Headers["X-RateLimit-Reset-After"] = limit.RetryAfter.ToString("0.000", CultureInfo.InvariantCulture);
            http.Response.Headers["X-RateLimit-Bucket"] = "b1d2c3a4e5f6";
            http.Response.Headers["X-RateLimit-Scope"] = limit.Global ? "global" : "user";
            if (limit.Global) http.Response.Headers["X-RateLimit-Global"] = "true";
            return Results.Json(new { message = "You are being rate limited.", retry_after = limit.RetryAfter, global = limit.Global }, statusCode: 429);
        }

        var errors = Check(body!, fake);
        if (errors.Count > 0) return Results.Json(new JsonObject { ["code"] = 50035, ["errors"] = errors, ["message"] = "Invalid Form Body" }, statusCode: 400);
        Messages.Enqueue(body!);
        http.Response.Headers["X-RateLimit-Limit"] = "5";
        http.Response.Headers["X-RateLimit-Remaining"] = "4";
        http.Response.Headers["X-RateLimit-Reset-After"] = "2.000";
        http.Response.Headers["X-RateLimit-Bucket"] = "b1d2c3a4e5f6";
        var messageId = Interlocked.Increment(ref _messageIds).ToString(CultureInfo.InvariantCulture);
        return Results.Json(new JsonObject
        {
            ["id"] = messageId, ["type"] = 0, ["content"] = body!["content"]?.DeepClone() ?? "", ["channel_id"] = "1170000000000000042",
            ["author"] = new JsonObject { ["bot"] = true, ["id"] = id, ["username"] = body["username"]?.DeepClone() ?? "CRM alerts", ["avatar"] = null, ["discriminator"] = "0000" },
            ["embeds"] = body["embeds"]?.DeepClone() ?? new JsonArray(), ["mentions"] = new JsonArray(), ["mention_roles"] = new JsonArray(),
            ["pinned"] = false, ["mention_everyone"] = false, ["tts"] = false, ["timestamp"] = now.ToString("o", CultureInfo.InvariantCulture),
            ["edited_timestamp"] = null, ["flags"] = 0, ["components"] = new JsonArray(), ["webhook_id"] = id,
        });
    }

    /// <summary>The documented limits, as Discord's nested form errors; each breach is also a violation.</summary>
    private static JsonObject Check(JsonObject body, FakeProvider fake)
    {
        var errors = new JsonObject();
        void Error(string path, string message)
        {
            fake.Violation($"{path}: {message}");
            errors[path] = new JsonObject { ["_errors"] = new JsonArray(new JsonObject { ["code"] = "BASE_TYPE_MAX_LENGTH", ["message"] = message }) };
        }
        var content = body["content"]?.GetValue<string>();
        var embeds = body["embeds"] as JsonArray;
        if (string.IsNullOrWhiteSpace(content) && embeds is not { Count: > 0 }) Error("content", "Cannot send an empty message (one of content, embeds, components, file or poll)");
        if (content is not null && content.Trim().Length > 2000) Error("content", "Must be 2000 or fewer in length.");
        if (embeds is null) return errors;
        if (embeds.Count > 10) Error("embeds", "Must be 10 or fewer in length.");
        var total = 0;
        for (var i = 0; i < embeds.Count; i++)
        {
            var embed = embeds[i]!.AsObject();
            foreach (var field in new[] { "type", "provider", "video" })
                fake.Require(embed[field] is null, $"embeds.{i}.{field} cannot be set on a webhook's embed");
            int Length(JsonNode? node, string path, int max)
            {
                var length = node?.GetValue<string>().Trim().Length ?? 0;
                if (length > max) Error(path, $"Must be {max} or fewer in length.");
                return length;
            }
            total += Length(embed["title"], $"embeds.{i}.title", 256) + Length(embed["description"], $"embeds.{i}.description", 4096)
                + Length(embed["footer"]?["text"], $"embeds.{i}.footer.text", 2048) + Length(embed["author"]?["name"], $"embeds.{i}.author.name", 256);
            if (embed["url"] is { } url) fake.Require(Uri.TryCreate(url.GetValue<string>(), UriKind.Absolute, out _), $"embeds.{i}.url is an absolute URL");
            if (embed["fields"] is JsonArray fields)
            {
                if (fields.Count > 25) Error($"embeds.{i}.fields", "Must be 25 or fewer in length.");
                for (var f = 0; f < fields.Count; f++)
                {
                    fake.Require(fields[f]?["name"] is not null && fields[f]?["value"] is not null, $"embeds.{i}.fields.{f} has a name and a value");
                    total += Length(fields[f]?["name"], $"embeds.{i}.fields.{f}.name", 256) + Length(fields[f]?["value"], $"embeds.{i}.fields.{f}.value", 1024);
                }
            }
        }
        if (total > 6000) Error("embeds", "Embed size exceeds maximum size of 6000");
        return errors;
    }

    public async Task<JsonObject> WaitForMessageAsync(Func<JsonObject, bool> match, int timeoutMs = 15_000) =>
        (await FakeProvider.WaitForAsync(Messages, match, "Discord", timeoutMs: timeoutMs))[0];

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

public sealed class DiscordSqliteNode : SqliteSwitchboard
{
    public DiscordFake Discord { get; } = DiscordFake.StartAsync().GetAwaiter().GetResult();
    public DiscordSqliteNode() => With("Switchboard:Integrations:Providers:discord:BaseUrls:api", Discord.ApiBaseUrl);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Discord.DisposeAsync();
    }
}

public sealed class DiscordPostgresNode : PostgresSwitchboard
{
    public DiscordFake Discord { get; } = DiscordFake.StartAsync().GetAwaiter().GetResult();
    public DiscordPostgresNode() => With("Switchboard:Integrations:Providers:discord:BaseUrls:api", Discord.ApiBaseUrl);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Discord.DisposeAsync();
    }
}
