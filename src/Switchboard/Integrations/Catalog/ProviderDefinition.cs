using System.Text.Json.Nodes;

namespace Switchboard.Integrations.Catalog;

public static class ProviderCategory
{
    public const string Communication = "communication", Crm = "crm", ProjectManagement = "project_management", Calendar = "calendar", Email = "email",
        Marketing = "marketing", Accounting = "accounting", Documents = "documents", Automation = "automation";
    public static readonly IReadOnlyList<string> All = [Communication, Crm, ProjectManagement, Calendar, Email, Marketing, Accounting, Documents, Automation];
}

public static class ProviderAuthKind
{
    public const string OAuth2 = "oauth2", ApiKey = "api_key", Basic = "basic", WebhookUrl = "webhook_url", None = "none";
    /// <summary>
    /// Set up from the provider's side, with nothing installed here: the provider's own app (Switchboard's Zapier app)
    /// signs in to Switchboard and calls its API. The catalog lists it with the app's address (the base URL named
    /// <see cref="SetupUrlName"/>, which the operator may point at their own copy of the app); installing it is refused.
    /// </summary>
    public const string External = "external";
    public const string SetupUrlName = "setup";
    public static readonly IReadOnlyList<string> All = [OAuth2, ApiKey, Basic, WebhookUrl, None, External];
}

/// <summary>
/// How an installation authenticates to the provider. For <see cref="ProviderAuthKind.OAuth2"/>, the provider's
/// documented endpoints and scopes (the operator's settings may override the URLs, <see cref="ProviderSettings"/>).
/// </summary>
public sealed record ProviderAuth(string Kind)
{
    public string? AuthorizeUrl { get; init; }
    public string? TokenUrl { get; init; }
    /// <summary>Where tokens are revoked on uninstall (RFC 7009 or the provider's own); null when the provider offers none.</summary>
    public string? RevokeUrl { get; init; }
    public IReadOnlyList<string> Scopes { get; init; } = [];
    /// <summary>How the scopes join in the authorize URL: a space (RFC 6749 §3.3) unless the provider says otherwise (Slack: a comma).</summary>
    public string ScopeSeparator { get; init; } = " ";
    /// <summary>The authorize URL's scope parameter name (Slack's bot scopes are <c>scope</c>, its user scopes <c>user_scope</c>).</summary>
    public string ScopeParameter { get; init; } = "scope";
    /// <summary>Whether the provider takes PKCE (RFC 7636, S256).</summary>
    public bool Pkce { get; init; }
    /// <summary>How the client authenticates at the token endpoint: <c>post</c> (client_secret_post) or <c>basic</c> (RFC 6749 §2.3.1).</summary>
    public string ClientAuthentication { get; init; } = "post";
    /// <summary>
    /// How the token request's parameters are sent: <c>form</c> (application/x-www-form-urlencoded, RFC 6749 §4.1.3) or
    /// <c>json</c> (the same parameters as a JSON object), for a provider that documents JSON (Atlassian's
    /// https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/).
    /// </summary>
    public string TokenRequestFormat { get; init; } = "form";
    /// <summary>Extra authorize parameters the provider needs (Google: <c>access_type=offline</c>, <c>prompt=consent</c> for a refresh token).</summary>
    public IReadOnlyDictionary<string, string> AuthorizeParameters { get; init; } = new Dictionary<string, string>();
}

/// <summary>An action the provider performs for a rule: its name and the JSON Schema of its input.</summary>
public sealed record ProviderAction(string Name, string Description, string InputSchema);

public static class SyncDirection
{
    public const string Pull = "pull", Push = "push", TwoWay = "two_way";
}

/// <summary>A model the provider syncs with a CRM resource (<c>contacts</c>, <c>deals</c>, <c>activities</c>).</summary>
public sealed record ProviderSync(string Model, string LocalResource, string Direction, int DefaultIntervalSeconds, string Description);

/// <summary>
/// Everything the catalog says about a provider, declared once in its folder
/// (<c>Integrations/Providers/&lt;Provider&gt;/</c>): the catalog API, the configuration's validation, the developer
/// portal's page and the dashboard's install form are all read from it.
/// </summary>
public sealed record ProviderDefinition
{
    public required string Key { get; init; }
    public required string Name { get; init; }
    public required string Description { get; init; }
    public required string Category { get; init; }
    public string Publisher { get; init; } = "Switchboard";
    public string Version { get; init; } = "1.0.0";
    public required ProviderAuth Auth { get; init; }
    /// <summary>
    /// The configuration's JSON Schema (draft 2020-12). Properties marked <c>"writeOnly": true</c> are credentials:
    /// stored encrypted and never returned.
    /// </summary>
    public required string ConfigSchema { get; init; }
    public IReadOnlyList<ProviderAction> Actions { get; init; } = [];
    /// <summary>The CRM event types (patterns such as <c>lead.*</c>) the provider's actions are meant for.</summary>
    public IReadOnlyList<string> Triggers { get; init; } = [];
    public IReadOnlyList<ProviderSync> Syncs { get; init; } = [];
    /// <summary>Kinds of inbound provider traffic it verifies and handles on its per-installation URL (<c>events</c>, <c>commands</c>, <c>interactions</c>).</summary>
    public IReadOnlyList<string> Inbound { get; init; } = [];
    /// <summary>
    /// Kinds of inbound provider traffic it takes on the app-wide route (<c>/api/v1/integrations/providers/{key}/inbound/{kind}</c>),
    /// where the provider sends every connected account's traffic to one URL (<see cref="Connectors.Connector.ReadAppInbound"/>).
    /// </summary>
    public IReadOnlyList<string> AppInbound { get; init; } = [];
    /// <summary>The provider's named base URLs and their documented production values (<c>api</c> → https://slack.com/api).</summary>
    public IReadOnlyDictionary<string, string> BaseUrls { get; init; } = new Dictionary<string, string>();
    /// <summary>
    /// The provider's URLs come from the user, not from the operator (the custom HTTP integration): its calls go through
    /// the SSRF guard (<see cref="Webhooks.OutboundGuard"/>), as webhooks do.
    /// </summary>
    public bool UserSuppliedUrls { get; init; }
    /// <summary>A link to the provider's own API reference, for the portal page.</summary>
    public string? DocumentationUrl { get; init; }

    /// <summary>The parsed configuration schema.</summary>
    public JsonObject ConfigSchemaNode => JsonNode.Parse(ConfigSchema)!.AsObject();
}
