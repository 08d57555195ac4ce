using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// A loopback Calendly API v2 that checks what Calendly documents and answers Calendly's shapes. Read for it:
/// developer.calendly.com — "Webhooks" overview, "Create Webhook Subscription", "List Webhook Subscriptions",
/// "Get Webhook Subscription" (api-docs/calendly-api/webhooks/…), "Webhook Signatures", "Rate Limits"
/// (api-docs/overview/rate-limits) and "Get current user" (/users/me). What it checks:
/// <list type="bullet">
/// <item>every call: <c>Authorization: Bearer</c> with a personal access token or OAuth token it issued; otherwise 401
/// <c>{"title":"Unauthenticated","message":"The access token is invalid"}</c>;</item>
/// <item><c>GET /webhook_subscriptions</c>: <c>organization</c> always (the docs: "always required"), <c>scope</c> one of
/// organization, user, group, <c>user</c> when the scope is user, <c>count</c> 1 to 100; answers
/// <c>{"collection","pagination":{"count","next_page","previous_page","next_page_token","previous_page_token"}}</c> and takes
/// <c>page_token</c> back only with the same filters;</item>
/// <item><c>POST /webhook_subscriptions</c>: JSON with <c>url</c> (https), <c>events</c> (known invitee events),
/// <c>organization</c>, <c>scope</c>, <c>user</c> for the user scope; <c>signing_key</c> is what later signs the
/// deliveries. A second subscription with the same URL in the organization is 409 "Already Exists"; bad arguments are 400
/// "Invalid Argument" with <c>details</c>;</item>
/// <item><c>DELETE /webhook_subscriptions/{uuid}</c>: 204, or 404 "Resource Not Found".</item>
/// </list>
/// A 429 is scripted with <see cref="FailNext"/> and carries <c>X-RateLimit-Limit/Remaining/Reset</c>. OAuth (Calendly's
/// "OAuth 2.0" guide and https://calendly.com/.well-known/oauth-authorization-server): <c>POST /oauth/token</c> takes
/// <c>grant_type=refresh_token</c> with <c>client_id</c> and <c>client_secret</c> in the form and answers RFC 6749's shape
/// plus <c>owner</c> and <c>organization</c>, rotating the refresh token; <c>POST /oauth/revoke</c> takes the client and the
/// token (RFC 7009).
/// </summary>
public sealed class CalendlyFake : IAsyncDisposable
{
    public const string PersonalToken = "eyJraWQiOiIxY2UxZTEzNjE3ZGNmNzY2YjNjZWJjY2Y4ZGM1YmFmYThhNjVlNjg0MDIzZjdjMzJiZTgzNDliMjM4MDEzNWI0";
    public const string UserUri = "https://api.calendly.com/users/AAAAAAAAAAAAAAAA";
    public const string OrganizationUri = "https://api.calendly.com/organizations/BBBBBBBBBBBBBBBB";
    public const string SchedulingUrl = "https://calendly.com/acme-sales";
    public const string ClientId = "calendly-test-client-id", ClientSecret = "calendly-test-client-secret-0123456789";
    /// <summary>OAuth access tokens it issued (and still takes), refresh tokens it takes, and what was revoked.</summary>
    public ConcurrentDictionary<string, bool> AccessTokens { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, bool> RefreshTokens { get; } = new(StringComparer.Ordinal);
    public ConcurrentQueue<string> Revoked { get; } = new();
    public int Refreshes => _refreshes;
    private int _refreshes;
    private static readonly string[] KnownEvents = ["invitee.created", "invitee.canceled", "invitee_no_show.created", "invitee_no_show.deleted", "routing_form_submission.created"];

    public FakeProvider Provider { get; }
    /// <summary>Subscriptions by uuid, in creation order; seeded with other integrations' subscriptions so lists have several pages.</summary>
    public ConcurrentDictionary<string, JsonObject> Subscriptions { get; } = new(StringComparer.Ordinal);
    /// <summary>The signing key each subscription was created with, by callback URL.</summary>
    public ConcurrentDictionary<string, string?> SigningKeys { get; } = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Path, int Status, JsonObject Body)> _failures = new();
    private int _sequence;

