using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// A loopback Mailchimp (Marketing API 3.0 under <c>/3.0</c> and the OAuth metadata endpoint) that checks what Mailchimp
/// documents and answers its shapes. Read for it: mailchimp.com/developer — "Access user data with OAuth 2"
/// (metadata with <c>Authorization: OAuth &lt;token&gt;</c> answering dc and api_endpoint; tokens do not expire), "Errors"
/// (problem documents {type,title,status,detail,instance,errors}), "API limits" (429 past 10 simultaneous connections),
/// "Add or update list member" (PUT by subscriber hash = MD5 of the lower-cased email; <c>status_if_new</c> subscribed,
/// unsubscribed, cleaned, pending or transactional; <c>email_address</c>), "Add or remove member tags" (204),
/// "Customer Journeys API trigger" (<c>email_address</c>, 204), "Send campaign" (204; a sent campaign cannot be sent
/// again), "List webhooks" / "Add webhook" (url, events, sources) / "Delete webhook".
/// </summary>
public sealed class MailchimpFake : IAsyncDisposable
{
    public const string ListId = "a1b2c3d4e5", ClientId = "mc-test-client-id", ClientSecret = "mc-test-client-secret-0123456789";
    public FakeProvider Provider { get; }
    public ConcurrentDictionary<string, bool> AccessTokens { get; } = new(StringComparer.Ordinal);
    /// <summary>Members by subscriber hash; their tags; journey triggers (journey/step/email); campaigns by id; webhooks by id.</summary>
    public ConcurrentDictionary<string, JsonObject> Members { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, HashSet<string>> Tags { get; } = new(StringComparer.Ordinal);
    public ConcurrentQueue<string> Triggers { get; } = new();
    public ConcurrentDictionary<string, JsonObject> Campaigns { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, JsonObject> Webhooks { get; } = new(StringComparer.Ordinal);
    public string ApiEndpoint { get; set; } = "https://us19.api.mailchimp.com";
    public int Sends => _sends;
    private int _sends, _webhookId;
    private readonly ConcurrentQueue<(string Path, int Status, JsonObject Body)> _failures = new();

    private MailchimpFake(FakeProvider provider) => Provider = provider;

    public static MailchimpFake Start()
    {
        MailchimpFake? mc = null;
        var provider = FakeProvider.StartAsync((app, fake) =>
        {
            app.MapGet("/oauth2/metadata", (Delegate)((HttpContext http) => mc!.Metadata(http, fake)));
            app.MapGet("/3.0/lists/{list}", (Delegate)((HttpContext http) => mc!.Api(http, fake, () => Results.Json(new JsonObject
                { ["id"] = ListId, ["name"] = "Newsletter", ["stats"] = new JsonObject { ["member_count"] = mc.Members.Count } }))));
            app.MapPut("/3.0/lists/{list}/members/{hash}", (Delegate)((HttpContext http) => mc!.ApiAsync(http, fake, body => mc.Upsert(http, body, fake))));
            app.MapPost("/3.0/lists/{list}/members/{hash}/tags", (Delegate)((HttpContext http) => mc!.ApiAsync(http, fake, body => mc.Tag(http, body, fake))));
            app.MapPost("/3.0/customer-journeys/journeys/{journey}/steps/{step}/actions/trigger", (Delegate)((HttpContext http) => mc!.ApiAsync(http, fake, body =>
            {
                var email = body["email_address"]?.GetValue<string>() ?? "";
                if (!fake.Require(email.Contains('@'), "the trigger needs email_address")) return Problem(400, "Invalid Resource", "The resource submitted could not be validated.");
                mc.Triggers.Enqueue($"{http.Request.RouteValues["journey"]}/{http.Request.RouteValues["step"]}/{email}");
                return Results.StatusCode(204);
            })));
            app.MapGet("/3.0/campaigns/{id}", (Delegate)((HttpContext http) => mc!.Api(http, fake, () =>
                mc.Campaigns.TryGetValue(http.Request.RouteValues["id"]!.ToString()!, out var c) ? Results.Json(c) : Problem(404, "Resource Not Found", "The requested resource could not be found."))));
            app.MapPost("/3.0/campaigns/{id}/actions/send", (Delegate)((HttpContext http) => mc!.Api(http, fake, () =>
            {
                if (!mc.Campaigns.TryGetValue(http.Request.RouteValues["id"]!.ToString()!, out var c)) return Problem(404, "Resource Not Found", "The requested resource could not be found.");
                if (c["status"]!.GetValue<string>() != "save") return Problem(400, "Bad Request", "Your Campaign is not ready to send.");
                c["status"] = "sent";
                Interlocked.Increment(ref mc._sends);
                return Results.StatusCode(204);
            })));
            app.MapGet("/3.0/lists/{list}/webhooks", (Delegate)((HttpContext http) => mc!.Api(http, fake, () => Results.Json(new JsonObject
            {
                ["webhooks"] = new JsonArray(mc.Webhooks.Values.Select(w => (JsonNode)w.DeepClone()).ToArray()), ["list_id"] = ListId, ["total_items"] = mc.Webhooks.Count,
            }))));
            app.MapPost("/3.0/lists/{list}/webhooks", (Delegate)((HttpContext http) => mc!.ApiAsync(http, fake, body => mc.AddWebhook(body, fake))));
            // https://mailchimp.com/developer/marketing/api/list-webhooks/delete-webhook/: no body; 204 No Content.
            app.MapDelete("/3.0/lists/{list}/webhooks/{id}", (Delegate)((HttpContext http) => mc!.Api(http, fake, () =>
            {
                fake.Require(http.Request.ContentLength is null or 0, "DELETE …/webhooks/{webhook_id} takes no body");
                return mc.Webhooks.TryRemove(http.Request.RouteValues["id"]!.ToString()!, out _) ? Results.StatusCode(204) : Problem(404, "Resource Not Found", "The requested resource could not be found.");
            })));
        }).GetAwaiter().GetResult();
        mc = new MailchimpFake(provider);
        mc.Campaigns["c0ffee1234"] = new JsonObject { ["id"] = "c0ffee1234", ["status"] = "save", ["settings"] = new JsonObject { ["title"] = "Welcome series" } };
        return mc;
    }

#pragma warning disable CA5351 // MD5 is Mailchimp's member id, not a security use.
    public static string Hash(string email) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(email.ToLowerInvariant())));
#pragma warning restore CA5351

