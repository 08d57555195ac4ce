using System.Net;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Platform;

/// <summary>A second node on the same PostgreSQL database as the fixture's first node.</summary>
public sealed class SecondPostgresNode(PostgresSwitchboard first) : PostgresSwitchboard(first.Database.Share())
{
    public override string ConnectionString => first.ConnectionString;
}

/// <summary>Two nodes of one installation: what one node does, the other honours.</summary>
public sealed class MultiNodeTests(PostgresSwitchboard nodeA) : IClassFixture<PostgresSwitchboard>, IAsyncLifetime
{
    private SecondPostgresNode _nodeB = null!;

    public Task InitializeAsync()
    {
        _nodeB = new SecondPostgresNode(nodeA) { EncryptionKey = nodeA.EncryptionKey };
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _nodeB.DisposeAsync();

    [Fact]
    public async Task ATokenIssuedByOneNodeIsAcceptedByTheOther()
    {
        using var onA = nodeA.Client();
        await onA.SignupAsync();
        using var onB = _nodeB.Client().WithBearer(onA.AccessToken);
        var me = await onB.GetJsonAsync("/api/v1/me");
        me["organizationId"]!.GetValue<string>().ShouldBe(onA.OrganizationId);
    }

    [Fact]
    public async Task AKeyRevokedOnOneNodeIsRefusedByTheOtherWithinSeconds()
    {
        using var owner = nodeA.Client();
        await owner.SignupAsync();
        var key = await owner.CreateKeyAsync("api_keys:read");
        using var onB = _nodeB.Client().WithApiKey(key["key"]!.GetValue<string>());
        (await onB.GetAsync("/api/v1/api-keys")).StatusCode.ShouldBe(HttpStatusCode.OK); // cached on node B now

        (await owner.DeleteAsync($"/api/v1/api-keys/{key["id"]!.GetValue<string>()}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var started = DateTime.UtcNow;
        HttpStatusCode status;
        do
        {
            await Task.Delay(50);
            status = (await onB.GetAsync("/api/v1/api-keys")).StatusCode;
        } while (status == HttpStatusCode.OK && DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
        status.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task LogoutOnOneNodeRevokesTheSessionOnTheOther()
    {
        using var onA = nodeA.Client();
        await onA.SignupAsync();
        using var onB = _nodeB.Client().WithBearer(onA.AccessToken);
        (await onB.GetAsync("/api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await onA.PostAsync("/api/v1/auth/logout", new { })).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var started = DateTime.UtcNow;
        HttpStatusCode status;
        do
        {
            await Task.Delay(50);
            status = (await onB.GetAsync("/api/v1/me")).StatusCode;
        } while (status == HttpStatusCode.OK && DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
        status.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ARateLimitIsExactAcrossNodesUnderConcurrency()
    {
        using var owner = nodeA.Client();
        await owner.SignupAsync();
        var key = (await owner.CreateKeyAsync(new { name = "shared", scopes = new[] { "contacts:read" }, rateLimit = new { requests = 30, windowSeconds = 3600 } }))["key"]!.GetValue<string>();
        var requests = Enumerable.Range(0, 120).Select(i => ((SwitchboardFactory)(i % 2 == 0 ? nodeA : _nodeB)).Client().WithApiKey(key).GetAsync("/api/v1/contacts"));
        var responses = await Task.WhenAll(requests);
        // A store that fails admits without a verdict (fail open); say so rather than report a miscount.
        nodeA.Logs.Lines.Concat(_nodeB.Logs.Lines).Where(l => l.Contains("Rate limit store failed", StringComparison.Ordinal)).ShouldBeEmpty();
        responses.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBe(30);
        responses.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests).ShouldBe(90);
        // Both nodes served some of the 30: the counter really is shared, not split.
        var servedRemaining = responses.Where(r => r.StatusCode == HttpStatusCode.OK)
            .Select(r => long.Parse(r.Headers.GetValues("X-RateLimit-Remaining").Single(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        servedRemaining.Distinct().Count().ShouldBe(30);
    }

    [Fact]
    public async Task TwoNodesDeliverEachEventToAnEndpointOnce()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var owner = nodeA.Client();
        await owner.SignupAsync();
        _nodeB.Client(); // both nodes run their dispatchers and workers on the shared database
        (await owner.PostAsync("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "contact.created" } })).StatusCode.ShouldBe(HttpStatusCode.Created);
        using var onB = _nodeB.Client().WithBearer(owner.AccessToken);
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? owner : onB)
            .SendRawAsync(HttpMethod.Post, "/api/v1/contacts", $$"""{"firstName":"N{{i}}"}""")));
        var got = await receiver.WaitForAsync(_ => true, count: 40);
        await Task.Delay(500);
        receiver.Requests.Count.ShouldBe(40);
        receiver.Requests.Select(r => r.Headers["webhook-id"]).Distinct().Count().ShouldBe(40);
        got.ShouldNotBeEmpty();
    }

    [Fact]
    public async Task FailedLoginsCountAcrossNodes()
    {
        using var owner = nodeA.Client();
        var email = $"multi-{Guid.NewGuid():N}@example.com";
        await owner.SignupAsync(email, "the right password!");
        for (var i = 0; i < 5; i++)
        {
            var node = i % 2 == 0 ? (SwitchboardFactory)nodeA : _nodeB;
            (await node.Client().PostAsync("/api/v1/auth/login", new { email, password = $"guess {i} wrong" })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }
        await (await _nodeB.Client().PostAsync("/api/v1/auth/login", new { email, password = "the right password!" }))
            .ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "login_throttled");
    }
}
