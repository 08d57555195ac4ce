using System.Text.Json.Nodes;
using Switchboard.Platform.Http;
using Switchboard.Integrations.Catalog;

namespace Switchboard.Integrations;

/// <summary>A provider as the catalog shows it: its definition, its icon's URL on this node and its rating.</summary>
/// <param name="AuthType">The kind of <see cref="Auth"/> again, as the public contract names it at the top level.</param>
/// <param name="Capabilities">What it can do, in a word each (<see cref="ProviderCapability"/>), for a client that filters or shows badges.</param>
public sealed record ProviderInfo(
    string Key, string Name, string Description, string Category, string Publisher, string Version, string IconUrl, string AuthType,
    ProviderAuthInfo Auth, IReadOnlyList<string> Capabilities, JsonNode ConfigSchema, IReadOnlyList<ProviderActionInfo> Actions,
    IReadOnlyList<string> Triggers, IReadOnlyList<ProviderSyncInfo> Syncs, IReadOnlyList<string> Inbound, IReadOnlyList<string> AppInbound, string? DocumentationUrl,
    ProviderRating Rating);

/// <summary>The words of <see cref="ProviderInfo.Capabilities"/>, each derived from the definition.</summary>
public static class ProviderCapability
{
    /// <summary>Rules can run its actions on CRM events.</summary>
    public const string Actions = "actions";
    /// <summary>It is meant for CRM event types (its actions' triggers, or the events an external app subscribes to).</summary>
    public const string Triggers = "triggers";
    /// <summary>It keeps a model in step with a CRM resource on a schedule.</summary>
    public const string Sync = "sync";
    /// <summary>It receives traffic from the provider (webhooks, interactions).</summary>
    public const string Inbound = "inbound";
    /// <summary>An installation connects to an account at the provider through the user's browser (OAuth 2.0).</summary>
    public const string OAuthConnect = "oauth_connect";

    public static IReadOnlyList<string> Of(ProviderDefinition p)
    {
        var found = new List<string>(5);
        if (p.Actions.Count > 0) found.Add(Actions);
        if (p.Triggers.Count > 0) found.Add(Triggers);
        if (p.Syncs.Count > 0) found.Add(Sync);
        if (p.Inbound.Count > 0 || p.AppInbound.Count > 0) found.Add(Inbound);
        if (p.Auth.Kind == ProviderAuthKind.OAuth2) found.Add(OAuthConnect);
        return found;
    }
}

/// <summary>How an installation authenticates to the provider: the kind, the OAuth scopes it asks, whether PKCE is used (never a client secret).</summary>
/// <param name="SetupUrl">For a provider set up from its own side (<c>external</c>), where to do it; otherwise null.</param>
public sealed record ProviderAuthInfo(string Kind, IReadOnlyList<string> Scopes, bool Pkce, string? SetupUrl = null);

/// <summary>An action a rule can run, with the JSON Schema of its input.</summary>
public sealed record ProviderActionInfo(string Name, string Description, JsonNode InputSchema);

public sealed record ProviderSyncInfo(string Model, string LocalResource, string Direction, int DefaultIntervalSeconds, string Description);

/// <summary>The average of the provider's reviews (1 to 5, one decimal; null without reviews) and how many there are.</summary>
public sealed record ProviderRating(double? Average, int Count);

/// <summary>A review: 1 to 5 stars and an optional text of at most 2,000 characters.</summary>
public sealed record ReviewInput(int? Rating, string? Text);

/// <summary>A review as everyone sees it: no author name, email or organization. <c>mine</c> tells the caller's own.</summary>
public sealed record ReviewResponse(string Id, string Provider, int Rating, string? Text, bool Mine, DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>
/// An installation to create (provider, name, config) or to change (name, config merged field by field, a field set to
/// null removed; maxActionsPerSecond; enabled). <c>config</c> holds every field of the provider's configuration schema,
/// the credentials (<c>writeOnly</c> fields) included: they are split off and stored encrypted.
/// </summary>
public sealed record InstallationInput(
    Optional<string> Provider, Optional<string> Name, Optional<JsonObject?> Config, Optional<int?> MaxActionsPerSecond, Optional<bool> Enabled);

/// <summary>
/// An installation. <c>config</c> holds the plain fields only; <c>credentialsSet</c> names the credential fields that
/// are stored (their values are never returned).
/// </summary>
public sealed record InstallationResponse(
    string Id, string Provider, string Name, JsonObject Config, IReadOnlyList<string> CredentialsSet, string Status, string? StatusReason,
    bool Connected, int? MaxActionsPerSecond, DateTime? LastSuccessAt, DateTime? LastFailureAt, string? LastError, int ConsecutiveFailures,
    DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>Where to send the user's browser to connect the installation to its provider, and until when that link works.</summary>
public sealed record ConnectResponse(string AuthorizeUrl, DateTime ExpiresAt);

/// <summary>The OAuth callback's answer to a client that is not a browser: the installation is connected.</summary>
public sealed record ConnectionCompleted(string InstallationId, string Provider, string Status);

/// <summary>The outcome of one real provider call: a refusal is <c>success: false</c> with the provider's own error.</summary>
public sealed record ConnectionTestResponse(bool Success, long LatencyMs, string Status, int? ProviderStatus, string? ProviderError);

/// <summary>An installation's health.</summary>
public sealed record InstallationHealthResponse(
    string Status, string? StatusReason, double? SuccessRate24h, long Operations24h, DateTime? LastSuccessAt, string? LastError, DateTime? LastErrorAt,
    int ConsecutiveFailures, DateTime? NextSyncAt);
