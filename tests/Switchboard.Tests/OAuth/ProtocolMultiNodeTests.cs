using System.Net;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Platform;
using static Switchboard.Tests.OAuth.OAuthTestClient;

namespace Switchboard.Tests.OAuth;

/// <summary>The first node of an installation reached under one public name (as behind a load balancer).</summary>
public sealed class PublicNamePostgresNode : PostgresSwitchboard
{
    public const string PublicBaseUrl = "https://switchboard.test";
    public PublicNamePostgresNode() => With("Switchboard:PublicBaseUrl", PublicBaseUrl);
}

/// <summary>Two nodes sharing one PostgreSQL database: tokens from one work on the other, revocations on one reach the other.</summary>
public sealed class ProtocolMultiNodeTests(PublicNamePostgresNode nodeA) : IClassFixture<PublicNamePostgresNode>, IAsyncLifetime
{
    private SecondPostgresNode _nodeB = null!;
    private const string Issuer = PublicNamePostgresNode.PublicBaseUrl;

    public Task InitializeAsync()
    {
        _nodeB = new SecondPostgresNode(nodeA) { EncryptionKey = nodeA.EncryptionKey };
        _nodeB.With("Switchboard:PublicBaseUrl", Issuer);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _nodeB.DisposeAsync();

    /// <summary>Polls until <paramref name="condition"/> holds (revocations travel by the feed, polled every 0.2 s in tests).</summary>
    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await condition()) return;
            await Task.Delay(100);
        }
        (await condition()).ShouldBeTrue("the condition did not hold within 10 s");
    }

    [Fact]
    public async Task ACodeFromOneNodeIsRedeemedOnTheOtherAndItsTokensWorkOnBoth()
    {
        using var owner = nodeA.Client();
        await owner.SignupAsync();
        using var onA = new OAuthTestClient(nodeA, Issuer);
        using var onB = new OAuthTestClient(_nodeB, Issuer);
        var app = await onA.CreateAppAsync(owner.OrganizationId!);

        var verifier = NewVerifier();
        var code = await onA.CodeAsync(app, verifier, owner.UserId!, owner.OrganizationId!);
        var tokens = await JsonAsync(await onB.ExchangeAsync(app, code, verifier));
        var access = tokens["access_token"]!.GetValue<string>();
        Payload(access)["iss"]!.GetValue<string>().ShouldBe(Issuer);
        (await onA.CallApiAsync("/api/v1/contacts", access)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await onB.CallApiAsync("/api/v1/contacts", access)).StatusCode.ShouldBe(HttpStatusCode.OK);

        // The code again, on the first node: refused, and the grant is revoked on both nodes.
        await ShouldBeOAuthErrorAsync(await onA.ExchangeAsync(app, code, verifier), "invalid_grant");
        await EventuallyAsync(async () => (await onB.CallApiAsync("/api/v1/contacts", access)).StatusCode == HttpStatusCode.Unauthorized);
        (await onA.CallApiAsync("/api/v1/contacts", access)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ARevocationOnOneNodeReachesTheOther()
    {
        using var owner = nodeA.Client();
        await owner.SignupAsync();
        using var onA = new OAuthTestClient(nodeA, Issuer);
        using var onB = new OAuthTestClient(_nodeB, Issuer);
        var app = await onA.CreateAppAsync(owner.OrganizationId!, Switchboard.OAuth.OAuthAppTypes.Public);
        var verifier = NewVerifier();
        var tokens = await JsonAsync(await onA.ExchangeAsync(app, await onA.CodeAsync(app, verifier, owner.UserId!, owner.OrganizationId!), verifier));
        var access = tokens["access_token"]!.GetValue<string>();
        (await onB.CallApiAsync("/api/v1/contacts", access)).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Refresh on B, then revoke the new refresh token on B: A stops accepting every token of the grant.
        var next = await JsonAsync(await onB.RefreshAsync(app, tokens["refresh_token"]!.GetValue<string>()));
        var nextAccess = next["access_token"]!.GetValue<string>();
        (await onA.CallApiAsync("/api/v1/contacts", nextAccess)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await onB.PostFormAsync("/oauth/revoke", new Dictionary<string, string>
        {
            ["token"] = next["refresh_token"]!.GetValue<string>(), ["client_id"] = app.ClientId,
        })).StatusCode.ShouldBe(HttpStatusCode.OK);
        await EventuallyAsync(async () => (await onA.CallApiAsync("/api/v1/contacts", nextAccess)).StatusCode == HttpStatusCode.Unauthorized);
        (await onA.CallApiAsync("/api/v1/contacts", access)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AReplayedProofOrAssertionIsRefusedOnTheOtherNode()
    {
        using var owner = nodeA.Client();
        await owner.SignupAsync();
        using var onA = new OAuthTestClient(nodeA, Issuer);
        using var onB = new OAuthTestClient(_nodeB, Issuer);
        using var key = new DpopKey(nodeA.Clock);
        var app = await onA.CreateAppAsync(owner.OrganizationId!);
        var proof = key.Proof("POST", Issuer + "/oauth/token");
        var tokens = await JsonAsync(await onA.ClientCredentialsAsync(app, dpopProof: proof));
        await ShouldBeOAuthErrorAsync(await onB.ClientCredentialsAsync(app, dpopProof: proof), "invalid_dpop_proof");

        var access = tokens["access_token"]!.GetValue<string>();
        var apiProof = key.Proof("GET", Issuer + "/api/v1/contacts", access);
        (await onB.CallApiAsync("/api/v1/contacts", access, "DPoP", apiProof)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await onA.CallApiAsync("/api/v1/contacts", access, "DPoP", apiProof)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}
