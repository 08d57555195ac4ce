using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Platform;
using Switchboard.Platform.Outbox;
using Switchboard.Platform.Storage;

namespace Switchboard.RateLimiting;

/// <summary>
/// <c>quota.warning</c> when an organization's daily quota crosses 80%, <c>quota.exceeded</c> when it reaches 100%: each
/// once per organization and day (a unique row guards that across nodes and restarts), written to the outbox so the
/// webhook engine delivers them.
/// </summary>
public sealed class QuotaAlerts(IServiceScopeFactory scopes, TimeProvider time, ILogger<QuotaAlerts> logger)
{
    public const string Warning = "warning";
    public const string Exceeded = "exceeded";

    public async Task CheckAsync(string organizationId, RateLimitDecision quota, DateTime now, CancellationToken cancellationToken)
    {
        var limit = quota.Policy.Limit;
        var used = limit - quota.Remaining;
        var before = quota.Allowed ? used - quota.Policy.Cost : used;
        var warnAt = (long)Math.Ceiling(limit * 0.8);
        string? level = null;
        if (!quota.Allowed || (before < limit && used >= limit)) level = Exceeded;
        else if (before < warnAt && used >= warnAt) level = Warning;
        if (level is null) return;
        try
        {
            await RecordAsync(organizationId, level, limit, used, now, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Recording quota alert {Level} for {OrganizationId} failed", level, organizationId);
        }
    }

    private async Task RecordAsync(string organizationId, string level, long limit, long used, DateTime now, CancellationToken cancellationToken)
    {
        var day = LimitMath.DayOf(now);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var created = time.UtcNow();
        var inserted = await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO quota_alerts (organization_id, day, level, "limit", created_at) VALUES ({organizationId}, {day}, {level}, {limit}, {created})
            ON CONFLICT (organization_id, day, level) DO NOTHING
            """, cancellationToken);
        if (inserted == 0) return;
        var data = new JsonObject
        {
            ["organizationId"] = organizationId,
            ["level"] = level,
            ["limit"] = limit,
            ["used"] = used,
            ["day"] = DateOnly.FromDateTime(DateTime.UnixEpoch.AddDays(day)).ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["resetsAt"] = DateTime.UnixEpoch.AddDays(day + 1),
        };
        db.OutboxEvents.Add(new OutboxEvent
        {
            Id = Ids.New(Platform.Resources.ResourceRegistry.Events, time), OrganizationId = organizationId, Type = QuotaEvents.Of(level), ResourceType = "organization",
            ResourceId = organizationId, Data = data.ToJsonString(), CreatedAt = created,
        });
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }
}
