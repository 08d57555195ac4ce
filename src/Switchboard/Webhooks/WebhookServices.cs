using Microsoft.Extensions.Options;
using Switchboard.Platform;
using Switchboard.Platform.Storage;

namespace Switchboard.Webhooks;

public static class WebhookServices
{
    /// <summary>
    /// The webhook engine: its queue, chosen once here for the node's database, the sender, and the three workers. The
    /// dispatcher is registered after the delivery worker so that it stops first (hosted services stop in reverse
    /// order): by the time the worker drains, nothing more is handed to it.
    /// </summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.AddHttpClient(WebhookSender.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var allowPrivate = sp.GetRequiredService<IOptions<SwitchboardOptions>>().Value.Webhooks.AllowPrivateNetworks;
                return new SocketsHttpHandler
                {
                    AllowAutoRedirect = false,
                    PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                    ConnectTimeout = TimeSpan.FromSeconds(10),
                    ConnectCallback = (context, ct) => OutboundGuard.ConnectAsync(context, allowPrivate, ct),
                };
            })
            .ConfigureHttpClient(c => c.Timeout = Timeout.InfiniteTimeSpan)
            // As for provider calls: the default request logging writes each URL, and receivers' URLs often carry a
            // token (custom HTTP integrations use this client too). Every delivery attempt is recorded in its own log.
            .RemoveAllLoggers();
        services.AddSingleton<WebhookSignals>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<DeliveryBookkeeping>();
        // The queue's own work commits relaxed (synchronous_commit = off): at least once survives a lost commit.
        services.AddSingleton<IWebhookQueue>(sp => sp.GetRequiredService<DatabaseSettings>().IsPostgres
            ? new PostgresWebhookQueue(sp.GetRequiredService<PostgresDataSource>().Relaxed!, sp.GetRequiredService<IServiceScopeFactory>(), sp.GetRequiredService<DeliveryBookkeeping>(),
                sp.GetRequiredService<TimeProvider>())
            : ActivatorUtilities.CreateInstance<SqliteWebhookQueue>(sp));
        services.AddSingleton<DeliveryWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<DeliveryWorker>());
        services.AddSingleton<OutboxDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        services.AddSingleton<WebhookPruner>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookPruner>());
        return services;
    }
}
