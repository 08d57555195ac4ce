using System.Net.Http.Json;
using System.Net;
using System.Text.Json.Nodes;
using Switchboard.ApiKeys;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.ApiKeys;

public abstract class ApiKeyTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private static string Secret(JsonObject created) => created["key"]!.GetValue<string>();
    private static string Id(JsonObject created) => created["id"]!.GetValue<string>();

    [Fact]
    public async Task CreateShowsTheFullKeyOnceAndListsShowOnlyItsPrefix()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var created = await owner.CreateKeyAsync(new
        {
            name = "CI deploys", scopes = new[] { "contacts:read", "deals:write" }, rateLimit = new { requests = 500, windowSeconds = 60 },
        });
        var secret = Secret(created);
        ApiKeyFormat.IsWellFormed(secret).ShouldBeTrue();
        secret.Length.ShouldBe(42);
        created["keyPrefix"]!.GetValue<string>().ShouldBe(secret[..12]);
        created["id"]!.GetValue<string>().ShouldStartWith("key_");
        created["rateLimit"]!["requests"]!.GetValue<int>().ShouldBe(500);
        created["status"]!.GetValue<string>().ShouldBe("active");

        var list = await owner.GetJsonAsync("/api/v1/api-keys");
        var listed = list["data"]!.AsArray().Single()!.AsObject();
        listed.ContainsKey("key").ShouldBeFalse();
        listed["keyPrefix"]!.GetValue<string>().ShouldBe(secret[..12]);
        list.ToJsonString().ShouldNotContain(secret[12..]);

        var one = await owner.GetAsync($"/api/v1/api-keys/{Id(created)}");
        one.Headers.ETag.ShouldNotBeNull();
        (await one.Content.ReadAsStringAsync()).ShouldNotContain(secret);
    }

    [Fact]
    public async Task AKeyAuthenticatesByBearerOrXApiKey()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var secret = Secret(await owner.CreateKeyAsync("contacts:read", "api_keys:read"));

        using var bearer = node.Client().WithBearer(secret);
        var me = await bearer.GetJsonAsync("/api/v1/me");
        me["kind"]!.GetValue<string>().ShouldBe("api_key");
        me["organizationId"]!.GetValue<string>().ShouldBe(owner.OrganizationId);

        using var header = node.Client().WithApiKey(secret);
        (await header.GetAsync("/api/v1/api-keys")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AMissingScopeAnswersInsufficientScope()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        using var reader = node.Client().WithApiKey(Secret(await owner.CreateKeyAsync("contacts:read")));

        var response = await reader.GetAsync("/api/v1/api-keys");
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        problem["detail"]!.GetValue<string>().ShouldContain("api_keys:read");
        response.Headers.WwwAuthenticate.ToString().ShouldContain("insufficient_scope");
        await (await reader.GetAsync("/api/v1/audit-logs")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
    }

    [Fact]
    public async Task WildcardReadGrantsReadsButNotWritesNorSensitiveResources()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        using var reader = node.Client().WithApiKey(Secret(await owner.CreateKeyAsync("*:read")));
        (await reader.GetAsync("/api/v1/api-keys")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await reader.PostAsync("/api/v1/api-keys", new { name = "x", scopes = new[] { "contacts:read" } }))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        await (await reader.GetAsync("/api/v1/audit-logs")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
    }

    [Fact]
    public async Task AKeyCannotMintAKeyStrongerThanItself()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        using var limited = node.Client().WithApiKey(Secret(await owner.CreateKeyAsync("api_keys:write", "contacts:read")));

        var escalate = await limited.PostAsync("/api/v1/api-keys", new { name = "root", scopes = new[] { "admin" } });
        await escalate.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        var sideways = await limited.PostAsync("/api/v1/api-keys", new { name = "deals", scopes = new[] { "deals:write" } });
        await sideways.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        var allowed = await limited.PostAsync("/api/v1/api-keys", new { name = "narrower", scopes = new[] { "contacts:read" } });
        allowed.StatusCode.ShouldBe(HttpStatusCode.Created);

        // Nor can it rotate a stronger key to read out its secret.
        var admin = await owner.CreateKeyAsync("admin");
        await (await limited.PostAsync($"/api/v1/api-keys/{Id(admin)}/rotate", new { gracePeriodSeconds = 0 }))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
    }

    [Fact]
    public async Task CreateRefusesUnknownScopesBadCidrsAndPastExpiry()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var response = await owner.PostAsync("/api/v1/api-keys", new
        {
            name = "", scopes = new[] { "contacts:delete", "nonsense" }, allowedIps = new[] { "10.0.0.1/8", "not-an-ip" },
            expiresAt = DateTime.UtcNow.AddDays(-1), rateLimit = new { requests = 0, windowSeconds = 60 },
        });
        var errors = (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!.AsObject();
        foreach (var field in new[] { "name", "scopes", "allowedIps", "expiresAt", "rateLimit" })
            errors.ContainsKey(field).ShouldBeTrue($"expected an error for {field}: {errors.ToJsonString()}");

        var none = await owner.PostAsync("/api/v1/api-keys", new { name = "n", scopes = Array.Empty<string>() });
        (await none.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["scopes"].ShouldNotBeNull();

        // A block with host bits set is refused on its own (documented as a likely mistake), in both families.
        foreach (var block in new[] { "10.0.0.1/8", "2001:db8::1/32" })
        {
            var hostBits = await owner.PostAsync("/api/v1/api-keys", new { name = "n", scopes = new[] { "contacts:read" }, allowedIps = new[] { block } });
            (await hostBits.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["allowedIps"].ShouldNotBeNull(block);
        }
        var clean = await owner.PostAsync("/api/v1/api-keys", new { name = "n", scopes = new[] { "contacts:read" }, allowedIps = new[] { "10.0.0.0/8", "203.0.113.7" } });
        clean.StatusCode.ShouldBe(HttpStatusCode.Created, await clean.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AKeyStopsWorkingWhenItExpires()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var expiresAt = node.Clock.GetUtcNow().UtcDateTime.AddHours(1);
        using var client = node.Client().WithApiKey(Secret(await owner.CreateKeyAsync(new { name = "temp", scopes = new[] { "api_keys:read" }, expiresAt })));
        (await client.GetAsync("/api/v1/api-keys")).StatusCode.ShouldBe(HttpStatusCode.OK);

        node.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        await (await client.GetAsync("/api/v1/api-keys")).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "api_key_expired");
    }

    [Fact]
    public async Task ARevokedKeyIsRefusedAtOnce()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var created = await owner.CreateKeyAsync("api_keys:read");
        using var client = node.Client().WithApiKey(Secret(created));
        (await client.GetAsync("/api/v1/api-keys")).StatusCode.ShouldBe(HttpStatusCode.OK); // now cached

        (await owner.DeleteAsync($"/api/v1/api-keys/{Id(created)}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await (await client.GetAsync("/api/v1/api-keys")).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "api_key_revoked");
        var shown = await owner.GetJsonAsync($"/api/v1/api-keys/{Id(created)}");
        shown["status"]!.GetValue<string>().ShouldBe("revoked");
        shown["revokedAt"].ShouldNotBeNull();
        (await owner.DeleteAsync($"/api/v1/api-keys/{Id(created)}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task RotationKeepsBothKeysWorkingThroughTheGracePeriodOnly()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var original = await owner.CreateKeyAsync(new { name = "billing sync", scopes = new[] { "api_keys:read" }, allowedIps = new[] { "127.0.0.1" } });
        using var oldClient = node.Client().WithApiKey(Secret(original));
        (await oldClient.GetAsync("/api/v1/api-keys")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var rotate = await owner.PostAsync($"/api/v1/api-keys/{Id(original)}/rotate", new { gracePeriodSeconds = 3600 });
        rotate.StatusCode.ShouldBe(HttpStatusCode.Created);
        var replacement = await ApiClient.ReadAsync(rotate);
        rotate.Headers.Location!.ToString().ShouldBe($"/api/v1/api-keys/{Id(replacement)}");
        Secret(replacement).ShouldNotBe(Secret(original));
        replacement["name"]!.GetValue<string>().ShouldBe("billing sync");
        replacement["scopes"]!.AsArray().Select(s => s!.GetValue<string>()).ShouldBe(["api_keys:read"]);
        replacement["allowedIps"]!.AsArray().Select(s => s!.GetValue<string>()).ShouldBe(["127.0.0.1/32"]);

        using var newClient = node.Client().WithApiKey(Secret(replacement));
        (await oldClient.GetAsync("/api/v1/api-keys")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await newClient.GetAsync("/api/v1/api-keys")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var old = await owner.GetJsonAsync($"/api/v1/api-keys/{Id(original)}");
        old["rotatedToId"]!.GetValue<string>().ShouldBe(Id(replacement));

        node.Clock.Advance(TimeSpan.FromSeconds(3601));
        await (await oldClient.GetAsync("/api/v1/api-keys")).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "api_key_expired");
        (await newClient.GetAsync("/api/v1/api-keys")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task RotationWithoutGraceRevokesTheOldKeyAtOnce()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var original = await owner.CreateKeyAsync("api_keys:read");
        var replacement = await ApiClient.ReadAsync(await owner.PostAsync($"/api/v1/api-keys/{Id(original)}/rotate", new { gracePeriodSeconds = 0 }));
        using var oldClient = node.Client().WithApiKey(Secret(original));
        await (await oldClient.GetAsync("/api/v1/api-keys")).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "api_key_revoked");
        using var newClient = node.Client().WithApiKey(Secret(replacement));
        (await newClient.GetAsync("/api/v1/api-keys")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var again = await owner.PostAsync($"/api/v1/api-keys/{Id(original)}/rotate", new { gracePeriodSeconds = 0 });
        await again.ShouldBeProblemAsync(HttpStatusCode.Conflict, "conflict");
        var tooLong = await owner.PostAsync($"/api/v1/api-keys/{Id(replacement)}/rotate", new { gracePeriodSeconds = 8 * 86400 });
        await tooLong.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task TheIpAllowlistAdmitsListedAddressesOnly()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        // Requests in this suite come from 127.0.0.1; 10.0.0.0/8 is only ever compared against, never dialled.
        using var elsewhere = node.Client().WithApiKey(Secret(await owner.CreateKeyAsync(new { name = "office", scopes = new[] { "api_keys:read" }, allowedIps = new[] { "10.0.0.0/8", "2001:db8::/32" } })));
        await (await elsewhere.GetAsync("/api/v1/api-keys")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "ip_not_allowed");

        using var loopback = node.Client().WithApiKey(Secret(await owner.CreateKeyAsync(new { name = "local", scopes = new[] { "api_keys:read" }, allowedIps = new[] { "127.0.0.0/8" } })));
        (await loopback.GetAsync("/api/v1/api-keys")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AKeyWithABadChecksumIsRefusedAsInvalid()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var secret = Secret(await owner.CreateKeyAsync("api_keys:read"));
        var typo = secret[..20] + (secret[20] == 'a' ? 'b' : 'a') + secret[21..];
        using var client = node.Client().WithApiKey(typo);
        var problem = await (await client.GetAsync("/api/v1/api-keys")).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "invalid_api_key");
        problem["detail"]!.GetValue<string>().ShouldContain("checksum");
        using var unknown = node.Client().WithApiKey(ApiKeyFormat.Generate());
        await (await unknown.GetAsync("/api/v1/api-keys")).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "invalid_api_key");
    }

    [Fact]
    public async Task PatchUpdatesClearsAndHonoursIfMatch()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var created = await owner.CreateKeyAsync(new
        {
            name = "n1", scopes = new[] { "api_keys:read" }, expiresAt = node.Clock.GetUtcNow().UtcDateTime.AddDays(30), allowedIps = new[] { "127.0.0.1" },
        });
        var get = await owner.GetAsync($"/api/v1/api-keys/{Id(created)}");
        var etag = get.Headers.ETag!.ToString();

        var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/api-keys/{Id(created)}")
        {
            Content = JsonContent.Create(new { name = "n2", expiresAt = (DateTime?)null, allowedIps = (string[]?)null }),
        };
        request.Headers.TryAddWithoutValidation("If-Match", etag);
        var patched = await owner.Http.SendAsync(request);
        patched.StatusCode.ShouldBe(HttpStatusCode.OK, await patched.Content.ReadAsStringAsync());
        var body = await ApiClient.ReadAsync(patched);
        body["name"]!.GetValue<string>().ShouldBe("n2");
        body["expiresAt"].ShouldBeNull();
        body["allowedIps"]!.AsArray().Count.ShouldBe(0);
        body["scopes"]!.AsArray().Single()!.GetValue<string>().ShouldBe("api_keys:read");

        var stale = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/api-keys/{Id(created)}") { Content = JsonContent.Create(new { name = "n3" }) };
        stale.Headers.TryAddWithoutValidation("If-Match", etag);
        await (await owner.Http.SendAsync(stale)).ShouldBeProblemAsync(HttpStatusCode.PreconditionFailed, "precondition_failed");
    }

    [Fact]
    public async Task LastUsedAtIsRecordedWithoutSlowingRequests()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var created = await owner.CreateKeyAsync("api_keys:read");
        created["lastUsedAt"].ShouldBeNull();
        using var client = node.Client().WithApiKey(Secret(created));
        (await client.GetAsync("/api/v1/api-keys")).StatusCode.ShouldBe(HttpStatusCode.OK);

        JsonNode? lastUsed = null;
        for (var i = 0; i < 50 && lastUsed is null; i++)
        {
            await Task.Delay(100);
            lastUsed = (await owner.GetJsonAsync($"/api/v1/api-keys/{Id(created)}"))["lastUsedAt"];
        }
        lastUsed.ShouldNotBeNull("lastUsedAt should be flushed within the configured second");
    }

    [Fact]
    public async Task ListsPaginateWithCursorsAndLinkHeaders()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++) ids.Add(Id(await owner.CreateKeyAsync("contacts:read")));

        var seen = new List<string>();
        var path = "/api/v1/api-keys?limit=2";
        for (var page = 0; page < 5 && path is not null; page++)
        {
            var response = await owner.GetAsync(path);
            var body = await ApiClient.ReadAsync(response);
            seen.AddRange(body["data"]!.AsArray().Select(k => k!["id"]!.GetValue<string>()));
            var hasMore = body["hasMore"]!.GetValue<bool>();
            if (hasMore)
            {
                var link = response.Headers.GetValues("Link").Single();
                link.ShouldContain("rel=\"next\"");
                link.ShouldContain("limit=2");
                path = $"/api/v1/api-keys?limit=2&cursor={Uri.EscapeDataString(body["nextCursor"]!.GetValue<string>())}";
            }
            else
            {
                body["nextCursor"].ShouldBeNull();
                path = null;
            }
        }
        seen.ShouldBe(Enumerable.Reverse(ids).ToList());

        var bad = await owner.GetAsync("/api/v1/api-keys?cursor=bm9wZQ");
        await bad.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        var offset = await owner.GetJsonAsync("/api/v1/api-keys?limit=2&offset=3");
        offset["data"]!.AsArray().Select(k => k!["id"]!.GetValue<string>()).ShouldBe([ids[1], ids[0]]);
    }
}

public sealed class ApiKeyTestsOnSqlite(SqliteSwitchboard node) : ApiKeyTests<SqliteSwitchboard>(node);
public sealed class ApiKeyTestsOnPostgres(PostgresSwitchboard node) : ApiKeyTests<PostgresSwitchboard>(node);

/// <summary>Forged, well-formed keys must not buy unlimited database look-ups.</summary>
public sealed class UnknownKeyFloodTests : IAsyncLifetime
{
    private readonly SqliteSwitchboard _node = new();

    public Task InitializeAsync()
    {
        _node.With("Switchboard:ApiKeys:UnknownKeyLookupsPerIpPerMinute", "5");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task AnAddressSendingUnknownKeysIsCutOffBeforeTheDatabase()
    {
        using var owner = _node.Client();
        await owner.SignupAsync();
        var real = (await owner.CreateKeyAsync("api_keys:read"))["key"]!.GetValue<string>();
        (await _node.Client().WithApiKey(real).GetAsync("/api/v1/api-keys")).StatusCode.ShouldBe(HttpStatusCode.OK); // now verified and cached
        // Keep the flood inside one clock minute (and the real key inside its 60 s cache).
        if (_node.Clock.GetUtcNow().Second > 50) _node.Clock.Advance(TimeSpan.FromSeconds(61 - _node.Clock.GetUtcNow().Second));
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
            statuses.Add((await _node.Client().WithApiKey(ApiKeyFormat.Generate()).GetAsync("/api/v1/api-keys")).StatusCode);
        statuses.Take(5).ShouldAllBe(s => s == HttpStatusCode.Unauthorized);
        statuses.Skip(5).ShouldAllBe(s => s == HttpStatusCode.TooManyRequests);
        var refused = await _node.Client().WithApiKey(ApiKeyFormat.Generate()).GetAsync("/api/v1/api-keys");
        await refused.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        refused.Headers.RetryAfter.ShouldNotBeNull();
        // A key this node already verified keeps working: the budget stops database look-ups, not known keys.
        (await _node.Client().WithApiKey(real).GetAsync("/api/v1/api-keys")).StatusCode.ShouldBe(HttpStatusCode.OK);
        _node.Clock.Advance(TimeSpan.FromMinutes(1));
        (await _node.Client().WithApiKey(ApiKeyFormat.Generate()).GetAsync("/api/v1/api-keys")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}
