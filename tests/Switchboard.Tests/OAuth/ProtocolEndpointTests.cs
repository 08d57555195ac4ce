using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Switchboard.OAuth;
using Switchboard.Platform.Security;
using Switchboard.Tests.Infrastructure;
using static Switchboard.Tests.OAuth.OAuthTestClient;

namespace Switchboard.Tests.OAuth;

/// <summary>DPoP, pushed authorization requests, revocation, introspection, metadata and private_key_jwt.</summary>
public abstract class ProtocolEndpointTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private async Task<(ApiClient Owner, OAuthTestClient OAuth)> SetUpAsync()
    {
        var owner = node.Client();
        await owner.SignupAsync();
        return (owner, new OAuthTestClient(node));
    }

    [Fact]
    public async Task ADpopBoundTokenWorksOnlyWithAFreshProofOfItsKey()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        using var key = new DpopKey(node.Clock);
        var app = await oauth.CreateAppAsync(owner.OrganizationId!);
        var tokenUrl = oauth.BaseUrl + "/oauth/token";
        var response = await oauth.ClientCredentialsAsync(app, dpopProof: key.Proof("POST", tokenUrl));
        var tokens = await JsonAsync(response);
        tokens["token_type"]!.GetValue<string>().ShouldBe("DPoP");
        var access = tokens["access_token"]!.GetValue<string>();
        Payload(access)["cnf"]!["jkt"]!.GetValue<string>().ShouldBe(key.Thumbprint);

        var url = oauth.BaseUrl + "/api/v1/contacts";
        (await oauth.CallApiAsync("/api/v1/contacts", access, "DPoP", key.Proof("GET", url, access))).StatusCode.ShouldBe(HttpStatusCode.OK);

        // As a Bearer token: refused, naming the DPoP scheme.
        var bearer = await oauth.CallApiAsync("/api/v1/contacts", access);
        await bearer.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");
        bearer.Headers.WwwAuthenticate.ToString().ShouldStartWith("DPoP");
        // Without a proof, with a wrong ath, a replayed jti, another method or URL, another key, an old iat.
        (await oauth.CallApiAsync("/api/v1/contacts", access, "DPoP")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var wrongAth = await oauth.CallApiAsync("/api/v1/contacts", access, "DPoP", key.Proof("GET", url, "another token"));
        wrongAth.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        wrongAth.Headers.WwwAuthenticate.ToString().ShouldContain("error=\"invalid_dpop_proof\"");
        var once = key.Proof("GET", url, access, jti: "same-jti");
        (await oauth.CallApiAsync("/api/v1/contacts", access, "DPoP", once)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await oauth.CallApiAsync("/api/v1/contacts", access, "DPoP", once)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await oauth.CallApiAsync("/api/v1/contacts", access, "DPoP", key.Proof("POST", url, access))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await oauth.CallApiAsync("/api/v1/contacts", access, "DPoP", key.Proof("GET", oauth.BaseUrl + "/api/v1/deals", access))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        using var other = new DpopKey(node.Clock);
        (await oauth.CallApiAsync("/api/v1/contacts", access, "DPoP", other.Proof("GET", url, access))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var old = node.Clock.GetUtcNow().AddMinutes(-5).ToUnixTimeSeconds();
        (await oauth.CallApiAsync("/api/v1/contacts", access, "DPoP", key.Proof("GET", url, access, iat: old))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        // A query string is not part of htu.
        (await oauth.CallApiAsync("/api/v1/contacts?limit=5", access, "DPoP", key.Proof("GET", url, access))).StatusCode.ShouldBe(HttpStatusCode.OK);

        // An unbound token under the DPoP scheme is refused too; as Bearer it works.
        var plain = (await JsonAsync(await oauth.ClientCredentialsAsync(app)))["access_token"]!.GetValue<string>();
        (await oauth.CallApiAsync("/api/v1/contacts", plain, "DPoP", key.Proof("GET", url, plain))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await oauth.CallApiAsync("/api/v1/contacts", plain)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task TheTokenEndpointRefusesBadProofs()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        using var key = new DpopKey(node.Clock);
        var app = await oauth.CreateAppAsync(owner.OrganizationId!);
        var tokenUrl = oauth.BaseUrl + "/oauth/token";
        var withPrivate = key.PublicJwk.DeepClone().AsObject();
        withPrivate["d"] = Base64Url.Encode(RandomNumberGenerator.GetBytes(32));
        foreach (var proof in new[]
        {
            key.Proof("POST", tokenUrl, typ: "JWT"),
            key.Proof("GET", tokenUrl),
            key.Proof("POST", oauth.BaseUrl + "/oauth/par"),
            key.Proof("POST", tokenUrl, jwk: withPrivate),
            key.Proof("POST", tokenUrl, iat: node.Clock.GetUtcNow().AddMinutes(10).ToUnixTimeSeconds()),
            "not-a-jwt",
        })
            await ShouldBeOAuthErrorAsync(await oauth.ClientCredentialsAsync(app, dpopProof: proof), "invalid_dpop_proof");
        var reused = key.Proof("POST", tokenUrl);
        await JsonAsync(await oauth.ClientCredentialsAsync(app, dpopProof: reused));
        await ShouldBeOAuthErrorAsync(await oauth.ClientCredentialsAsync(app, dpopProof: reused), "invalid_dpop_proof");
    }

    [Fact]
    public async Task APublicClientsRefreshTokenIsBoundToItsDpopKeyAndDpopJktBindsTheCode()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        using var key = new DpopKey(node.Clock);
        using var other = new DpopKey(node.Clock);
        var app = await oauth.CreateAppAsync(owner.OrganizationId!, OAuthAppTypes.Public);
        var tokenUrl = oauth.BaseUrl + "/oauth/token";
        var verifier = NewVerifier();
        var code = await oauth.CodeAsync(app, verifier, owner.UserId!, owner.OrganizationId!, extra: ("dpop_jkt", key.Thumbprint));
        await ShouldBeOAuthErrorAsync(await oauth.ExchangeAsync(app, code, verifier), "invalid_dpop_proof");
        await ShouldBeOAuthErrorAsync(await oauth.ExchangeAsync(app, code, verifier, dpopProof: other.Proof("POST", tokenUrl)), "invalid_dpop_proof");
        var tokens = await JsonAsync(await oauth.ExchangeAsync(app, code, verifier, dpopProof: key.Proof("POST", tokenUrl)));
        tokens["token_type"]!.GetValue<string>().ShouldBe("DPoP");
        var refresh = tokens["refresh_token"]!.GetValue<string>();

        await ShouldBeOAuthErrorAsync(await oauth.RefreshAsync(app, refresh), "invalid_dpop_proof");
        await ShouldBeOAuthErrorAsync(await oauth.RefreshAsync(app, refresh, other.Proof("POST", tokenUrl)), "invalid_dpop_proof");
        var next = await JsonAsync(await oauth.RefreshAsync(app, refresh, key.Proof("POST", tokenUrl)));
        Payload(next["access_token"]!.GetValue<string>())["cnf"]!["jkt"]!.GetValue<string>().ShouldBe(key.Thumbprint);
    }

    [Fact]
    public async Task APushedRequestIsUsedOnceByTheClientThatPushedIt()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        var app = await oauth.CreateAppAsync(owner.OrganizationId!);
        var other = await oauth.CreateAppAsync(owner.OrganizationId!);
        var verifier = NewVerifier();
        var push = await oauth.PostFormAsync("/oauth/par", new Dictionary<string, string>
        {
            ["response_type"] = "code", ["redirect_uri"] = app.RedirectUris[0], ["scope"] = "contacts:read", ["state"] = "pushed",
            ["code_challenge"] = Challenge(verifier), ["code_challenge_method"] = "S256",
        }, app);
        var pushed = await JsonAsync(push, HttpStatusCode.Created);
        push.Headers.CacheControl!.NoStore.ShouldBeTrue();
        var requestUri = pushed["request_uri"]!.GetValue<string>();
        requestUri.ShouldStartWith("urn:ietf:params:oauth:request_uri:");
        pushed["expires_in"]!.GetValue<int>().ShouldBe(90);

        // Another client cannot use it; this does not spend it.
        var stolen = await oauth.Http.GetAsync($"/oauth/authorize?client_id={other.ClientId}&request_uri={Uri.EscapeDataString(requestUri)}");
        stolen.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await JsonAsync(stolen, HttpStatusCode.BadRequest))["error"]!.GetValue<string>().ShouldBe("invalid_request_uri");

        var id = await oauth.StartAsync($"/oauth/authorize?client_id={app.ClientId}&request_uri={Uri.EscapeDataString(requestUri)}");
        var redirect = Query(await oauth.ApproveAsync(id, owner.UserId!, owner.OrganizationId!));
        redirect["state"].ShouldBe("pushed");
        await JsonAsync(await oauth.ExchangeAsync(app, redirect["code"], verifier));

        // Once only.
        var again = await oauth.Http.GetAsync($"/oauth/authorize?client_id={app.ClientId}&request_uri={Uri.EscapeDataString(requestUri)}");
        again.StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        // A pushed request is validated when pushed, and refused as JSON.
        var bad = await oauth.PostFormAsync("/oauth/par", new Dictionary<string, string>
        {
            ["response_type"] = "code", ["redirect_uri"] = "https://evil.example/cb", ["code_challenge"] = Challenge(verifier), ["code_challenge_method"] = "S256",
        }, app);
        await ShouldBeOAuthErrorAsync(bad, "invalid_request");
        var unauthenticated = await oauth.PostFormAsync("/oauth/par", new Dictionary<string, string> { ["client_id"] = app.ClientId, ["response_type"] = "code" });
        await ShouldBeOAuthErrorAsync(unauthenticated, "invalid_client", HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ThePushedRequestExpires()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        var app = await oauth.CreateAppAsync(owner.OrganizationId!);
        var pushed = await JsonAsync(await oauth.PostFormAsync("/oauth/par", new Dictionary<string, string>
        {
            ["response_type"] = "code", ["redirect_uri"] = app.RedirectUris[0], ["code_challenge"] = Challenge(NewVerifier()), ["code_challenge_method"] = "S256",
        }, app), HttpStatusCode.Created);
        node.Clock.Advance(TimeSpan.FromSeconds(91));
        var late = await oauth.Http.GetAsync($"/oauth/authorize?client_id={app.ClientId}&request_uri={Uri.EscapeDataString(pushed["request_uri"]!.GetValue<string>())}");
        late.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task RevokingARefreshTokenEndsTheGrantAndAnAccessTokenEndsItself()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        var app = await oauth.CreateAppAsync(owner.OrganizationId!);
        var other = await oauth.CreateAppAsync(owner.OrganizationId!);
        var verifier = NewVerifier();
        var tokens = await JsonAsync(await oauth.ExchangeAsync(app, await oauth.CodeAsync(app, verifier, owner.UserId!, owner.OrganizationId!), verifier));
        var access = tokens["access_token"]!.GetValue<string>();
        var refresh = tokens["refresh_token"]!.GetValue<string>();

        // Unknown tokens and other clients' tokens: 200, nothing revoked.
        (await oauth.PostFormAsync("/oauth/revoke", new Dictionary<string, string> { ["token"] = "sbr_nonsense" }, app)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await oauth.PostFormAsync("/oauth/revoke", new Dictionary<string, string> { ["token"] = refresh }, other)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await oauth.PostFormAsync("/oauth/revoke", new Dictionary<string, string> { ["token"] = access }, other)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await oauth.CallApiAsync("/api/v1/contacts", access)).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await oauth.PostFormAsync("/oauth/revoke", new Dictionary<string, string> { ["token"] = refresh, ["token_type_hint"] = "refresh_token" }, app))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        (await oauth.CallApiAsync("/api/v1/contacts", access)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await ShouldBeOAuthErrorAsync(await oauth.RefreshAsync(app, refresh), "invalid_grant");
        var grant = await node.GrantAsync(Payload(access)["sid"]!.GetValue<string>());
        grant!.RevokedAt.ShouldNotBeNull();

        // An access token alone: that token stops, the app's next token works.
        var cc = (await JsonAsync(await oauth.ClientCredentialsAsync(app)))["access_token"]!.GetValue<string>();
        (await oauth.PostFormAsync("/oauth/revoke", new Dictionary<string, string> { ["token"] = cc }, app)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await oauth.CallApiAsync("/api/v1/contacts", cc)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        node.Clock.Advance(TimeSpan.FromMilliseconds(5));
        var next = (await JsonAsync(await oauth.ClientCredentialsAsync(app)))["access_token"]!.GetValue<string>();
        (await oauth.CallApiAsync("/api/v1/contacts", next)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task IntrospectionTellsAConfidentialClientAboutItsOwnTokensOnly()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        var app = await oauth.CreateAppAsync(owner.OrganizationId!);
        var other = await oauth.CreateAppAsync(owner.OrganizationId!);
        var publicApp = await oauth.CreateAppAsync(owner.OrganizationId!, OAuthAppTypes.Public);
        var verifier = NewVerifier();
        var tokens = await JsonAsync(await oauth.ExchangeAsync(app, await oauth.CodeAsync(app, verifier, owner.UserId!, owner.OrganizationId!), verifier));
        var access = tokens["access_token"]!.GetValue<string>();
        var refresh = tokens["refresh_token"]!.GetValue<string>();

        var active = await JsonAsync(await oauth.PostFormAsync("/oauth/introspect", new Dictionary<string, string> { ["token"] = access }, app));
        active["active"]!.GetValue<bool>().ShouldBeTrue();
        active["client_id"]!.GetValue<string>().ShouldBe(app.ClientId);
        active["sub"]!.GetValue<string>().ShouldBe(owner.UserId);
        active["scope"]!.GetValue<string>().ShouldBe("contacts:read");
        active["token_type"]!.GetValue<string>().ShouldBe("Bearer");
        active["exp"]!.GetValue<long>().ShouldBeGreaterThan(node.Clock.GetUtcNow().ToUnixTimeSeconds());
        var refreshInfo = await JsonAsync(await oauth.PostFormAsync("/oauth/introspect", new Dictionary<string, string> { ["token"] = refresh }, app));
        refreshInfo["active"]!.GetValue<bool>().ShouldBeTrue();
        refreshInfo["token_type"]!.GetValue<string>().ShouldBe("refresh_token");

        foreach (var (token, client) in new[] { (access, other), (refresh, other), ("garbage", app), (owner.AccessToken!, app) })
        {
            var answer = await JsonAsync(await oauth.PostFormAsync("/oauth/introspect", new Dictionary<string, string> { ["token"] = token }, client));
            answer.ToJsonString().ShouldBe("""{"active":false}""");
        }
        await ShouldBeOAuthErrorAsync(await oauth.PostFormAsync("/oauth/introspect", new Dictionary<string, string> { ["token"] = access, ["client_id"] = publicApp.ClientId }),
            "invalid_client", HttpStatusCode.Unauthorized);
        await ShouldBeOAuthErrorAsync(await oauth.PostFormAsync("/oauth/introspect", new Dictionary<string, string> { ["token"] = access }),
            "invalid_client", HttpStatusCode.Unauthorized);

        // Revoked: inactive.
        await oauth.PostFormAsync("/oauth/revoke", new Dictionary<string, string> { ["token"] = refresh }, app);
        foreach (var token in new[] { access, refresh })
            (await JsonAsync(await oauth.PostFormAsync("/oauth/introspect", new Dictionary<string, string> { ["token"] = token }, app)))["active"]!.GetValue<bool>().ShouldBeFalse();
    }

    [Fact]
    public async Task TheMetadataDocumentNamesTheEndpointsAndWhatTheyAccept()
    {
        using var oauth = new OAuthTestClient(node);
        var response = await oauth.Http.GetAsync("/.well-known/oauth-authorization-server");
        var metadata = await JsonAsync(response);
        var issuer = oauth.BaseUrl;
        metadata["issuer"]!.GetValue<string>().ShouldBe(issuer);
        metadata["authorization_endpoint"]!.GetValue<string>().ShouldBe(issuer + "/oauth/authorize");
        metadata["token_endpoint"]!.GetValue<string>().ShouldBe(issuer + "/oauth/token");
        metadata["pushed_authorization_request_endpoint"]!.GetValue<string>().ShouldBe(issuer + "/oauth/par");
        metadata["revocation_endpoint"]!.GetValue<string>().ShouldBe(issuer + "/oauth/revoke");
        metadata["introspection_endpoint"]!.GetValue<string>().ShouldBe(issuer + "/oauth/introspect");
        metadata["jwks_uri"]!.GetValue<string>().ShouldBe(issuer + "/.well-known/jwks.json");
        metadata["code_challenge_methods_supported"]!.AsArray().Select(v => v!.GetValue<string>()).ShouldBe(["S256"]);
        metadata["grant_types_supported"]!.AsArray().Select(v => v!.GetValue<string>()).ShouldBe(["authorization_code", "client_credentials", "refresh_token"]);
        metadata["authorization_response_iss_parameter_supported"]!.GetValue<bool>().ShouldBeTrue();
        metadata["require_pushed_authorization_requests"]!.GetValue<bool>().ShouldBeFalse();
        metadata["dpop_signing_alg_values_supported"]!.AsArray().Select(v => v!.GetValue<string>()).ShouldBe(["ES256", "RS256", "PS256"]);
        metadata["token_endpoint_auth_methods_supported"]!.AsArray().Select(v => v!.GetValue<string>())
            .ShouldBe(["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]);
        var scopes = metadata["scopes_supported"]!.AsArray().Select(v => v!.GetValue<string>()).ToList();
        scopes.ShouldContain("contacts:read");
        scopes.ShouldContain("admin");

        // The JWKS it names verifies the access tokens.
        var jwks = await JsonAsync(await oauth.Http.GetAsync(metadata["jwks_uri"]!.GetValue<string>()));
        jwks["keys"]!.AsArray().Count.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task OpenIdConnectGivesAnIdTokenAndUserInfoWithinTheGrantedScopes()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        var app = await oauth.CreateAppAsync(owner.OrganizationId!);
        var verifier = NewVerifier();
        var signedInAt = node.Clock.GetUtcNow().UtcDateTime.AddMinutes(-3);
        var id = await oauth.StartAsync(AuthorizeQuery(app, Challenge(verifier), "openid profile email contacts:read", extra: [("nonce", "n-0S6_WzA2Mj"), ("max_age", "600")]));
        var code = Query(await oauth.ApproveAsync(id, owner.UserId!, owner.OrganizationId!, authenticatedAt: signedInAt))["code"];
        var tokens = await JsonAsync(await oauth.ExchangeAsync(app, code, verifier));
        tokens["scope"]!.GetValue<string>().ShouldBe("openid profile email contacts:read");
        var access = tokens["access_token"]!.GetValue<string>();
        var idToken = tokens["id_token"]!.GetValue<string>();

        // The ID token verifies with the published keys and says who, for whom, and when.
        var jwks = new Microsoft.IdentityModel.Tokens.JsonWebKeySet(await oauth.Http.GetStringAsync("/.well-known/jwks.json"));
        var result = await new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().ValidateTokenAsync(idToken, new Microsoft.IdentityModel.Tokens.TokenValidationParameters
        {
            ValidIssuer = oauth.Issuer, ValidAudience = app.ClientId, IssuerSigningKeys = jwks.GetSigningKeys(), ValidateLifetime = false,
        });
        result.IsValid.ShouldBeTrue(result.Exception?.Message);
        var claims = Payload(idToken);
        claims["sub"]!.GetValue<string>().ShouldBe(owner.UserId);
        claims["nonce"]!.GetValue<string>().ShouldBe("n-0S6_WzA2Mj");
        claims["auth_time"]!.GetValue<long>().ShouldBe(new DateTimeOffset(signedInAt).ToUnixTimeSeconds());
        var hash = SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(access));
        claims["at_hash"]!.GetValue<string>().ShouldBe(Base64Url.Encode(hash.AsSpan(0, 16)));

        var info = await JsonAsync(await oauth.CallApiAsync("/oauth/userinfo", access));
        info["sub"]!.GetValue<string>().ShouldBe(owner.UserId);
        info["name"]!.GetValue<string>().ShouldBe("Owner");
        info["email"]!.GetValue<string>().ShouldContain("@example.com");
        (await oauth.CallApiAsync("/api/v1/contacts", access)).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Without openid: no ID token, and userinfo refuses the token; a client_credentials token has no user at all.
        var plainVerifier = NewVerifier();
        var plain = await JsonAsync(await oauth.ExchangeAsync(app, await oauth.CodeAsync(app, plainVerifier, owner.UserId!, owner.OrganizationId!, "contacts:read"), plainVerifier));
        plain.ContainsKey("id_token").ShouldBeFalse();
        var refused = await oauth.CallApiAsync("/oauth/userinfo", plain["access_token"]!.GetValue<string>());
        refused.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        refused.Headers.WwwAuthenticate.ToString().ShouldContain("insufficient_scope");
        await ShouldBeOAuthErrorAsync(await oauth.ClientCredentialsAsync(app, "openid contacts:read"), "invalid_scope");
        (await oauth.Http.GetAsync("/oauth/userinfo")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var discovery = await JsonAsync(await oauth.Http.GetAsync("/.well-known/openid-configuration"));
        discovery["issuer"]!.GetValue<string>().ShouldBe(oauth.Issuer);
        discovery["userinfo_endpoint"]!.GetValue<string>().ShouldBe(oauth.Issuer + "/oauth/userinfo");
        discovery["id_token_signing_alg_values_supported"]!.AsArray().Select(v => v!.GetValue<string>()).ShouldBe(["ES256"]);
        discovery["scopes_supported"]!.AsArray().Select(v => v!.GetValue<string>()).ShouldContain("openid");
    }

    [Fact]
    public async Task PrivateKeyJwtAuthenticatesWithAKeyOfTheAppsSetOnce()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        using var signing = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = signing.ExportParameters(false);
        var jwks = new JsonObject { ["keys"] = new JsonArray(new JsonObject
        {
            ["kty"] = "EC", ["crv"] = "P-256", ["kid"] = "k1", ["use"] = "sig", ["alg"] = "ES256",
            ["x"] = Base64Url.Encode(p.Q.X!), ["y"] = Base64Url.Encode(p.Q.Y!),
        }) }.ToJsonString();
        var app = await oauth.CreateAppAsync(owner.OrganizationId!, jwks: jwks);
        string Assertion(string? aud = null, string? jti = null, long? exp = null, ECDsa? key = null, string? sub = null) => DpopKey.Sign(
            new JsonObject { ["alg"] = "ES256", ["typ"] = "JWT", ["kid"] = "k1" },
            new JsonObject
            {
                ["iss"] = app.ClientId, ["sub"] = sub ?? app.ClientId, ["aud"] = aud ?? oauth.BaseUrl + "/oauth/token",
                ["jti"] = jti ?? Guid.NewGuid().ToString("N"), ["exp"] = exp ?? node.Clock.GetUtcNow().AddMinutes(2).ToUnixTimeSeconds(),
                ["iat"] = node.Clock.GetUtcNow().ToUnixTimeSeconds(),
            }, key ?? signing);
        Task<HttpResponseMessage> WithAssertion(string assertion) => oauth.PostFormAsync("/oauth/token", new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = assertion, ["client_id"] = app.ClientId,
        });

        var once = Assertion(jti: "unique-1");
        await JsonAsync(await WithAssertion(once));
        await JsonAsync(await WithAssertion(Assertion(aud: oauth.BaseUrl)));
        await ShouldBeOAuthErrorAsync(await WithAssertion(once), "invalid_client", HttpStatusCode.Unauthorized);
        await ShouldBeOAuthErrorAsync(await WithAssertion(Assertion(aud: "https://elsewhere.example/token")), "invalid_client", HttpStatusCode.Unauthorized);
        await ShouldBeOAuthErrorAsync(await WithAssertion(Assertion(exp: node.Clock.GetUtcNow().AddMinutes(-5).ToUnixTimeSeconds())), "invalid_client", HttpStatusCode.Unauthorized);
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await ShouldBeOAuthErrorAsync(await WithAssertion(Assertion(key: stranger)), "invalid_client", HttpStatusCode.Unauthorized);
        await ShouldBeOAuthErrorAsync(await WithAssertion(Assertion(sub: "sbc_someone_else")), "invalid_client", HttpStatusCode.Unauthorized);
        // Two methods at once are refused.
        var both = await oauth.PostFormAsync("/oauth/token", new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = Assertion(), ["client_secret"] = app.Secret!, ["client_id"] = app.ClientId,
        });
        await ShouldBeOAuthErrorAsync(both, "invalid_request");
    }
}

public sealed class ProtocolEndpointTestsOnSqlite(SqliteSwitchboard node) : ProtocolEndpointTests<SqliteSwitchboard>(node);
public sealed class ProtocolEndpointTestsOnPostgres(PostgresSwitchboard node) : ProtocolEndpointTests<PostgresSwitchboard>(node);
