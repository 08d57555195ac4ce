using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations;

public static class IntegrationServices
{
    /// <summary>
    /// The integration framework: the catalog (every connector class of the assembly, one per provider folder), the
    /// secrets of installations, provider tokens and clients. Provider calls go through their own client: the
    /// providers' hosts are the operator's configuration, not the user's, so they are not behind the webhook SSRF guard
    /// (which would refuse a loopback fake or an on-premises provider); the custom HTTP integration, whose URLs the user
    /// gives, uses the guarded webhook client.
    /// </summary>
    public static IServiceCollection AddIntegrations(this IServiceCollection services)
    {
        foreach (var type in ProviderCatalog.ConnectorTypes()) services.AddSingleton(typeof(Connector), type);
        services.AddSingleton<ProviderCatalog>();
        services.AddSingleton<IntegrationSecrets>();
        services.AddSingleton<ProviderTokenStore>();
        services.AddSingleton<ConnectorContexts>();
        services.AddHostedService<Connections.TokenRefresher>();
        // Action rules (integ-actions): the runner the delivery worker hands action deliveries to, and the scheduler of cron rules.
        services.AddSingleton<Actions.ActionRunner>();
        services.AddScoped<Actions.ActionInvocation>();
        services.AddSingleton<Actions.RuleScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<Actions.RuleScheduler>());
        services.AddSingleton<Syncs.SyncSignals>();
        services.AddSingleton<Syncs.SyncQueue>();
        services.AddSingleton<Syncs.SyncEngine>();
        services.AddHostedService<Syncs.SyncRunner>();
        services.AddHttpClient(ProviderTokenStore.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectTimeout = TimeSpan.FromSeconds(10),
                MaxConnectionsPerServer = 64,
            })
            .ConfigureHttpClient(c => c.Timeout = Timeout.InfiniteTimeSpan)
            // The default request logging writes each URL's path, and some providers' credentials are paths (Discord's
            // webhook token, Slack's and Teams' incoming-webhook URLs): no request URL of a provider call is logged.
            .RemoveAllLoggers();
        return services;
    }
}
