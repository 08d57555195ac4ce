using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Tests.Infrastructure;
using Switchboard.Usage;

namespace Switchboard.Tests.RateLimiting;

/// <summary>Nodes with the defaults that matter here made small.</summary>
public sealed class LimitedSqliteSwitchboard : SqliteSwitchboard
{
    public LimitedSqliteSwitchboard() => Limits.Apply(this);
}

public sealed class LimitedPostgresSwitchboard : PostgresSwitchboard
{
    public LimitedPostgresSwitchboard() => Limits.Apply(this);
}

internal static class Limits
{
    public static void Apply(SwitchboardFactory node) => node
        .With("Switchboard:RateLimits:Anonymous:Requests", "6")
        .With("Switchboard:RateLimits:User:Requests", "50")
        .With("Switchboard:RateLimits:ApiKeyDefault:Requests", "40")
        .With("Switchboard:RateLimits:PlanDailyQuotas:starter", "1000");
}

public abstract class RateLimitTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private static long Header(HttpResponseMessage r, string name) => long.Parse(r.Headers.GetValues(name).Single(), CultureInfo.InvariantCulture);

    /// <summary>An organization (signed up from a fresh IP bucket's point of view: signups count against the IP limit).</summary>
    private async Task<ApiClient> OwnerAsync()
    {
        var client = node.Client();
        var email = $"rl-{Guid.NewGuid():N}@example.com";
        var signup = await client.PostAsync("/api/v1/auth/signup", new { email, password = "rate limit password", name = "RL", organizationName = "RL" });
        if (signup.StatusCode == HttpStatusCode.TooManyRequests)
        {
            node.Clock.Advance(TimeSpan.FromMinutes(1));
            signup = await client.PostAsync("/api/v1/auth/signup", new { email, password = "rate limit password", name = "RL", organizationName = "RL" });
        }
        signup.StatusCode.ShouldBe(HttpStatusCode.Created, await signup.Content.ReadAsStringAsync());
        client.UseSession(await ApiClient.ReadAsync(signup));
        return client;
    }

    private async Task<ApiClient> KeyAsync(ApiClient owner, int requests, int windowSeconds)
    {
        var created = await owner.CreateKeyAsync(new { name = "limited", scopes = new[] { "contacts:read" }, rateLimit = new { requests, windowSeconds } });
        return node.Client().WithApiKey(created["key"]!.GetValue<string>());
    }

    [Fact]
    public async Task AKeyGetsExactlyItsLimitThenA429WithHeaders()
    {
        using var owner = await OwnerAsync();
        using var client = await KeyAsync(owner, 5, 3600);
        for (var i = 0; i < 5; i++)
        {
            var ok = await client.GetAsync("/api/v1/contacts");
            ok.StatusCode.ShouldBe(HttpStatusCode.OK);
            Header(ok, "X-RateLimit-Limit").ShouldBe(5);
            Header(ok, "X-RateLimit-Remaining").ShouldBe(4 - i);
            Header(ok, "X-RateLimit-Reset").ShouldBeGreaterThan(node.Clock.GetUtcNow().ToUnixTimeSeconds());
            ok.Headers.GetValues("RateLimit-Policy").Single().ShouldContain("\"api_key\";q=5;w=3600");
            ok.Headers.GetValues("RateLimit").Single().ShouldStartWith($"\"api_key\";r={4 - i};t=");
        }
        var limited = await client.GetAsync("/api/v1/contacts");
        var problem = await limited.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        problem["policy"]!["name"]!.GetValue<string>().ShouldBe("api_key");
        problem["policy"]!["limit"]!.GetValue<long>().ShouldBe(5);
        Header(limited, "Retry-After").ShouldBeInRange(1, 720);
        Header(limited, "X-RateLimit-Remaining").ShouldBe(0);
    }

    [Fact]
    public async Task ConcurrentRequestsNeverExceedTheLimit()
    {
        using var owner = await OwnerAsync();
        var key = (await owner.CreateKeyAsync(new { name = "burst", scopes = new[] { "contacts:read" }, rateLimit = new { requests = 20, windowSeconds = 3600 } }))["key"]!.GetValue<string>();
        // One instant for the whole burst: with the clock running, the first request to take could read a later time
        // than the rest, and a bucket's last token goes only to a request whose clock has reached the first taker's
        // (GCRA on each request's own reading; docs/rate-limits.md), so the burst could be held to 19 by microseconds.
        HttpResponseMessage[] responses;
        using (node.Clock.Freeze())
            responses = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => node.Client().WithApiKey(key).GetAsync("/api/v1/contacts")));
        // Every status, so that a failure says whether a request was refused or answered something else.
        var statuses = string.Join(", ", responses.GroupBy(r => (int)r.StatusCode).OrderBy(g => g.Key).Select(g => $"{g.Key} ×{g.Count()}"));
        responses.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBe(20, statuses);
        responses.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests).ShouldBe(80, statuses);
    }

    [Fact]
    public async Task TheBucketRefillsAtTheLimitsRate()
    {
        using var owner = await OwnerAsync();
        using var client = await KeyAsync(owner, 4, 60);
        for (var i = 0; i < 4; i++) (await client.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var limited = await client.GetAsync("/api/v1/contacts");
        limited.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        Header(limited, "Retry-After").ShouldBe(15);
        node.Clock.Advance(TimeSpan.FromSeconds(15));
        (await client.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task KeysWithoutTheirOwnLimitGetTheDefaultAndUsersTheirs()
    {
        using var owner = await OwnerAsync();
        var response = await owner.GetAsync("/api/v1/contacts");
        Header(response, "X-RateLimit-Limit").ShouldBeOneOf(50, 1_000);
        response.Headers.GetValues("RateLimit-Policy").Single().ShouldContain("\"user\";q=50;w=3600");
        response.Headers.GetValues("RateLimit-Policy").Single().ShouldContain("\"plan_daily\";q=1000;w=86400");
        using var keyed = node.Client().WithApiKey((await owner.CreateKeyAsync("contacts:read"))["key"]!.GetValue<string>());
        (await keyed.GetAsync("/api/v1/contacts")).Headers.GetValues("RateLimit-Policy").Single().ShouldContain("\"api_key\";q=40;w=3600");
    }

    [Fact]
    public async Task UnauthenticatedEndpointsAreLimitedPerIp()
    {
        using var anonymous = node.Client();
        node.Clock.Advance(TimeSpan.FromMinutes(2)); // a full bucket for this IP
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
            statuses.Add((await anonymous.PostAsync("/api/v1/auth/login", new { email = $"nobody{i}@example.com", password = "wrong password" })).StatusCode);
        statuses.Take(6).ShouldAllBe(s => s == HttpStatusCode.Unauthorized);
        statuses.Skip(6).ShouldAllBe(s => s == HttpStatusCode.TooManyRequests);
        node.Clock.Advance(TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task ThePlanQuotaCapsTheOrganizationAndAlertsAt80And100Percent()
    {
        using var owner = await OwnerAsync();
        using var operatorClient = node.Client();
        operatorClient.Http.DefaultRequestHeaders.Add("X-Admin-Token", node.AdminToken);
        var plan = await operatorClient.SendRawAsync(HttpMethod.Put, $"/api/v1/admin/organizations/{owner.OrganizationId}/plan", """{"plan":"enterprise","dailyQuota":10}""");
        plan.StatusCode.ShouldBe(HttpStatusCode.OK, await plan.Content.ReadAsStringAsync());
        (await owner.GetJsonAsync("/api/v1/organization"))["dailyQuota"]!.GetValue<long>().ShouldBe(10);

        // The GET /organization above was the first of the day's 10.
        for (var i = 1; i < 10; i++) (await owner.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK, $"request {i + 1}");
        var over = await owner.GetAsync("/api/v1/contacts");
        var problem = await over.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        problem["policy"]!["name"]!.GetValue<string>().ShouldBe("plan_daily");

        var events = await node.EventsForAsync(owner.OrganizationId!);
        events.Select(e => e.Type).ShouldBe(["quota.warning", "quota.exceeded"]);
        JsonNode.Parse(events[0].Data)!["used"]!.GetValue<long>().ShouldBe(8);

        // A new UTC day brings a fresh quota (the refresh token outlives the access token).
        var now = node.Clock.GetUtcNow().UtcDateTime;
        node.Clock.Advance(now.Date.AddDays(1).AddMinutes(1) - now);
        owner.UseSession(await ApiClient.ReadAsync(await owner.Anonymous().PostAsync("/api/v1/auth/refresh", new { refreshToken = owner.RefreshToken })));
        (await owner.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ARequestTheQuotaRefusesTakesNothingFromItsKeysLimit()
    {
        using var owner = await OwnerAsync();
        using var operatorClient = node.Client();
        operatorClient.Http.DefaultRequestHeaders.Add("X-Admin-Token", node.AdminToken);
        using var client = await KeyAsync(owner, 4, 3600);
        (await operatorClient.SendRawAsync(HttpMethod.Put, $"/api/v1/admin/organizations/{owner.OrganizationId}/plan", """{"plan":"enterprise","dailyQuota":3}"""))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        // The key's requests until the day's quota of 3 (the key's creation was one of them) refuses one.
        var served = 0;
        HttpResponseMessage refused;
        while ((refused = await client.GetAsync("/api/v1/contacts")).StatusCode == HttpStatusCode.OK) served++;
        served.ShouldBeInRange(1, 2);
        for (var i = 0; i < 5; i++)
        {
            (await refused.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited"))["policy"]!["name"]!.GetValue<string>().ShouldBe("plan_daily");
            refused = await client.GetAsync("/api/v1/contacts");
        }
        // With room in the quota again, the key still has what the six refused requests took and gave back.
        (await operatorClient.SendRawAsync(HttpMethod.Put, $"/api/v1/admin/organizations/{owner.OrganizationId}/plan", """{"plan":"enterprise","dailyQuota":1000}"""))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        for (var i = served; i < 4; i++)
        {
            var ok = await client.GetAsync("/api/v1/contacts");
            ok.StatusCode.ShouldBe(HttpStatusCode.OK, $"the key's request {i + 1}");
            Header(ok, "X-RateLimit-Remaining").ShouldBe(3 - i);
        }
        (await (await client.GetAsync("/api/v1/contacts")).ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited"))["policy"]!["name"]!
            .GetValue<string>().ShouldBe("api_key");
    }

    [Fact]
    public async Task OnlyOperatorsSetPlans()
    {
        using var owner = await OwnerAsync();
        await (await owner.SendRawAsync(HttpMethod.Put, $"/api/v1/admin/organizations/{owner.OrganizationId}/plan", """{"plan":"pro"}"""))
            .ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        using var wrong = node.Client();
        wrong.Http.DefaultRequestHeaders.Add("X-Admin-Token", "guess");
        await (await wrong.SendRawAsync(HttpMethod.Put, $"/api/v1/admin/organizations/{owner.OrganizationId}/plan", """{"plan":"pro"}"""))
            .ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        using var operatorClient = node.Client();
        operatorClient.Http.DefaultRequestHeaders.Add("X-Admin-Token", node.AdminToken);
        await (await operatorClient.SendRawAsync(HttpMethod.Put, $"/api/v1/admin/organizations/{owner.OrganizationId}/plan", """{"plan":"platinum"}"""))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        await (await operatorClient.SendRawAsync(HttpMethod.Put, "/api/v1/admin/organizations/org_01JAAAAAAAAAAAAAAAAAAAAAAA/plan", """{"plan":"pro"}"""))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        (await operatorClient.SendRawAsync(HttpMethod.Put, $"/api/v1/admin/organizations/{owner.OrganizationId}/plan", """{"plan":"pro"}""")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await owner.GetJsonAsync("/api/v1/organization"))["dailyQuota"]!.GetValue<long>().ShouldBe(100_000);
        (await owner.GetJsonAsync("/api/v1/audit-logs?action=organization.plan_changed"))["data"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task EndpointGroupsCanDeclareTheirOwnLimit()
    {
        using var owner = await OwnerAsync();
        var response = await owner.GetAsync("/api/v1/analytics/summary");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Headers.GetValues("RateLimit-Policy").Single().ShouldContain("\"analytics\";q=120;w=60");
        (await owner.GetAsync("/api/v1/contacts")).Headers.GetValues("RateLimit-Policy").Single().ShouldNotContain("analytics");
    }
}

public sealed class RateLimitTestsOnSqlite(LimitedSqliteSwitchboard node) : RateLimitTests<LimitedSqliteSwitchboard>(node);
public sealed class RateLimitTestsOnPostgres(LimitedPostgresSwitchboard node) : RateLimitTests<LimitedPostgresSwitchboard>(node);
