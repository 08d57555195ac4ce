using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;

namespace Switchboard.RateLimiting;

/// <summary>
/// Counts every authenticated /api request (and unauthenticated ones to per-IP endpoints) against its limits: the API
/// key's or user's own, the organization's daily plan quota and any limit declared on the endpoint. Answers the
/// X-RateLimit-* headers and the IETF draft-10 <c>RateLimit-Policy</c>/<c>RateLimit</c> fields for the policy closest to
/// exhaustion, and 429 with Retry-After once a limit is reached.
/// </summary>
public sealed class RateLimitMiddleware(RequestDelegate next, IRateLimitStore store, PlanCache plans, QuotaAlerts alerts,
    IOptions<SwitchboardOptions> options, TimeProvider time, ILogger<RateLimitMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var settings = options.Value.RateLimits;
        if (!settings.Enabled || !context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
        {
            await next(context);
            return;
        }
        var set = await PoliciesAsync(context, settings);
        if (set is null)
        {
            await next(context);
            return;
        }

        var now = time.GetUtcNow().UtcDateTime;
        IReadOnlyList<RateLimitDecision> decisions;
        try
        {
            decisions = await store.AcquireAsync(set.Policies, now, context.RequestAborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (settings.FailOpen)
            {
                // Fail open (the default): an unreachable counter store must not take the API down with it. The request
                // still counts in usage.
                logger.LogError(ex, "Rate limit store failed; admitting the request unlimited");
                foreach (var p in set.Policies) Platform.Telemetry.SwitchboardTelemetry.RateLimitFailed(p.Name, open: true);
                await next(context);
                return;
            }
            // Fail closed: no request past an unchecked limit; the client retries shortly.
            logger.LogError(ex, "Rate limit store failed; refusing the request (Switchboard:RateLimits:FailOpen is false)");
            foreach (var p in set.Policies) Platform.Telemetry.SwitchboardTelemetry.RateLimitFailed(p.Name, open: false);
            context.Response.Headers.RetryAfter = "1";
            await ApiProblem.WriteAsync(context, 503, ErrorCodes.ServiceUnavailable,
                "The rate limit counters cannot be reached, and this server does not admit requests unchecked; retry shortly.");
            return;
        }

        // One pass: the refusal that lasts longest, else the policy closest to exhaustion; and the quota's verdict.
        RateLimitDecision denied = default, shown = decisions[0], quota = default;
        foreach (var d in decisions)
        {
            Platform.Telemetry.SwitchboardTelemetry.RateLimitDecided(d.Policy.Name, d.Allowed);
            if (!d.Allowed && (denied.Policy is null || d.RetryAfter > denied.RetryAfter)) denied = d;
            if (d.Pressure > shown.Pressure || (d.Pressure == shown.Pressure && d.ResetAfter < shown.ResetAfter)) shown = d;
            if (d.Policy.Kind == LimitKind.DailyQuota) quota = d;
        }
        if (denied.Policy is not null) shown = denied;
        WriteHeaders(context.Response, set.PolicyField, shown, now);

        if (quota.Policy is not null && context.FindCaller() is { } caller)
            await alerts.CheckAsync(caller.OrganizationId, quota, now, context.RequestAborted);

        if (denied.Policy is not null)
        {
            var retry = Math.Max(1, (long)Math.Ceiling(denied.RetryAfter.TotalSeconds));
            context.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
            var p = denied.Policy;
            var problem = ApiProblem.Create(429, ErrorCodes.RateLimited,
                $"The '{p.Name}' limit of {p.Limit} requests per {Describe(p.Window)} is used up; retry after {retry} s.");
            problem.Extensions["policy"] = new { name = p.Name, limit = p.Limit, windowSeconds = (long)p.Window.TotalSeconds };
            context.Response.StatusCode = 429;
            await context.RequestServices.GetRequiredService<IProblemDetailsService>()
                .WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
            return;
        }
        await next(context);
    }

    /// <summary>A caller's policies on one endpoint and their <c>RateLimit-Policy</c> field, the same request after request.</summary>
    private sealed record PolicySet(RateLimitPolicy[] Policies, string PolicyField);

    private readonly record struct PolicySetKey(CallerKind Kind, string OrganizationId, string? UserId, string? ClientId, string? ApiKeyId,
        int Requests, int WindowSeconds, long? Quota, EndpointRateLimit? Endpoint, int Cost);

    // Built once per caller, limit, quota and endpoint limit; a changed limit or plan makes a new key, so an entry is never
    // stale, only unused. Cleared when it grows past any plausible working set.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<PolicySetKey, PolicySet> _sets = new();
    private const int MaxPolicySets = 100_000;

    private async ValueTask<PolicySet?> PoliciesAsync(HttpContext context, RateLimitOptions settings)
    {
        var endpoint = context.GetEndpoint();
        var cost = endpoint?.Metadata.GetMetadata<RateLimitCost>()?.Tokens ?? 1;
        var caller = context.FindCaller();
        if (caller is null)
        {
            if (endpoint?.Metadata.GetMetadata<PerIpRateLimit>() is not null && context.ClientIp() is { } ip)
            {
                RateLimitPolicy[] perIp = [Bucket("ip", "ip:" + ip, settings.Anonymous.Requests, settings.Anonymous.WindowSeconds, cost)];
                return new PolicySet(perIp, PolicyField(perIp));
            }
            return null;
        }

        // An OAuth app counts as an API key does: one bucket per app and organization, at the keys' default limit.
        var (requests, window) = caller.Kind switch
        {
            CallerKind.ApiKey => caller.RateLimit ?? (settings.ApiKeyDefault.Requests, settings.ApiKeyDefault.WindowSeconds),
            CallerKind.OAuthClient => (settings.ApiKeyDefault.Requests, settings.ApiKeyDefault.WindowSeconds),
            _ => (settings.User.Requests, settings.User.WindowSeconds),
        };
        var (_, quota) = await plans.GetAsync(caller.OrganizationId, context.RequestAborted);
        var key = new PolicySetKey(caller.Kind, caller.OrganizationId, caller.UserId, caller.ClientId, caller.ApiKeyId, requests, window, quota,
            endpoint?.Metadata.GetMetadata<EndpointRateLimit>(), cost);
        if (_sets.TryGetValue(key, out var set)) return set;
        if (_sets.Count >= MaxPolicySets) _sets.Clear();
        return _sets.GetOrAdd(key, static k => Build(k));
    }

    private static PolicySet Build(PolicySetKey k)
    {
        var policies = new List<RateLimitPolicy>(3)
        {
            k.Kind switch
            {
                CallerKind.ApiKey => Bucket("api_key", "key:" + k.ApiKeyId, k.Requests, k.WindowSeconds, k.Cost),
                CallerKind.OAuthClient => Bucket("oauth_app", $"app:{k.OrganizationId}:{k.ClientId}", k.Requests, k.WindowSeconds, k.Cost),
                _ => Bucket("user", $"user:{k.OrganizationId}:{k.UserId}:{k.ClientId}", k.Requests, k.WindowSeconds, k.Cost),
            },
        };
        if (k.Quota is { } daily)
            policies.Add(new RateLimitPolicy("plan_daily", "quota:" + k.OrganizationId, LimitKind.DailyQuota, daily, TimeSpan.FromDays(1), k.Cost));
        if (k.Endpoint is { } limit)
            policies.Add(Bucket(limit.Name, $"endpoint:{limit.Name}:{k.OrganizationId}", limit.Requests, limit.WindowSeconds, k.Cost));
        return new PolicySet([.. policies], PolicyField(policies));
    }

    /// <summary>draft-ietf-httpapi-ratelimit-headers-10 §3: a Structured Field list of <c>"name";q=quota;w=window</c>.</summary>
    private static string PolicyField(IReadOnlyList<RateLimitPolicy> policies)
    {
        var field = new StringBuilder();
        foreach (var p in policies)
        {
            if (field.Length > 0) field.Append(", ");
            field.Append(CultureInfo.InvariantCulture, $"\"{p.Name}\";q={p.Limit};w={(long)p.Window.TotalSeconds}");
        }
        return field.ToString();
    }

    private static RateLimitPolicy Bucket(string name, string key, int requests, int windowSeconds, int cost) =>
        new(name, key, LimitKind.TokenBucket, requests, TimeSpan.FromSeconds(windowSeconds), Math.Min(cost, requests));

    private static void WriteHeaders(HttpResponse response, string policyField, RateLimitDecision shown, DateTime now)
    {
        var resetSeconds = Math.Max(0, (long)Math.Ceiling(shown.ResetAfter.TotalSeconds));
        var headers = response.Headers;
        headers["X-RateLimit-Limit"] = shown.Policy.Limit.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Remaining"] = shown.Remaining.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Reset"] = (now.ToUnixSeconds() + resetSeconds).ToString(CultureInfo.InvariantCulture);
        // draft-ietf-httpapi-ratelimit-headers-10 §3 and §4: "name";q=quota;w=window for every policy, "name";r=remaining;t=reset for one.
        headers["RateLimit-Policy"] = policyField;
        headers["RateLimit"] = string.Create(CultureInfo.InvariantCulture, $"\"{shown.Policy.Name}\";r={shown.Remaining};t={resetSeconds}");
    }

    private static string Describe(TimeSpan window) => window.TotalSeconds switch
    {
        86_400 => "day",
        3_600 => "hour",
        60 => "minute",
        var s => $"{s:0} seconds",
    };
}
