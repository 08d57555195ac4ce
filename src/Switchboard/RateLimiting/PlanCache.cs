using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Platform;
using Switchboard.Platform.Storage;

namespace Switchboard.RateLimiting;

/// <summary>
/// Each organization's daily quota, kept in memory for a few seconds so requests do not read it from the database.
/// A plan change is applied at once on the node that made it and within the cache lifetime elsewhere.
/// </summary>
public sealed class PlanCache(IServiceScopeFactory scopes, IOptions<SwitchboardOptions> options, TimeProvider time)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, (string Plan, long? Quota, DateTimeOffset LoadedAt)> _plans = new(StringComparer.Ordinal);

    /// <summary>The organization's plan and daily quota; a null quota means unlimited (Enterprise without an override).</summary>
    public async ValueTask<(string Plan, long? Quota)> GetAsync(string organizationId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_plans.TryGetValue(organizationId, out var cached) && now - cached.LoadedAt < Lifetime) return (cached.Plan, cached.Quota);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var org = await db.Organizations.AsNoTracking().Where(o => o.Id == organizationId)
            .Select(o => new { o.Plan, o.DailyQuota }).FirstOrDefaultAsync(cancellationToken);
        var plan = org?.Plan ?? Identity.Plans.Starter;
        var quota = QuotaOf(plan, org?.DailyQuota);
        _plans[organizationId] = (plan, quota, now);
        return (plan, quota);
    }

    public long? QuotaOf(string plan, long? overrideQuota) =>
        overrideQuota ?? (options.Value.RateLimits.PlanDailyQuotas.TryGetValue(plan, out var q) ? q : null);

    public void Invalidate(string organizationId) => _plans.TryRemove(organizationId, out _);
}
