using System.ComponentModel.DataAnnotations;

namespace Switchboard.Platform.Telemetry;

/// <summary>
/// OpenTelemetry traces and metrics (docs/telemetry.md). Off unless an exporter is configured (OTLP or Prometheus) or
/// <see cref="Enabled"/> turns them on: off, the node registers no tracer or meter provider, so nothing listens to its
/// activity sources and meters and the request path records nothing.
/// </summary>
public sealed class TelemetryOptions : IValidatableObject
{
    /// <summary>
    /// Whether traces and metrics are collected. Unset: on when <see cref="OtlpEndpoint"/> (or the standard
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>), <see cref="Prometheus"/> or <see cref="PrometheusListenUrl"/> is set. <c>true</c>
    /// collects without an exporter (to measure what collection costs); <c>false</c> turns everything off, whatever else is set.
    /// </summary>
    public bool? Enabled { get; set; }

    /// <summary>
    /// The OTLP collector to export traces and metrics to (<c>http://collector:4317</c> for gRPC, the default protocol;
    /// <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c> selects HTTP). Unset, the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
    /// variable is used; neither set, nothing is exported over OTLP. The other standard <c>OTEL_EXPORTER_OTLP_*</c> and
    /// <c>OTEL_SERVICE_NAME</c> variables apply as the OpenTelemetry SDK documents them.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>
    /// Serves the metrics in the Prometheus text format at <c>/metrics</c> on the API's own port, to requests carrying the
    /// operator token (<c>X-Admin-Token</c>, <c>Switchboard:Admin:Token</c>); without it, or with no token configured, 401.
    /// </summary>
    public bool Prometheus { get; set; }

    /// <summary>
    /// Serves the Prometheus text at <c>/metrics</c> on this separate listener instead (<c>http://127.0.0.1:9464/</c>),
    /// without a token: the listener's address is its protection, so bind it where only the scraper reaches it.
    /// </summary>
    public string? PrometheusListenUrl { get; set; }

    /// <summary>The share of new traces recorded (0 to 1); a request that arrives with a sampled <c>traceparent</c> follows its caller's decision.</summary>
    [Range(0.0, 1.0)] public double TraceSampleRatio { get; set; } = 1.0;

    /// <summary>
    /// How often, in seconds, the webhook queue depth is read from the database for the gauge at most (a scrape or an
    /// export more often than that answers the last reading).
    /// </summary>
    [Range(1, 3_600)] public int QueueDepthCacheSeconds { get; set; } = 10;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (OtlpEndpoint is { } otlp && !IsHttpUrl(otlp, allowPath: true))
            yield return new ValidationResult("must be an absolute http or https URL", [nameof(OtlpEndpoint)]);
        if (PrometheusListenUrl is { } listen && !(IsHttpUrl(listen, allowPath: false) && listen.StartsWith("http:", StringComparison.OrdinalIgnoreCase)))
            yield return new ValidationResult("must be an http URL of a host and port, like http://127.0.0.1:9464/", [nameof(PrometheusListenUrl)]);
    }

    private static bool IsHttpUrl(string value, bool allowPath) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && string.IsNullOrEmpty(uri.UserInfo)
        && string.IsNullOrEmpty(uri.Query) && (allowPath || uri.AbsolutePath == "/");
}
