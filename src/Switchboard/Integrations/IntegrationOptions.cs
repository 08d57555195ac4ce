using System.ComponentModel.DataAnnotations;

namespace Switchboard.Integrations;

/// <summary>
/// <c>Switchboard:Integrations</c>: how the node talks to third-party providers. Every provider's URLs come from here
/// when set (<see cref="ProviderSettings"/>), so a deployment can point a provider at a regional or sandbox host, and
/// the tests at a loopback fake; the defaults are the provider's documented production URLs, declared once in its
/// folder (<see cref="Catalog.ProviderDefinition"/>).
/// </summary>
public sealed class IntegrationOptions
{
    /// <summary>Per provider key (<c>slack</c>, <c>hubspot</c>, …): its OAuth client and URL overrides.</summary>
    public Dictionary<string, ProviderSettings> Providers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long one provider call may take before it counts as failed (a timeout is retried like a 5xx).</summary>
    [Range(1, 120)] public int TimeoutSeconds { get; set; } = 20;

    /// <summary>An access token is refreshed when it has less than this left, on use and by the background refresher.</summary>
    [Range(10, 3_600)] public int RefreshBeforeExpirySeconds { get; set; } = 300;

    /// <summary>How long one node holds an installation's refresh lease; others wait for it (and re-read) at most this long.</summary>
    [Range(1, 120)] public int RefreshLeaseSeconds { get; set; } = 30;

    /// <summary>How long the state of an OAuth connection (authorize URL → callback) stays valid.</summary>
    [Range(60, 3_600)] public int ConnectStateLifetimeSeconds { get; set; } = 600;

    /// <summary>How often the scheduler looks for due syncs and tokens close to expiry.</summary>
    [Range(0.05, 3_600)] public double SchedulerPollSeconds { get; set; } = 5;

    /// <summary>How long a sync run's lease lasts; it is renewed after every page, and a run whose node died is resumed by another after it runs out.</summary>
    [Range(5, 3_600)] public int SyncLeaseSeconds { get; set; } = 60;
}

/// <summary>
/// One provider's operator settings. The OAuth client is the operator's app registered with the provider (as Zapier or
/// Nango register theirs); its secret is configuration, like the database password, never stored in the database.
/// </summary>
public sealed class ProviderSettings
{
    /// <summary>The client id of the operator's app registered with the provider (OAuth providers).</summary>
    public string? ClientId { get; set; }
    /// <summary>That app's client secret: configuration only, never stored in the database or logged.</summary>
    public string? ClientSecret { get; set; }
    /// <summary>Overrides the provider's documented authorization endpoint (a sandbox, a region, a test fake).</summary>
    public string? AuthorizeUrl { get; set; }
    /// <summary>Overrides the provider's documented token endpoint.</summary>
    public string? TokenUrl { get; set; }
    /// <summary>Overrides the provider's documented token revocation endpoint.</summary>
    public string? RevokeUrl { get; set; }
    /// <summary>
    /// QuickBooks Online: the app's webhook verifier token (the developer portal's "Show token"), which signs every
    /// company's notifications to the app's one webhook URL (<c>intuit-signature</c>). Configuration only, never stored
    /// in the database or logged; unset, the provider's inbound route answers 503.
    /// </summary>
    public string? WebhookVerifierToken { get; set; }
    /// <summary>
    /// Xero: the app's webhook key (the developer portal's Webhooks tab), which signs every organisation's events to the
    /// app's one delivery URL (<c>x-xero-signature</c>). Configuration only, never stored in the database or logged;
    /// unset, the provider's inbound route answers 503.
    /// </summary>
    public string? WebhookKey { get; set; }
    /// <summary>Overrides of the provider's named base URLs (<c>api</c>, …) declared in its definition.</summary>
    public Dictionary<string, string> BaseUrls { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}
