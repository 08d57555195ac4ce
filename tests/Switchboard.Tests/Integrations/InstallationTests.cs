using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Integrations;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Integrations.TestProviders;
using Switchboard.Tests.Integrations.TestProviders.TestKey;
using Switchboard.Tests.Integrations.TestProviders.TestOAuth;
using Switchboard.Webhooks;

namespace Switchboard.Tests.Integrations;

/// <summary>Installations over real HTTP: validation by the provider's schema, encrypted credentials, changes, tests, health, uninstall, tenancy.</summary>
public abstract class InstallationTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory, IIntegrationNode
{
    private const string Base = IntegrationSteps.Base;

    private static object Ledger(string apiKey = FakeOAuthProvider.ApiKey) =>
        new { provider = TestKeyConnector.Key, name = "Books", config = new { apiKey, account = "main" } };

    [Fact]
    public async Task TheConfigurationIsValidatedByTheProvidersSchemaFieldByField()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var response = await owner.PostAsync(Base, new
        {
            provider = TestOAuthConnector.Key,
            config = new { region = "mars", defaults = new { channel = "general", colour = "red" }, extra = true, signingSecret = "short" },
        });
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        var errors = problem["errors"]!.AsObject();
        errors.Select(e => e.Key).Order().ShouldBe(
            ["config.defaults.channel", "config.defaults.colour", "config.extra", "config.region", "config.signingSecret", "config.workspace"], ignoreOrder: true,
            customMessage: problem.ToJsonString());
        errors["config.workspace"]![0]!.GetValue<string>().ShouldBe("Is required.");

