using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Switchboard.Platform.Errors;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Docs;

/// <summary>
/// The document matches reality: a walk through the running API (every resource, the happy paths and the usual
/// mistakes) checks each response against the document; the examples the document gives are accepted by the API; the
/// generated code samples run.
/// </summary>
public abstract class OpenApiConformanceTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    private async Task<JsonObject> DocumentAsync()
    {
        using var client = node.Client();
        return JsonNode.Parse(await client.Http.GetStringAsync("/api/openapi/v1.json"))!.AsObject();
    }

    private static JsonObject Operation(JsonObject document, string method, string path) => document["paths"]![path]![method]!.AsObject();

    /// <summary>The document's own example of an operation's request body, with link fields pointed at real records.</summary>
    private static JsonObject ExampleBody(JsonObject document, string method, string path, Dictionary<string, string?> links)
    {
        var example = Operation(document, method, path)["requestBody"]!["content"]!["application/json"]!["example"]!.DeepClone().AsObject();
        foreach (var name in example.Select(p => p.Key).ToList())
            if (name.EndsWith("Id", StringComparison.Ordinal))
            {
                if (links.TryGetValue(name, out var id) && id is not null) example[name] = id;
                else example.Remove(name);
            }
        return example;
    }

    [Fact]
    public async Task EveryResponseOfAWalkThroughTheApiMatchesTheDocument()
    {
        var document = await DocumentAsync();
        var conformance = new OpenApiConformance(document);
        using var api = node.Client(new ConformanceRecorder(conformance));
        using var anonymous = node.Client(new ConformanceRecorder(conformance));

        var email = $"walker-{Guid.NewGuid():N}@example.com";
        (await api.PostAsync("/api/v1/auth/signup", new { email, password = "correct horse battery staple", name = "Walker", organizationName = "Walk" }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        var login = await ApiClient.ReadAsync(await anonymous.PostAsync("/api/v1/auth/login", new { email, password = "correct horse battery staple" }));
        var refreshed = await ApiClient.ReadAsync(await anonymous.PostAsync("/api/v1/auth/refresh", new { refreshToken = login["refreshToken"]!.GetValue<string>() }));
        api.WithBearer(refreshed["accessToken"]!.GetValue<string>());
        await anonymous.PostAsync("/api/v1/auth/login", new { email, password = "wrong password, clearly" });
        await anonymous.GetAsync("/api/v1/contacts");
        await anonymous.PostAsync("/api/v1/auth/signup", new { email = "not-an-email" });
        await api.GetAsync("/api/v1/me");
        var organization = await api.GetJsonAsync("/api/v1/organization");

        // CRM records, created from the document's own examples: the examples must be accepted as they are.
        var links = new Dictionary<string, string?>();
        var created = new List<string>();
        foreach (var (collection, link) in ((string, string)[])[
                     ("contacts", "contactId"), ("leads", "leadId"), ("deals", "dealId"), ("activities", ""), ("tasks", ""), ("tickets", ""),
                     ("calls", "callId"), ("chat/sessions", "sessionId"), ("payments", "")])
        {
            var path = $"/api/v1/{collection}";
            var response = await api.PostAsync(path, ExampleBody(document, "post", path, links));
            response.StatusCode.ShouldBe(HttpStatusCode.Created, $"POST {path} with the document's example: {await response.Content.ReadAsStringAsync()}");
            var id = (await ApiClient.ReadAsync(response))["id"]!.GetValue<string>();
            created.Add($"{path}/{id}");
            if (link.Length > 0) links[link] = id;

            var get = await api.GetAsync($"{path}/{id}");
            using (var conditional = new HttpRequestMessage(HttpMethod.Get, $"{path}/{id}"))
            {
                conditional.Headers.IfNoneMatch.Add(get.Headers.ETag!);
                (await api.Http.SendAsync(conditional)).StatusCode.ShouldBe(HttpStatusCode.NotModified);
            }
            await api.GetAsync($"{path}?limit=1");
            await api.GetAsync($"{path}?fields=id,createdAt&sort=-updatedAt");
            await api.GetAsync($"{path}?limit=500");
            await api.GetAsync($"{path}/{id[..^3]}zzz");
            await api.SendRawAsync(HttpMethod.Post, path, "{\"broken\": ");
            await api.PatchAsync($"{path}/{id}", new JsonObject());
            using (var stale = new HttpRequestMessage(HttpMethod.Patch, $"{path}/{id}") { Content = JsonContent.Create(new JsonObject()) })
            {
                stale.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"stale\""));
                (await api.Http.SendAsync(stale)).StatusCode.ShouldBe(HttpStatusCode.PreconditionFailed);
            }
        }
        var leadId = links["leadId"]!;
        await api.PostAsync($"/api/v1/leads/{leadId}/convert", ExampleBody(document, "post", "/api/v1/leads/{id}/convert", links));
        var task = await ApiClient.ReadAsync(await api.PostAsync("/api/v1/tasks", new { title = "Call back" }));
        await api.PostAsync($"/api/v1/tasks/{task["id"]}/complete", null);
        await api.PostAsync($"/api/v1/calls/{links["callId"]}/transcript", ExampleBody(document, "post", "/api/v1/calls/{id}/transcript", links));
        var message = await api.PostAsync($"/api/v1/chat/sessions/{links["sessionId"]}/messages", ExampleBody(document, "post", "/api/v1/chat/sessions/{id}/messages", links));
        await api.GetAsync(message.Headers.Location!.OriginalString);
        await api.GetAsync($"/api/v1/chat/sessions/{links["sessionId"]}/messages");
        await api.PostAsync("/api/v1/chat/message", ExampleBody(document, "post", "/api/v1/chat/message", links));
        foreach (var record in Enumerable.Reverse(created))
            (await api.DeleteAsync(record)).StatusCode.ShouldBe(HttpStatusCode.NoContent, record);
        await api.GetAsync($"/api/v1/contacts/{links["contactId"]}");

        foreach (var report in (string[])["summary", "calls", "leads"]) await api.GetAsync($"/api/v1/analytics/{report}");
        await api.GetAsync("/api/v1/analytics/summary?from=not-a-time");

        // API keys, members, audit, usage, webhooks, operators.
        var keyCreated = await api.PostAsync("/api/v1/api-keys", ExampleBody(document, "post", "/api/v1/api-keys", links));
        keyCreated.StatusCode.ShouldBe(HttpStatusCode.Created, await keyCreated.Content.ReadAsStringAsync());
        var key = await ApiClient.ReadAsync(keyCreated);
        var keyId = key["id"]!.GetValue<string>();
        await api.GetAsync("/api/v1/api-keys?status=active");
        await api.GetAsync($"/api/v1/api-keys/{keyId}");
        await api.PatchAsync($"/api/v1/api-keys/{keyId}", new { name = "renamed" });
        await api.GetAsync($"/api/v1/api-keys/{keyId}/usage");
        var rotated = await ApiClient.ReadAsync(await api.PostAsync($"/api/v1/api-keys/{keyId}/rotate", new { gracePeriodSeconds = 60 }));
        await api.DeleteAsync($"/api/v1/api-keys/{rotated["id"]}");
        using (var keyed = node.Client(new ConformanceRecorder(conformance)))
        {
            var readOnly = await api.CreateKeyAsync("contacts:read");
            keyed.WithApiKey(readOnly["key"]!.GetValue<string>());
            await keyed.GetAsync("/api/v1/contacts");
            await keyed.PostAsync("/api/v1/contacts", new { firstName = "Nope" });
        }
        await api.GetAsync("/api/v1/members");
        var invitation = await ApiClient.ReadAsync(await api.PostAsync("/api/v1/invitations", new { email = $"invitee-{Guid.NewGuid():N}@example.com", role = "member" }));
        await api.GetAsync("/api/v1/invitations");
        await anonymous.PostAsync("/api/v1/auth/accept-invitation", new { token = invitation["token"]!.GetValue<string>(), name = "Invitee", password = "correct horse battery staple" });
        var members = await api.GetJsonAsync("/api/v1/members");
        var invitee = members["data"]!.AsArray().First(m => m!["role"]!.GetValue<string>() == "member")!;
        await api.PatchAsync($"/api/v1/members/{invitee["userId"]}", new { role = "viewer" });
        await api.DeleteAsync($"/api/v1/members/{invitee["userId"]}");
        var second = await ApiClient.ReadAsync(await api.PostAsync("/api/v1/invitations", new { email = $"second-{Guid.NewGuid():N}@example.com", role = "viewer" }));
        await api.DeleteAsync($"/api/v1/invitations/{second["id"]}");
        await api.GetAsync("/api/v1/audit-logs?limit=5");
        await api.GetAsync("/api/v1/usage");
        await api.GetAsync("/api/v1/usage/export");
        await api.GetAsync("/api/v1/usage/export?from=not-a-time");

        var webhook = await ApiClient.ReadAsync(await api.PostAsync("/api/v1/webhooks", new { url = "http://127.0.0.1:9/hook", events = new[] { "contact.*" } }));
        var webhookId = webhook["id"]!.GetValue<string>();
        await api.GetAsync("/api/v1/webhooks");
        await api.GetAsync("/api/v1/webhooks/event-types");
        await api.GetAsync($"/api/v1/webhooks/{webhookId}");
        await api.PatchAsync($"/api/v1/webhooks/{webhookId}", new { description = "CRM sync" });
        await api.PostAsync($"/api/v1/webhooks/{webhookId}/test", null);
        await api.PostAsync($"/api/v1/webhooks/{webhookId}/rotate-secret", null);
        await api.PostAsync($"/api/v1/webhooks/{webhookId}/replay", new { since = DateTime.UtcNow.AddHours(-1) });
        await api.PostAsync($"/api/v1/webhooks/{webhookId}/deliveries/retry", new { eventType = "contact.*", dryRun = true });
        await api.PostAsync($"/api/v1/webhooks/{webhookId}/deliveries/retry", new { status = "dead" });
        await api.PostAsync($"/api/v1/webhooks/{webhookId}/deliveries/retry", new { status = "failed" });
        var deliveries = await api.GetJsonAsync($"/api/v1/webhooks/{webhookId}/deliveries");
        if (deliveries["data"]!.AsArray().FirstOrDefault() is { } delivery) await api.PostAsync($"/api/v1/webhooks/deliveries/{delivery["id"]}/retry", null);
        await api.DeleteAsync($"/api/v1/webhooks/{webhookId}");
        var portalLink = await ApiClient.ReadAsync(await api.PostAsync("/api/v1/webhooks/portal-links",
            new { capabilities = new[] { "manage_endpoints" }, allowedOrigins = new[] { "https://crm.example.com" } }));
        await api.PostAsync("/api/v1/webhooks/portal-links", new { allowedOrigins = new[] { "https://crm.example.com/path" } });
        await api.GetAsync("/api/v1/webhooks/portal-links");
        await api.DeleteAsync($"/api/v1/webhooks/portal-links/{portalLink["id"]}");
        await api.DeleteAsync("/api/v1/webhooks/portal-links/wpl_unknown");

        // Integration rules and action runs; the installation is made in the database (the installations API is another change's).
        var installationId = await Switchboard.Tests.Integrations.ActionsTestKit.InstallAsync(node, organization["id"]!.GetValue<string>(), "slack",
            new { channel = "C0123456789" }, new { signingSecret = "8f742231b10e8888abcd99yyyzzz85a5" });
        var rule = await ApiClient.ReadAsync(await api.PostAsync($"/api/v1/integrations/{installationId}/rules",
            new { events = new[] { "lead.created" }, action = "notify_lead", input = new { lead = "{{data}}" } }));
        var ruleId = rule["id"]!.GetValue<string>();
        await api.GetAsync($"/api/v1/integrations/{installationId}/rules");
        await api.GetAsync($"/api/v1/integrations/{installationId}/rules/{ruleId}");
        await api.PatchAsync($"/api/v1/integrations/{installationId}/rules/{ruleId}", new { filter = "score >= 80" });
        await api.GetAsync($"/api/v1/integrations/{installationId}/action-runs?status=dead");
        await api.PostAsync($"/api/v1/integrations/{installationId}/action-runs/dlv_01JAAAAAAAAAAAAAAAAAAAAAAA/retry", null);
        await anonymous.SendRawAsync(HttpMethod.Post, $"/api/v1/integrations/{installationId}/inbound/commands", "command=%2Fswitchboard&text=leads",
            "application/x-www-form-urlencoded");
        // A verification handshake the installation's provider does not answer (Slack has none): 401.
        await anonymous.GetAsync($"/api/v1/integrations/{installationId}/inbound/commands?hub.mode=subscribe&hub.challenge=1&hub.verify_token=x");
        // A provider's app-wide webhook whose app secret this node does not configure: 503, a problem.
        await anonymous.SendRawAsync(HttpMethod.Post, "/api/v1/integrations/providers/xero/inbound/events", """{"events":[]}""");
        await api.DeleteAsync($"/api/v1/integrations/{installationId}/rules/{ruleId}");

        // OAuth apps, from the document's example, and a user's authorization of one (as the consent step stores it).
        var appCreated = await api.PostAsync("/api/v1/oauth/apps", ExampleBody(document, "post", "/api/v1/oauth/apps", links));
        appCreated.StatusCode.ShouldBe(HttpStatusCode.Created, await appCreated.Content.ReadAsStringAsync());
        var oauthApp = await ApiClient.ReadAsync(appCreated);
        var appId = oauthApp["id"]!.GetValue<string>();
        await api.GetAsync("/api/v1/oauth/apps?type=confidential");
        await api.GetAsync($"/api/v1/oauth/apps/{appId}");
        await api.PatchAsync($"/api/v1/oauth/apps/{appId}", new { description = "Books meetings." });
        await api.PostAsync($"/api/v1/oauth/apps/{appId}/rotate-secret", new { gracePeriodSeconds = 3600 });
        await api.PostAsync($"/api/v1/oauth/apps/{appId}/rotate-secret", new { gracePeriodSeconds = -1 });
        var me = await api.GetJsonAsync("/api/v1/me");
        var grant = await Switchboard.Tests.OAuth.OAuthManagementData.GrantAsync(node, organization["id"]!.GetValue<string>(), appId, me["user"]!["id"]!.GetValue<string>());
        await api.GetAsync("/api/v1/oauth/authorizations?status=active");
        await api.GetAsync($"/api/v1/oauth/authorizations/{grant.Id}");
        await api.DeleteAsync($"/api/v1/oauth/authorizations/{grant.Id}");
        await api.DeleteAsync($"/api/v1/oauth/apps/{appId}");

        // Integrations: the catalog and its reviews; an install of the integration suites' test-only chat provider, its
        // connection through their fake provider, its test, health and uninstall; the overview.
        var fake = ((Switchboard.Tests.Integrations.IIntegrationNode)node).Fake;
        const string integrations = "/api/v1/integrations";
        await api.GetAsync($"{integrations}/providers?category=communication");
        await api.GetAsync($"{integrations}/providers?category=toys");
        await api.GetAsync($"{integrations}/providers/test_oauth");
        await api.GetAsync($"{integrations}/providers/nope");
        await anonymous.GetAsync($"{integrations}/providers/test_oauth/icon.svg");
        await api.Http.PutAsJsonAsync($"{integrations}/providers/test_oauth/reviews/mine", new { rating = 5, text = "Works." });
        await api.Http.PutAsJsonAsync($"{integrations}/providers/test_oauth/reviews/mine", new { rating = 9 });
        await api.GetAsync($"{integrations}/providers/test_oauth/reviews");
        await api.DeleteAsync($"{integrations}/providers/test_oauth/reviews/mine");
        var installCreated = await api.PostAsync(integrations, new { provider = "test_oauth", name = "Team chat", config = new { workspace = "acme", signingSecret = "sig-0123456789" } });
        installCreated.StatusCode.ShouldBe(HttpStatusCode.Created, await installCreated.Content.ReadAsStringAsync());
        var installId = (await ApiClient.ReadAsync(installCreated))["id"]!.GetValue<string>();
        await api.PostAsync(integrations, new { provider = "test_oauth", config = new { region = "mars" } });
        await api.GetAsync($"{integrations}?status=pending_auth");
        await api.GetAsync($"{integrations}/{installId}");
        await api.PatchAsync($"{integrations}/{installId}", new { name = "Sales chat" });
        var connect = await api.GetJsonAsync($"{integrations}/{installId}/connect");
        (await anonymous.GetAsync(new Uri(fake.Approve(connect["authorizeUrl"]!.GetValue<string>())).PathAndQuery)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await anonymous.GetAsync($"{integrations}/oauth/callback?code=x&state=forged");
        await api.PostAsync($"{integrations}/{installId}/test", null);
        await api.GetAsync($"{integrations}/{installId}/status");
        await api.DeleteAsync($"{integrations}/{installId}");
        await api.GetAsync($"{integrations}/{installId}");
        await api.GetAsync("/api/v1/overview");

        using (var operatorClient = node.Client(new ConformanceRecorder(conformance)))
        {
            await operatorClient.Http.PutAsJsonAsync($"/api/v1/admin/organizations/{organization["id"]}/plan", new { plan = "pro" });
            operatorClient.Http.DefaultRequestHeaders.Add("X-Admin-Token", node.AdminToken);
            await operatorClient.Http.PutAsJsonAsync($"/api/v1/admin/organizations/{organization["id"]}/plan", new { plan = "pro" });
        }
        // Syncs: an installation that is not active refuses to sync (nothing is sent to the provider); its runs.
        var notActive = await Switchboard.Tests.Integrations.SyncTestKit.InstallHubSpotAsync(node, organization["id"]!.GetValue<string>(), "at-walk", "rt-walk",
            status: Switchboard.Integrations.InstallationStatus.NeedsReauth);
        await api.PostAsync($"/api/v1/integrations/{notActive}/sync", new { model = "contacts" });
        await api.PostAsync($"/api/v1/integrations/{notActive}/sync", new { model = 7 });
        await api.GetAsync($"/api/v1/integrations/{notActive}/sync-runs?limit=5");
        await api.GetAsync($"/api/v1/integrations/{notActive}/sync-runs/syr_01JC0000000000000000000000");
        await api.PostAsync("/api/v1/auth/logout", new { refreshToken = refreshed["refreshToken"]!.GetValue<string>() });

        conformance.Failures.ShouldBeEmpty(string.Join("\n", conformance.Failures));
        var operations = document["paths"]!.AsObject().Sum(p => p.Value!.AsObject().Count(o => o.Key is "get" or "post" or "put" or "patch" or "delete"));
        var unseen = document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Where(o => o.Key is "get" or "post" or "put" or "patch" or "delete").Select(o => $"{o.Key.ToUpperInvariant()} {p.Key}"))
            .Where(o => !conformance.Seen.Contains(o)).ToList();
        unseen.ShouldBeEmpty($"the walk did not reach {unseen.Count} of {operations} operations");
    }
}