    private CalendlyFake(FakeProvider provider)
    {
        Provider = provider;
        for (var i = 0; i < 130; i++) Add($"https://other-integration.example/hooks/{i}", ["invitee.created"], "organization", "active");
    }

    public static CalendlyFake Start()
    {
        CalendlyFake? calendly = null;
        var provider = FakeProvider.StartAsync((app, fake) =>
        {
            app.MapGet("/users/me", (Delegate)((HttpContext http) => calendly!.Me(http, fake)));
            app.MapGet("/webhook_subscriptions", (Delegate)((HttpContext http) => calendly!.List(http, fake)));
            app.MapPost("/webhook_subscriptions", (Delegate)((HttpContext http) => calendly!.CreateAsync(http, fake)));
            app.MapDelete("/webhook_subscriptions/{uuid}", (Delegate)((HttpContext http) => calendly!.Delete(http, fake)));
            app.MapPost("/oauth/token", (Delegate)((HttpContext http) => calendly!.TokenAsync(http, fake)));
            app.MapPost("/oauth/revoke", (Delegate)((HttpContext http) => calendly!.RevokeAsync(http, fake)));
        }).GetAwaiter().GetResult();
        calendly = new CalendlyFake(provider);
        return calendly;
    }

    /// <summary>The next call to <paramref name="path"/> fails with this status and Calendly error body.</summary>
    public void FailNext(string path, int status, string title, string message, JsonArray? details = null)
    {
        var body = new JsonObject { ["title"] = title, ["message"] = message };
        if (details is not null) body["details"] = details;
        _failures.Enqueue((path, status, body));
    }

    public JsonObject Add(string url, string[] events, string scope, string state)
    {
        var uuid = $"SUB{Interlocked.Increment(ref _sequence):D13}";
        var subscription = new JsonObject
        {
            ["uri"] = $"https://api.calendly.com/webhook_subscriptions/{uuid}", ["callback_url"] = url, ["created_at"] = "2026-12-01T10:00:00.000000Z",
            ["updated_at"] = "2026-12-01T10:00:00.000000Z", ["retry_started_at"] = null, ["state"] = state,
            ["events"] = new JsonArray(events.Select(e => (JsonNode)JsonValue.Create(e)).ToArray()), ["scope"] = scope,
            ["organization"] = OrganizationUri, ["user"] = scope == "user" ? UserUri : null, ["creator"] = UserUri,
        };
        Subscriptions[uuid] = subscription;
        return subscription;
    }

    public IEnumerable<JsonObject> For(string callbackUrl) => Subscriptions.Values.Where(s => s["callback_url"]!.GetValue<string>() == callbackUrl);

    private static IResult Problem(int status, string title, string message, JsonArray? details = null)
    {
        var body = new JsonObject { ["title"] = title, ["message"] = message };
        if (details is not null) body["details"] = details;
        return Results.Json(body, statusCode: status);
    }

    private bool Authorized(HttpContext http, FakeProvider fake, out IResult? refusal)
    {
        refusal = null;
        var header = http.Request.Headers.Authorization.ToString();
        fake.Require(header.StartsWith("Bearer ", StringComparison.Ordinal), "Calendly takes the token as Authorization: Bearer");
        if (header != "Bearer " + PersonalToken && !AccessTokens.ContainsKey(header["Bearer ".Length..]))
        {
            refusal = Problem(401, "Unauthenticated", "The access token is invalid");
            return false;
        }
        var path = http.Request.Path.Value ?? "";
        if (_failures.TryPeek(out var failure) && path.StartsWith(failure.Path, StringComparison.Ordinal) && _failures.TryDequeue(out failure))
        {
            if (failure.Status == 429)
            {
                http.Response.Headers["X-RateLimit-Limit"] = "500";
                http.Response.Headers["X-RateLimit-Remaining"] = "0";
                http.Response.Headers["X-RateLimit-Reset"] = "1";
            }
            refusal = Results.Json(failure.Body, statusCode: failure.Status);
            return false;
        }
        return true;
    }

