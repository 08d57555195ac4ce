using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;
using static Switchboard.Tests.Integrations.ActionsTestKit;

namespace Switchboard.Tests.Integrations;

/// <summary>The custom HTTP integration driven by rules: method, headers, authentication, the body template (JSON-escaped), retries.</summary>
public abstract class CustomHttpTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    [Fact]
    public async Task TheRequestIsBuiltFromTheTemplateWithEscapedValuesHeadersAndBearerAuth()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var owner = node.Client();
        await owner.SignupAsync();
        var installation = await InstallAsync(node, owner.OrganizationId!, "custom_http", new
        {
            url = receiver.Url, method = "POST", headers = new Dictionary<string, string> { ["X-Env"] = "test" },
            bodyTemplate = """{"name":"{{data.name}}","event":"{{type}}","score":{{data.score}},"id":"{{id}}"}""", authType = "bearer",
        }, new { bearerToken = "s3cret-token" });
        await CreateRuleAsync(owner, installation, new { events = new[] { "lead.created" }, action = "send_request", input = new { } });
        var name = "Ada \"The Countess\" \\ Lovelace\n";
        var leadId = await CreateLeadAsync(owner, new { name = name.Trim(), score = 77 });

        var got = (await receiver.WaitForAsync(r => r.Body.Contains("Countess", StringComparison.Ordinal))).Single();
        got.Headers["authorization"].ShouldBe("Bearer s3cret-token");
        got.Headers["x-env"].ShouldBe("test");
        got.Headers["content-type"].ShouldStartWith("application/json");
        var body = JsonNode.Parse(got.Body)!; // valid JSON although the name holds quotes and a backslash
        body["name"]!.GetValue<string>().ShouldBe(name.Trim());
        body["event"]!.GetValue<string>().ShouldBe("lead.created");
        body["score"]!.GetValue<int>().ShouldBe(77);
        body["id"]!.GetValue<string>().ShouldStartWith("evt_");
        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "succeeded")).Single()!;
        run["attemptLog"]![0]!["statusCode"]!.GetValue<int>().ShouldBe(200);
        _ = leadId;
    }

    [Fact]
    public async Task AJsonBodyFromTheRuleWithBasicAuthAndRefusalsRetriedOrNot()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var owner = node.Client();
        await owner.SignupAsync();
        var installation = await InstallAsync(node, owner.OrganizationId!, "custom_http", new { url = receiver.Url, authType = "basic", username = "switch" },
            new { password = "board:pass" });
        await CreateRuleAsync(owner, installation, new
        {
            events = new[] { "lead.created" }, action = "send_request",
            input = new { headers = new Dictionary<string, string> { ["X-Lead"] = "{{data.id}}" }, body = new { lead = "{{data.id}}", score = "{{data.score}}", tags = new[] { "crm", "{{data.source}}" } } },
        });
        receiver.Answer(500);
        var first = await CreateLeadAsync(owner, new { name = "Retried", score = 12, source = "web" });
        var got = await receiver.WaitForAsync(r => r.Body.Contains(first, StringComparison.Ordinal), count: 2);
        got[1].Headers["authorization"].ShouldBe("Basic " + Convert.ToBase64String("switch:board:pass"u8.ToArray()));
        got[1].Headers["x-lead"].ShouldBe(first);
        var body = JsonNode.Parse(got[1].Body)!;
        body["score"]!.GetValue<int>().ShouldBe(12, "a whole template variable keeps the value's JSON type");
        body["tags"]!.AsArray().Select(t => t!.GetValue<string>()).ShouldBe(["crm", "web"]);

        receiver.Answer(422);
        var second = await CreateLeadAsync(owner, new { name = "Refused" });
        var runs = await RunsAsync(owner, installation, r => r.Any(x => x!["status"]!.GetValue<string>() == "dead"));
        var dead = runs.Single(r => r!["status"]!.GetValue<string>() == "dead")!;
        dead["attempts"]!.GetValue<int>().ShouldBe(1, "a 422 is not retried");
        dead["attemptLog"]![0]!["statusCode"]!.GetValue<int>().ShouldBe(422);
        receiver.Requests.Count(r => r.Body.Contains(second, StringComparison.Ordinal)).ShouldBe(1);
    }
}

