using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// A loopback Microsoft Teams channel behind both kinds of URL a user pastes, checking what Microsoft documents
/// (MicrosoftDocs/msteams-docs: webhooks-and-connectors/how-to/connectors-using.md "Send Adaptive Cards using an Incoming
/// Webhook" and "Rate limiting for connectors", add-incoming-webhook.md; learn.microsoft.com "Create and send messages",
/// which points new webhooks at Workflows' "When a Teams webhook request is received" trigger):
/// <list type="bullet">
/// <item>Every post: <c>POST</c>, a JSON body, no Authorization header (the URL is the secret); <c>"type": "message"</c>;
/// <c>attachments</c> of Adaptive Cards (<c>contentType</c> <c>application/vnd.microsoft.card.adaptive</c>,
/// <c>content.type</c> <c>AdaptiveCard</c>, here version 1.5 as the connector declares); body elements a card knows, a
/// TextBlock with text, facts with title and value; actions only <c>Action.OpenUrl</c> (absolute url and a title),
/// <c>Action.ShowCard</c> or <c>Action.ToggleVisibility</c> — "all native adaptive card schema elements, except
/// Action.Submit, are fully supported"; the whole message at most 28 KB ("The message size limit is 28 KB").</item>
/// <item>Workflows, <c>/workflows/{id}/triggers/manual/paths/invoke</c> (and the Power Platform host's
/// <c>/powerautomate/automations/direct/workflows/…</c>): the trigger URL's query (<c>api-version</c>, <c>sp</c>,
/// <c>sv</c>, <c>sig</c>) kept as given; success is <c>202 Accepted</c> with no body; refusals are the Logic Apps error
/// envelope <c>{"error":{"code","message"}}</c> — 401 <c>DirectApiInvalidAuthorizationSignature</c> for a wrong sig,
/// 404 <c>WorkflowNotFound</c>, 400 <c>TriggerInputSchemaMismatch</c> for a body the trigger refuses, and a scripted 429
/// with <c>Retry-After</c> (the codes as such services answer; Microsoft documents the envelope, not a list).</item>
/// <item>Legacy incoming webhooks, <c>/webhookb2/…/IncomingWebhook/…</c>: success is <c>200</c> with <c>1</c>
/// ("If the POST succeeds, you should see a simple 1"); throttling is reported inside a 200, as the rate-limiting
/// section warns ("Connectors do not throw 429s": the text <c>Microsoft Teams endpoint returned HTTP error 429</c>).</item>
/// <item>A post before an announced <c>Retry-After</c> has passed is a violation.</item>
/// </list>
/// </summary>
public sealed class TeamsFake : IAsyncDisposable
{
    public const string WorkflowId = "4f6c1a2b9d8e4f00a1b2c3d4e5f60718", Signature = "q8Z3nS0mEs1gnatureV4lue_abcDEF123", DeletedWorkflowId = "deadbeefdeadbeefdeadbeefdeadbeef";

    public FakeProvider Provider { get; }
    public ConcurrentQueue<JsonObject> Cards { get; } = new();
    private readonly ConcurrentQueue<int> _throttles = new();
    private DateTimeOffset _blockedUntil = DateTimeOffset.MinValue;

    private TeamsFake(FakeProvider provider) => Provider = provider;

    public string WorkflowUrl(string id = WorkflowId, string sig = Signature) =>
        $"{Provider.BaseUrl}/workflows/{id}/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={sig}";

    /// <summary>A Workflows URL on the Power Platform host, as Teams issues them since 2025.</summary>
    public string PowerPlatformUrl =>
        $"{Provider.BaseUrl}/powerautomate/automations/direct/workflows/{WorkflowId}/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={Signature}";

    public string IncomingWebhookUrl => $"{Provider.BaseUrl}/webhookb2/2c1e7a9e-0000-4d2b-9c3f-1a2b3c4d5e6f@72f988bf-86f1-41af-91ab-2d7cd011db47/IncomingWebhook/5d4c3b2a1f0e/9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0";