    private IResult Me(HttpContext http, FakeProvider fake) => !Authorized(http, fake, out var refusal) ? refusal! : Results.Json(new JsonObject
    {
        ["resource"] = new JsonObject
        {
            ["uri"] = UserUri, ["name"] = "Ada Sales", ["slug"] = "acme-sales", ["email"] = "ada@acme.example", ["scheduling_url"] = SchedulingUrl,
            ["timezone"] = "Europe/London", ["avatar_url"] = null, ["created_at"] = "2024-01-02T03:04:05.678123Z", ["updated_at"] = "2026-11-02T03:04:05.678123Z",
            ["current_organization"] = OrganizationUri, ["resource_type"] = "User", ["locale"] = "en",
        },
    });

    private IResult List(HttpContext http, FakeProvider fake)
    {
        if (!Authorized(http, fake, out var refusal)) return refusal!;
        var query = http.Request.Query;
        var organization = query["organization"].ToString();
        var scope = query["scope"].ToString();
        if (!fake.Require(organization.Length > 0, "organization is always required when listing webhook subscriptions")
            | !fake.Require(scope is "organization" or "user" or "group", "scope is organization, user or group"))
            return Problem(400, "Invalid Argument", "The supplied parameters are invalid.", [new JsonObject { ["parameter"] = "organization", ["message"] = "is required" }]);
        if (scope == "user") fake.Require(query["user"].ToString() == UserUri, "the user scope needs the user parameter");
        var count = query["count"].Count == 0 ? 20 : int.Parse(query["count"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
        fake.Require(count is >= 1 and <= 100, "count is between 1 and 100");
        var all = Subscriptions.Values.Where(s => s["organization"]!.GetValue<string>() == organization && s["scope"]!.GetValue<string>() == scope)
            .OrderBy(s => s["uri"]!.GetValue<string>(), StringComparer.Ordinal).ToList();
        var filters = $"{organization}|{scope}|{query["user"]}|{count}";
        var offset = 0;
        if (query["page_token"].ToString() is { Length: > 0 } token)
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(token)).Split('#');
            fake.Require(decoded[0] == filters, "a page_token is used with the same filters as the page that gave it");
            offset = int.Parse(decoded[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        var page = all.Skip(offset).Take(count).Select(s => (JsonNode)s.DeepClone()).ToArray();
        var next = offset + count < all.Count ? Convert.ToBase64String(Encoding.UTF8.GetBytes($"{filters}#{offset + count}")) : null;
        return Results.Json(new JsonObject
        {
            ["collection"] = new JsonArray(page),
            ["pagination"] = new JsonObject
            {
                ["count"] = page.Length, ["next_page"] = next is null ? null : $"https://api.calendly.com/webhook_subscriptions?page_token={next}", ["previous_page"] = null,
                ["next_page_token"] = next, ["previous_page_token"] = null,
            },
        });
    }

    private async Task<IResult> CreateAsync(HttpContext http, FakeProvider fake)
    {
        fake.Require((http.Request.ContentType ?? "").StartsWith("application/json", StringComparison.Ordinal), "Calendly takes a JSON body");
        var body = JsonNode.Parse(await new StreamReader(http.Request.Body, Encoding.UTF8).ReadToEndAsync()) as JsonObject;
        if (!Authorized(http, fake, out var refusal)) return refusal!;
        var url = body?["url"]?.GetValue<string>() ?? "";
        var events = (body?["events"] as JsonArray ?? []).Select(e => e!.GetValue<string>()).ToArray();
        var scope = body?["scope"]?.GetValue<string>() ?? "";
        var details = new JsonArray();
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != "https") details.Add(new JsonObject { ["parameter"] = "url", ["message"] = "must be a valid HTTPS URL" });
        if (events.Length == 0 || events.Any(e => !KnownEvents.Contains(e))) details.Add(new JsonObject { ["parameter"] = "events", ["message"] = "must be a list of supported events" });
        if (body?["organization"]?.GetValue<string>() != OrganizationUri) details.Add(new JsonObject { ["parameter"] = "organization", ["message"] = "is required" });
        if (scope is not ("organization" or "user")) details.Add(new JsonObject { ["parameter"] = "scope", ["message"] = "must be organization, user or group" });
        if (scope == "user" && body?["user"]?.GetValue<string>() != UserUri) details.Add(new JsonObject { ["parameter"] = "user", ["message"] = "is required for the user scope" });
        fake.Require(details.Count == 0, "create webhook subscription: " + details.ToJsonString());
        if (details.Count > 0) return Problem(400, "Invalid Argument", "The supplied parameters are invalid.", details);
        if (For(url).Any()) return Problem(409, "Already Exists", "Hook with this url already exists");
        SigningKeys[url] = body?["signing_key"]?.GetValue<string>();
        return Results.Json(new JsonObject { ["resource"] = Add(url, events, scope, "active").DeepClone() }, statusCode: 201);
    }

    private IResult Delete(HttpContext http, FakeProvider fake)
    {
        if (!Authorized(http, fake, out var refusal)) return refusal!;
        return Subscriptions.TryRemove(http.Request.RouteValues["uuid"]?.ToString() ?? "", out _)
            ? Results.StatusCode(204) : Problem(404, "Resource Not Found", "The server could not find the requested resource.");
    }

    private async Task<IResult> TokenAsync(HttpContext http, FakeProvider fake)
    {
        var form = await http.Request.ReadFormAsync();
        fake.Require(form["client_id"] == ClientId && form["client_secret"] == ClientSecret, "the token endpoint takes the client's id and secret in the form");
        if (!fake.Require(form["grant_type"] == "refresh_token", "only refresh_token grants are expected here")
            || !RefreshTokens.TryRemove(form["refresh_token"].ToString(), out _))
            return Results.Json(new { error = "invalid_grant", error_description = "The provided authorization grant is invalid, expired or revoked." }, statusCode: 400);
        Interlocked.Increment(ref _refreshes);
        var (access, refresh) = ($"cal-access-{Guid.NewGuid():N}", $"cal-refresh-{Guid.NewGuid():N}");
        AccessTokens[access] = true;
        RefreshTokens[refresh] = true;
        return Results.Json(new JsonObject
        {
            ["token_type"] = "Bearer", ["access_token"] = access, ["refresh_token"] = refresh, ["expires_in"] = 7200, ["scope"] = "users:read webhooks:read webhooks:write",
            ["created_at"] = 1733300000, ["owner"] = UserUri, ["organization"] = OrganizationUri,
        });
    }

    private async Task<IResult> RevokeAsync(HttpContext http, FakeProvider fake)
    {
        var form = await http.Request.ReadFormAsync();
        fake.Require(form["client_id"] == ClientId && form["client_secret"] == ClientSecret, "revocation takes the client's id and secret");
        fake.Require(form["token"].ToString().Length > 0, "revocation names the token");
        Revoked.Enqueue(form["token"].ToString());
        RefreshTokens.TryRemove(form["token"].ToString(), out _);
        return Results.Json(new JsonObject());
    }

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

internal static class CalendlyNode
{
    public static void Configure(SwitchboardFactory node, CalendlyFake calendly)
    {
        const string Prefix = "Switchboard:Integrations:Providers:calendly:";
        node.With(Prefix + "BaseUrls:api", calendly.Provider.BaseUrl);
        node.With(Prefix + "TokenUrl", calendly.Provider.BaseUrl + "/oauth/token");
        node.With(Prefix + "RevokeUrl", calendly.Provider.BaseUrl + "/oauth/revoke");
        node.With(Prefix + "ClientId", CalendlyFake.ClientId);
        node.With(Prefix + "ClientSecret", CalendlyFake.ClientSecret);
        node.With("Switchboard:PublicBaseUrl", CalendlySqliteNode.PublicBaseUrl);
        node.With("Switchboard:Integrations:SchedulerPollSeconds", "0.2");
    }
}

public sealed class CalendlySqliteNode : SqliteSwitchboard
{
    public const string PublicBaseUrl = "https://switchboard.example.com";
    public CalendlyFake Calendly { get; } = CalendlyFake.Start();

    public CalendlySqliteNode() => CalendlyNode.Configure(this, Calendly);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Calendly.DisposeAsync();
    }
}

public sealed class CalendlyPostgresNode : PostgresSwitchboard
{
    public CalendlyFake Calendly { get; } = CalendlyFake.Start();

    public CalendlyPostgresNode() => CalendlyNode.Configure(this, Calendly);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Calendly.DisposeAsync();
    }
}
