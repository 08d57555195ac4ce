using Switchboard.Integrations.Catalog;
using Switchboard.Platform;

namespace Switchboard.Integrations.Connectors;

/// <summary>
/// A provider's URLs: the operator's settings (<c>Switchboard:Integrations:Providers:&lt;key&gt;</c>) when given, else
/// the production values declared in the provider's definition. One place, so tests point every call at a fake.
/// </summary>
public static class ProviderUrls
{
    public static ProviderSettings? Settings(SwitchboardOptions options, string providerKey) =>
        options.Integrations.Providers.TryGetValue(providerKey, out var settings) ? settings : null;

    /// <summary>The named base URL (<c>api</c>, …), without a trailing slash.</summary>
    public static string BaseUrl(SwitchboardOptions options, ProviderDefinition provider, string name = "api")
    {
        if (Settings(options, provider.Key)?.BaseUrls.TryGetValue(name, out var configured) == true && !string.IsNullOrWhiteSpace(configured))
            return configured.TrimEnd('/');
        return provider.BaseUrls.TryGetValue(name, out var declared) ? declared.TrimEnd('/')
            : throw new InvalidOperationException($"{provider.Name} declares no base URL named '{name}'.");
    }

    public static string AuthorizeUrl(SwitchboardOptions options, ProviderDefinition provider) =>
        Settings(options, provider.Key)?.AuthorizeUrl ?? provider.Auth.AuthorizeUrl ?? throw new InvalidOperationException($"{provider.Name} has no authorize URL.");

    public static string TokenUrl(SwitchboardOptions options, ProviderDefinition provider) =>
        Settings(options, provider.Key)?.TokenUrl ?? provider.Auth.TokenUrl ?? throw new InvalidOperationException($"{provider.Name} has no token URL.");

    public static string? RevokeUrl(SwitchboardOptions options, ProviderDefinition provider) =>
        Settings(options, provider.Key)?.RevokeUrl ?? provider.Auth.RevokeUrl;
}
