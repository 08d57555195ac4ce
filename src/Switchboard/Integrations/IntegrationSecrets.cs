using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform.Security;

namespace Switchboard.Integrations;

/// <summary>
/// The purposes an installation's secrets are encrypted under, bound to its id (a ciphertext moved to another row fails
/// to decrypt), and their encryption and decryption, in one place.
/// </summary>
public sealed class IntegrationSecrets(SecretProtector protector)
{
    public static string CredentialsPurpose(string installationId) => "integration-credentials:" + installationId;
    public static string TokensPurpose(string installationId) => "integration-tokens:" + installationId;

    public string ProtectCredentials(string installationId, JsonObject credentials) =>
        protector.Protect(credentials.ToJsonString(), CredentialsPurpose(installationId));

    public JsonObject Credentials(IntegrationInstallation installation) =>
        installation.CredentialsEncrypted is null ? []
            : JsonNode.Parse(protector.Unprotect(installation.CredentialsEncrypted, CredentialsPurpose(installation.Id)))!.AsObject();

    public string ProtectTokens(string installationId, ProviderTokens tokens) =>
        protector.Protect(JsonSerializer.Serialize(tokens), TokensPurpose(installationId));

    public ProviderTokens? Tokens(IntegrationInstallation installation) =>
        installation.TokensEncrypted is null ? null
            : JsonSerializer.Deserialize<ProviderTokens>(protector.Unprotect(installation.TokensEncrypted, TokensPurpose(installation.Id)));
}
