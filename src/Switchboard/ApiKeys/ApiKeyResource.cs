using Switchboard.Platform.Resources;

namespace Switchboard.ApiKeys;

/// <summary>API keys as <see cref="ResourceRegistry"/> knows them.</summary>
public static class ApiKeyResource
{
    public static readonly ApiResource Declaration = new("api_key")
    {
        IdPrefix = "key", Scope = "api_keys", ScopeSubject = "API keys", Collection = "api-keys",
        // A rotated key names its successor.
        IdFields = ["apiKeyId", "rotatedToId"],
        Representations = [typeof(ApiKeyResponse)],
    };
}
