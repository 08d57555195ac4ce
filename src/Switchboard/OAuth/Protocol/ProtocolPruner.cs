using Microsoft.EntityFrameworkCore;
using Switchboard.Platform;
using Switchboard.Platform.Storage;

namespace Switchboard.OAuth.Protocol;

/// <summary>
/// Deletes authorization requests and codes a day after they expired (a used code is kept that long so that a replay
/// is still recognized and revokes its grant rather than merely failing). Every node runs it; deleting twice is harmless.
/// </summary>
public sealed class ProtocolPruner(IServiceScopeFactory scopes, TimeProvider time, ILogger<ProtocolPruner> logger) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromHours(1);
    private static readonly TimeSpan KeepAfterExpiry = TimeSpan.FromDays(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await PruneAsync(stoppingToken); }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { break; }
            catch (Exception ex) { logger.LogWarning(ex, "Pruning expired OAuth authorization requests and codes failed"); }
            try { await Task.Delay(Every, time, stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }

    public async Task PruneAsync(CancellationToken ct)
    {
        var cutoff = time.UtcNow() - KeepAfterExpiry;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        await db.OAuthAuthorizationRequests.Where(r => r.ExpiresAt < cutoff).ExecuteDeleteAsync(ct);
        await db.OAuthAuthorizationCodes.IgnoreQueryFilters().Where(c => c.ExpiresAt < cutoff).ExecuteDeleteAsync(ct);
    }
}
