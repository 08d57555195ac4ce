using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Integrations.TestProviders;

namespace Switchboard.Tests.Integrations;

/// <summary><c>GET /api/v1/overview</c>: the organization's counts, its own only.</summary>
public abstract class OverviewTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory, IIntegrationNode
{
    [Fact]
    public async Task TheOverviewCountsTheOrganizationsIntegrationsWebhooksKeysRequestsAndDeliveries()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        using var other = node.Client();
        await other.SignupAsync(organization: "Other");
        await other.InstallChatAsync(); // not counted for the owner

        await owner.InstallChatAsync();
        var ledger = (await owner.InstallAsync(new { provider = "test_key", config = new { apiKey = FakeOAuthProvider.ApiKey, account = "a" } }))["id"]!.GetValue<string>();
        await owner.PatchAsync($"{IntegrationSteps.Base}/{ledger}", new { enabled = false });
        var hook = await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/webhooks", new { url = "https://hooks.example.com/a", events = new[] { "contact.created" } }));
        await owner.PostAsync("/api/v1/webhooks", new { url = "https://hooks.example.com/b", events = new[] { "contact.created" } });
        await owner.PatchAsync($"/api/v1/webhooks/{hook["id"]}", new { isActive = false });
        var key = await owner.CreateKeyAsync("contacts:read");
        await owner.CreateKeyAsync("contacts:read");
        (await owner.DeleteAsync($"/api/v1/api-keys/{key["id"]}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        // Attempts of this organization's endpoint: one 2xx, one 5xx.
        var now = node.Clock.GetUtcNow().UtcDateTime;
        await using (var scope = node.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            var rule = InstallationTests<TNode>.ActionRule(owner.OrganizationId!, ledger, now);
            var delivery = InstallationTests<TNode>.Delivery(owner.OrganizationId!, rule.Id, now);
            db.AddRange(rule, delivery, InstallationTests<TNode>.Attempt(owner.OrganizationId!, delivery.Id, rule.Id, 1, 503, now),
                InstallationTests<TNode>.Attempt(owner.OrganizationId!, delivery.Id, rule.Id, 2, 204, now));
            await db.SaveChangesAsync();
        }
        await owner.GetAsync("/api/v1/contacts/con_01JD4V2Q8M3ZC5X7T9W1E6R0YB"); // a 404, counted as an error

        // Usage is recorded in batches: wait until this organization's requests are counted.
        var overview = await owner.GetJsonAsync("/api/v1/overview");
        for (var i = 0; i < 50 && overview["requests"]!["errors"]!.GetValue<long>() == 0; i++)
        {
            await Task.Delay(200);
            overview = await owner.GetJsonAsync("/api/v1/overview");
        }
        overview["integrations"]!["total"]!.GetValue<int>().ShouldBe(2, overview.ToJsonString());
        overview["integrations"]!["byStatus"]!["pending_auth"]!.GetValue<int>().ShouldBe(1);
        overview["integrations"]!["byStatus"]!["disabled"]!.GetValue<int>().ShouldBe(1);
        overview["integrations"]!["byStatus"]!["active"]!.GetValue<int>().ShouldBe(0);
        overview["webhooks"]!["active"]!.GetValue<int>().ShouldBe(1); // the action rule is not a webhook
        overview["webhooks"]!["disabled"]!.GetValue<int>().ShouldBe(1);
        overview["apiKeys"]!["active"]!.GetValue<int>().ShouldBe(1);
        overview["deliveries"]!["last24h"]!.GetValue<long>().ShouldBe(2);
        overview["deliveries"]!["successRate"]!.GetValue<double>().ShouldBe(50);
        overview["requests"]!["last24h"]!.GetValue<long>().ShouldBeGreaterThan(5);
        overview["requests"]!["errors"]!.GetValue<long>().ShouldBeGreaterThanOrEqualTo(1);
        overview["requests"]!["errorRate"]!.GetValue<double>().ShouldBeGreaterThan(0);

        // Any member's credentials will do: an API key with an unrelated scope reads it.
        using var script = node.Client().WithApiKey((await owner.CreateKeyAsync("contacts:read"))["key"]!.GetValue<string>());
        (await script.GetJsonAsync("/api/v1/overview"))["integrations"]!["total"]!.GetValue<int>().ShouldBe(2);
        (await node.Client().GetAsync("/api/v1/overview")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}

public sealed class OverviewTestsOnSqlite(IntegrationSqliteNode node) : OverviewTests<IntegrationSqliteNode>(node);
public sealed class OverviewTestsOnPostgres(IntegrationPostgresNode node) : OverviewTests<IntegrationPostgresNode>(node);
