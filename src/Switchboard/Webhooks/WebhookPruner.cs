using Microsoft.Extensions.Options;
using Switchboard.Platform;

namespace Switchboard.Webhooks;

/// <summary>Removes finished deliveries, their attempts and dispatched outbox events past retention, once an hour.</summary>
public sealed class WebhookPruner(IWebhookQueue queue, IOptions<SwitchboardOptions> options, TimeProvider time, ILogger<WebhookPruner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await PruneAsync(stoppingToken); }
            catch (Exception ex) when (ex is not OperationCanceledException) { logger.LogWarning(ex, "Pruning webhook history failed"); }
            try { await Task.Delay(TimeSpan.FromHours(1), time, stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }

    public Task PruneAsync(CancellationToken cancellationToken) =>
        queue.PruneAsync(time.UtcNow().AddDays(-options.Value.Webhooks.RetentionDays), cancellationToken);
}
