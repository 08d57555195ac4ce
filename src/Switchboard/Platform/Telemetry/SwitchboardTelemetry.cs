using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Switchboard.Platform.Telemetry;

/// <summary>
/// The node's own activity source and meter, both named <c>Switchboard</c>, for the work the framework does not trace:
/// webhook delivery attempts, connector jobs (an action rule's provider call), sync runs and token issuance; and the
/// instruments of docs/telemetry.md. Nothing listens to either unless telemetry is on (<see cref="TelemetrySetup"/>):
/// <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> then answers null and every instrument's
/// <c>Enabled</c> is false, which the recording helpers check first, so the paths they sit on pay a branch and no more.
/// Instrument and attribute names follow the OpenTelemetry semantic conventions where one exists
/// (<c>http.response.status_code</c>, <c>error.type</c>, <c>oauth</c> has none: ours are under <c>switchboard.</c>).
/// </summary>
public static class SwitchboardTelemetry
{
    public const string Name = "Switchboard";

    public static readonly ActivitySource Source = new(Name, typeof(SwitchboardTelemetry).Assembly.GetName().Version?.ToString());
    public static readonly Meter Meter = new(Name, typeof(SwitchboardTelemetry).Assembly.GetName().Version?.ToString());

    // Attribute names, written once.
    public const string PolicyAttribute = "switchboard.rate_limit.policy";
    public const string OutcomeAttribute = "switchboard.outcome";
    public const string ProviderAttribute = "switchboard.provider";
    public const string EventTypeAttribute = "switchboard.webhook.event_type";
    public const string EndpointKindAttribute = "switchboard.webhook.endpoint_kind";
    public const string GrantTypeAttribute = "oauth.grant_type";
    public const string StatusCodeAttribute = "http.response.status_code";

    /// <summary>
    /// Rate-limit verdicts, one per policy a request counted against: <c>allowed</c> or <c>refused</c>, by policy; and
    /// <c>failed_open</c> for each policy of a request admitted without a verdict because the counter store failed
    /// (<c>failed_closed</c> when it was refused instead, with Switchboard:RateLimits:FailOpen false).
    /// </summary>
    public static readonly Counter<long> RateLimitDecisions = Meter.CreateCounter<long>("switchboard.rate_limit.decisions", "{decision}",
        "Rate-limit verdicts, one per policy a request counted against, by policy and outcome (allowed, refused, failed_open, failed_closed).");

    /// <summary>Webhook and action-rule delivery attempts, by outcome (<c>success</c>, <c>failure</c>, <c>error</c>) and endpoint kind.</summary>
    public static readonly Histogram<double> DeliveryDuration = Meter.CreateHistogram("switchboard.webhook.delivery.duration", "s",
        "Duration of webhook delivery attempts (post to the receiver and its answer), by outcome and endpoint kind.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });

    /// <summary>Connector jobs (an action rule's provider action), by provider and outcome.</summary>
    public static readonly Histogram<double> ConnectorJobDuration = Meter.CreateHistogram("switchboard.connector.job.duration", "s",
        "Duration of connector jobs (an action rule's provider action), by provider and outcome.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });

    /// <summary>Sync runs (one pass of a run, ended or handed back), by provider and outcome.</summary>
    public static readonly Histogram<double> SyncRunDuration = Meter.CreateHistogram("switchboard.sync.run.duration", "s",
        "Duration of sync runs on this node, by provider and outcome (succeeded, failed, retrying, interrupted).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600] });

    /// <summary>Tokens the OAuth 2.0 token endpoint issued, by grant type.</summary>
    public static readonly Counter<long> TokensIssued = Meter.CreateCounter<long>("switchboard.oauth.tokens.issued", "{token}",
        "Access tokens issued by the OAuth 2.0 token endpoint, by grant type.");

    /// <summary>Token requests the token endpoint refused, by grant type and OAuth error code.</summary>
    public static readonly Counter<long> TokensRefused = Meter.CreateCounter<long>("switchboard.oauth.tokens.refused", "{request}",
        "Token requests the OAuth 2.0 token endpoint refused, by grant type and OAuth error (error.type).");

    public static void RateLimitDecided(string policy, bool allowed) => RateLimitOutcome(policy, allowed ? "allowed" : "refused");

    /// <summary>A request admitted unlimited because the counter store failed (the middleware fails open): alert on it.</summary>
    /// <summary>A request the counter store could not decide: admitted (<c>failed_open</c>) or refused (<c>failed_closed</c>).</summary>
    public static void RateLimitFailed(string policy, bool open) => RateLimitOutcome(policy, open ? "failed_open" : "failed_closed");

    private static void RateLimitOutcome(string policy, string outcome)
    {
        if (!RateLimitDecisions.Enabled) return;
        RateLimitDecisions.Add(1, new KeyValuePair<string, object?>(PolicyAttribute, policy), new KeyValuePair<string, object?>(OutcomeAttribute, outcome));
    }

    /// <summary><c>success</c> for a 2xx answer, <c>failure</c> for any other answer, <c>error</c> for none (timeout, connection refused).</summary>
    public static string DeliveryOutcome(int? status) => status switch
    {
        null => "error",
        >= 200 and < 300 => "success",
        _ => "failure",
    };

    public static void DeliveryAttempted(string endpointKind, int? status, long latencyMs)
    {
        if (!DeliveryDuration.Enabled) return;
        var tags = new TagList { { OutcomeAttribute, DeliveryOutcome(status) }, { EndpointKindAttribute, endpointKind } };
        if (status is { } s) tags.Add(StatusCodeAttribute, s);
        DeliveryDuration.Record(latencyMs / 1000.0, tags);
    }

    public static void ConnectorJobEnded(string? provider, string outcome, TimeSpan duration)
    {
        if (!ConnectorJobDuration.Enabled) return;
        ConnectorJobDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>(ProviderAttribute, provider ?? "unknown"),
            new KeyValuePair<string, object?>(OutcomeAttribute, outcome));
    }

    public static void SyncRunEnded(string? provider, string outcome, TimeSpan duration)
    {
        if (!SyncRunDuration.Enabled) return;
        SyncRunDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>(ProviderAttribute, provider ?? "unknown"),
            new KeyValuePair<string, object?>(OutcomeAttribute, outcome));
    }

    public static void TokenRequestEnded(string? grantType, string? error)
    {
        var grant = grantType is "authorization_code" or "client_credentials" or "refresh_token" ? grantType : "unsupported";
        if (error is null)
        {
            if (TokensIssued.Enabled) TokensIssued.Add(1, new KeyValuePair<string, object?>(GrantTypeAttribute, grant));
        }
        else if (TokensRefused.Enabled)
            TokensRefused.Add(1, new KeyValuePair<string, object?>(GrantTypeAttribute, grant), new KeyValuePair<string, object?>("error.type", error));
    }

    /// <summary>Marks a span failed (OpenTelemetry's status and <c>error.type</c>).</summary>
    public static void Failed(Activity? activity, string errorType, string? description = null)
    {
        if (activity is null) return;
        activity.SetStatus(ActivityStatusCode.Error, description);
        activity.SetTag("error.type", errorType);
    }
}
