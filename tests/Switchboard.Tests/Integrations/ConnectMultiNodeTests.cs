using System.Net;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>The first of two nodes on one database; their background refreshers sleep, so only the callers refresh.</summary>
public sealed class QuietIntegrationPostgresNode : IntegrationPostgresNode
{
    public QuietIntegrationPostgresNode() => With("Switchboard:Integrations:SchedulerPollSeconds", "3600");
}

/// <summary>
/// Two nodes, one installation, many concurrent provider calls with a token about to expire: the provider rotates refresh
/// tokens (a used one is dead), so two refreshes side by side would cost the installation its authorization. The
/// database lease makes it one refresh, and every call succeeds with the new token.
/// </summary>
public sealed class ConnectMultiNodeTests(QuietIntegrationPostgresNode nodeA) : IClassFixture<QuietIntegrationPostgresNode>, IAsyncLifetime
{
    private SecondIntegrationPostgresNode _nodeB = null!;

    public Task InitializeAsync()
    {
        _nodeB = new SecondIntegrationPostgresNode(nodeA);
        _nodeB.With("Switchboard:Integrations:SchedulerPollSeconds", "3600");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _nodeB.DisposeAsync();

    [Fact]
    public async Task AnExpiringTokenIsRefreshedOnceAcrossTwoNodesUnderConcurrency()
    {
        var fake = nodeA.Fake;
        using var onA = nodeA.Client();
        await onA.SignupAsync();
        // Both nodes up before the connection (a node's refresher makes a first pass as it starts).
        using var onB = _nodeB.Client().WithBearer(onA.AccessToken);
        var initial = fake.RefreshGrants;
        fake.ExpiresIn = 120; // inside the five-minute refresh window from the start
        string id;
        try { id = await onA.InstallConnectedChatAsync(fake); }
        finally { fake.ExpiresIn = 3600; }
        (await onB.GetJsonAsync($"{IntegrationSteps.Base}/{id}"))["status"]!.GetValue<string>().ShouldBe("active");

        var before = fake.RefreshGrants;
        fake.TokenDelay = TimeSpan.FromMilliseconds(300); // the refresh takes a while: everyone else arrives meanwhile
        try
        {
            var calls = Enumerable.Range(0, 24).Select(async i =>
            {
                var client = i % 2 == 0 ? onA : onB;
                var response = await client.PostAsync($"{IntegrationSteps.Base}/{id}/test", null);
                var text = await response.Content.ReadAsStringAsync();
                response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
                return (await ApiClient.ReadAsync(response))["success"]!.GetValue<bool>() ? null : text;
            });
            var failures = (await Task.WhenAll(calls)).OfType<string>().ToList();
            failures.ShouldBeEmpty(string.Join("\n", failures));
        }
        finally { fake.TokenDelay = TimeSpan.Zero; }

        // Once: node A's background refresher may have refreshed the short-lived first token already (it is inside the
        // refresh window from the start), and then the burst needs none; it never makes two.
        (fake.RefreshGrants - before).ShouldBeLessThanOrEqualTo(1, "the burst across two nodes refreshes at most once");
        fake.RefreshGrants.ShouldBeGreaterThan(initial, "the short-lived token was refreshed");
        fake.Http.Requests.Count(r => r.Path == "/v1/me").ShouldBeGreaterThanOrEqualTo(24);
        (await onA.GetJsonAsync($"{IntegrationSteps.Base}/{id}"))["status"]!.GetValue<string>().ShouldBe("active");
        (await nodeA.RowAsync(id)).RefreshLeaseUntil.ShouldBeNull();
        fake.Http.AssertNoViolations();
    }
}
