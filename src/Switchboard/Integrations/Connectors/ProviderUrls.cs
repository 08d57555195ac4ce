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
    public static string BaseUrl(SwitchboardOptions options, ProviderDefinition provider, string name = "api") =>
        ConfiguredBaseUrl(options, provider.Key, name)
        ?? (provider.BaseUrls.TryGetValue(name, out var declared) ? declared.TrimEnd('/')
            : throw new InvalidOperationException($"{provider.Name} declares no base URL named '{name}'."));

    /// <summary>The operator's own value of the named base URL, without a trailing slash; null when none is configured.</summary>
    public static string? ConfiguredBaseUrl(SwitchboardOptions options, string providerKey, string name = "api") =>
        Settings(options, providerKey)?.BaseUrls.TryGetValue(name, out var configured) == true && !string.IsNullOrWhiteSpace(configured)
            ? configured.TrimEnd('/') : null;

    /// <summary>
    /// The origin (<c>https://host</c>, lower case) of a URL the provider hands over with a connection (Salesforce's
    /// <c>instance_url</c>, Pipedrive's <c>api_domain</c>, Mailchimp's <c>api_endpoint</c>) when it is https on the default
    /// port, without user info, path or query, on a host under <paramref name="documentedHostSuffix"/> (with its leading
    /// dot); null otherwise. A token is never sent to a host the provider did not document; an operator who configured the
    /// base URL (<see cref="ConfiguredBaseUrl"/>) is not asked.
    /// </summary>
    public static string? ProviderOrigin(string? url, string documentedHostSuffix)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || !uri.IsDefaultPort || uri.UserInfo.Length > 0
            || uri.AbsolutePath is not ("/" or "") || uri.Query.Length > 0) return null;
        var host = uri.Host.ToLowerInvariant();
        return host.EndsWith(documentedHostSuffix, StringComparison.Ordinal) && host.Length > documentedHostSuffix.Length ? $"https://{host}" : null;
    }

    public static string AuthorizeUrl(SwitchboardOptions options, ProviderDefinition provider) =>
        Settings(options, provider.Key)?.AuthorizeUrl ?? provider.Auth.AuthorizeUrl ?? throw new InvalidOperationException($"{provider.Name} has no authorize URL.");

    public static string TokenUrl(SwitchboardOptions options, ProviderDefinition provider) =>
        Settings(options, provider.Key)?.TokenUrl ?? provider.Auth.TokenUrl ?? throw new InvalidOperationException($"{provider.Name} has no token URL.");

    public static string? RevokeUrl(SwitchboardOptions options, ProviderDefinition provider) =>
        Settings(options, provider.Key)?.RevokeUrl ?? provider.Auth.RevokeUrl;
}
