using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Duende.IdentityModel;
using Duende.IdentityModel.Client;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth.Interop;

/// <summary>
/// The authorization server as a .NET OAuth client nobody here wrote sees it: Duende.IdentityModel's discovery, token,
/// PAR, introspection and revocation requests against a live node over loopback HTTP, with codes obtained through the
/// real sign-in and consent pages (their forms posted with cookies and CSRF tokens) and delivered to a loopback receiver.
/// </summary>
public abstract class DuendeIdentityModelInteropTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private static async Task<DiscoveryDocumentResponse> DiscoverAsync(HttpClient http, InteropWorld world)
    {
        var disco = await http.GetDiscoveryDocumentAsync(new DiscoveryDocumentRequest
        {
            Address = world.Issuer,
            // RFC 8414 metadata rather than OpenID Connect discovery; http is allowed on the loopback address only.
            Policy = { DiscoveryDocumentPath = "/.well-known/oauth-authorization-server", RequireHttps = true, AllowHttpOnLoopback = true },
        });
        disco.IsError.ShouldBeFalse($"{disco.Error} {disco.Exception}\n{disco.Raw}");
        disco.Issuer.ShouldBe(world.Issuer);
        disco.KeySet!.Keys.ShouldNotBeEmpty();
        disco.KeySet.Keys.ShouldAllBe(k => k.Kty == "EC" && k.Crv == "P-256");
        return disco;
    }

    private static async Task<HttpStatusCode> CallApiAsync(HttpClient http, InteropWorld world, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, world.ContactUrl);
        request.SetBearerToken(token);
        using var response = await http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.OK) (await response.Content.ReadAsStringAsync()).ShouldContain(world.ContactId);
        return response.StatusCode;
    }

    /// <summary>Polls until the API refuses the token (revocation reaches the node within its poll interval), for 5 s at most.</summary>
    private static async Task ShouldBeRefusedSoonAsync(HttpClient http, InteropWorld world, string token)
    {
        var started = DateTime.UtcNow;
        HttpStatusCode status;
        while ((status = await CallApiAsync(http, world, token)) == HttpStatusCode.OK && DateTime.UtcNow - started < TimeSpan.FromSeconds(5))
            await Task.Delay(50);
        status.ShouldBe(HttpStatusCode.Unauthorized);
    }

    private static (string Verifier, string Challenge) Pkce()
    {
        var verifier = CryptoRandom.CreateUniqueId(32, CryptoRandom.OutputFormat.Base64Url);
        return (verifier, System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    [Fact(Timeout = 120_000)]
    public async Task ClientCredentialsIntrospectionAndRevocation()
    {
        var world = await InteropWorld.CreateAsync(node);
        using var http = new HttpClient();
        var disco = await DiscoverAsync(http, world);
        var app = world.Confidential;

        var token = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = disco.TokenEndpoint, ClientId = app.ClientId, ClientSecret = app.ClientSecret!, Scope = InteropWorld.ClientScope,
            ClientCredentialStyle = ClientCredentialStyle.AuthorizationHeader,
        });
        token.IsError.ShouldBeFalse(token.Raw);
        token.TokenType.ShouldBe("Bearer");
        token.Scope.ShouldBe(InteropWorld.ClientScope);
        token.RefreshToken.ShouldBeNull();
        (await CallApiAsync(http, world, token.AccessToken!)).ShouldBe(HttpStatusCode.OK);

        // The write scope was not asked for, so the token cannot write.
        using (var write = new HttpRequestMessage(HttpMethod.Post, world.Issuer + "/api/v1/contacts") { Content = System.Net.Http.Json.JsonContent.Create(new { firstName = "No" }) })
        {
            write.SetBearerToken(token.AccessToken!);
            (await http.SendAsync(write)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        }

        var wrong = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = disco.TokenEndpoint, ClientId = app.ClientId, ClientSecret = app.ClientSecret + "x",
            ClientCredentialStyle = ClientCredentialStyle.AuthorizationHeader,
        });
        // RFC 6749 §5.2: 401 with a Basic challenge after HTTP Basic; IdentityModel reports any non-400 status as an HTTP
        // error, so the OAuth error is read from the body.
        wrong.IsError.ShouldBeTrue();
        wrong.HttpStatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        wrong.HttpResponse!.Headers.WwwAuthenticate.ToString().ShouldStartWith("Basic", Case.Insensitive);
        System.Text.Json.JsonDocument.Parse(wrong.Raw!).RootElement.GetProperty("error").GetString().ShouldBe("invalid_client");

        var introspection = await http.IntrospectTokenAsync(new TokenIntrospectionRequest
        {
            Address = disco.IntrospectionEndpoint, ClientId = app.ClientId, ClientSecret = app.ClientSecret!, Token = token.AccessToken!,
        });
        introspection.IsError.ShouldBeFalse(introspection.Raw);
        introspection.IsActive.ShouldBeTrue(introspection.Raw);
        introspection.Claims.ShouldContain(c => c.Type == JwtClaimTypes.ClientId && c.Value == app.ClientId, introspection.Raw);
        introspection.Claims.ShouldContain(c => c.Type == JwtClaimTypes.Scope && c.Value == InteropWorld.ClientScope, introspection.Raw);

        var revoked = await http.RevokeTokenAsync(new TokenRevocationRequest
        {
            Address = disco.RevocationEndpoint, ClientId = app.ClientId, ClientSecret = app.ClientSecret!, Token = token.AccessToken!,
            TokenTypeHint = OidcConstants.TokenTypes.AccessToken,
        });
        revoked.IsError.ShouldBeFalse(revoked.Raw);
        await ShouldBeRefusedSoonAsync(http, world, token.AccessToken!);
        var after = await http.IntrospectTokenAsync(new TokenIntrospectionRequest
        {
            Address = disco.IntrospectionEndpoint, ClientId = app.ClientId, ClientSecret = app.ClientSecret!, Token = token.AccessToken!,
        });
        after.IsActive.ShouldBeFalse(after.Raw);
    }

    [Fact(Timeout = 120_000)]
    public async Task AuthorizationCodeThroughThePagesThenRefreshRotationReuseAndIntrospection()
    {
        var world = await InteropWorld.CreateAsync(node);
        using var http = new HttpClient();
        var disco = await DiscoverAsync(http, world);
        var app = world.Confidential;
        using var receiver = new LoopbackReceiver();
        using var walker = new PageWalker();

        var (verifier, challenge) = Pkce();
        var state = CryptoRandom.CreateUniqueId();
        var url = new RequestUrl(disco.AuthorizeEndpoint!).CreateAuthorizeUrl(
            clientId: app.ClientId, responseType: OidcConstants.ResponseTypes.Code, scope: InteropWorld.Scope, redirectUri: receiver.RedirectUri,
            state: state, codeChallenge: challenge, codeChallengeMethod: OidcConstants.CodeChallengeMethods.Sha256);
        var callback = new AuthorizeResponse((await walker.AuthorizeAsync(url, world.Email, InteropWorld.Password, receiver)).AbsoluteUri);
        callback.IsError.ShouldBeFalse(callback.Raw);
        callback.State.ShouldBe(state);
        callback.Issuer.ShouldBe(disco.Issuer, "RFC 9207: the authorization response names the issuer");
        walker.Visited.ShouldContain(v => v.StartsWith("POST /signin", StringComparison.Ordinal));
        walker.Visited.ShouldContain(v => v.StartsWith("POST /oauth/consent", StringComparison.Ordinal));

        // The code with another verifier, then without one, is refused (RFC 7636 §4.6).
        var badVerifier = await http.RequestAuthorizationCodeTokenAsync(new AuthorizationCodeTokenRequest
        {
            Address = disco.TokenEndpoint, ClientId = app.ClientId, ClientSecret = app.ClientSecret!, Code = callback.Code!,
            RedirectUri = receiver.RedirectUri, CodeVerifier = Pkce().Verifier,
        });
        badVerifier.Error.ShouldBe("invalid_grant", badVerifier.Raw);

        var tokens = await http.RequestAuthorizationCodeTokenAsync(new AuthorizationCodeTokenRequest
        {
            Address = disco.TokenEndpoint, ClientId = app.ClientId, ClientSecret = app.ClientSecret!, Code = callback.Code!,
            RedirectUri = receiver.RedirectUri, CodeVerifier = verifier,
        });
        tokens.IsError.ShouldBeFalse(tokens.Raw);
        tokens.TokenType.ShouldBe("Bearer");
        tokens.RefreshToken.ShouldNotBeNullOrEmpty();
        tokens.Scope!.Split(' ').ShouldBe(InteropWorld.Scope.Split(' '), ignoreOrder: true);
        (await CallApiAsync(http, world, tokens.AccessToken!)).ShouldBe(HttpStatusCode.OK);

        var introspection = await http.IntrospectTokenAsync(new TokenIntrospectionRequest
        {
            Address = disco.IntrospectionEndpoint, ClientId = app.ClientId, ClientSecret = app.ClientSecret!, Token = tokens.AccessToken!,
            TokenTypeHint = OidcConstants.TokenTypes.AccessToken,
        });
        introspection.IsActive.ShouldBeTrue(introspection.Raw);
        introspection.Claims.ShouldContain(c => c.Type == JwtClaimTypes.Subject && c.Value == world.UserId, introspection.Raw);

        var rotated = await http.RequestRefreshTokenAsync(new RefreshTokenRequest
        {
            Address = disco.TokenEndpoint, ClientId = app.ClientId, ClientSecret = app.ClientSecret!, RefreshToken = tokens.RefreshToken!,
        });
        rotated.IsError.ShouldBeFalse(rotated.Raw);
        rotated.RefreshToken.ShouldNotBe(tokens.RefreshToken);
        (await CallApiAsync(http, world, rotated.AccessToken!)).ShouldBe(HttpStatusCode.OK);

        // The rotated refresh token presented again: refused, and every token of the grant is revoked.
        var reuse = await http.RequestRefreshTokenAsync(new RefreshTokenRequest
        {
            Address = disco.TokenEndpoint, ClientId = app.ClientId, ClientSecret = app.ClientSecret!, RefreshToken = tokens.RefreshToken!,
        });
        reuse.IsError.ShouldBeTrue();
        reuse.Error.ShouldBe("invalid_grant");
        await ShouldBeRefusedSoonAsync(http, world, rotated.AccessToken!);
        var newest = await http.RequestRefreshTokenAsync(new RefreshTokenRequest
        {
            Address = disco.TokenEndpoint, ClientId = app.ClientId, ClientSecret = app.ClientSecret!, RefreshToken = rotated.RefreshToken!,
        });
        newest.Error.ShouldBe("invalid_grant", newest.Raw);
    }

    [Fact(Timeout = 120_000)]
    public async Task PushedAuthorizationRequestThenRefreshTokenRevocation()
    {
        var world = await InteropWorld.CreateAsync(node);
        using var http = new HttpClient();
        var disco = await DiscoverAsync(http, world);
        disco.PushedAuthorizationRequestEndpoint.ShouldNotBeNullOrEmpty();
        var app = world.Confidential;
        using var receiver = new LoopbackReceiver();
        using var walker = new PageWalker();

        var (verifier, challenge) = Pkce();
        var state = CryptoRandom.CreateUniqueId();
        var pushed = await http.PushAuthorizationAsync(new PushedAuthorizationRequest
        {
            Address = disco.PushedAuthorizationRequestEndpoint, ClientId = app.ClientId, ClientSecret = app.ClientSecret!,
            ResponseType = OidcConstants.ResponseTypes.Code, RedirectUri = receiver.RedirectUri, Scope = InteropWorld.Scope, State = state,
            CodeChallenge = challenge, CodeChallengeMethod = OidcConstants.CodeChallengeMethods.Sha256,
        });
        pushed.IsError.ShouldBeFalse(pushed.Raw);
        pushed.RequestUri!.ShouldStartWith("urn:ietf:params:oauth:request_uri:");
        pushed.ExpiresIn.ShouldNotBeNull().ShouldBeInRange(1, 600);

        var url = new RequestUrl(disco.AuthorizeEndpoint!).Create(new Parameters
        {
            { OidcConstants.AuthorizeRequest.ClientId, app.ClientId }, { OidcConstants.AuthorizeRequest.RequestUri, pushed.RequestUri! },
        });
        var callback = new AuthorizeResponse((await walker.AuthorizeAsync(url, world.Email, InteropWorld.Password, receiver)).AbsoluteUri);
        callback.State.ShouldBe(state);
        callback.Issuer.ShouldBe(disco.Issuer);

        var tokens = await http.RequestAuthorizationCodeTokenAsync(new AuthorizationCodeTokenRequest
        {
            Address = disco.TokenEndpoint, ClientId = app.ClientId, ClientSecret = app.ClientSecret!, Code = callback.Code!,
            RedirectUri = receiver.RedirectUri, CodeVerifier = verifier, ClientCredentialStyle = ClientCredentialStyle.PostBody,
        });
        tokens.IsError.ShouldBeFalse(tokens.Raw);
        (await CallApiAsync(http, world, tokens.AccessToken!)).ShouldBe(HttpStatusCode.OK);

        // RFC 7009 §2.1: revoking the refresh token ends the access tokens of its grant too.
        var revoked = await http.RevokeTokenAsync(new TokenRevocationRequest
        {
            Address = disco.RevocationEndpoint, ClientId = app.ClientId, ClientSecret = app.ClientSecret!, Token = tokens.RefreshToken!,
            TokenTypeHint = OidcConstants.TokenTypes.RefreshToken,
        });
        revoked.IsError.ShouldBeFalse(revoked.Raw);
        await ShouldBeRefusedSoonAsync(http, world, tokens.AccessToken!);
        var refresh = await http.RequestRefreshTokenAsync(new RefreshTokenRequest
        {
            Address = disco.TokenEndpoint, ClientId = app.ClientId, ClientSecret = app.ClientSecret!, RefreshToken = tokens.RefreshToken!,
        });
        refresh.Error.ShouldBe("invalid_grant", refresh.Raw);
    }
}

public sealed class DuendeIdentityModelInteropTestsOnSqlite(SqliteSwitchboard node) : DuendeIdentityModelInteropTests<SqliteSwitchboard>(node);
public sealed class DuendeIdentityModelInteropTestsOnPostgres(PostgresSwitchboard node) : DuendeIdentityModelInteropTests<PostgresSwitchboard>(node);
