using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.OAuth;
using Switchboard.Tests.Infrastructure;
using static Switchboard.Tests.OAuth.OAuthTestClient;

namespace Switchboard.Tests.OAuth;

/// <summary>The authorization code, client_credentials and refresh grants, and the refusals RFC 9700 asks for.</summary>
public abstract class ProtocolTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private async Task<(ApiClient Owner, OAuthTestClient OAuth)> SetUpAsync()
    {
        var owner = node.Client();
        await owner.SignupAsync();
        return (owner, new OAuthTestClient(node));
    }

    [Fact]
    public async Task AuthorizationCodeWithPkceGivesATokenTheApiAcceptsWithinItsScopes()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        var app = await oauth.CreateAppAsync(owner.OrganizationId!);
        var verifier = NewVerifier();
        var code = await oauth.CodeAsync(app, verifier, owner.UserId!, owner.OrganizationId!, "contacts:read");

        var response = await oauth.ExchangeAsync(app, code, verifier);
        var tokens = await JsonAsync(response);
        response.Headers.CacheControl!.NoStore.ShouldBeTrue();
        tokens["token_type"]!.GetValue<string>().ShouldBe("Bearer");
        tokens["scope"]!.GetValue<string>().ShouldBe("contacts:read");
        tokens["refresh_token"]!.GetValue<string>().ShouldStartWith("sbr_");
        var access = tokens["access_token"]!.GetValue<string>();
        Header(access)["typ"]!.GetValue<string>().ShouldBe("at+jwt");
        var claims = Payload(access);
        claims["iss"]!.GetValue<string>().ShouldBe(oauth.BaseUrl);
        claims["aud"]!.GetValue<string>().ShouldBe(oauth.BaseUrl + "/api");
        claims["sub"]!.GetValue<string>().ShouldBe(owner.UserId);
        claims["client_id"]!.GetValue<string>().ShouldBe(app.ClientId);
        claims["org"]!.GetValue<string>().ShouldBe(owner.OrganizationId);
        claims["sid"]!.GetValue<string>().ShouldStartWith("grt_");

        (await oauth.CallApiAsync("/api/v1/contacts", access)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var me = await JsonAsync(await oauth.CallApiAsync("/api/v1/me", access));
        me["kind"]!.GetValue<string>().ShouldBe("oauth_client");
        // contacts:write was not granted; the owner's role would allow it.
        var write = await oauth.CallApiAsync("/api/v1/contacts", access, method: HttpMethod.Post);
        write.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await oauth.CallApiAsync("/api/v1/api-keys", access)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task AuthorizeWithoutPkceOrWithPlainIsRedirectedWithAnError()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        var app = await oauth.CreateAppAsync(owner.OrganizationId!);
        var challenge = Challenge(NewVerifier());
        foreach (var (query, hint) in new[]
        {
            ($"/oauth/authorize?response_type=code&client_id={app.ClientId}&redirect_uri={Uri.EscapeDataString(app.RedirectUris[0])}&state=s1", "code_challenge is required"),
            (AuthorizeQuery(app, challenge, extra: ("code_challenge_method", "plain")), "must be S256"),
            ($"/oauth/authorize?response_type=code&client_id={app.ClientId}&redirect_uri={Uri.EscapeDataString(app.RedirectUris[0])}&state=s1&code_challenge={challenge}", "code_challenge_method is required"),
        })
        {
            var response = await oauth.Http.GetAsync(query);
            response.StatusCode.ShouldBe(HttpStatusCode.SeeOther);
            var location = response.Headers.Location!;
            location.GetLeftPart(UriPartial.Path).ShouldBe(app.RedirectUris[0]);
            var q = Query(location);
            q["error"].ShouldBe("invalid_request");
            q["error_description"].ShouldContain(hint);
            q["iss"].ShouldBe(oauth.BaseUrl);
        }
    }

    [Fact]
    public async Task TheTokenEndpointRefusesAMissingOrWrongVerifier()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        var app = await oauth.CreateAppAsync(owner.OrganizationId!, OAuthAppTypes.Public);
        var verifier = NewVerifier();
        var code = await oauth.CodeAsync(app, verifier, owner.UserId!, owner.OrganizationId!);

        var missing = await oauth.PostFormAsync("/oauth/token", new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = app.RedirectUris[0], ["client_id"] = app.ClientId,
        });
        (await ShouldBeOAuthErrorAsync(missing, "invalid_grant"))["error_description"]!.GetValue<string>().ShouldContain("code_verifier");
        await ShouldBeOAuthErrorAsync(await oauth.ExchangeAsync(app, code, NewVerifier()), "invalid_grant");
        // The failed attempts did not spend the code: the right verifier still works, once.
        await JsonAsync(await oauth.ExchangeAsync(app, code, verifier));
    }

    [Fact]
    public async Task AReplayedCodeIsRefusedAndRevokesWhatItIssued()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        var app = await oauth.CreateAppAsync(owner.OrganizationId!);
        var verifier = NewVerifier();
        var code = await oauth.CodeAsync(app, verifier, owner.UserId!, owner.OrganizationId!);
        var tokens = await JsonAsync(await oauth.ExchangeAsync(app, code, verifier));
        var access = tokens["access_token"]!.GetValue<string>();
        (await oauth.CallApiAsync("/api/v1/contacts", access)).StatusCode.ShouldBe(HttpStatusCode.OK);

        await ShouldBeOAuthErrorAsync(await oauth.ExchangeAsync(app, code, verifier), "invalid_grant");

        (await oauth.CallApiAsync("/api/v1/contacts", access)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await ShouldBeOAuthErrorAsync(await oauth.RefreshAsync(app, tokens["refresh_token"]!.GetValue<string>()), "invalid_grant");
        var grant = await node.GrantAsync(Payload(access)["sid"]!.GetValue<string>());
        grant!.RevokedAt.ShouldNotBeNull();
        var events = await node.EventsForAsync(grant.Id);
        events.Select(e => e.Type).ShouldBe([OAuthResources.GrantedEvent, OAuthResources.RevokedEvent]);
    }

    [Fact]
    public async Task RefreshRotatesAndAReusedRefreshTokenRevokesTheWholeGrant()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        var app = await oauth.CreateAppAsync(owner.OrganizationId!, OAuthAppTypes.Public);
        var verifier = NewVerifier();
        var first = await JsonAsync(await oauth.ExchangeAsync(app, await oauth.CodeAsync(app, verifier, owner.UserId!, owner.OrganizationId!), verifier));
        var firstRefresh = first["refresh_token"]!.GetValue<string>();

        var second = await JsonAsync(await oauth.RefreshAsync(app, firstRefresh));
        var secondRefresh = second["refresh_token"]!.GetValue<string>();
        secondRefresh.ShouldNotBe(firstRefresh);
        var access = second["access_token"]!.GetValue<string>();
        Payload(access)["sid"]!.GetValue<string>().ShouldBe(Payload(first["access_token"]!.GetValue<string>())["sid"]!.GetValue<string>());
        (await oauth.CallApiAsync("/api/v1/contacts", access)).StatusCode.ShouldBe(HttpStatusCode.OK);

        // The rotated token again: refused, and everything of the grant stops working.
        (await ShouldBeOAuthErrorAsync(await oauth.RefreshAsync(app, firstRefresh), "invalid_grant"))["error_description"]!.GetValue<string>().ShouldContain("revoked");
        await ShouldBeOAuthErrorAsync(await oauth.RefreshAsync(app, secondRefresh), "invalid_grant");
        (await oauth.CallApiAsync("/api/v1/contacts", access)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await node.GrantAsync(Payload(access)["sid"]!.GetValue<string>()))!.RevokedAt.ShouldNotBeNull();
    }

    [Fact]
    public async Task TheRedirectUriMustEqualTheRequestsAtTheTokenEndpoint()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        var app = await oauth.CreateAppAsync(owner.OrganizationId!, redirectUris: ["https://client.example/cb", "https://client.example/other"]);
        var verifier = NewVerifier();
        var code = await oauth.CodeAsync(app, verifier, owner.UserId!, owner.OrganizationId!);
        await ShouldBeOAuthErrorAsync(await oauth.ExchangeAsync(app, code, verifier, "https://client.example/other"), "invalid_grant");
        await JsonAsync(await oauth.ExchangeAsync(app, code, verifier));
    }

    [Fact]
    public async Task AnUnknownClientOrUnregisteredRedirectUriGetsAPageNeverARedirect()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        var app = await oauth.CreateAppAsync(owner.OrganizationId!, redirectUris: ["https://client.example/cb", "http://127.0.0.1/native"]);
        var challenge = Challenge(NewVerifier());
        string[] refused =
        [
            AuthorizeQuery(app with { ClientId = "sbc_unknown" }, challenge),
            AuthorizeQuery(app, challenge, redirectUri: "https://evil.example/cb"),
            AuthorizeQuery(app, challenge, redirectUri: "https://client.example/cb/../evil"),
            AuthorizeQuery(app, challenge, redirectUri: "https://client.example/cb?x=1"),
            AuthorizeQuery(app, challenge, redirectUri: "https://CLIENT.example/cb"),
            AuthorizeQuery(app, challenge, redirectUri: "http://client.example/cb"),
            AuthorizeQuery(app, challenge, redirectUri: "http://127.0.0.1:4000/elsewhere"),
            AuthorizeQuery(app, challenge, redirectUri: "http://localhost:4000/native"),
        ];
        foreach (var url in refused)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.ParseAdd("text/html");
            var response = await oauth.Http.SendAsync(request);
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, url);
            response.Headers.Location.ShouldBeNull();
            response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
            (await response.Content.ReadAsStringAsync()).ShouldNotContain("evil.example");
            var json = await oauth.Http.GetAsync(url);
            (await JsonAsync(json, HttpStatusCode.BadRequest))["error"]!.GetValue<string>().ShouldBeOneOf("invalid_request", "invalid_client");
        }
        // RFC 8252 §7.3: a loopback redirect URI may name any port.
        await oauth.StartAsync(AuthorizeQuery(app, challenge, redirectUri: "http://127.0.0.1:49152/native"));
    }

    [Fact]
    public async Task OnlyCodeIsAnAcceptedResponseTypeAndPasswordIsNoGrant()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        var app = await oauth.CreateAppAsync(owner.OrganizationId!);
        var response = await oauth.Http.GetAsync(AuthorizeQuery(app, Challenge(NewVerifier()), extra: ("response_type", "token")));
        response.StatusCode.ShouldBe(HttpStatusCode.SeeOther);
        Query(response.Headers.Location!)["error"].ShouldBe("unsupported_response_type");
        Query(response.Headers.Location!)["state"].ShouldBe("xyz");

        var password = await oauth.PostFormAsync("/oauth/token", new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["username"] = "someone@example.com", ["password"] = "secret",
        }, app);
        await ShouldBeOAuthErrorAsync(password, "unsupported_grant_type");
    }

    [Fact]
    public async Task APostToAuthorizeIsAnsweredWith303()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        var app = await oauth.CreateAppAsync(owner.OrganizationId!);
        var form = new Dictionary<string, string>
        {
            ["response_type"] = "code", ["client_id"] = app.ClientId, ["redirect_uri"] = app.RedirectUris[0], ["state"] = "p",
            ["code_challenge"] = Challenge(NewVerifier()), ["code_challenge_method"] = "S256", ["scope"] = "contacts:read",
        };
        var ok = await oauth.PostFormAsync("/oauth/authorize", form);
        ok.StatusCode.ShouldBe(HttpStatusCode.SeeOther);
        ok.Headers.Location!.OriginalString.ShouldStartWith("/oauth/consent?request=azr_");
        form["scope"] = "webhooks:write";
        var refused = await oauth.PostFormAsync("/oauth/authorize", form);
        refused.StatusCode.ShouldBe(HttpStatusCode.SeeOther);
        Query(refused.Headers.Location!)["error"].ShouldBe("invalid_scope");
    }

    [Fact]
    public async Task ACodeIssuedToOneClientCannotBeRedeemedByAnother()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        var app = await oauth.CreateAppAsync(owner.OrganizationId!);
        var other = await oauth.CreateAppAsync(owner.OrganizationId!);
        var verifier = NewVerifier();
        var code = await oauth.CodeAsync(app, verifier, owner.UserId!, owner.OrganizationId!);
        await ShouldBeOAuthErrorAsync(await oauth.ExchangeAsync(other, code, verifier), "invalid_grant");
        var wrongSecret = await oauth.PostFormAsync("/oauth/token", new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = app.RedirectUris[0], ["code_verifier"] = verifier,
        }, app, secret: other.Secret);
        await ShouldBeOAuthErrorAsync(wrongSecret, "invalid_client", HttpStatusCode.Unauthorized);
        wrongSecret.Headers.WwwAuthenticate.ToString().ShouldStartWith("Basic");
        await JsonAsync(await oauth.ExchangeAsync(app, code, verifier));
    }

    [Fact]
    public async Task ClientCredentialsIsForConfidentialAppsAndStaysInTheAppsOrganizationAndScopes()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        var app = await oauth.CreateAppAsync(owner.OrganizationId!, scopes: ["contacts:read"]);
        await owner.PostAsync("/api/v1/contacts", new { firstName = "Ada", lastName = "L", email = "ada@example.com" });

        var post = await oauth.PostFormAsync("/oauth/token", new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = app.ClientId, ["client_secret"] = app.Secret!,
        });
        var tokens = await JsonAsync(post);
        tokens.ContainsKey("refresh_token").ShouldBeFalse();
        var access = tokens["access_token"]!.GetValue<string>();
        var claims = Payload(access);
        claims["sub"]!.GetValue<string>().ShouldBe(app.ClientId);
        claims["org"]!.GetValue<string>().ShouldBe(owner.OrganizationId);
        claims.ContainsKey("role").ShouldBeFalse();
        var contacts = await JsonAsync(await oauth.CallApiAsync("/api/v1/contacts", access));
        contacts["data"]!.AsArray().Count.ShouldBe(1);
        (await oauth.CallApiAsync("/api/v1/contacts", access, method: HttpMethod.Post)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        await ShouldBeOAuthErrorAsync(await oauth.ClientCredentialsAsync(app, "contacts:write"), "invalid_scope");
        await ShouldBeOAuthErrorAsync(await oauth.ClientCredentialsAsync(app, "admin"), "invalid_scope");

        var publicApp = await oauth.CreateAppAsync(owner.OrganizationId!, OAuthAppTypes.Public);
        await ShouldBeOAuthErrorAsync(await oauth.PostFormAsync("/oauth/token", new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = publicApp.ClientId,
        }), "unauthorized_client");
        // A confidential app that does not authenticate is no client at all.
        await ShouldBeOAuthErrorAsync(await oauth.PostFormAsync("/oauth/token", new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = app.ClientId,
        }), "invalid_client", HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ThePreviousSecretWorksOnlyUntilItsGraceEnds()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        var previous = "sbs_" + Guid.NewGuid().ToString("N");
        var app = await oauth.CreateAppAsync(owner.OrganizationId!, previousSecret: previous, previousSecretExpiresAt: node.Clock.GetUtcNow().UtcDateTime.AddMinutes(5));
        await JsonAsync(await oauth.PostFormAsync("/oauth/token", new Dictionary<string, string> { ["grant_type"] = "client_credentials" }, app, secret: previous));
        node.Clock.Advance(TimeSpan.FromMinutes(6));
        await ShouldBeOAuthErrorAsync(await oauth.PostFormAsync("/oauth/token", new Dictionary<string, string> { ["grant_type"] = "client_credentials" }, app, secret: previous),
            "invalid_client", HttpStatusCode.Unauthorized);
        await JsonAsync(await oauth.ClientCredentialsAsync(app));
    }

    [Fact]
    public async Task AnAppOfOneOrganizationGetsNoTokensForAnothersData()
    {
        var (ownerA, oauth) = await SetUpAsync();
        using var _ = ownerA; using var __ = oauth;
        using var ownerB = node.Client();
        await ownerB.SignupAsync(organization: "Other");
        await ownerB.PostAsync("/api/v1/contacts", new { firstName = "Secret", lastName = "B", email = "b@example.com" });
        var appOfA = await oauth.CreateAppAsync(ownerA.OrganizationId!);

        // client_credentials: the app's own organization only.
        var cc = Payload((await JsonAsync(await oauth.ClientCredentialsAsync(appOfA)))["access_token"]!.GetValue<string>());
        cc["org"]!.GetValue<string>().ShouldBe(ownerA.OrganizationId);

        // A user of A cannot approve for B, where they are no member.
        var id = await oauth.StartAsync(AuthorizeQuery(appOfA, Challenge(NewVerifier())));
        var redirect = await oauth.ApproveAsync(id, ownerA.UserId!, ownerB.OrganizationId!);
        Query(redirect)["error"].ShouldBe("access_denied");

        // B's owner may authorize A's app for B (a third-party app), and the token reaches B's data only.
        var verifier = NewVerifier();
        var code = await oauth.CodeAsync(appOfA, verifier, ownerB.UserId!, ownerB.OrganizationId!);
        var access = (await JsonAsync(await oauth.ExchangeAsync(appOfA, code, verifier)))["access_token"]!.GetValue<string>();
        var contacts = await JsonAsync(await oauth.CallApiAsync("/api/v1/contacts", access));
        contacts["data"]!.AsArray().Single()!["firstName"]!.GetValue<string>().ShouldBe("Secret");
    }

    [Fact]
    public async Task ATokensScopesNeverExceedTheAppsOrTheUsersRole()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        using var viewer = node.Client();
        await viewer.SignupAsync(organization: "Viewer's own");
        await oauth.AddMemberAsync(owner.OrganizationId!, viewer.UserId!, "viewer");
        var app = await oauth.CreateAppAsync(owner.OrganizationId!, scopes: ["contacts:read", "contacts:write"]);

        // The app asks for more than it was registered for: refused at authorize.
        var tooMuch = await oauth.Http.GetAsync(AuthorizeQuery(app, Challenge(NewVerifier()), "contacts:read admin"));
        Query(tooMuch.Headers.Location!)["error"].ShouldBe("invalid_scope");

        // A viewer can grant read but not write.
        var verifier = NewVerifier();
        var id = await oauth.StartAsync(AuthorizeQuery(app, Challenge(verifier), "contacts:read contacts:write"));
        var code = Query(await oauth.ApproveAsync(id, viewer.UserId!, owner.OrganizationId!))["code"];
        var tokens = await JsonAsync(await oauth.ExchangeAsync(app, code, verifier));
        tokens["scope"]!.GetValue<string>().ShouldBe("contacts:read");
        var access = tokens["access_token"]!.GetValue<string>();
        (await oauth.CallApiAsync("/api/v1/contacts", access)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await oauth.CallApiAsync("/api/v1/contacts", access, method: HttpMethod.Post)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task AnAppIsRateLimitedCountedInUsageAndNamedInTheAuditLogAsAKeyIs()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        var app = await oauth.CreateAppAsync(owner.OrganizationId!, scopes: ["contacts:read", "api_keys:write"]);
        var access = (await JsonAsync(await oauth.ClientCredentialsAsync(app)))["access_token"]!.GetValue<string>();
        for (var i = 0; i < 3; i++)
        {
            var response = await oauth.CallApiAsync("/api/v1/contacts", access);
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            response.Headers.GetValues("RateLimit-Policy").Single().ShouldContain("\"oauth_app\"");
        }
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/api-keys") { Content = System.Net.Http.Json.JsonContent.Create(new { name = "made by an app", scopes = new[] { "contacts:read" } }) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", access);
        (await oauth.Http.SendAsync(request)).StatusCode.ShouldBe(HttpStatusCode.Created);

        await node.Services.GetRequiredService<Switchboard.Usage.UsageRecorder>().FlushAsync(CancellationToken.None);
        var usage = await owner.GetJsonAsync($"/api/v1/usage?clientId={app.ClientId}");
        usage["totals"]!["requests"]!.GetValue<long>().ShouldBe(4);
        usage["clientId"]!.GetValue<string>().ShouldBe(app.ClientId);
        var all = await owner.GetJsonAsync("/api/v1/usage");
        var top = all["topApps"]!.AsArray().Single()!;
        top["clientId"]!.GetValue<string>().ShouldBe(app.ClientId);
        top["requests"]!.GetValue<long>().ShouldBe(4);

        var audit = (await owner.GetJsonAsync("/api/v1/audit-logs?limit=100"))["data"]!.AsArray();
        var created = audit.First(a => a!["action"]!.GetValue<string>() == "api_key.created")!;
        created["actorType"]!.GetValue<string>().ShouldBe("oauth_client");
        created["actorId"]!.GetValue<string>().ShouldBe(app.ClientId);
    }

    [Fact]
    public async Task AnOAuthRefreshTokenIsNoFirstPartySessionToken()
    {
        var (owner, oauth) = await SetUpAsync();
        using var _ = owner; using var __ = oauth;
        var app = await oauth.CreateAppAsync(owner.OrganizationId!);
        var verifier = NewVerifier();
        var tokens = await JsonAsync(await oauth.ExchangeAsync(app, await oauth.CodeAsync(app, verifier, owner.UserId!, owner.OrganizationId!), verifier));
        using var anonymous = node.Client();
        var refresh = await anonymous.PostAsync("/api/v1/auth/refresh", new { refreshToken = tokens["refresh_token"]!.GetValue<string>() });
        await refresh.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "invalid_refresh_token");
    }
}

public sealed class ProtocolTestsOnSqlite(SqliteSwitchboard node) : ProtocolTests<SqliteSwitchboard>(node);
public sealed class ProtocolTestsOnPostgres(PostgresSwitchboard node) : ProtocolTests<PostgresSwitchboard>(node);
