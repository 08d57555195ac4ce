using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Connections;

/// <summary>
/// Refreshes provider tokens ahead of use: every <see cref="IntegrationOptions.SchedulerPollSeconds"/>, the active
/// installations whose access token expires within <see cref="IntegrationOptions.RefreshBeforeExpirySeconds"/> go
/// through <see cref="ProviderTokenStore.AccessAsync"/>, which refreshes under the installation's database lease, so
/// this loop running on every node (and the callers refreshing on use) still makes one refresh per installation. A
/// refused refresh sets the installation to <c>needs_reauth</c> (and emits <c>integration.auth_failed</c>) there.
/// </summary>
public sealed class TokenRefresher(IServiceScopeFactory scopes, ProviderTokenStore tokens, ProviderCatalog catalog, IOptions<SwitchboardOptions> options,
    TimeProvider time, ILogger<TokenRefresher> logger) : BackgroundService
{
    /// <summary>At most this many installations per pass; the next pass takes the rest.</summary>
    private const int Batch = 100;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Integrations;
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await RefreshDueAsync(stoppingToken); }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception ex) { logger.LogWarning(ex, "The token refresher's pass failed; the next pass tries again"); }
            try { await Task.Delay(TimeSpan.FromSeconds(settings.SchedulerPollSeconds), time, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>One pass: the installations due, each refreshed (or left to the node that holds its lease). Answers how many were due.</summary>
    public async Task<int> RefreshDueAsync(CancellationToken cancellationToken)
    {
        var due = time.UtcNow().AddSeconds(options.Value.Integrations.RefreshBeforeExpirySeconds);
        List<IntegrationInstallation> installations;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            installations = await db.Set<IntegrationInstallation>().IgnoreQueryFilters().AsNoTracking()
                .Where(i => i.TokenExpiresAt != null && i.TokenExpiresAt < due && i.Status == InstallationStatus.Active)
                .OrderBy(i => i.TokenExpiresAt).Take(Batch).ToListAsync(cancellationToken);
        }
        foreach (var installation in installations)
        {
            if (catalog.Find(installation.ProviderKey)?.Definition is not { } provider) continue;
            try { await tokens.AccessAsync(installation, provider, force: false, cancellationToken); }
            catch (ProviderException ex)
            {
                // Refused: the store has marked it needs_reauth; unreachable: the next pass (or the next use) tries again.
                logger.LogInformation("Installation {InstallationId} ({Provider}): background refresh failed: {Error}", installation.Id, provider.Key,
                    ex.ProviderError ?? ex.Message);
            }
        }
        return installations.Count;
    }
}