    public static async Task<TeamsFake> StartAsync()
    {
        TeamsFake? teams = null;
        var provider = await FakeProvider.StartAsync((app, fake) =>
        {
            app.MapPost("/workflows/{id}/triggers/manual/paths/invoke", (Delegate)((HttpContext http) => teams!.WorkflowAsync(http, fake)));
            app.MapPost("/powerautomate/automations/direct/workflows/{id}/triggers/manual/paths/invoke", (Delegate)((HttpContext http) => teams!.WorkflowAsync(http, fake)));
            app.MapPost("/webhookb2/{group}/IncomingWebhook/{hook}/{owner}", (Delegate)((HttpContext http) => teams!.IncomingWebhookAsync(http, fake)));
        });
        teams = new TeamsFake(provider);
        return teams;
    }

    /// <summary>The next post is throttled: a Workflows 429 with this <c>Retry-After</c>, or a legacy webhook's 200 saying 429.</summary>
    public void ThrottleNext(int retryAfterSeconds) => _throttles.Enqueue(retryAfterSeconds);

    public IEnumerable<FakeProvider.Recorded> Posts => Provider.Requests.Where(r => r.Method == "POST");

    private async Task<(JsonObject? Body, IResult? Refusal)> ReadAsync(HttpContext http, FakeProvider fake)
    {
        fake.Require(!http.Request.Headers.ContainsKey("Authorization"), "a webhook URL is its own secret: no Authorization header");
        fake.Require((http.Request.ContentType ?? "").StartsWith("application/json", StringComparison.Ordinal), "the message is JSON (Content-Type: application/json)");
        fake.Require(DateTimeOffset.UtcNow >= _blockedUntil, "a post came before the announced Retry-After had passed");
        var text = await new StreamReader(http.Request.Body, Encoding.UTF8).ReadToEndAsync();
        fake.Require(Encoding.UTF8.GetByteCount(text) <= 28 * 1024, "the message size limit is 28 KB");
        var body = JsonNode.Parse(text) as JsonObject;
        return (body, body is not null && CardIsValid(body, fake) ? null : Results.Json(new
        {
            error = new { code = "TriggerInputSchemaMismatch", message = "The input body for trigger 'manual' of type 'Request' did not match its schema definition." },
        }, statusCode: 400));
    }

    private async Task<IResult> WorkflowAsync(HttpContext http, FakeProvider fake)
    {
        var query = http.Request.Query;
        fake.Require(query["api-version"] is { Count: 1 } version && version[0] is "2016-06-01" or "1" && query["sp"] == "/triggers/manual/run" && query["sv"] == "1.0",
            "the trigger URL's api-version, sp and sv are sent as they were given");
        var id = http.Request.RouteValues["id"]?.ToString();
        if (id != WorkflowId) return Results.Json(new { error = new { code = "WorkflowNotFound", message = $"The workflow '{id}' could not be found." } }, statusCode: 404);
        if (query["sig"] != Signature)
            return Results.Json(new { error = new { code = "DirectApiInvalidAuthorizationSignature", message = "The provided authorization signature is not valid." } }, statusCode: 401);
        var (body, refusal) = await ReadAsync(http, fake);
        if (refusal is not null) return refusal;
        if (_throttles.TryDequeue(out var wait))
        {
            _blockedUntil = DateTimeOffset.UtcNow.AddSeconds(wait).AddMilliseconds(-50);
            http.Response.Headers.RetryAfter = wait.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Json(new { error = new { code = "TooManyRequests", message = $"Rate limit is exceeded. Try again in {wait} seconds." } }, statusCode: 429);
        }
        Cards.Enqueue(body!);
        return Results.StatusCode(202);
    }

    private async Task<IResult> IncomingWebhookAsync(HttpContext http, FakeProvider fake)
    {
        var (body, refusal) = await ReadAsync(http, fake);
        if (refusal is not null) return Results.Text("Bad payload received by generic incoming webhook.", statusCode: 400);
        if (_throttles.TryDequeue(out _))
            return Results.Text("Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0,server=msgapi-canary-eus-02,cv=4b2e1c.0..");
        Cards.Enqueue(body!);
        return Results.Text("1");
    }

