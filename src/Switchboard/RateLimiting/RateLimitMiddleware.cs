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
        var policies = await PoliciesAsync(context, settings);
        if (policies.Count == 0)
        {
            await next(context);
            return;
        }

        var now = time.GetUtcNow().UtcDateTime;
        IReadOnlyList<RateLimitDecision> decisions;
        try
        {
            decisions = await store.AcquireAsync(policies, now, context.RequestAborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Fail open: an unreachable counter store must not take the API down with it. The request still counts in usage.
            logger.LogError(ex, "Rate limit store failed; admitting the request unlimited");
            await next(context);
            return;
        }

        // One pass: the refusal that lasts longest, else the policy closest to exhaustion; and the quota's verdict.
        RateLimitDecision denied = default, shown = decisions[0], quota = default;
        foreach (var d in decisions)
        {
            if (!d.Allowed && (denied.Policy is null || d.RetryAfter > denied.RetryAfter)) denied = d;
            if (d.Pressure > shown.Pressure || (d.Pressure == shown.Pressure && d.ResetAfter < shown.ResetAfter)) shown = d;
            if (d.Policy.Kind == LimitKind.DailyQuota) quota = d;
        }
        if (denied.Policy is not null) shown = denied;
        WriteHeaders(context.Response, decisions, shown, now);

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

    private async ValueTask<List<RateLimitPolicy>> PoliciesAsync(HttpContext context, RateLimitOptions settings)
    {
        var endpoint = context.GetEndpoint();
        var cost = endpoint?.Metadata.GetMetadata<RateLimitCost>()?.Tokens ?? 1;
        var policies = new List<RateLimitPolicy>(4);
        var caller = context.FindCaller();
        if (caller is null)
        {
            if (endpoint?.Metadata.GetMetadata<PerIpRateLimit>() is not null && context.ClientIp() is { } ip)
                policies.Add(Bucket("ip", "ip:" + ip, settings.Anonymous.Requests, settings.Anonymous.WindowSeconds, cost));
            return policies;
        }

        switch (caller.Kind)
        {
            case CallerKind.ApiKey:
                var (requests, window) = caller.RateLimit ?? (settings.ApiKeyDefault.Requests, settings.ApiKeyDefault.WindowSeconds);
                policies.Add(Bucket("api_key", "key:" + caller.ApiKeyId, requests, window, cost));
                break;
            default:
                policies.Add(Bucket("user", $"user:{caller.OrganizationId}:{caller.UserId}:{caller.ClientId}", settings.User.Requests, settings.User.WindowSeconds, cost));
                break;
        }
        var (_, quota) = await plans.GetAsync(caller.OrganizationId, context.RequestAborted);
        if (quota is { } daily)
            policies.Add(new RateLimitPolicy("plan_daily", "quota:" + caller.OrganizationId, LimitKind.DailyQuota, daily, TimeSpan.FromDays(1), cost));
        if (endpoint?.Metadata.GetMetadata<EndpointRateLimit>() is { } limit)
            policies.Add(Bucket(limit.Name, $"endpoint:{limit.Name}:{caller.OrganizationId}", limit.Requests, limit.WindowSeconds, cost));
        return policies;
    }

    private static RateLimitPolicy Bucket(string name, string key, int requests, int windowSeconds, int cost) =>
        new(name, key, LimitKind.TokenBucket, requests, TimeSpan.FromSeconds(windowSeconds), Math.Min(cost, requests));

    private static void WriteHeaders(HttpResponse response, IReadOnlyList<RateLimitDecision> decisions, RateLimitDecision shown, DateTime now)
    {
        var resetSeconds = Math.Max(0, (long)Math.Ceiling(shown.ResetAfter.TotalSeconds));
        var headers = response.Headers;
        headers["X-RateLimit-Limit"] = shown.Policy.Limit.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Remaining"] = shown.Remaining.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Reset"] = (now.ToUnixSeconds() + resetSeconds).ToString(CultureInfo.InvariantCulture);
        // draft-ietf-httpapi-ratelimit-headers-10 §3 and §4: Structured Field lists of "name";q=quota;w=window and "name";r=remaining;t=reset.
        var policy = new StringBuilder();
        foreach (var d in decisions)
        {
            if (policy.Length > 0) policy.Append(", ");
            policy.Append(CultureInfo.InvariantCulture, $"\"{d.Policy.Name}\";q={d.Policy.Limit};w={(long)d.Policy.Window.TotalSeconds}");
        }
        headers["RateLimit-Policy"] = policy.ToString();
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
