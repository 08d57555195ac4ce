using System.Text.Json.Nodes;

namespace Switchboard.Integrations.Connectors;

/// <summary>
/// Reads a provider's token endpoint answer as RFC 6749 defines it: a success (§5.1) with <c>access_token</c>,
/// <c>expires_in</c>, an optional new <c>refresh_token</c> (§6: when none comes back, the old one stays valid) and
/// <c>scope</c>; an error (§5.2) whose <c>invalid_grant</c>, <c>invalid_client</c> or <c>unauthorized_client</c> means
/// the authorization is gone and the user must connect again. Connectors whose provider differs (Slack's
/// <c>ok: false</c> with 200) override <see cref="Connector.ReadTokenResponse"/> and may reuse the parts.
/// </summary>
public static class OAuthTokenResponse
{
    private static readonly HashSet<string> Fields = ["access_token", "refresh_token", "expires_in", "scope", "token_type"];

    public static ProviderTokens Read(ProviderResponse response, string provider, ProviderTokens? previous, DateTime now)
    {
        var json = response.Json() as JsonObject;
        if (!response.IsSuccess) throw Error(response, provider, json);
        var access = json?["access_token"]?.GetValue<string>();
        if (string.IsNullOrEmpty(access))
            throw new ProviderException($"{provider}'s token endpoint answered without an access_token.", response.Status, ProviderException.Truncate(response.Body), retryable: false);
        return FromJson(json!, previous, now);
    }

    /// <summary>The tokens in a successful answer; every other string field is kept as an extra (<c>instance_url</c>, <c>api_domain</c>, …).</summary>
    public static ProviderTokens FromJson(JsonObject json, ProviderTokens? previous, DateTime now)
    {
        DateTime? expiresAt = json["expires_in"] is JsonValue v && v.TryGetValue<double>(out var seconds) ? now.AddSeconds(seconds)
            : json["expires_in"] is JsonValue s && s.TryGetValue<string>(out var text) && double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var parsed) ? now.AddSeconds(parsed)
            : null;
        var extra = new Dictionary<string, string>(previous?.Extra ?? new Dictionary<string, string>());
        foreach (var (name, value) in json)
            if (!Fields.Contains(name) && value is JsonValue scalar && scalar.TryGetValue<string>(out var str)) extra[name] = str;
        return new ProviderTokens(json["access_token"]!.GetValue<string>(), json["refresh_token"]?.GetValue<string>() ?? previous?.RefreshToken,
            expiresAt, json["scope"]?.GetValue<string>() ?? previous?.Scope, json["token_type"]?.GetValue<string>(), extra.Count == 0 ? null : extra);
    }

    public static ProviderException Error(ProviderResponse response, string provider, JsonObject? json)
    {
        var code = json?["error"] is JsonValue e && e.TryGetValue<string>(out var c) ? c : null;
        var description = json?["error_description"] is JsonValue d && d.TryGetValue<string>(out var t) ? t : null;
        var gone = code is "invalid_grant" or "invalid_client" or "unauthorized_client" || response.Status == 401;
        return new ProviderException($"{provider}'s token endpoint answered {response.Status}{(code is null ? "" : $" ({code})")}.", response.Status,
            description is null ? code ?? ProviderException.Truncate(response.Body) : $"{code}: {description}",
            retryable: !gone && response.Status is 408 or 429 or >= 500)
        { NeedsReauthorization = gone };
    }
}