    /// <summary>The message and its Adaptive Cards, as the documentation describes them; each problem is a violation.</summary>
    private static bool CardIsValid(JsonObject message, FakeProvider fake)
    {
        var ok = fake.Require(message["type"]?.GetValue<string>() == "message", "\"type\" must be \"message\"");
        if (!fake.Require(message["attachments"] is JsonArray { Count: > 0 }, "\"attachments\" holds the cards")) return false;
        foreach (var attachment in message["attachments"]!.AsArray().OfType<JsonObject>())
        {
            ok &= fake.Require(attachment["contentType"]?.GetValue<string>() == "application/vnd.microsoft.card.adaptive", "contentType is the Adaptive Card type");
            var card = attachment["content"] as JsonObject;
            if (!fake.Require(card is not null, "content is the card object")) return false;
            ok &= fake.Require(card!["type"]?.GetValue<string>() == "AdaptiveCard", "the card's type is AdaptiveCard");
            ok &= fake.Require(card["version"]?.GetValue<string>() == "1.5", "the card declares Adaptive Cards 1.5");
            if (!fake.Require(card["body"] is JsonArray { Count: > 0 }, "the card has a body")) return false;
            foreach (var element in card["body"]!.AsArray().OfType<JsonObject>())
            {
                var type = element["type"]?.GetValue<string>();
                ok &= fake.Require(type is "TextBlock" or "FactSet" or "Container" or "ColumnSet" or "Image" or "RichTextBlock", $"unknown element {type}");
                if (type == "TextBlock") ok &= fake.Require(element["text"]?.GetValue<string>() is { Length: > 0 }, "a TextBlock has text");
                if (type == "FactSet")
                    foreach (var f in element["facts"]!.AsArray())
                        ok &= fake.Require(f?["title"] is JsonValue && f["value"] is JsonValue, "a fact has a title and a value");
            }
            foreach (var action in (card["actions"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var type = action["type"]?.GetValue<string>();
                ok &= fake.Require(type is "Action.OpenUrl" or "Action.ShowCard" or "Action.ToggleVisibility", $"{type} is not supported through webhooks (Action.Submit never is)");
                if (type == "Action.OpenUrl")
                    ok &= fake.Require(Uri.TryCreate(action["url"]?.GetValue<string>(), UriKind.Absolute, out _) && action["title"] is not null, "Action.OpenUrl has an absolute url and a title");
            }
        }
        return ok;
    }

    public async Task<JsonObject> WaitForCardAsync(Func<JsonObject, bool> match, int timeoutMs = 15_000) =>
        (await FakeProvider.WaitForAsync(Cards, match, "Teams", timeoutMs: timeoutMs))[0];

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

public static class TeamsNode
{
    /// <summary>Every Teams host the connector accepts is the fake's (the node takes the URL's host from configuration).</summary>
    public static T Configure<T>(T node, TeamsFake teams) where T : SwitchboardFactory
    {
        foreach (var name in new[] { "workflows", "powerplatform", "webhook" })
            node.With($"Switchboard:Integrations:Providers:microsoft_teams:BaseUrls:{name}", teams.Provider.BaseUrl);
        return node;
    }
}

public sealed class TeamsSqliteNode : SqliteSwitchboard
{
    public TeamsFake Teams { get; } = TeamsFake.StartAsync().GetAwaiter().GetResult();
    public TeamsSqliteNode() => TeamsNode.Configure(this, Teams);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Teams.DisposeAsync();
    }
}

public sealed class TeamsPostgresNode : PostgresSwitchboard
{
    public TeamsFake Teams { get; } = TeamsFake.StartAsync().GetAwaiter().GetResult();
    public TeamsPostgresNode() => TeamsNode.Configure(this, Teams);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Teams.DisposeAsync();
    }
}
