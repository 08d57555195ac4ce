using System.Net;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Identity;

public abstract class AuthTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    [Fact]
    public async Task SignupCreatesAnOrganizationWhoseOwnerIsSignedIn()
    {
        using var client = node.Client();
        var auth = await client.SignupAsync(organization: "Globex");

        auth["tokenType"]!.GetValue<string>().ShouldBe("Bearer");
        auth["expiresIn"]!.GetValue<int>().ShouldBe(900);
        auth["organization"]!["name"]!.GetValue<string>().ShouldBe("Globex");
        auth["organization"]!["role"]!.GetValue<string>().ShouldBe("owner");
        auth["organization"]!["id"]!.GetValue<string>().ShouldStartWith("org_");
        auth["user"]!["id"]!.GetValue<string>().ShouldStartWith("usr_");
        auth["refreshToken"]!.GetValue<string>().ShouldStartWith("sbr_");

        var me = await client.GetJsonAsync("/api/v1/me");
        me["kind"]!.GetValue<string>().ShouldBe("user");
        me["organizationId"]!.GetValue<string>().ShouldBe(client.OrganizationId);
        me["role"]!.GetValue<string>().ShouldBe("owner");
    }

    [Fact]
    public async Task AccessTokensAreEs256AtJwtsVerifiableWithThePublishedJwks()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var token = new JsonWebToken(client.AccessToken);
        token.Alg.ShouldBe("ES256");
        token.Typ.ShouldBe("at+jwt");
        token.GetClaim("org").Value.ShouldBe(client.OrganizationId);
        token.GetClaim("sub").Value.ShouldBe(client.UserId);

        var jwks = await client.GetJsonAsync("/.well-known/jwks.json");
        var key = jwks["keys"]!.AsArray().Single(k => k!["kid"]!.GetValue<string>() == token.Kid)!;
        key["kty"]!.GetValue<string>().ShouldBe("EC");
        key["crv"]!.GetValue<string>().ShouldBe("P-256");
        key.AsObject().ContainsKey("d").ShouldBeFalse("the JWKS must never carry the private key");

        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(client.AccessToken, new Microsoft.IdentityModel.Tokens.TokenValidationParameters
        {
            ValidIssuer = "switchboard", ValidAudience = "switchboard", ValidTypes = ["at+jwt"],
            IssuerSigningKey = new Microsoft.IdentityModel.Tokens.JsonWebKey(key.ToJsonString()),
            LifetimeValidator = (_, _, _, _) => true,
        });
        validation.IsValid.ShouldBeTrue(validation.Exception?.Message);
    }

    [Fact]
    public async Task ATamperedAccessTokenIsRefused()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var parts = client.AccessToken!.Split('.');
        var payload = JsonNode.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(parts[1]))!.AsObject();
        payload["scope"] = "admin";
        payload["org"] = "org_01ANOTHERORGANIZATION00000";
        var forged = $"{parts[0]}.{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(payload.ToJsonString())}.{parts[2]}";

        var response = await client.WithBearer(forged).GetAsync("/api/v1/me");
        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");
        response.Headers.WwwAuthenticate.ToString().ShouldContain("invalid_token");
    }

    [Fact]
    public async Task AnExpiredAccessTokenIsRefused()
    {
        using var client = node.Client();
        await client.SignupAsync();
        node.Clock.Advance(TimeSpan.FromMinutes(16));
        var response = await client.GetAsync("/api/v1/me");
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");
        problem["detail"]!.GetValue<string>().ShouldContain("expired");
    }

    [Fact]
    public async Task SignupWithATakenEmailAnswersConflict()
    {
        using var client = node.Client();
        var email = $"dup-{Guid.NewGuid():N}@example.com";
        await client.SignupAsync(email);
        var again = await client.Anonymous().PostAsync("/api/v1/auth/signup",
            new { email = email.ToUpperInvariant(), password = "another long password", name = "X", organizationName = "Y" });
        await again.ShouldBeProblemAsync(HttpStatusCode.Conflict, "email_taken");
    }

    [Fact]
    public async Task SignupValidatesEveryFieldWithFieldErrors()
    {
        using var client = node.Client();
        var response = await client.PostAsync("/api/v1/auth/signup", new { email = "not-an-email", password = "short", name = "" });
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        var errors = problem["errors"]!.AsObject();
        errors.ContainsKey("email").ShouldBeTrue();
        errors.ContainsKey("password").ShouldBeTrue();
        errors.ContainsKey("name").ShouldBeTrue();
        errors.ContainsKey("organizationName").ShouldBeTrue();
    }

    [Fact]
    public async Task LoginWithTheRightPasswordSignsIn()
    {
        using var client = node.Client();
        var email = $"login-{Guid.NewGuid():N}@example.com";
        await client.SignupAsync(email, "a long enough password");

        var response = await client.Anonymous().PostAsync("/api/v1/auth/login", new { email = email.ToUpperInvariant(), password = "a long enough password" });
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var auth = await ApiClient.ReadAsync(response);
        auth["organization"]!["id"]!.GetValue<string>().ShouldBe(client.OrganizationId);
        auth["accessToken"]!.GetValue<string>().ShouldNotBe(client.AccessToken);
    }

    [Fact]
    public async Task WrongPasswordAndUnknownEmailAnswerTheSame401()
    {
        using var client = node.Client();
        var email = $"wrong-{Guid.NewGuid():N}@example.com";
        await client.SignupAsync(email);
        var anonymous = client.Anonymous();

        var wrong = await anonymous.PostAsync("/api/v1/auth/login", new { email, password = "not the password" });
        var unknown = await anonymous.PostAsync("/api/v1/auth/login", new { email = $"nobody-{Guid.NewGuid():N}@example.com", password = "whatever it is" });
        var a = await wrong.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
        var b = await unknown.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
        a["detail"]!.GetValue<string>().ShouldBe(b["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task RepeatedFailedLoginsLockTheAccountEvenForTheRightPassword()
    {
        using var client = node.Client();
        var email = $"brute-{Guid.NewGuid():N}@example.com";
        await client.SignupAsync(email, "the right password!");
        var anonymous = client.Anonymous();
        for (var i = 0; i < 5; i++)
            (await anonymous.PostAsync("/api/v1/auth/login", new { email, password = $"guess number {i}" })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var locked = await anonymous.PostAsync("/api/v1/auth/login", new { email, password = "the right password!" });
        await locked.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "login_throttled");
        int.Parse(locked.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture).ShouldBeInRange(1, 30);

        node.Clock.Advance(TimeSpan.FromSeconds(31));
        (await anonymous.PostAsync("/api/v1/auth/login", new { email, password = "the right password!" })).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task RefreshRotatesTheRefreshToken()
    {
        using var client = node.Client();
        var first = await client.SignupAsync();
        var response = await client.Anonymous().PostAsync("/api/v1/auth/refresh", new { refreshToken = client.RefreshToken });
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var second = await ApiClient.ReadAsync(response);
        second["refreshToken"]!.GetValue<string>().ShouldNotBe(first["refreshToken"]!.GetValue<string>());
        second["user"]!["id"]!.GetValue<string>().ShouldBe(client.UserId);

        using var refreshed = node.Client().WithBearer(second["accessToken"]!.GetValue<string>());
        (await refreshed.GetAsync("/api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ReusingARefreshTokenRevokesTheWholeSession()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var stolen = client.RefreshToken;
        var anonymous = client.Anonymous();
        var legit = await ApiClient.ReadAsync(await anonymous.PostAsync("/api/v1/auth/refresh", new { refreshToken = stolen }));

        var replay = await anonymous.PostAsync("/api/v1/auth/refresh", new { refreshToken = stolen });
        await replay.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "refresh_token_reused");

        // The successor issued before the replay is dead too, and so are the session's access tokens.
        var successor = await anonymous.PostAsync("/api/v1/auth/refresh", new { refreshToken = legit["refreshToken"]!.GetValue<string>() });
        await successor.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "invalid_refresh_token");
        using var withAccess = node.Client().WithBearer(legit["accessToken"]!.GetValue<string>());
        await (await withAccess.GetAsync("/api/v1/me")).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Fact]
    public async Task ConcurrentRefreshesWithOneTokenLetAtMostOneThrough()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var token = client.RefreshToken;
        var attempts = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => node.Client().PostAsync("/api/v1/auth/refresh", new { refreshToken = token })));
        attempts.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBeLessThanOrEqualTo(1);
        attempts.Count(r => r.StatusCode == HttpStatusCode.Unauthorized).ShouldBeGreaterThanOrEqualTo(5);
    }

    [Fact]
    public async Task AGarbageRefreshTokenIsRefused()
    {
        using var client = node.Client();
        var response = await client.PostAsync("/api/v1/auth/refresh", new { refreshToken = "sbr_not-a-real-token" });
        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "invalid_refresh_token");
    }

    [Fact]
    public async Task LogoutRevokesTheAccessTokenAndTheRefreshToken()
    {
        using var client = node.Client();
        await client.SignupAsync();
        (await client.GetAsync("/api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await client.PostAsync("/api/v1/auth/logout", new { })).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await (await client.GetAsync("/api/v1/me")).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");
        var refresh = await client.Anonymous().PostAsync("/api/v1/auth/refresh", new { refreshToken = client.RefreshToken });
        await refresh.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "invalid_refresh_token");
    }

    [Fact]
    public async Task LogoutWithoutAnyCredentialIsUnauthorized()
    {
        using var client = node.Client();
        var response = await client.PostAsync("/api/v1/auth/logout", new { });
        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task AnApiEndpointWithoutCredentialsAnswers401WithAChallenge()
    {
        using var client = node.Client();
        var response = await client.GetAsync("/api/v1/api-keys");
        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        response.Headers.WwwAuthenticate.ToString().ShouldStartWith("Bearer");
    }
}

public sealed class AuthTestsOnSqlite(SqliteSwitchboard node) : AuthTests<SqliteSwitchboard>(node);
public sealed class AuthTestsOnPostgres(PostgresSwitchboard node) : AuthTests<PostgresSwitchboard>(node);