public sealed class CustomHttpTestsOnSqlite(SqliteSwitchboard node) : CustomHttpTests<SqliteSwitchboard>(node);
public sealed class CustomHttpTestsOnPostgres(PostgresSwitchboard node) : CustomHttpTests<PostgresSwitchboard>(node);

/// <summary>The custom HTTP integration behind the SSRF guard, on (as in production): internal literals refused when a rule is saved, names at connect time.</summary>
public sealed class CustomHttpSsrfTests : IAsyncLifetime
{
    private readonly SqliteSwitchboard _node = new();

    public Task InitializeAsync()
    {
        _node.With("Switchboard:Webhooks:AllowPrivateNetworks", "false");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task ARuleAimedAtAnInternalAddressIsRefusedWhenSaved()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var owner = _node.Client();
        await owner.SignupAsync();
        var installation = await InstallAsync(_node, owner.OrganizationId!, "custom_http", new { url = "https://example.com/hook" });
        var port = new Uri(receiver.Url).Port;
        foreach (var url in new[] { $"https://127.0.0.1:{port}/hook", "https://[::1]/hook", "https://169.254.169.254/latest/meta-data", $"https://10.0.0.1/{{{{data.id}}}}" })
        {
            var response = await owner.PostAsync($"/api/v1/integrations/{installation}/rules", new { events = new[] { "lead.created" }, action = "send_request", input = new { url } });
            var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
            problem["errors"]!["input.url"]!.ToJsonString().ShouldContain("internal");
        }
        receiver.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task InstallingOrChangingToAnInternalAddressIsRefused()
    {
        using var owner = _node.Client();
        await owner.SignupAsync();
        foreach (var url in new[] { "https://127.0.0.1/hook", "https://[::1]/hook", "https://169.254.169.254/latest/meta-data", "https://10.0.0.1/hook" })
        {
            var refused = await owner.PostAsync("/api/v1/integrations", new { provider = "custom_http", config = new { url } });
            var problem = await refused.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
            problem["errors"]!["config.url"]!.ToJsonString().ShouldContain("internal");
        }
        var created = await owner.PostAsync("/api/v1/integrations", new { provider = "custom_http", config = new { url = "https://example.com/hook" } });
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var id = (await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        var patched = await owner.PatchAsync($"/api/v1/integrations/{id}", new { config = new { url = "https://10.1.2.3/hook" } });
        (await patched.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["config.url"].ShouldNotBeNull();
        (await owner.GetJsonAsync($"/api/v1/integrations/{id}"))["config"]!["url"]!.GetValue<string>().ShouldBe("https://example.com/hook");
    }

    [Fact]
    public async Task ANameThatResolvesToLoopbackIsRefusedAtConnectTimeAndTheAttemptSaysSo()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var owner = _node.Client();
        await owner.SignupAsync();
        // "localhost" passes the save-time check (a name), and resolves to 127.0.0.1 / ::1 when dialled.
        var url = receiver.Url.Replace("http://127.0.0.1", "https://localhost", StringComparison.Ordinal);
        var installation = await InstallAsync(_node, owner.OrganizationId!, "custom_http", new { url });
        await CreateRuleAsync(owner, installation, new { events = new[] { "lead.created" }, action = "send_request", input = new { } });
        await CreateLeadAsync(owner, new { name = "Probe" });

        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["attemptLog"]!.AsArray().Count > 0)).Single()!;
        var attempt = run["attemptLog"]![0]!;
        attempt["statusCode"].ShouldBeNull();
        attempt["error"]!.GetValue<string>().ShouldContain("internal addresses");
        receiver.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task AnInstallationWhoseUrlIsAnInternalLiteralIsRefusedBeforeAnyRequest()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var owner = _node.Client();
        await owner.SignupAsync();
        var installation = await InstallAsync(_node, owner.OrganizationId!, "custom_http", new { url = receiver.Url.Replace("http://", "https://", StringComparison.Ordinal) });
        await CreateRuleAsync(owner, installation, new { events = new[] { "lead.created" }, action = "send_request", input = new { } });
        await CreateLeadAsync(owner, new { name = "Probe" });

        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "dead")).Single()!;
        run["attempts"]!.GetValue<int>().ShouldBe(1, "refused for good: no retry can mend it");
        run["attemptLog"]![0]!["error"]!.GetValue<string>().ShouldContain("internal");
        receiver.Requests.ShouldBeEmpty();
    }
}
