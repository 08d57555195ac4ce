using System.Text.Json.Nodes;
using Switchboard.Integrations.Catalog;
using Switchboard.Platform;

namespace Switchboard.Integrations.Connectors;

/// <summary>
/// A provider: its catalog entry and what it does. One subclass per provider folder
/// (<c>Integrations/Providers/&lt;Provider&gt;/</c>), found and registered at start-up (<see cref="IntegrationServices"/>):
/// adding a provider is adding a folder. A connector is a singleton and holds no per-installation state; everything
/// about an installation (configuration, credentials, an authenticated HTTP client) comes in its
/// <see cref="ConnectorContext"/>. Every method that calls the provider throws <see cref="ProviderException"/> with the
/// provider's own error when the provider refuses.
/// </summary>
public abstract class Connector
{
    public abstract ProviderDefinition Definition { get; }

    /// <summary>
    /// Whether an installation with this configuration must be connected (OAuth) before it works: it starts
    /// <c>pending_auth</c> until then. By default, when the provider's auth is OAuth 2.0; a provider that also takes a
    /// pasted credential (Slack's incoming-webhook URL) says so here.
    /// </summary>
    public virtual bool NeedsConnection(JsonObject config, JsonObject credentials) => Definition.Auth.Kind == ProviderAuthKind.OAuth2;

    /// <summary>One real, cheap provider call that proves the installation's credentials work (Slack <c>auth.test</c>, …).</summary>
    public abstract Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Performs <paramref name="action"/> (one of <see cref="ProviderDefinition.Actions"/>) with its input, the rule's
    /// template already filled from the event. Answers the provider's response; a refusal throws <see cref="ProviderException"/>.
    /// </summary>
    public virtual Task<ProviderResponse> RunActionAsync(ConnectorContext context, string action, JsonObject input, CancellationToken cancellationToken) =>
        throw new ProviderException($"The {Definition.Name} integration has no action '{action}'.", status: null, providerError: null, retryable: false);

    /// <summary>The sync of <paramref name="model"/> (one of <see cref="ProviderDefinition.Syncs"/>), or null.</summary>
    public virtual ISyncModel? Sync(string model) => null;

    /// <summary>
    /// Verifies and handles inbound provider traffic of <paramref name="kind"/> (one of <see cref="ProviderDefinition.Inbound"/>)
    /// on the installation's URL. Must verify before anything else, by the provider's own scheme; an unverified request
    /// answers 401 and changes nothing.
    /// </summary>
    public virtual Task<InboundResult> ReceiveAsync(ConnectorContext context, string kind, InboundRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(InboundResult.NotFound);

    /// <summary>
    /// Reads the provider's token endpoint answer (code exchange and refresh): RFC 6749 by default
    /// (<see cref="OAuthTokenResponse"/>); a provider that differs overrides it.
    /// </summary>
    public virtual ProviderTokens ReadTokenResponse(ProviderResponse response, ProviderTokens? previous, DateTime now) =>
        OAuthTokenResponse.Read(response, Definition.Name, previous, now);

    /// <summary>
    /// Called once after a successful code exchange, with the new tokens already stored (so <c>context.Http</c> sends
    /// them): learns what later calls need that the token answer does not carry, such as QuickBooks' <c>realmId</c> in
    /// the callback's query, Jira's cloud id (<c>accessible-resources</c>), Xero's tenant id (<c>/connections</c>) or
    /// Mailchimp's data centre (<c>oauth2/metadata</c>). Answers the values to keep beside the tokens
    /// (<see cref="ProviderTokens.Extra"/>, encrypted with them and kept across refreshes), or null. A
    /// <see cref="ProviderException"/> fails the connection: the tokens are dropped and the user connects again.
    /// </summary>
    public virtual Task<IReadOnlyDictionary<string, string>?> CompleteConnectionAsync(ConnectorContext context,
        IReadOnlyDictionary<string, string> callbackQuery, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string>?>(null);

    /// <summary>
    /// The key of <see cref="CompleteConnectionAsync"/>'s answer that names the provider account the installation is
    /// connected to (QuickBooks' <c>realmId</c>, Xero's <c>tenantId</c>): copied, when a connection completes, to
    /// <see cref="IntegrationInstallation.ProviderAccountId"/>, where <see cref="ReadAppInbound"/>'s accounts are looked up.
    /// Null when the provider has no app-wide inbound traffic.
    /// </summary>
    public virtual string? ProviderAccountExtra => null;

    /// <summary>
    /// The first step of inbound traffic a provider sends for every account connected to the operator's app to one URL
    /// (QuickBooks' and Xero's webhooks; <c>POST /api/v1/integrations/providers/{key}/inbound/{kind}</c>): verifies it,
    /// before anything else, with the operator's app secret (<see cref="ProviderSettings"/>), and names the accounts it
    /// is about. The installations connected to those accounts then each get the same request through
    /// <see cref="ReceiveAsync"/>, which verifies it again and handles only its own account's part, in its own
    /// organization's scope. Null when the provider sends no such traffic of <paramref name="kind"/>.
    /// </summary>
    public virtual AppInbound? ReadAppInbound(SwitchboardOptions options, string kind, InboundRequest request) => null;

    /// <summary>
    /// Removes what the installation registered at the provider (its webhooks) on uninstall, so the provider stops
    /// calling an inbound URL that no longer answers. Called right before <see cref="RevokeAsync"/>, while the tokens
    /// still work; best effort and bounded in time: the caller logs a failure and uninstalls anyway. Nothing by default.
    /// </summary>
    public virtual Task RemoveProviderStateAsync(ConnectorContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Revokes the installation's provider tokens on uninstall, where the provider offers revocation. Best effort: the caller logs a failure.</summary>
    public virtual Task RevokeAsync(ConnectorContext context, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>An inbound request as the connector sees it: the raw body (signatures cover its exact bytes) and the headers.</summary>
public sealed record InboundRequest(string Method, byte[] Body, IReadOnlyDictionary<string, string> Headers, IReadOnlyDictionary<string, string> Query)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>What to answer the provider: a status and an optional body (JSON or text).</summary>
public sealed record InboundResult(int Status, string? Body = null, string ContentType = "application/json")
{
    /// <summary>Response headers the provider's protocol needs (Asana's webhook handshake echoes <c>X-Hook-Secret</c>).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    public static readonly InboundResult NotFound = new(404);
    public static readonly InboundResult Unauthorized = new(401);
    public static readonly InboundResult Ok = new(200);
}

/// <summary>
/// <see cref="Connector.ReadAppInbound"/>'s verdict: an answer to give the provider at once (401 for a signature that does
/// not verify, 503 when the operator has not configured the app's secret, 400 for a body that is not the provider's),
/// or the provider accounts the verified request is about.
/// </summary>
public sealed record AppInbound(InboundResult? Answer, IReadOnlyList<string> Accounts)
{
    /// <summary>The operator has not configured the app's webhook secret: nothing can be verified.</summary>
    public static readonly AppInbound Unconfigured = new(new InboundResult(503), []);

    public static AppInbound Refused(InboundResult answer) => new(answer, []);

    public static AppInbound For(IEnumerable<string> accounts) => new(null, accounts.Distinct(StringComparer.Ordinal).ToList());
}
