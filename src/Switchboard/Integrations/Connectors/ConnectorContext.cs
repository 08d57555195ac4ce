using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Switchboard.Integrations.Catalog;
using Switchboard.Platform;

namespace Switchboard.Integrations.Connectors;

/// <summary>
/// What a connector gets for one installation: its configuration (plain fields), its credentials (the schema's
/// <c>writeOnly</c> fields, decrypted), an authenticated client to the provider, the provider's base URLs, and the
/// caller's services (a scope's: the database for a slash command's CRM read).
/// </summary>
public sealed class ConnectorContext(IntegrationInstallation installation, ProviderDefinition provider, JsonObject config, JsonObject credentials,
    ProviderClient http, SwitchboardOptions options, IServiceProvider services, TimeProvider time)
{
    public IntegrationInstallation Installation { get; } = installation;
    public ProviderDefinition Provider { get; } = provider;
    public JsonObject Config { get; } = config;
    public JsonObject Credentials { get; } = credentials;
    public ProviderClient Http { get; } = http;
    public IServiceProvider Services { get; } = services;
    public TimeProvider Time { get; } = time;
    public SwitchboardOptions Options { get; } = options;

    /// <summary>The provider's named base URL (<see cref="ProviderUrls.BaseUrl"/>).</summary>
    public string BaseUrl(string name = "api") => ProviderUrls.BaseUrl(Options, Provider, name);

    /// <summary>A configuration or credential value as a string, or null.</summary>
    public string? Value(string name) =>
        (Config[name] ?? Credentials[name]) is JsonValue value && value.TryGetValue<string>(out var text) ? text : (Config[name] ?? Credentials[name])?.ToJsonString();

    /// <summary>A required value: a clear error (not a null reference) when the installation lacks it.</summary>
    public string Required(string name) => Value(name)
        ?? throw new ProviderException($"The installation's configuration has no '{name}'.", null, null, retryable: false);
}

/// <summary>Makes <see cref="ConnectorContext"/>s: decrypts an installation's secrets and gives it its provider client.</summary>
public sealed class ConnectorContexts(ProviderCatalog catalog, IntegrationSecrets secrets, ProviderTokenStore tokens, IHttpClientFactory clients,
    IOptions<SwitchboardOptions> options, TimeProvider time)
{
    public (Connector Connector, ConnectorContext Context) For(IntegrationInstallation installation, IServiceProvider services)
    {
        var connector = catalog.Connector(installation.ProviderKey);
        var provider = connector.Definition;
        var client = clients.CreateClient(provider.UserSuppliedUrls ? Webhooks.WebhookSender.HttpClientName : ProviderTokenStore.HttpClientName);
        var http = new ProviderClient(client, tokens, installation, provider, TimeSpan.FromSeconds(options.Value.Integrations.TimeoutSeconds));
        var config = System.Text.Json.Nodes.JsonNode.Parse(installation.Config) as JsonObject ?? [];
        return (connector, new ConnectorContext(installation, provider, config, secrets.Credentials(installation), http, options.Value, services, time));
    }
}