    public static IResult Problem(int status, string title, string detail, JsonArray? errors = null)
    {
        var body = new JsonObject
        {
            ["type"] = "https://mailchimp.com/developer/marketing/docs/errors/", ["title"] = title, ["status"] = status, ["detail"] = detail,
            ["instance"] = Guid.NewGuid().ToString(),
        };
        if (errors is not null) body["errors"] = errors;
        return Results.Json(body, statusCode: status, contentType: "application/problem+json");
    }

    public void FailNext(string path, int status, string title, string detail) =>
        _failures.Enqueue((path, status, new JsonObject { ["type"] = "https://mailchimp.com/developer/marketing/docs/errors/", ["title"] = title, ["status"] = status, ["detail"] = detail, ["instance"] = Guid.NewGuid().ToString() }));

    public string IssueToken()
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)) + "-us19";
        AccessTokens[token] = true;
        return token;
    }

    private IResult Metadata(HttpContext http, FakeProvider fake)
    {
        var auth = http.Request.Headers.Authorization.ToString();
        fake.Require(auth.StartsWith("OAuth ", StringComparison.Ordinal), "the metadata endpoint takes Authorization: OAuth <token>");
        if (!auth.StartsWith("OAuth ", StringComparison.Ordinal) || !AccessTokens.ContainsKey(auth["OAuth ".Length..]))
            return Results.Json(new JsonObject { ["error"] = "invalid_token" }, statusCode: 401);
        return Results.Json(new JsonObject
        {
            ["dc"] = "us19", ["role"] = "owner", ["accountname"] = "Acme Marketing", ["user_id"] = 4242, ["login_url"] = "https://login.mailchimp.com",
            ["api_endpoint"] = ApiEndpoint, ["login"] = new JsonObject { ["email"] = "owner@acme.example", ["login_id"] = 4242, ["login_name"] = "acme" },
        });
    }

    private IResult Api(HttpContext http, FakeProvider fake, Func<IResult> answer) => Check(http, fake) ?? answer();

    private async Task<IResult> ApiAsync(HttpContext http, FakeProvider fake, Func<JsonObject, IResult> answer)
    {
        fake.Require((http.Request.ContentType ?? "").StartsWith("application/json", StringComparison.Ordinal), "Mailchimp takes JSON bodies");
        var body = JsonNode.Parse(await new StreamReader(http.Request.Body, Encoding.UTF8).ReadToEndAsync()) as JsonObject;
        if (Check(http, fake) is { } refusal) return refusal;
        return body is null ? Problem(400, "JSON Parse Error", "We encountered an unspecified JSON parsing error.") : answer(body);
    }

    private IResult? Check(HttpContext http, FakeProvider fake)
    {
        var auth = http.Request.Headers.Authorization.ToString();
        fake.Require(auth.StartsWith("Bearer ", StringComparison.Ordinal), "an OAuth token goes as Authorization: Bearer");
        if (!auth.StartsWith("Bearer ", StringComparison.Ordinal) || !AccessTokens.ContainsKey(auth["Bearer ".Length..]))
            return Problem(401, "API Key Invalid", "Your API key may be invalid, or you've attempted to access the wrong datacenter.");
        if (http.Request.RouteValues.TryGetValue("list", out var list)) fake.Require(list?.ToString() == ListId, "the configured audience");
        if (list is not null && list.ToString() != ListId) return Problem(404, "Resource Not Found", "The requested resource could not be found.");
        var path = http.Request.Path.Value ?? "";
        if (_failures.TryPeek(out var failure) && path.StartsWith(failure.Path, StringComparison.Ordinal) && _failures.TryDequeue(out failure))
            return Results.Json(failure.Body, statusCode: failure.Status, contentType: "application/problem+json");
        return null;
    }

    private IResult Upsert(HttpContext http, JsonObject body, FakeProvider fake)
    {
        var email = body["email_address"]?.GetValue<string>() ?? "";
        var hash = http.Request.RouteValues["hash"]!.ToString()!;
        fake.Require(hash == Hash(email), "the subscriber hash is the MD5 of the lower-cased email");
        var statusIfNew = body["status_if_new"]?.GetValue<string>();
        fake.Require(statusIfNew is "subscribed" or "unsubscribed" or "cleaned" or "pending" or "transactional", "status_if_new is a member status");
        if (email.EndsWith("@invalid.example", StringComparison.Ordinal))
            return Problem(400, "Invalid Resource", $"{email} looks fake or invalid, please enter a real email address.");
        var merge = body["merge_fields"] as JsonObject;
        var member = Members.GetOrAdd(hash, _ => new JsonObject
        {
            ["id"] = hash, ["email_address"] = email, ["unique_email_id"] = hash[..10], ["status"] = statusIfNew, ["list_id"] = ListId,
            ["merge_fields"] = new JsonObject(), ["tags_count"] = 0,
        });
        foreach (var (name, value) in merge ?? []) member["merge_fields"]![name] = value?.DeepClone();
        return Results.Json(member);
    }

    private IResult Tag(HttpContext http, JsonObject body, FakeProvider fake)
    {
        var hash = http.Request.RouteValues["hash"]!.ToString()!;
        if (!Members.ContainsKey(hash)) return Problem(404, "Resource Not Found", "The requested resource could not be found.");
        var tags = (body["tags"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        fake.Require(tags.Count > 0 && tags.All(t => t["name"]?.GetValue<string>() is { Length: > 0 } && t["status"]?.GetValue<string>() is "active" or "inactive"),
            "tags are {name, status: active|inactive}");
        var set = Tags.GetOrAdd(hash, _ => []);
        lock (set)
            foreach (var t in tags)
                if (t["status"]!.GetValue<string>() == "active") set.Add(t["name"]!.GetValue<string>());
                else set.Remove(t["name"]!.GetValue<string>());
        return Results.StatusCode(204);
    }

    private IResult AddWebhook(JsonObject body, FakeProvider fake)
    {
        var url = body["url"]?.GetValue<string>() ?? "";
        if (!fake.Require(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http", "url is a valid URL"))
            return Problem(400, "Invalid Resource", "The resource submitted could not be validated.", [new JsonObject { ["field"] = "url", ["message"] = "This value should be a valid URL." }]);
        fake.Require(body["events"] is JsonObject && body["sources"] is JsonObject, "events and sources are objects of booleans");
        if (Webhooks.Values.Any(w => w["url"]!.GetValue<string>() == url)) return Problem(400, "Invalid Resource", "The resource submitted could not be validated.",
            [new JsonObject { ["field"] = "url", ["message"] = "A webhook with this URL already exists for this list." }]);
        var id = "wh" + Interlocked.Increment(ref _webhookId);
        var hook = new JsonObject { ["id"] = id, ["url"] = url, ["events"] = body["events"]!.DeepClone(), ["sources"] = body["sources"]!.DeepClone(), ["list_id"] = ListId };
        Webhooks[id] = hook;
        return Results.Json(hook);
    }

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

internal static class MailchimpNode
{
    public const string PublicBaseUrl = "https://switchboard.example.com";

    public static void Configure(SwitchboardFactory node, MailchimpFake mc)
    {
        const string Prefix = "Switchboard:Integrations:Providers:mailchimp:";
        node.With(Prefix + "BaseUrls:api", mc.Provider.BaseUrl + "/3.0");
        node.With(Prefix + "BaseUrls:login", mc.Provider.BaseUrl);
        node.With(Prefix + "TokenUrl", mc.Provider.BaseUrl + "/oauth2/token");
        node.With(Prefix + "ClientId", MailchimpFake.ClientId);
        node.With(Prefix + "ClientSecret", MailchimpFake.ClientSecret);
        node.With("Switchboard:PublicBaseUrl", PublicBaseUrl);
        node.With("Switchboard:Integrations:SchedulerPollSeconds", "0.2");
    }
}

public sealed class MailchimpSqliteNode : SqliteSwitchboard
{
    public MailchimpFake Mailchimp { get; } = MailchimpFake.Start();
    public MailchimpSqliteNode() => MailchimpNode.Configure(this, Mailchimp);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Mailchimp.DisposeAsync();
    }
}

public sealed class MailchimpPostgresNode : PostgresSwitchboard
{
    public MailchimpFake Mailchimp { get; } = MailchimpFake.Start();
    public MailchimpPostgresNode() => MailchimpNode.Configure(this, Mailchimp);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Mailchimp.DisposeAsync();
    }
}
