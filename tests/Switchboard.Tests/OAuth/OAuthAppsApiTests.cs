using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.OAuth;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Security;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth;

/// <summary>App registration at /api/v1/oauth/apps over real HTTP, on SQLite and PostgreSQL.</summary>
public abstract class OAuthAppsApiTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private static string Secret(JsonObject app) => app["clientSecret"]!.GetValue<string>();

    private static async Task<JsonObject> ErrorsOf(HttpResponseMessage response) =>
        (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!.AsObject();

    [Fact]
    public async Task CreateShowsTheClientSecretOnceAndStoresOnlyItsHash()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var response = await owner.PostAsync("/api/v1/oauth/apps", new
        {
            name = "  Scheduler  ", description = "Books meetings.", homepageUrl = "https://scheduler.example.com", logoUrl = "https://scheduler.example.com/logo.png",
            redirectUris = new[] { "https://scheduler.example.com/oauth/callback", "http://127.0.0.1/callback" },
            scopes = new[] { "contacts:read", "activities:write" }, type = "confidential",
        });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var created = await ApiClient.ReadAsync(response);
        var id = created.Id();
        var secret = Secret(created);
        var clientId = created["clientId"]!.GetValue<string>();
        id.ShouldStartWith("app_");
        response.Headers.Location!.ToString().ShouldBe($"/api/v1/oauth/apps/{id}");
        response.Headers.ETag.ShouldNotBeNull();
        clientId.ShouldMatch("^sbc_[A-Za-z0-9_-]{24}$");
        secret.ShouldMatch("^sbs_[A-Za-z0-9_-]{43}$");
        created["secretPrefix"]!.GetValue<string>().ShouldBe(secret[..12]);
        created["name"]!.GetValue<string>().ShouldBe("Scheduler");
        created["type"]!.GetValue<string>().ShouldBe("confidential");
        created["scopes"]!.AsArray().Select(s => s!.GetValue<string>()).ShouldBe(["contacts:read", "activities:write"]);

        // Never again: not in the list, not in a read, not in the audit log.
        var list = await owner.GetJsonAsync("/api/v1/oauth/apps");
        list["data"]!.AsArray().Single()!["clientId"]!.GetValue<string>().ShouldBe(clientId);
        list.ToJsonString().ShouldNotContain(secret[12..]);
        list["data"]!.AsArray().Single()!.AsObject().ContainsKey("clientSecret").ShouldBeFalse();
        var one = await owner.GetAsync($"/api/v1/oauth/apps/{id}");
        one.Headers.ETag.ShouldNotBeNull();
        (await one.Content.ReadAsStringAsync()).ShouldNotContain(secret[12..]);
        var audit = await owner.GetJsonAsync("/api/v1/audit-logs");
        audit.ToJsonString().ShouldContain("oauth_app.created");
        audit.ToJsonString().ShouldNotContain(secret[12..]);

        // At rest: the SHA-256 of the secret, nothing from which it could be read back.
        var row = await node.AppRowAsync(id);
        row.SecretHash.ShouldBe(SecretHash.Sha256Hex(secret));
        row.SecretPrefix.ShouldBe(secret[..12]);
        row.ClientId.ShouldBe(clientId);
        JsonSerializer.Serialize(row).ShouldNotContain(secret[12..]);
        OAuthAppCredentials.Matches(row, secret, node.Clock.GetUtcNow().UtcDateTime).ShouldBeTrue();
        OAuthAppCredentials.Matches(row, OAuthAppCredentials.NewSecret(), node.Clock.GetUtcNow().UtcDateTime).ShouldBeFalse();
    }

    [Fact]
    public async Task APublicAppHasNoSecretNoKeysAndNothingToRotate()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var app = await owner.CreateAppAsync(OAuthManagementData.App("Mobile", "public", redirectUris: ["com.example.scheduler:/oauth/callback"]));
        app.ContainsKey("clientSecret").ShouldBeFalse();
        app["secretPrefix"].ShouldBeNull();
        (await node.AppRowAsync(app.Id())).SecretHash.ShouldBeNull();

        await (await owner.PostAsync($"/api/v1/oauth/apps/{app.Id()}/rotate-secret", new { gracePeriodSeconds = 0 }))
            .ShouldBeProblemAsync(HttpStatusCode.Conflict, "conflict");
        var withKeys = await owner.PostAsync("/api/v1/oauth/apps", new
        {
            name = "Mobile", type = "public", scopes = new[] { "contacts:read" }, redirectUris = new[] { "http://127.0.0.1/cb" }, jwks = Jwks(EcKey()),
        });
        (await ErrorsOf(withKeys)).ContainsKey("jwks").ShouldBeTrue();
        (await ErrorsOf(await owner.PatchAsync($"/api/v1/oauth/apps/{app.Id()}", new { jwks = Jwks(EcKey()) }))).ContainsKey("jwks").ShouldBeTrue();
        (await ErrorsOf(await owner.PatchAsync($"/api/v1/oauth/apps/{app.Id()}", new { type = "confidential" }))).ContainsKey("type").ShouldBeTrue();
        (await owner.PatchAsync($"/api/v1/oauth/apps/{app.Id()}", new { type = "public", name = "Mobile 2" })).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task RedirectUrisFollowRfc8252AndTheSecurityBcp()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        string[] accepted =
        [
            "https://app.example.com/callback?tenant=1", "http://127.0.0.1/callback", "http://127.0.0.1:8080/cb", "http://[::1]/cb",
            "com.example.app:/oauth2redirect", "com.example.app://callback",
        ];
        var app = await owner.CreateAppAsync(OAuthManagementData.App(redirectUris: accepted));
        app["redirectUris"]!.AsArray().Select(u => u!.GetValue<string>()).ShouldBe(accepted);

        (string Uri, string Why)[] refused =
        [
            ("http://app.example.com/callback", "loopback"), ("http://10.0.0.1/cb", "loopback"), ("http://localhost:3000/cb", "loopback"), ("https://app.example.com/cb#frag", "fragment"),
            ("/callback", "absolute"), ("javascript:alert(1)", "private-use"), ("data:text/html,hi", "private-use"), ("myapp:/cb", "private-use"),
            ("https://user:pass@app.example.com/cb", "user information"), ("https://app.example.com/a b", "spaces"), ("file:///etc/passwd", "private-use"),
            ("https://app.example.com/" + new string('a', 1000), "1000"),
        ];
        foreach (var batch in refused.Chunk(OAuthAppRules.MaxRedirectUris))
        {
            var errors = await ErrorsOf(await owner.PostAsync("/api/v1/oauth/apps", OAuthManagementData.App(redirectUris: batch.Select(r => r.Uri).ToArray())));
            for (var i = 0; i < batch.Length; i++)
                errors[$"redirectUris[{i}]"]?.AsArray().Single()!.GetValue<string>().ShouldContain(batch[i].Why, Case.Insensitive, $"{batch[i].Uri}: {errors.ToJsonString()}");
            errors.Count.ShouldBe(batch.Length, errors.ToJsonString());
        }

        (await ErrorsOf(await owner.PostAsync("/api/v1/oauth/apps", OAuthManagementData.App(redirectUris: [])))).ContainsKey("redirectUris").ShouldBeTrue();
        (await ErrorsOf(await owner.PostAsync("/api/v1/oauth/apps", OAuthManagementData.App(redirectUris: ["https://a.example/cb", "https://a.example/cb"]))))
            .ContainsKey("redirectUris").ShouldBeTrue();
        (await ErrorsOf(await owner.PostAsync("/api/v1/oauth/apps",
            OAuthManagementData.App(redirectUris: Enumerable.Range(0, 11).Select(i => $"https://a.example/{i}").ToArray())))).ContainsKey("redirectUris").ShouldBeTrue();
        (await ErrorsOf(await owner.PostAsync("/api/v1/oauth/apps", new { name = "x", type = "confidential", scopes = new[] { "contacts:read" } })))
            .ContainsKey("redirectUris").ShouldBeTrue();
    }

    [Fact]
    public async Task CreateRefusesEachInvalidField()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var errors = await ErrorsOf(await owner.PostAsync("/api/v1/oauth/apps", new
        {
            name = "", type = "hybrid", scopes = new[] { "contacts:delete" }, redirectUris = new[] { "https://a.example/cb" },
            homepageUrl = "http://scheduler.example.com", logoUrl = "not a url", description = new string('d', 2001),
        }));
        foreach (var field in new[] { "name", "type", "scopes", "homepageUrl", "logoUrl", "description" })
            errors.ContainsKey(field).ShouldBeTrue($"expected an error for {field}: {errors.ToJsonString()}");

        var missing = await ErrorsOf(await owner.PostAsync("/api/v1/oauth/apps", new { }));
        foreach (var field in new[] { "name", "type", "scopes", "redirectUris" })
            missing.ContainsKey(field).ShouldBeTrue($"expected {field} to be required: {missing.ToJsonString()}");
        (await ErrorsOf(await owner.PostAsync("/api/v1/oauth/apps", OAuthManagementData.App(scopes: [])))).ContainsKey("scopes").ShouldBeTrue();
        (await owner.GetJsonAsync("/api/v1/oauth/apps"))["data"]!.AsArray().Count.ShouldBe(0, "nothing refused was stored");
    }

    [Fact]
    public async Task AJwkSetMustHoldPublicP256OrStrongRsaKeysOnly()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        using var rsa = RSA.Create(2048);
        var rsaKey = rsa.ExportParameters(false);
        var good = new object[]
        {
            EcKey("ec-1"),
            new { kty = "RSA", kid = "rsa-1", alg = "PS256", n = Base64Url.Encode(rsaKey.Modulus!), e = Base64Url.Encode(rsaKey.Exponent!) },
        };
        var app = await owner.CreateAppAsync(new
        {
            name = "Assertions", type = "confidential", scopes = new[] { "contacts:read" }, redirectUris = new[] { "https://a.example/cb" },
            jwks = new { keys = good.Append(new { kty = "EC", kid = "ec-2", crv = "P-256", x = EcX, y = EcY, x5t = "ignored" }).ToArray() },
        });
        app["jwks"]!["keys"]!.AsArray().Count.ShouldBe(3);
        var stored = JsonNode.Parse((await node.AppRowAsync(app.Id())).Jwks!)!;
        stored["keys"]![0]!["crv"]!.GetValue<string>().ShouldBe("P-256");
        stored.ToJsonString().ShouldNotContain("x5t"); // only the members this server reads are kept

        using var weak = RSA.Create(1024);
        var weakKey = weak.ExportParameters(false);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ecPrivate = ec.ExportParameters(true);
        (object Key, string Field)[] bad =
        [
            (new { kty = "EC", crv = "P-256", x = Base64Url.Encode(ecPrivate.Q.X!), y = Base64Url.Encode(ecPrivate.Q.Y!), d = Base64Url.Encode(ecPrivate.D!) }, "jwks.keys[0]"),
            (new { kty = "RSA", n = Base64Url.Encode(weakKey.Modulus!), e = Base64Url.Encode(weakKey.Exponent!) }, "jwks.keys[0].n"),
            (new { kty = "RSA", n = Base64Url.Encode(rsaKey.Modulus!), e = "Ag" }, "jwks.keys[0].e"),
            (new { kty = "EC", crv = "P-256", x = EcX, y = EcX }, "jwks.keys[0]"), // not a point on the curve
            (new { kty = "EC", crv = "P-384", x = EcX, y = EcY }, "jwks.keys[0].crv"),
            (new { kty = "oct", k = "c2VjcmV0" }, "jwks.keys[0]"),
            (new { kty = "OKP", crv = "Ed25519", x = EcX }, "jwks.keys[0].kty"),
            (new { kty = "EC", crv = "P-256", x = EcX, y = EcY, use = "enc" }, "jwks.keys[0].use"),
        ];
        foreach (var (key, field) in bad)
        {
            var response = await owner.PostAsync("/api/v1/oauth/apps", new
            {
                name = "Bad keys", type = "confidential", scopes = new[] { "contacts:read" }, redirectUris = new[] { "https://a.example/cb" }, jwks = new { keys = new[] { key } },
            });
            (await ErrorsOf(response)).ContainsKey(field).ShouldBeTrue($"{JsonSerializer.Serialize(key)} should fail on {field}");
        }
        var twoWithoutKid = await owner.PostAsync("/api/v1/oauth/apps", new
        {
            name = "Two keys", type = "confidential", scopes = new[] { "contacts:read" }, redirectUris = new[] { "https://a.example/cb" },
            jwks = new { keys = new object[] { new { kty = "EC", crv = "P-256", x = EcX, y = EcY }, new { kty = "EC", crv = "P-256", x = EcX, y = EcY } } },
        });
        (await ErrorsOf(twoWithoutKid)).ContainsKey("jwks.keys[0].kid").ShouldBeTrue();
        (await ErrorsOf(await owner.PostAsync("/api/v1/oauth/apps", new
        {
            name = "Empty", type = "confidential", scopes = new[] { "contacts:read" }, redirectUris = new[] { "https://a.example/cb" }, jwks = new { keys = Array.Empty<object>() },
        }))).ContainsKey("jwks.keys").ShouldBeTrue();

        // PATCH replaces and clears the set.
        var cleared = await ApiClient.ReadAsync(await owner.PatchAsync($"/api/v1/oauth/apps/{app.Id()}", new { jwks = (object?)null }));
        cleared["jwks"].ShouldBeNull();
        (await node.AppRowAsync(app.Id())).Jwks.ShouldBeNull();
    }

    [Fact]
    public async Task ACallerCannotRegisterOrExposeAnAppStrongerThanItself()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        using var limited = node.Client().WithApiKey((await owner.CreateKeyAsync("oauth_apps:write", "contacts:read"))["key"]!.GetValue<string>());

        // client_credentials would hand the app's scopes to whoever holds its secret.
        await (await limited.PostAsync("/api/v1/oauth/apps", OAuthManagementData.App(scopes: ["deals:write"])))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        await (await limited.PostAsync("/api/v1/oauth/apps", OAuthManagementData.App(scopes: ["admin"])))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        await (await limited.PostAsync("/api/v1/oauth/apps", OAuthManagementData.App(scopes: ["*:read"])))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        var narrow = await limited.CreateAppAsync(OAuthManagementData.App(scopes: ["contacts:read"]));
        await (await limited.PatchAsync($"/api/v1/oauth/apps/{narrow.Id()}", new { scopes = new[] { "contacts:write" } }))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");

        // Nor read out a working secret of a stronger app by rotating it, nor change one.
        var strong = await owner.CreateAppAsync(OAuthManagementData.App(scopes: ["deals:write"]));
        await (await limited.PostAsync($"/api/v1/oauth/apps/{strong.Id()}/rotate-secret", new { gracePeriodSeconds = 0 }))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        await (await limited.PatchAsync($"/api/v1/oauth/apps/{strong.Id()}", new { name = "mine now" }))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        (await node.AppRowAsync(strong.Id())).SecretHash.ShouldBe(SecretHash.Sha256Hex(Secret(strong)));
    }

    [Fact]
    public async Task MembersAndViewersCannotReachAppsButAnAdminCan()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var app = await owner.CreateAppAsync();
        using var member = await owner.InviteAsync("member");
        using var viewer = await owner.InviteAsync("viewer");
        using var admin = await owner.InviteAsync("admin");

        // oauth_apps is sensitive: *:read and *:write (a member's, a viewer's) do not reach it.
        await (await member.PostAsync("/api/v1/oauth/apps", OAuthManagementData.App())).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        await (await member.GetAsync("/api/v1/oauth/apps")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        await (await viewer.GetAsync($"/api/v1/oauth/apps/{app.Id()}")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        await (await member.DeleteAsync($"/api/v1/oauth/apps/{app.Id()}")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        using var wildcard = node.Client().WithApiKey((await owner.CreateKeyAsync("*:write"))["key"]!.GetValue<string>());
        await (await wildcard.GetAsync("/api/v1/oauth/apps")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");

        (await admin.GetJsonAsync("/api/v1/oauth/apps"))["data"]!.AsArray().Count.ShouldBe(1);
        using var reader = node.Client().WithApiKey((await owner.CreateKeyAsync("oauth_apps:read"))["key"]!.GetValue<string>());
        (await reader.GetJsonAsync($"/api/v1/oauth/apps/{app.Id()}"))["clientId"]!.GetValue<string>().ShouldBe(app["clientId"]!.GetValue<string>());
        await (await reader.PostAsync("/api/v1/oauth/apps", OAuthManagementData.App())).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
    }

    [Fact]
    public async Task AnotherOrganizationsAppIsNotFound()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var app = await owner.CreateAppAsync();
        using var other = node.Client();
        await other.SignupAsync(organization: "Rival");
        await (await other.GetAsync($"/api/v1/oauth/apps/{app.Id()}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await other.PatchAsync($"/api/v1/oauth/apps/{app.Id()}", new { name = "x" })).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await other.PostAsync($"/api/v1/oauth/apps/{app.Id()}/rotate-secret", new { gracePeriodSeconds = 0 })).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await other.DeleteAsync($"/api/v1/oauth/apps/{app.Id()}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        (await other.GetJsonAsync("/api/v1/oauth/apps"))["data"]!.AsArray().Count.ShouldBe(0);
        (await owner.GetJsonAsync($"/api/v1/oauth/apps/{app.Id()}"))["name"]!.GetValue<string>().ShouldBe("Scheduler");
        await (await owner.GetAsync("/api/v1/oauth/apps/app_garbage")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task PatchChangesWhatItSendsHonoursIfMatchAndStopsTokensWhenScopesNarrow()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var app = await owner.CreateAppAsync(new
        {
            name = "Scheduler", type = "confidential", scopes = new[] { "contacts:read", "deals:read" }, redirectUris = new[] { "https://a.example/cb" },
            description = "Old", homepageUrl = "https://a.example",
        });
        var etag = (await owner.GetAsync($"/api/v1/oauth/apps/{app.Id()}")).Headers.ETag!.ToString();

        var patched = await owner.SendWithIfMatchAsync(HttpMethod.Patch, $"/api/v1/oauth/apps/{app.Id()}", etag,
            new { name = "Scheduler Pro", description = (string?)null, redirectUris = new[] { "https://b.example/cb" }, scopes = new[] { "contacts:read" } });
        patched.StatusCode.ShouldBe(HttpStatusCode.OK, await patched.Content.ReadAsStringAsync());
        var body = await ApiClient.ReadAsync(patched);
        body["name"]!.GetValue<string>().ShouldBe("Scheduler Pro");
        body["description"].ShouldBeNull();
        body["homepageUrl"]!.GetValue<string>().ShouldBe("https://a.example");
        body["redirectUris"]!.AsArray().Single()!.GetValue<string>().ShouldBe("https://b.example/cb");
        body["clientId"]!.GetValue<string>().ShouldBe(app["clientId"]!.GetValue<string>());
        body.ContainsKey("clientSecret").ShouldBeFalse();
        patched.Headers.ETag!.ToString().ShouldNotBe(etag);

        // A scope was taken away: the app's tokens issued so far stop on every node.
        var clientId = app["clientId"]!.GetValue<string>();
        (await node.DbAsync(db => db.AuthInvalidations.CountAsync(i => i.SubjectId == clientId && i.Kind == InvalidationKinds.Session))).ShouldBe(1);

        await (await owner.SendWithIfMatchAsync(HttpMethod.Patch, $"/api/v1/oauth/apps/{app.Id()}", etag, new { name = "stale" }))
            .ShouldBeProblemAsync(HttpStatusCode.PreconditionFailed, "precondition_failed");
        await (await owner.SendWithIfMatchAsync(HttpMethod.Delete, $"/api/v1/oauth/apps/{app.Id()}", etag))
            .ShouldBeProblemAsync(HttpStatusCode.PreconditionFailed, "precondition_failed");
        (await ErrorsOf(await owner.PatchAsync($"/api/v1/oauth/apps/{app.Id()}", new { name = "" }))).ContainsKey("name").ShouldBeTrue();
        (await ErrorsOf(await owner.PatchAsync($"/api/v1/oauth/apps/{app.Id()}", new { redirectUris = new[] { "http://a.example/cb" } })))
            .ContainsKey("redirectUris[0]").ShouldBeTrue();
        (await owner.GetJsonAsync("/api/v1/audit-logs")).ToJsonString().ShouldContain("oauth_app.updated");
    }

    [Fact]
    public async Task RotationKeepsThePreviousSecretThroughTheGracePeriodOnly()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        // An API key, not the owner's 15-minute session: the test moves the clock an hour on.
        owner.WithApiKey((await owner.CreateKeyAsync("admin"))["key"]!.GetValue<string>());
        var app = await owner.CreateAppAsync();
        var original = Secret(app);

        var rotate = await owner.PostAsync($"/api/v1/oauth/apps/{app.Id()}/rotate-secret", new { gracePeriodSeconds = 3600 });
        rotate.StatusCode.ShouldBe(HttpStatusCode.OK, await rotate.Content.ReadAsStringAsync());
        var rotated = await ApiClient.ReadAsync(rotate);
        var replacement = Secret(rotated);
        replacement.ShouldNotBe(original);
        rotated["clientId"]!.GetValue<string>().ShouldBe(app["clientId"]!.GetValue<string>());
        rotated["secretPrefix"]!.GetValue<string>().ShouldBe(replacement[..12]);
        rotated["previousSecretExpiresAt"]!.GetValue<DateTime>().ShouldBe(node.Clock.GetUtcNow().UtcDateTime.AddSeconds(3600), TimeSpan.FromSeconds(5));
        (await (await owner.GetAsync($"/api/v1/oauth/apps/{app.Id()}")).Content.ReadAsStringAsync()).ShouldNotContain(replacement[12..]);

        var row = await node.AppRowAsync(app.Id());
        var now = node.Clock.GetUtcNow().UtcDateTime;
        OAuthAppCredentials.Matches(row, original, now).ShouldBeTrue("the previous secret works during the grace period");
        OAuthAppCredentials.Matches(row, replacement, now).ShouldBeTrue();
        row.PreviousSecretHash.ShouldBe(SecretHash.Sha256Hex(original));
        OAuthAppCredentials.Matches(row, original, now.AddSeconds(3601)).ShouldBeFalse("and not after it");
        OAuthAppCredentials.Matches(row, replacement, now.AddSeconds(3601)).ShouldBeTrue();
        node.Clock.Advance(TimeSpan.FromSeconds(3601));
        (await owner.GetJsonAsync($"/api/v1/oauth/apps/{app.Id()}"))["previousSecretExpiresAt"].ShouldBeNull();

        // Without grace (a leak): the previous secret stops at once, and so do the app's tokens.
        var clientId = app["clientId"]!.GetValue<string>();
        var third = Secret(await ApiClient.ReadAsync(await owner.PostAsync($"/api/v1/oauth/apps/{app.Id()}/rotate-secret", new { gracePeriodSeconds = 0 })));
        row = await node.AppRowAsync(app.Id());
        OAuthAppCredentials.Matches(row, replacement, node.Clock.GetUtcNow().UtcDateTime).ShouldBeFalse();
        OAuthAppCredentials.Matches(row, third, node.Clock.GetUtcNow().UtcDateTime).ShouldBeTrue();
        row.PreviousSecretHash.ShouldBeNull();
        // One revocation of the app's tokens (the leak); each rotation also tells every node to reload the app.
        (await node.DbAsync(db => db.AuthInvalidations.CountAsync(i => i.SubjectId == clientId && i.Kind == InvalidationKinds.Session))).ShouldBe(1);
        (await node.DbAsync(db => db.AuthInvalidations.CountAsync(i => i.SubjectId == clientId && i.Kind == InvalidationKinds.OAuthApp))).ShouldBe(2);
        (await owner.GetJsonAsync("/api/v1/audit-logs")).ToJsonString().ShouldContain("oauth_app.secret_rotated");

        await (await owner.PostAsync($"/api/v1/oauth/apps/{app.Id()}/rotate-secret", new { gracePeriodSeconds = 8 * 86400 }))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    /// <summary>Client authentication keeps apps in memory; a rotation must still take effect at once on this node.</summary>
    [Fact]
    public async Task ARotatedSecretTakesEffectAtTheTokenEndpointDespiteTheAppCache()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var app = await owner.CreateAppAsync();
        var clientId = app["clientId"]!.GetValue<string>();
        async Task<HttpStatusCode> TokenAsync(string secret)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = "contacts:read" }),
            };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(secret)}")));
            using var response = await owner.Http.SendAsync(request);
            return response.StatusCode;
        }
        var original = Secret(app);
        (await TokenAsync(original)).ShouldBe(HttpStatusCode.OK); // the app is now cached

        var rotate = await owner.PostAsync($"/api/v1/oauth/apps/{app.Id()}/rotate-secret", new { gracePeriodSeconds = 0 });
        rotate.StatusCode.ShouldBe(HttpStatusCode.OK, await rotate.Content.ReadAsStringAsync());
        var replacement = Secret(await ApiClient.ReadAsync(rotate));
        (await TokenAsync(original)).ShouldBe(HttpStatusCode.Unauthorized);
        (await TokenAsync(replacement)).ShouldBe(HttpStatusCode.OK);

        (await owner.DeleteAsync($"/api/v1/oauth/apps/{app.Id()}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await TokenAsync(replacement)).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ListsPaginateWithCursorsAndFilterByType()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++) ids.Add((await owner.CreateAppAsync(OAuthManagementData.App($"App {i}", i % 2 == 0 ? "confidential" : "public"))).Id());

        var seen = new List<string>();
        string? path = "/api/v1/oauth/apps?limit=2";
        while (path is not null)
        {
            var response = await owner.GetAsync(path);
            var page = await ApiClient.ReadAsync(response);
            seen.AddRange(page["data"]!.AsArray().Select(a => a!.Id()));
            path = page["hasMore"]!.GetValue<bool>() ? $"/api/v1/oauth/apps?limit=2&cursor={Uri.EscapeDataString(page["nextCursor"]!.GetValue<string>())}" : null;
            if (path is not null) response.Headers.GetValues("Link").Single().ShouldContain("rel=\"next\"");
        }
        seen.ShouldBe(Enumerable.Reverse(ids).ToList());
        (await owner.GetJsonAsync("/api/v1/oauth/apps?type=public"))["data"]!.AsArray().Select(a => a!.Id()).ShouldBe([ids[3], ids[1]]);
        await (await owner.GetAsync("/api/v1/oauth/apps?type=hybrid")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task AnIdempotentCreateReplaysInsteadOfRegisteringTwice()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var key = Guid.NewGuid().ToString();
        async Task<HttpResponseMessage> Send(object body)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/oauth/apps") { Content = System.Net.Http.Json.JsonContent.Create(body) };
            request.Headers.Add("Idempotency-Key", key);
            return await owner.Http.SendAsync(request);
        }
        var first = await Send(OAuthManagementData.App());
        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        var again = await Send(OAuthManagementData.App());
        again.StatusCode.ShouldBe(HttpStatusCode.Created);
        again.Headers.GetValues("Idempotent-Replayed").Single().ShouldBe("true");
        (await ApiClient.ReadAsync(again)).Id().ShouldBe((await ApiClient.ReadAsync(first)).Id());
        await (await Send(OAuthManagementData.App("Other"))).ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "idempotency_key_reused");
        (await owner.GetJsonAsync("/api/v1/oauth/apps"))["data"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task DeletingAnAppRevokesEveryAuthorizationOfItWithItsEventsInOneGo()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        (await owner.PostAsync("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "oauth.authorization_revoked" } })).StatusCode.ShouldBe(HttpStatusCode.Created);
        using var member = await owner.InviteAsync("member");
        var app = await owner.CreateAppAsync();
        var other = await owner.CreateAppAsync(OAuthManagementData.App("Other"));
        var ownerGrant = await node.GrantAsync(owner.OrganizationId!, app.Id(), owner.UserId!);
        var memberGrant = await node.GrantAsync(owner.OrganizationId!, app.Id(), member.UserId!, "contacts:read");
        var otherGrant = await node.GrantAsync(owner.OrganizationId!, other.Id(), owner.UserId!);
        var families = (await node.RefreshFamilyAsync(ownerGrant)).Concat(await node.RefreshFamilyAsync(memberGrant)).ToList();
        var untouched = await node.RefreshFamilyAsync(otherGrant);

        (await owner.DeleteAsync($"/api/v1/oauth/apps/{app.Id()}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await (await owner.GetAsync($"/api/v1/oauth/apps/{app.Id()}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        (await node.RefreshTokensAsync(families)).ShouldAllBe(t => t.RevokedAt != null);
        (await node.RefreshTokensAsync(untouched)).ShouldAllBe(t => t.RevokedAt == null);
        var clientId = app["clientId"]!.GetValue<string>();
        (await node.DbAsync(db => db.AuthInvalidations.CountAsync(i => i.SubjectId == clientId && i.Kind == InvalidationKinds.Session))).ShouldBe(1);
        (await node.DbAsync(db => db.OAuthGrants.IgnoreQueryFilters().CountAsync(g => g.AppId == app.Id() && g.RevokedAt == null))).ShouldBe(0);
        (await node.DbAsync(db => db.OAuthGrants.IgnoreQueryFilters().SingleAsync(g => g.Id == otherGrant.Id))).RevokedAt.ShouldBeNull();

        var deliveries = await receiver.WaitForAsync(r => r.Headers["x-webhook-event"] == "oauth.authorization_revoked", count: 2);
        var revoked = deliveries.Select(d => JsonNode.Parse(d.Body)!["data"]!).ToList();
        revoked.Select(d => d["id"]!.GetValue<string>()).Order().ShouldBe(new[] { ownerGrant.Id, memberGrant.Id }.Order());
        revoked.ShouldAllBe(d => d["clientId"]!.GetValue<string>() == clientId && d["appId"]!.GetValue<string>() == app.Id() && d["revokedAt"] != null);
        revoked.Select(d => d["userId"]!.GetValue<string>()).Order().ShouldBe(new[] { owner.UserId!, member.UserId! }.Order());
        var audit = (await owner.GetJsonAsync("/api/v1/audit-logs"))["data"]!.AsArray().First(e => e!["action"]!.GetValue<string>() == "oauth_app.deleted")!;
        audit["targetId"]!.GetValue<string>().ShouldBe(app.Id());
        await Task.Delay(300);
        receiver.Requests.Count(r => r.Headers["x-webhook-event"] == "oauth.authorization_revoked").ShouldBe(2, "one event per revoked authorization");
    }

    private const string EcX = "GPlfHY_bX79PMdv17PgR_qsZATFFrsfTJHl6M3HDANo";
    private const string EcY = "Ww35CiJrdRgM9uGQgVC813ZEv8-Ng8M_4uTHFkCPm3k";

    private static object EcKey(string kid = "k1") => new { kty = "EC", kid, use = "sig", alg = "ES256", crv = "P-256", x = EcX, y = EcY };

    private static object Jwks(params object[] keys) => new { keys };
}

public sealed class OAuthAppsApiTestsOnSqlite(SqliteSwitchboard node) : OAuthAppsApiTests<SqliteSwitchboard>(node);
public sealed class OAuthAppsApiTestsOnPostgres(PostgresSwitchboard node) : OAuthAppsApiTests<PostgresSwitchboard>(node);
