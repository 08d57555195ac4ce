using System.Text.Json.Serialization;

namespace Switchboard.Integrations.Connectors;

/// <summary>
/// An installation's OAuth tokens as the provider issued them (RFC 6749 §5.1), with what the provider returns beside
/// them that later calls need (Salesforce's <c>instance_url</c>, Pipedrive's <c>api_domain</c>, Slack's team and bot
/// user). Stored encrypted (<see cref="IntegrationSecrets.TokensPurpose"/>), never returned by the API.
/// </summary>
public sealed record ProviderTokens(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("refresh_token")] string? RefreshToken,
    [property: JsonPropertyName("expires_at")] DateTime? ExpiresAt,
    [property: JsonPropertyName("scope")] string? Scope,
    [property: JsonPropertyName("token_type")] string? TokenType,
    [property: JsonPropertyName("extra")] IReadOnlyDictionary<string, string>? Extra = null)
{
    public string? ExtraValue(string name) => Extra is not null && Extra.TryGetValue(name, out var value) ? value : null;
}
