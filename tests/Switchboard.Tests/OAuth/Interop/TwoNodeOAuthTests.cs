using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Duende.IdentityModel;
using Duende.IdentityModel.Client;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Platform;

namespace Switchboard.Tests.OAuth.Interop;

/// <summary>
/// Two nodes sharing one PostgreSQL database under one public name (<see cref="PublicNamePostgresNode"/>), used by
/// Duende.IdentityModel as a client behind a load balancer would use them: any request may land on either node. What
/// ProtocolMultiNodeTests already shows (a code redeemed on the other node, a refresh there, a revoked refresh token,
/// DPoP replays) is not repeated; these add the metadata, a client_credentials token and its introspection across
/// nodes, and the three other ways a token ends — RFC 7009 on an access token, the user's connected-apps DELETE,
/// refresh-token reuse — each on one node and honoured by the other within its invalidation poll interval (0.2 s here).
/// </summary>
public sealed class TwoNodeOAuthTests(PublicNamePostgresNode nodeA, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<PublicNamePostgresNode>, IAsyncLifetime
{
    private SecondPostgresNode _nodeB = null!;

    public Task InitializeAsync()
    {
        _nodeB = new SecondPostgresNode(nodeA) { EncryptionKey = nodeA.EncryptionKey };
        _nodeB.With("Switchboard:PublicBaseUrl", PublicNamePostgresNode.PublicBaseUrl);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _nodeB.DisposeAsync();

    private static string Origin(SwitchboardFactory node)
    {
        using var client = node.Client();
        return client.Http.BaseAddress!.GetLeftPart(UriPartial.Authority);
    }

    private static async Task<HttpStatusCode> CallApiAsync(HttpClient http, string origin, InteropWorld world, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{origin}/api/v1/contacts/{world.ContactId}");
        request.SetBearerToken(token);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>How long until <paramref name="origin"/> refuses the token; fails when it still accepts it after 5 s.</summary>
    private static async Task<TimeSpan> RefusedWithinAsync(HttpClient http, string origin, InteropWorld world, string token)
    {
        var clock = Stopwatch.StartNew();
        HttpStatusCode status;
        while ((status = await CallApiAsync(http, origin, world, token)) == HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(5))
            await Task.Delay(20);
        status.ShouldBe(HttpStatusCode.Unauthorized, $"still {status} after {clock.Elapsed.TotalSeconds:0.0} s");
        return clock.Elapsed;
    }

    private async Task<(InteropWorld World, string A, string B)> SetUpAsync()
    {
        var world = await InteropWorld.CreateAsync(nodeA);
        return (world, Origin(nodeA), Origin(_nodeB));
    }

    [Fact(Timeout = 120_000)]
    public async Task TheMetadataAndAClientCredentialsTokenAreTheSameOnBothNodes()
    {
        var (world, a, b) = await SetUpAsync();
        var app = world.Confidential;
        using var http = new HttpClient();

        // Metadata: both nodes describe the same issuer and endpoints.
        var metadataA = JsonNode.Parse(await http.GetStringAsync(a + "/.well-known/oauth-authorization-server"))!;
        var metadataB = JsonNode.Parse(await http.GetStringAsync(b + "/.well-known/oauth-authorization-server"))!;
        metadataA["issuer"]!.GetValue<string>().ShouldBe(PublicNamePostgresNode.PublicBaseUrl);
        metadataB.ToJsonString().ShouldBe(metadataA.ToJsonString());

        var cc = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = a + "/oauth/token", ClientId = app.ClientId, ClientSecret = app.ClientSecret!, Scope = InteropWorld.ClientScope,
        });
        cc.IsError.ShouldBeFalse(cc.Raw);
        (await CallApiAsync(http, b, world, cc.AccessToken!)).ShouldBe(HttpStatusCode.OK);
        var introspected = await http.IntrospectTokenAsync(new TokenIntrospectionRequest
        {
            Address = b + "/oauth/introspect", ClientId = app.ClientId, ClientSecret = app.ClientSecret!, Token = cc.AccessToken!,
        });
        introspected.IsActive.ShouldBeTrue(introspected.Raw);

        // A token bound to no node: revoking it is the other test's business; here it also works back on node A.
        (await CallApiAsync(http, a, world, cc.AccessToken!)).ShouldBe(HttpStatusCode.OK);
    }

    [Fact(Timeout = 120_000)]
    public async Task ARevocationOnOneNodeReachesTheOtherWithinThePollInterval()
    {
        var (world, a, b) = await SetUpAsync();
        var app = world.Confidential;
        using var http = new HttpClient();

        // RFC 7009 on node A; node B, which has already accepted (and cached) the token, refuses it soon after.
        var cc = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = a + "/oauth/token", ClientId = app.ClientId, ClientSecret = app.ClientSecret!, Scope = InteropWorld.ClientScope,
        });
        (await CallApiAsync(http, b, world, cc.AccessToken!)).ShouldBe(HttpStatusCode.OK);
        (await http.RevokeTokenAsync(new TokenRevocationRequest
        {
            Address = a + "/oauth/revoke", ClientId = app.ClientId, ClientSecret = app.ClientSecret!, Token = cc.AccessToken!,
        })).IsError.ShouldBeFalse();
        var revokedAccess = await RefusedWithinAsync(http, b, world, cc.AccessToken!);

        // Connected apps: the user revokes the grant through node B; node A refuses its tokens.
        var first = await AuthorizeAsync(http, world, a);
        (await CallApiAsync(http, a, world, first.AccessToken!)).ShouldBe(HttpStatusCode.OK);
        var grants = (await world.Owner.GetJsonAsync("/api/v1/oauth/authorizations?status=active"))["data"]!.AsArray();
        var grantId = grants.Single()!["id"]!.GetValue<string>();
        using (var onB = _nodeB.Client().WithBearer(world.Owner.AccessToken))
            (await onB.DeleteAsync($"/api/v1/oauth/authorizations/{grantId}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var revokedGrant = await RefusedWithinAsync(http, a, world, first.AccessToken!);
        (await http.RequestRefreshTokenAsync(new RefreshTokenRequest
        {
            Address = a + "/oauth/token", ClientId = app.ClientId, ClientSecret = app.ClientSecret!, RefreshToken = first.RefreshToken!,
        })).Error.ShouldBe("invalid_grant");

        // Reuse of a rotated refresh token detected on node B revokes the grant's newest access token on node A.
        var second = await AuthorizeAsync(http, world, a);
        var rotated = await http.RequestRefreshTokenAsync(new RefreshTokenRequest
        {
            Address = a + "/oauth/token", ClientId = app.ClientId, ClientSecret = app.ClientSecret!, RefreshToken = second.RefreshToken!,
        });
        rotated.IsError.ShouldBeFalse(rotated.Raw);
        (await CallApiAsync(http, a, world, rotated.AccessToken!)).ShouldBe(HttpStatusCode.OK);
        (await http.RequestRefreshTokenAsync(new RefreshTokenRequest
        {
            Address = b + "/oauth/token", ClientId = app.ClientId, ClientSecret = app.ClientSecret!, RefreshToken = second.RefreshToken!,
        })).Error.ShouldBe("invalid_grant");
        var reuse = await RefusedWithinAsync(http, a, world, rotated.AccessToken!);

        // The test nodes poll every 0.2 s: each revocation arrived well within the 5 s allowed.
        output.WriteLine(
            $"refused on the other node after {revokedAccess.TotalMilliseconds:0} / {revokedGrant.TotalMilliseconds:0} / {reuse.TotalMilliseconds:0} ms");
    }

    private static async Task<TokenResponse> AuthorizeAsync(HttpClient http, InteropWorld world, string origin)
    {
        using var receiver = new LoopbackReceiver();
        using var walker = new PageWalker();
        var verifier = CryptoRandom.CreateUniqueId(32, CryptoRandom.OutputFormat.Base64Url);
        var challenge = System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(verifier)));
        var url = new RequestUrl(origin + "/oauth/authorize").CreateAuthorizeUrl(world.Confidential.ClientId, OidcConstants.ResponseTypes.Code,
            InteropWorld.Scope, receiver.RedirectUri, state: "s", codeChallenge: challenge, codeChallengeMethod: OidcConstants.CodeChallengeMethods.Sha256);
        var callback = new AuthorizeResponse((await walker.AuthorizeAsync(url, world.Email, InteropWorld.Password, receiver)).AbsoluteUri);
        var tokens = await http.RequestAuthorizationCodeTokenAsync(new AuthorizationCodeTokenRequest
        {
            Address = origin + "/oauth/token", ClientId = world.Confidential.ClientId, ClientSecret = world.Confidential.ClientSecret!,
            Code = callback.Code!, RedirectUri = receiver.RedirectUri, CodeVerifier = verifier,
        });
        tokens.IsError.ShouldBeFalse(tokens.Raw);
        return tokens;
    }
}
