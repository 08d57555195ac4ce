using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Switchboard.Platform.Errors;
using Switchboard.RateLimiting;

namespace Switchboard.Platform.Telemetry;

/// <summary>
/// Registers OpenTelemetry when telemetry is on (<see cref="TelemetryOptions"/>): traces from ASP.NET Core, HttpClient
/// (webhook deliveries and connector calls), the database (Npgsql's own source on PostgreSQL; EF Core's instrumentation
/// on SQLite, which has no source of its own) and <see cref="SwitchboardTelemetry.Source"/>; metrics from ASP.NET Core,
/// HttpClient, the runtime, Npgsql and <see cref="SwitchboardTelemetry.Meter"/>; exported over OTLP and/or scraped as
/// Prometheus text. When off, nothing is registered at all: no provider listens, so no span or measurement is made.
/// </summary>
public static class TelemetrySetup
{
    public const string MetricsPath = "/metrics";

    /// <summary>Whether telemetry is on for this configuration, and where the OTLP exporter sends (null: no OTLP).</summary>
    public static (bool On, string? OtlpEndpoint, TelemetryOptions Options) Resolve(IConfiguration configuration)
    {
        var options = configuration.GetSection(SwitchboardOptions.Section).GetSection("Telemetry").Get<TelemetryOptions>() ?? new TelemetryOptions();
        var otlp = !string.IsNullOrWhiteSpace(options.OtlpEndpoint) ? options.OtlpEndpoint
            : !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) ? configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] : null;
        var on = options.Enabled ?? (otlp is not null || options.Prometheus || options.PrometheusListenUrl is not null);
        return (on, on ? otlp : null, options);
    }

    public static IServiceCollection AddSwitchboardTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var (on, otlp, options) = Resolve(configuration);
        if (!on) return services;
        var postgres = string.Equals(configuration[$"{SwitchboardOptions.Section}:Database:Provider"], "postgres", StringComparison.OrdinalIgnoreCase);
        var fromOption = !string.IsNullOrWhiteSpace(options.OtlpEndpoint);
        services.AddSingleton<WebhookQueueDepth>();

        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName: configuration["OTEL_SERVICE_NAME"] ?? "switchboard",
                serviceVersion: typeof(TelemetrySetup).Assembly.GetName().Version?.ToString()))
            .WithTracing(t =>
            {
                t.SetSampler(new SwitchboardSampler(options.TraceSampleRatio));
                t.AddSource(SwitchboardTelemetry.Name);
                // Scrapes and probes come every few seconds and say nothing a trace would add.
                t.AddAspNetCoreInstrumentation(o => o.Filter = http => !IsQuiet(http.Request.Path));
                t.AddHttpClientInstrumentation();
                if (postgres) t.AddSource("Npgsql");
                else t.AddEntityFrameworkCoreInstrumentation();
                if (otlp is not null) t.AddOtlpExporter(o => { if (fromOption) o.Endpoint = Signal(otlp, o.Protocol, "v1/traces"); });
            })
            .WithMetrics(m =>
            {
                m.AddMeter(SwitchboardTelemetry.Name);
                m.AddAspNetCoreInstrumentation();
                m.AddHttpClientInstrumentation();
                m.AddRuntimeInstrumentation();
                if (postgres) m.AddMeter("Npgsql");
                // The queue depth gauge reads the database through this node's services, so it is made with them.
                ((IDeferredMeterProviderBuilder)m).Configure((sp, _) => sp.GetRequiredService<WebhookQueueDepth>());
                if (options.PrometheusListenUrl is { } listen)
                {
                    var uri = new Uri(listen);
                    m.AddPrometheusHttpListener(o => { o.Host = uri.Host; o.Port = uri.Port; o.ScrapeEndpointPath = MetricsPath; });
                }
                else if (options.Prometheus) m.AddPrometheusExporter();
                if (otlp is not null) m.AddOtlpExporter(o => { if (fromOption) o.Endpoint = Signal(otlp, o.Protocol, "v1/metrics"); });
            });
        return services;
    }

    /// <summary>
    /// <c>/metrics</c> on the API's port, for the operator token only (the check of the admin endpoints,
    /// <see cref="PlansApi.PresentsAdminToken"/>); placed before authentication, rate limits and usage, which a scrape is
    /// none of. Nothing when Prometheus is off or served on its own listener.
    /// </summary>
    public static WebApplication UseSwitchboardMetricsEndpoint(this WebApplication app)
    {
        var (on, _, options) = Resolve(app.Configuration);
        if (!on || !options.Prometheus || options.PrometheusListenUrl is not null) return app;
        app.UseOpenTelemetryPrometheusScrapingEndpoint(meterProvider: null,
            predicate: http => http.Request.Path.Equals(MetricsPath, StringComparison.Ordinal), path: null,
            configureBranchedPipeline: branch => branch.Use(async (http, next) =>
            {
                if (PlansApi.PresentsAdminToken(http)) { await next(http); return; }
                await ApiProblem.WriteAsync(http, 401, ErrorCodes.Unauthorized,
                    $"The metrics need the {PlansApi.AdminTokenHeader} header with the configured admin token.");
            }), optionsName: null);
        return app;
    }

    private static bool IsQuiet(PathString path) =>
        path.Equals(MetricsPath, StringComparison.Ordinal) || path.Equals("/health", StringComparison.Ordinal) || path.Equals("/alive", StringComparison.Ordinal);

    /// <summary>
    /// An endpoint given in the options is the collector's base, as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is: over HTTP the
    /// signal's path is appended (OTLP/HTTP, https://opentelemetry.io/docs/specs/otlp/#otlphttp-request); gRPC takes it as is.
    /// </summary>
    private static Uri Signal(string endpoint, OtlpExportProtocol protocol, string signalPath) =>
        protocol == OtlpExportProtocol.HttpProtobuf ? new Uri(endpoint.TrimEnd('/') + "/" + signalPath) : new Uri(endpoint);
}

