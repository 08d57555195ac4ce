using Switchboard.OAuth.Protocol;
using System.Text.Json;
using System.Text.Json.Serialization;
using FluentValidation;
using Switchboard.ApiKeys;
using Switchboard.Audit;
using Switchboard.Crm;
using Switchboard.Developers;
using Switchboard.Platform.Idempotency;
using Switchboard.RateLimiting;
using Switchboard.Usage;
using Switchboard.Webhooks;
using Switchboard.Docs;
using Switchboard.Identity;
using Switchboard.OAuth;
using Switchboard.OAuth.Browser;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Health;
using Switchboard.Platform.Storage;

namespace Switchboard.Platform;

public static class SwitchboardSetup
{
    public const string DefaultUrl = "http://localhost:5080";

    public static WebApplicationBuilder AddSwitchboard(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var section = builder.Configuration.GetSection(SwitchboardOptions.Section);
        services.AddOptions<SwitchboardOptions>().Bind(section).ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<SwitchboardOptions>, RecursiveOptionsValidator>();

        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
            builder.WebHost.UseUrls(DefaultUrl);
        // The one shutdown budget (Switchboard:Shutdown:TimeoutSeconds): the host stops the web server first (requests in
        // flight are answered; it was started last), then the workers in the reverse order of their registration
        // (the webhook dispatcher before the delivery worker, the usage recorder's final flush last of all), and gives
        // them all together this long.
        services.AddOptions<HostOptions>().Configure<Microsoft.Extensions.Options.IOptions<SwitchboardOptions>>((host, o) => host.ShutdownTimeout = o.Value.Shutdown.Timeout);
        services.AddOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>()
            .Configure<Microsoft.Extensions.Options.IOptions<SwitchboardOptions>>((k, o) =>
            {
                k.AddServerHeader = false;
                k.Limits.MaxRequestBodySize = o.Value.Api.MaxRequestBodyBytes;
                k.ConfigureEndpointDefaults(Http.ServerRefusals.Use); // the server's own 400/414/431 get a problem body
            });
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });

        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        });
        services.AddSingleton(TimeProvider.System);
        services.AddApiProblems();
        services.AddSwitchboardDatabase();
        services.AddSwitchboardAuth();
        services.AddValidatorsOf(typeof(SwitchboardSetup).Assembly);

        services.AddCrm();
        services.AddSingleton(Versioning.ApiVersions.Declared);
        services.AddApiDocs();
        services.AddDevelopersPortal();
        services.AddPostmanCollections();
        services.AddHostedService<IdempotencyPruner>();
        services.AddResponseCompression(o =>
        {
            o.EnableForHttps = true;
            o.MimeTypes = ["application/json", "application/problem+json", "text/html", "text/css", "text/javascript"]; // API, portal, docs assets
        });
        services.Configure<Microsoft.AspNetCore.ResponseCompression.BrotliCompressionProviderOptions>(o => o.Level = System.IO.Compression.CompressionLevel.Fastest);
        services.Configure<Microsoft.AspNetCore.ResponseCompression.GzipCompressionProviderOptions>(o => o.Level = System.IO.Compression.CompressionLevel.Fastest);

        // Counters are not worth a durable commit per request (their table is UNLOGGED too): the relaxed data source.
        // On PostgreSQL, busy limits are leased in slices in front of the exact store (RateLimiting/LeasedRateLimitStore.cs).
        services.AddSingleton(sp => LeaseSettings.Of(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<SwitchboardOptions>>().Value.RateLimits));
        services.AddSingleton<IRateLimitStore>(sp =>
        {
            if (!sp.GetRequiredService<DatabaseSettings>().IsPostgres) return new InMemoryRateLimitStore();
            var relaxed = sp.GetRequiredService<PostgresDataSource>().Relaxed!;
            var exact = new PostgresRateLimitStore(relaxed);
            return sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<SwitchboardOptions>>().Value.RateLimits.Leasing
                ? new LeasedRateLimitStore(relaxed, exact, sp.GetRequiredService<LeaseSettings>(), sp.GetRequiredService<TimeProvider>(),
                    sp.GetRequiredService<ILogger<LeasedRateLimitStore>>())
                : exact;
        });
        services.AddHostedService<LeaseReturner>();
        services.AddSingleton<PlanCache>();
        services.AddSingleton<QuotaAlerts>();
        services.AddSingleton<UsageRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<UsageRecorder>());
        services.AddHostedService<UsagePruner>();

        services.AddWebhooks();
        Telemetry.TelemetrySetup.AddSwitchboardTelemetry(services, builder.Configuration);
        Integrations.IntegrationServices.AddIntegrations(services);

        services.AddSingleton<PasswordHasher>();
        services.AddSingleton<SigningKeyRing>();
        services.AddSingleton<AccessTokenService>();
        services.AddSingleton<AccessTokenValidator>();
        services.AddScoped<AccountService>();
        services.AddScoped<SessionService>();
        services.AddScoped<LoginThrottler>();
        services.AddScoped<PasswordSignIn>();
        services.AddScoped<BrowserSessions>();
        services.AddSingleton<FormTokens>();
        Dashboard.DashboardSetup.AddDashboard(services);

        services.AddSingleton<ApiKeyUsageTracker>();
        services.AddHostedService(sp => sp.GetRequiredService<ApiKeyUsageTracker>());
        services.AddSingleton<ApiKeyAuthenticator>();
        services.AddSingleton<AuthInvalidationFeed>();
        services.AddOAuthProtocol();
        services.AddHostedService(sp => sp.GetRequiredService<AuthInvalidationFeed>());
        return builder;
    }

    /// <summary>Brings the database and key ring up to date before the node takes traffic.</summary>
    public static async Task InitializeSwitchboardAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await services.MigrateDatabaseAsync(cancellationToken);
        await services.GetRequiredService<SigningKeyRing>().InitializeAsync(cancellationToken);
        await services.GetRequiredService<AuthInvalidationFeed>().PollAsync(cancellationToken);
    }

    public static WebApplication UseSwitchboard(this WebApplication app)
    {
        app.UseMiddleware<RequestIdMiddleware>();
        app.UseMiddleware<Versioning.DeprecationMiddleware>();
        app.UseResponseCompression();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<Http.BodySizeLimitMiddleware>();
        Telemetry.TelemetrySetup.UseSwitchboardMetricsEndpoint(app);
        app.UseSwitchboardAuthentication();
        app.UseMiddleware<UsageMiddleware>();
        app.UseMiddleware<RateLimitMiddleware>();
        app.UseMiddleware<Http.NoStoreMiddleware>();
        app.UseSwitchboardAuthorization();
        app.UseMiddleware<Http.RequestGuardMiddleware>();
        app.UseMiddleware<IdempotencyMiddleware>();

        // Every endpoint sits in one root group, whose last convention lets HEAD reach whatever answers GET
        // (RFC 9110 §9.1: general-purpose servers MUST support GET and HEAD). Kestrel sends no body for HEAD.
        var routes = app.MapGroup("");
        ((IEndpointConventionBuilder)routes).Finally(endpoint =>
        {
            if (endpoint.Metadata.OfType<IHttpMethodMetadata>().LastOrDefault() is { } methods
                && methods.HttpMethods.Contains(HttpMethods.Get) && !methods.HttpMethods.Contains(HttpMethods.Head))
                endpoint.Metadata.Add(new HttpMethodMetadata([.. methods.HttpMethods, HttpMethods.Head], methods.AcceptCorsPreflight));
        });
        routes.MapHealthApi();
        routes.MapAuthApi();
        routes.MapMembersApi();
        routes.MapApiKeysApi();
        routes.MapAuditApi();
        routes.MapCrmApi();
        routes.MapUsageApi();
        routes.MapPlansApi();
        routes.MapWebhooksApi();
        routes.MapWebhookPortalLinksApi();
        Integrations.IntegrationsApi.MapIntegrationsApi(routes);
        Integrations.OverviewApi.MapOverviewApi(routes);
        Integrations.Actions.RulesApi.MapIntegrationRulesApi(routes);
        Integrations.Actions.InboundApi.MapIntegrationInboundApi(routes);
        Integrations.Syncs.SyncApi.MapIntegrationSyncApi(routes);
        routes.MapOAuthProtocol();
        routes.MapOAuthAppsApi();
        routes.MapOAuthAuthorizationsApi();
        routes.MapDevelopersPortal();
        routes.MapBrowserPages();
        Dashboard.DashboardSetup.MapDashboard(routes);
        app.MapApiDocs(); // the OpenAPI documents, the Postman collections and the reference pages' static files
        return app;
    }

    private static void AddValidatorsOf(this IServiceCollection services, System.Reflection.Assembly assembly)
    {
        foreach (var type in assembly.GetTypes().Where(t => t is { IsAbstract: false, IsGenericTypeDefinition: false }))
        {
            var contract = type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IValidator<>));
            if (contract is not null) services.AddSingleton(contract, type);
        }
    }
}