// Nodes with the integration suites' test-only providers and their fake, for the walk through the integrations API.
public sealed class OpenApiConformanceTestsOnSqlite(Switchboard.Tests.Integrations.IntegrationSqliteNode node)
    : OpenApiConformanceTests<Switchboard.Tests.Integrations.IntegrationSqliteNode>(node);
public sealed class OpenApiConformanceTestsOnPostgres(Switchboard.Tests.Integrations.IntegrationPostgresNode node)
    : OpenApiConformanceTests<Switchboard.Tests.Integrations.IntegrationPostgresNode>(node);

/// <summary>What the document says about every operation, checked over the whole document.</summary>
public sealed class OpenApiContentTests(SqliteSwitchboard node) : IClassFixture<SqliteSwitchboard>
{
    private static readonly string[] Languages = ["curl", "JavaScript", "Python", "C#", "PHP"];

    private async Task<JsonObject> DocumentAsync()
    {
        using var client = node.Client();
        return JsonNode.Parse(await client.Http.GetStringAsync("/api/openapi/v1.json"))!.AsObject();
    }

    private static IEnumerable<(string Method, string Path, JsonObject Operation)> Operations(JsonObject document) =>
        document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject()
            .Where(o => o.Key is "get" or "post" or "put" or "patch" or "delete")
            .Select(o => (o.Key.ToUpperInvariant(), p.Key, o.Value!.AsObject())));

    [Fact]
    public async Task EveryOperationStatesItsSecurityErrorsHeadersExamplesAndCodeSamples()
    {
        var document = await DocumentAsync();
        var responses = document["components"]!["responses"]!.AsObject();
        var catalog = ErrorCodes.Catalog.Select(c => c.Code).ToHashSet();
        var problems = new List<string>();
        foreach (var (method, path, operation) in Operations(document))
        {
            var at = $"{method} {path}";
            var security = operation["security"]?.AsArray();
            if (security is null) problems.Add($"{at}: no security requirement (not even an explicit empty one)");
            var authenticated = security?.Any(r => r!.AsObject().ContainsKey("bearer")) == true;
            foreach (var scheme in security?.SelectMany(r => r!.AsObject().Select(s => s.Key)) ?? [])
                if (document["components"]!["securitySchemes"]![scheme] is null) problems.Add($"{at}: security names the undefined scheme '{scheme}'");
            if (security is { Count: > 0 } && security.Any(r => r!.AsObject().Count == 0)) problems.Add($"{at}: an empty security requirement makes the operation anonymous");
            var statuses = operation["responses"]!.AsObject().Select(r => r.Key).ToList();
            if (!statuses.Any(s => s.StartsWith('2'))) problems.Add($"{at}: no success response");
            if (!statuses.Contains("500")) problems.Add($"{at}: no 500 response");
            if (authenticated && !(statuses.Contains("401") && statuses.Contains("429"))) problems.Add($"{at}: authenticated but 401/429 are not documented");
            if (operation["requestBody"] is not null && !statuses.Contains("400")) problems.Add($"{at}: takes a body but documents no 400");
            if (path.Contains('{', StringComparison.Ordinal) && !statuses.Contains("404")) problems.Add($"{at}: has an id but documents no 404");

            foreach (var (status, response) in operation["responses"]!.AsObject().Where(r => r.Key[0] is '4' or '5'))
            {
                var name = response!["$ref"]?.GetValue<string>().Split('/')[^1];
                var resolved = name is null ? response : responses[name];
                var problem = resolved?["content"]?["application/problem+json"];
                if (problem is null) { problems.Add($"{at} {status}: not a problem+json response"); continue; }
                var codes = problem["schema"]!["allOf"]![1]!["properties"]!["code"]!["enum"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
                foreach (var code in codes)
                {
                    if (!catalog.Contains(code)) problems.Add($"{at} {status}: code {code} is not in the catalog");
                    else if (ErrorCodes.Catalog.First(c => c.Code == code).Status.ToString(System.Globalization.CultureInfo.InvariantCulture) != status)
                        problems.Add($"{at} {status}: code {code} belongs to another status");
                }
                if (resolved!["headers"]?["X-Request-Id"] is null) problems.Add($"{at} {status}: no X-Request-Id header");
            }
            foreach (var (status, response) in operation["responses"]!.AsObject().Where(r => r.Key[0] == '2'))
            {
                if (response!["headers"]?["X-Request-Id"] is null) problems.Add($"{at} {status}: no X-Request-Id header");
                if (authenticated && response["headers"]?["RateLimit"] is null) problems.Add($"{at} {status}: no rate-limit headers");
                if (response["content"]?["application/json"] is { } json && json["example"] is null) problems.Add($"{at} {status}: no example");
            }
            if (operation["requestBody"]?["content"]?["application/json"] is { } body && body["example"] is null) problems.Add($"{at}: request body has no example");

            var samples = operation["x-codeSamples"]?.AsArray().Select(s => s!["lang"]!.GetValue<string>()).ToList() ?? [];
            if (!Languages.All(samples.Contains)) problems.Add($"{at}: code samples are {string.Join(", ", samples)}");
            if (string.IsNullOrEmpty(operation["description"]?.GetValue<string>())) problems.Add($"{at}: no description");
        }
        problems.ShouldBeEmpty(string.Join("\n", problems));
    }

    [Fact]
    public async Task ListsDocumentTheirPagingSortingAndFiltersAndRecordsTheirConditionalRequests()
    {
        var document = await DocumentAsync();
        var list = document["paths"]!["/api/v1/deals"]!["get"]!;
        var parameters = list["parameters"]!.AsArray().ToDictionary(p => p!["name"]!.GetValue<string>(), p => p!);
        foreach (var name in (string[])["limit", "cursor", "offset", "sort", "fields", "q", "stage", "amountMin", "amountMax", "createdAfter"])
            parameters.ShouldContainKey(name);
        parameters["limit"]["schema"]!["maximum"]!.GetValue<int>().ShouldBe(100);
        parameters["sort"]["schema"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()).ShouldContain("-amount");
        parameters["stage"]["schema"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()).ShouldContain("negotiation");
        list["responses"]!["200"]!["headers"]!["Link"].ShouldNotBeNull();

        var get = document["paths"]!["/api/v1/deals/{id}"]!["get"]!;
        get["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ShouldContain("If-None-Match");
        get["responses"]!["304"].ShouldNotBeNull();
        var patch = document["paths"]!["/api/v1/deals/{id}"]!["patch"]!;
        patch["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ShouldContain("If-Match");
        patch["responses"]!["412"].ShouldNotBeNull();
        var create = document["paths"]!["/api/v1/deals"]!["post"]!;
        create["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ShouldContain("Idempotency-Key");
        create["responses"]!["201"]!["headers"]!["Location"].ShouldNotBeNull();
        create["responses"]!["422"].ShouldNotBeNull();

        // The fields the validators restrict are restricted in the schemas too.
        var leadInput = document["components"]!["schemas"]!["LeadInput"]!;
        leadInput["properties"]!["status"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()).ShouldBe(["new", "contacted", "qualified", "unqualified"]);
        leadInput["properties"]!["phone"]!["pattern"].ShouldNotBeNull();
        // Anonymous operations say so explicitly.
        document["paths"]!["/api/v1/auth/login"]!["post"]!["security"]!.AsArray().ShouldBeEmpty();
    }

    [Fact]
    public async Task TheCurlAndJavaScriptSamplesRunAgainstALiveNode()
    {
        var document = await DocumentAsync();
        using var owner = node.Client();
        await owner.SignupAsync();
        var key = (await owner.CreateKeyAsync("contacts:read", "contacts:write"))["key"]!.GetValue<string>();
        var baseUrl = owner.Http.BaseAddress!.ToString().TrimEnd('/');
        var samples = document["paths"]!["/api/v1/contacts"]!["post"]!["x-codeSamples"]!.AsArray();
        string Source(string lang) => samples.First(s => s!["lang"]!.GetValue<string>() == lang)!["source"]!.GetValue<string>()
            .Replace("http://localhost:5080", baseUrl, StringComparison.Ordinal);

        var curl = await RunAsync("bash", ["-c", Source("curl") + " --fail-with-body --silent --show-error"], key);
        curl.ExitCode.ShouldBe(0, curl.Output);
        JsonNode.Parse(curl.Output)!["id"]!.GetValue<string>().ShouldStartWith("con_");

        var script = Path.Combine(Path.GetTempPath(), $"sample-{Guid.NewGuid():N}.mjs");
        await File.WriteAllTextAsync(script, Source("JavaScript"));
        try
        {
            var js = await RunAsync("node", [script], key);
            js.ExitCode.ShouldBe(0, js.Output);
            js.Output.ShouldContain("con_");
            js.Output.ShouldContain("Lovelace");
        }
        finally { File.Delete(script); }

        var contacts = await owner.GetJsonAsync("/api/v1/contacts?q=Lovelace");
        contacts["data"]!.AsArray().Count.ShouldBe(2);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] arguments, string apiKey)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["SWITCHBOARD_API_KEY"] = apiKey;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, new StringBuilder(await output).Append(await error).ToString());
    }
}