/// <summary>
/// <c>switchboard.webhook.queue.depth</c>: the deliveries still to make (pending, due or waiting for a retry), read from
/// the database with a count over the queue's partial index, at most once per <see cref="TelemetryOptions.QueueDepthCacheSeconds"/>;
/// a collection in between answers the last reading. The queue is shared by every node, so every node reports the same
/// number (alert on the maximum, not the sum).
/// </summary>
public sealed class WebhookQueueDepth
{
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeSpan _cacheFor;
    private readonly ILogger<WebhookQueueDepth> _logger;
    private readonly Lock _gate = new();
    private long? _depth;
    private long _readAt;

    public WebhookQueueDepth(IMeterFactory meters, IServiceScopeFactory scopes, IOptions<SwitchboardOptions> options,
        ILogger<WebhookQueueDepth> logger)
    {
        (_scopes, _logger) = (scopes, logger);
        _cacheFor = TimeSpan.FromSeconds(options.Value.Telemetry.QueueDepthCacheSeconds);
        // From this node's meter factory, so the gauge (and its hold on this node's services) goes with the node.
        meters.Create(SwitchboardTelemetry.Name).CreateObservableGauge("switchboard.webhook.queue.depth", Observe, "{delivery}",
            "Webhook and action-rule deliveries still to make (pending), shared by all nodes.");
    }

    private IEnumerable<Measurement<long>> Observe()
    {
        lock (_gate)
        {
            if (_depth is null || System.Diagnostics.Stopwatch.GetElapsedTime(_readAt) >= _cacheFor)
            {
                try
                {
                    using var scope = _scopes.CreateScope();
                    var db = scope.ServiceProvider.GetRequiredService<Storage.SwitchboardDbContext>();
                    _depth = Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.IgnoreQueryFilters(db.Set<Webhooks.WebhookDelivery>())
                        .LongCount(d => d.Status == Webhooks.DeliveryStatus.Pending);
                    _readAt = System.Diagnostics.Stopwatch.GetTimestamp(); // real time: a test's clock does not move on its own
                }
                catch (Exception ex)
                {
                    // A collection runs on the exporter's thread: a database that cannot answer now leaves the gauge without a value.
                    _logger.LogWarning(ex, "Reading the webhook queue depth failed");
                    return [];
                }
            }
            return [new Measurement<long>(_depth.Value)];
        }
    }
}

/// <summary>
/// The sampler: a parent's decision where there is a parent, the configured ratio for a new trace, and no trace at all
/// for a database or HTTP call with no parent. The workers poll the database every few hundred milliseconds (leases,
/// schedules, the invalidation feed); a trace per poll would bury the traces that matter. A call made inside a request,
/// a delivery attempt, a connector job or a sync run has that parent and is recorded with it.
/// </summary>
public sealed class SwitchboardSampler(double ratio) : Sampler
{
    private readonly ParentBasedSampler _inner = new(new TraceIdRatioBasedSampler(ratio));

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        samplingParameters.ParentContext.TraceId == default && samplingParameters.Kind == System.Diagnostics.ActivityKind.Client
            ? new SamplingResult(SamplingDecision.Drop)
            : _inner.ShouldSample(samplingParameters);
}