        // Arrays are addressed by index.
        var nested = await owner.PostAsync(Base, new { provider = TestKeyConnector.Key, config = new { apiKey = "tk_1", account = "a", lines = new object[] { new { code = 3 }, new { code = 0 } } } });
        (await nested.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["config.lines[1].code"].ShouldNotBeNull();

        var unknown = await owner.PostAsync(Base, new { provider = "no_such", config = new { } });
        (await unknown.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["provider"].ShouldNotBeNull();
        var missing = await owner.PostAsync(Base, new { name = "x" });
        (await missing.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["provider"].ShouldNotBeNull();
        (await owner.GetJsonAsync(Base))["data"]!.AsArray().ShouldBeEmpty();
    }

    [Fact]
    public async Task CredentialsAreEncryptedAtRestAndNeverReturnedNorLogged()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var created = await owner.InstallAsync(Ledger());
        var id = created["id"]!.GetValue<string>();
        id.ShouldStartWith("ins_");
        created["provider"]!.GetValue<string>().ShouldBe("test_key");
        created["status"]!.GetValue<string>().ShouldBe("active"); // an API key needs no connection
        created["config"]!.ToJsonString().ShouldBe("""{"account":"main"}""");
        created["credentialsSet"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldBe(["apiKey"]);

        var row = await node.RowAsync(id);
        row.Config.ShouldNotContain(FakeOAuthProvider.ApiKey);
        row.CredentialsEncrypted.ShouldNotBeNull();
        row.CredentialsEncrypted.ShouldStartWith("v1.");
        row.CredentialsEncrypted.ShouldNotContain(FakeOAuthProvider.ApiKey);

        var texts = new List<string>
        {
            created.ToJsonString(),
            await (await owner.GetAsync($"{Base}/{id}")).Content.ReadAsStringAsync(),
            await (await owner.GetAsync(Base)).Content.ReadAsStringAsync(),
            await (await owner.PatchAsync($"{Base}/{id}", new { name = "Books 2" })).Content.ReadAsStringAsync(),
            await (await owner.PostAsync($"{Base}/{id}/test", null)).Content.ReadAsStringAsync(),
            await (await owner.GetAsync($"{Base}/{id}/status")).Content.ReadAsStringAsync(),
            await (await owner.GetAsync("/api/v1/audit-logs")).Content.ReadAsStringAsync(),
        };
        foreach (var text in texts) text.ShouldNotContain(FakeOAuthProvider.ApiKey);
        node.Logs.Lines.ShouldNotContain(l => l.Contains(FakeOAuthProvider.ApiKey, StringComparison.Ordinal));
        node.Fake.Http.AssertNoViolations();
    }

    [Fact]
    public async Task APatchMergesTheConfigurationRevalidatesTheWholeOfItAndTogglesTheInstallation()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var id = (await owner.InstallAsync(Ledger()))["id"]!.GetValue<string>();

        var renamed = await ApiClient.ReadAsync(await owner.PatchAsync($"{Base}/{id}", new { config = new { account = "second" }, maxActionsPerSecond = 5 }));
        renamed["config"]!["account"]!.GetValue<string>().ShouldBe("second");
        renamed["credentialsSet"]!.AsArray().Count.ShouldBe(1); // the key stays
        renamed["maxActionsPerSecond"]!.GetValue<int>().ShouldBe(5);

        var bad = await owner.PatchAsync($"{Base}/{id}", new { config = new { apiKey = "not-a-key" } });
        (await bad.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["config.apiKey"].ShouldNotBeNull();
        var removed = await owner.SendRawAsync(HttpMethod.Patch, $"{Base}/{id}", """{"config":{"account":null}}""");
        (await removed.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["config.account"].ShouldNotBeNull();
        var provider = await owner.PatchAsync($"{Base}/{id}", new { provider = "test_oauth" });
        (await provider.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["provider"].ShouldNotBeNull();

        // A replaced credential is the new one (the provider takes only the right key).
        (await ApiClient.ReadAsync(await owner.PatchAsync($"{Base}/{id}", new { config = new { apiKey = "tk_wrong" } })))["status"]!.GetValue<string>().ShouldBe("active");
        var refused = await owner.PostAsync($"{Base}/{id}/test", null);
        refused.StatusCode.ShouldBe(HttpStatusCode.OK); // a provider's refusal is an answer, not a failure of this API
        var outcome = await ApiClient.ReadAsync(refused);
        outcome["success"]!.GetValue<bool>().ShouldBeFalse();
        outcome["providerStatus"]!.GetValue<int>().ShouldBe(403);
        outcome["providerError"]!.GetValue<string>().ShouldBe("The API key is not valid.");

        var disabled = await ApiClient.ReadAsync(await owner.PatchAsync($"{Base}/{id}", new { enabled = false }));
        disabled["status"]!.GetValue<string>().ShouldBe("disabled");
        (await owner.GetJsonAsync($"{Base}?status=disabled"))["data"]!.AsArray().Single()!["id"]!.GetValue<string>().ShouldBe(id);
        (await owner.GetJsonAsync($"{Base}?status=active"))["data"]!.AsArray().ShouldBeEmpty();
        (await ApiClient.ReadAsync(await owner.PatchAsync($"{Base}/{id}", new { enabled = true })))["status"]!.GetValue<string>().ShouldBe("active");
        await (await owner.GetAsync($"{Base}?status=sleeping")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task ANewCredentialBringsBackAnInstallationWhoseKeyWasRefused()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var id = (await owner.InstallAsync(Ledger()))["id"]!.GetValue<string>();
        await using (var scope = node.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>().Set<IntegrationInstallation>().IgnoreQueryFilters().Where(i => i.Id == id)
                .ExecuteUpdateAsync(u => u.SetProperty(i => i.Status, InstallationStatus.NeedsReauth).SetProperty(i => i.StatusReason, "The API key was refused.")
                    .SetProperty(i => i.ConsecutiveFailures, 3));

        // Other changes, or the same key again, leave it as it is.
        (await ApiClient.ReadAsync(await owner.PatchAsync($"{Base}/{id}", new { name = "Books 2", config = new { apiKey = FakeOAuthProvider.ApiKey } })))
            ["status"]!.GetValue<string>().ShouldBe("needs_reauth");
        var renewed = await ApiClient.ReadAsync(await owner.PatchAsync($"{Base}/{id}", new { config = new { apiKey = "tk_replacement" } }));
        renewed["status"]!.GetValue<string>().ShouldBe("active");
        var health = await owner.GetJsonAsync($"{Base}/{id}/status");
        health["consecutiveFailures"]!.GetValue<int>().ShouldBe(0);
    }

    [Fact]
    public async Task TestRecordsTheOutcomeAndStatusReportsHealth()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var id = (await owner.InstallAsync(Ledger()))["id"]!.GetValue<string>();
        var ok = await owner.PostAsync($"{Base}/{id}/test", null);
        var result = await ApiClient.ReadAsync(ok);
        result["success"]!.GetValue<bool>().ShouldBeTrue(result.ToJsonString());
        result["latencyMs"]!.GetValue<long>().ShouldBeGreaterThanOrEqualTo(0);
        result["status"]!.GetValue<string>().ShouldBe("active");

        await owner.PatchAsync($"{Base}/{id}", new { config = new { apiKey = "tk_revoked" } });
        (await ApiClient.ReadAsync(await owner.PostAsync($"{Base}/{id}/test", null)))["success"]!.GetValue<bool>().ShouldBeFalse();
        (await ApiClient.ReadAsync(await owner.PostAsync($"{Base}/{id}/test", null)))["success"]!.GetValue<bool>().ShouldBeFalse();

        // Two action attempts ok and one not, one sync run ok, in the last 24 hours: 3 of 4.
        var org = owner.OrganizationId!;
        var now = node.Clock.GetUtcNow().UtcDateTime;
        await using (var scope = node.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            var rule = ActionRule(org, id, now);
            db.Add(rule);
            var delivery = Delivery(org, rule.Id, now);
            db.Add(delivery);
            db.AddRange(Attempt(org, delivery.Id, rule.Id, 1, 200, now), Attempt(org, delivery.Id, rule.Id, 2, 201, now), Attempt(org, delivery.Id, rule.Id, 3, 500, now),
                Attempt(org, delivery.Id, rule.Id, 4, 500, now.AddDays(-2)));
            db.Add(new IntegrationSyncRun
            {
                Id = "syr_" + Ulid(), OrganizationId = org, InstallationId = id, Model = "customers", Trigger = "manual", Status = SyncRunStatus.Succeeded,
                CreatedAt = now, UpdatedAt = now, FinishedAt = now,
            });
            db.Add(new IntegrationSyncState { InstallationId = id, Model = "customers", OrganizationId = org, IntervalSeconds = 900, NextRunAt = now.AddMinutes(15), UpdatedAt = now });
            await db.SaveChangesAsync();
        }
        var health = await owner.GetJsonAsync($"{Base}/{id}/status");
        health["status"]!.GetValue<string>().ShouldBe("active");
        health["successRate24h"]!.GetValue<double>().ShouldBe(75);
        health["operations24h"]!.GetValue<long>().ShouldBe(4);
        health["consecutiveFailures"]!.GetValue<int>().ShouldBe(2);
        health["lastSuccessAt"].ShouldNotBeNull();
        health["lastErrorAt"].ShouldNotBeNull();
        health["lastError"]!.GetValue<string>().ShouldBe("The API key is not valid.");
        health["nextSyncAt"]!.GetValue<DateTime>().ShouldBe(now.AddMinutes(15), TimeSpan.FromSeconds(1));

        await owner.PatchAsync($"{Base}/{id}", new { config = new { apiKey = FakeOAuthProvider.ApiKey } });
        (await ApiClient.ReadAsync(await owner.PostAsync($"{Base}/{id}/test", null)))["success"]!.GetValue<bool>().ShouldBeTrue();
        (await owner.GetJsonAsync($"{Base}/{id}/status"))["consecutiveFailures"]!.GetValue<int>().ShouldBe(0);
        node.Fake.Http.AssertNoViolations();
    }

    [Fact]
    public async Task UninstallRevokesTheTokensAndDeletesTheRulesTheirDeliveriesAndTheSyncState()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var id = await owner.InstallConnectedChatAsync(node.Fake);
        var org = owner.OrganizationId!;
        var now = node.Clock.GetUtcNow().UtcDateTime;
        var webhook = await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/webhooks", new { url = "https://hooks.example.com/x", events = new[] { "contact.created" } }));
        string ruleId, deliveryId;
        await using (var scope = node.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            var rule = ActionRule(org, id, now);
            var delivery = Delivery(org, rule.Id, now);
            db.AddRange(rule, delivery, Attempt(org, delivery.Id, rule.Id, 1, 200, now));
            db.Add(new IntegrationSyncState { InstallationId = id, Model = "members", OrganizationId = org, IntervalSeconds = 3600, UpdatedAt = now });
            await db.SaveChangesAsync();
            (ruleId, deliveryId) = (rule.Id, delivery.Id);
        }

        (await owner.DeleteAsync($"{Base}/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await owner.GetAsync($"{Base}/{id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        node.Fake.Revoked.ShouldNotBeEmpty();
        await using (var scope = node.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            (await db.Set<WebhookEndpoint>().IgnoreQueryFilters().AnyAsync(e => e.Id == ruleId)).ShouldBeFalse();
            (await db.Set<WebhookDelivery>().IgnoreQueryFilters().AnyAsync(d => d.Id == deliveryId)).ShouldBeFalse();
            (await db.Set<WebhookAttempt>().IgnoreQueryFilters().AnyAsync(a => a.DeliveryId == deliveryId)).ShouldBeFalse();
            (await db.Set<IntegrationSyncState>().IgnoreQueryFilters().AnyAsync(s => s.InstallationId == id)).ShouldBeFalse();
            (await db.Set<WebhookEndpoint>().IgnoreQueryFilters().AnyAsync(e => e.Id == webhook["id"]!.GetValue<string>())).ShouldBeTrue(); // webhooks stay
            (await db.AuditLogs.IgnoreQueryFilters().AnyAsync(a => a.TargetId == id && a.Action == "integration.uninstalled")).ShouldBeTrue();
        }
        node.Fake.Http.AssertNoViolations();
    }

    [Fact]
    public async Task AnotherOrganizationsInstallationIsNotFound()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var id = (await owner.InstallChatAsync())["id"]!.GetValue<string>();
        using var stranger = node.Client();
        await stranger.SignupAsync(organization: "Other");
        await (await stranger.GetAsync($"{Base}/{id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await stranger.PatchAsync($"{Base}/{id}", new { name = "mine now" })).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await stranger.PostAsync($"{Base}/{id}/test", null)).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await stranger.GetAsync($"{Base}/{id}/status")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await stranger.GetAsync($"{Base}/{id}/connect")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await stranger.DeleteAsync($"{Base}/{id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        (await stranger.GetJsonAsync(Base))["data"]!.AsArray().ShouldBeEmpty();
        (await owner.GetJsonAsync($"{Base}/{id}"))["name"]!.GetValue<string>().ShouldBe("Sales chat");
        (await owner.GetJsonAsync($"{Base}?provider=test_oauth"))["data"]!.AsArray().Count.ShouldBe(1);
        (await owner.GetJsonAsync($"{Base}?provider=test_key"))["data"]!.AsArray().ShouldBeEmpty();
    }

    private static string Ulid() => Switchboard.Platform.Ids.New("x")[2..];

    internal static WebhookEndpoint ActionRule(string org, string installationId, DateTime now) => new()
    {
        Id = "rul_" + Ulid(), OrganizationId = org, Url = "integration:" + installationId, SecretEncrypted = "-", Kind = EndpointKind.Action, InstallationId = installationId,
        Action = "send_message", Events = ["lead.created"], IsActive = true, CreatedAt = now, UpdatedAt = now,
    };

    internal static WebhookDelivery Delivery(string org, string endpointId, DateTime now) => new()
    {
        Id = "dlv_" + Ulid(), OrganizationId = org, EndpointId = endpointId, EventId = "evt_" + Ulid(), EventType = "lead.created", Payload = "{}",
        Status = DeliveryStatus.Succeeded, Attempts = 1, NextAttemptAt = now, CreatedAt = now, UpdatedAt = now, CompletedAt = now,
    };

    internal static WebhookAttempt Attempt(string org, string deliveryId, string endpointId, int attempt, int status, DateTime at) => new()
    {
        Id = "att_" + Ulid(), OrganizationId = org, DeliveryId = deliveryId, EndpointId = endpointId, Attempt = attempt, AttemptedAt = at, StatusCode = status, LatencyMs = 12,
    };
}

public sealed class InstallationTestsOnSqlite(IntegrationSqliteNode node) : InstallationTests<IntegrationSqliteNode>(node);
public sealed class InstallationTestsOnPostgres(IntegrationPostgresNode node) : InstallationTests<IntegrationPostgresNode>(node);
