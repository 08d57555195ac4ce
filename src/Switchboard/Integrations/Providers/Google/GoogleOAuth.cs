using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Google;

/// <summary>
/// What Google's OAuth 2.0 for web server apps (https://developers.google.com/identity/protocols/oauth2/web-server)
/// asks of every Google connector beyond RFC 6749, shared by them: the authorize parameters that make Google issue a
/// refresh token, its endpoints, and the revocation of a grant on uninstall.
/// </summary>
public static class GoogleOAuth
{
    public const string AuthorizeUrl = "https://accounts.google.com/o/oauth2/v2/auth", TokenUrl = "https://oauth2.googleapis.com/token",
        RevokeUrl = "https://oauth2.googleapis.com/revoke";

    /// <summary>A refresh token is issued only with <c>access_type=offline</c>, and again on a reconnect only with <c>prompt=consent</c>.</summary>
    public static Dictionary<string, string> AuthorizeParameters() => new() { ["access_type"] = "offline", ["prompt"] = "consent" };

    /// <summary>
    /// Revokes the grant at Google's revocation endpoint
    /// (https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke): the refresh token when there is
    /// one (Google then revokes the access tokens issued from it as well), else the access token. A token Google no
    /// longer knows (400 <c>invalid_token</c>) is already what uninstalling wants. The stored tokens are read as they
    /// are: refreshing a token only to revoke it would be one more call to Google for nothing.
    /// </summary>
    public static async Task RevokeAsync(ConnectorContext context, ProviderDefinition definition, CancellationToken cancellationToken)
    {
        var revokeUrl = ProviderUrls.RevokeUrl(context.Options, definition);
        var tokens = context.Services.GetRequiredService<IntegrationSecrets>().Tokens(context.Installation);
        if (revokeUrl is null || tokens is null) return;
        var token = tokens.RefreshToken ?? tokens.AccessToken;
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, revokeUrl)
        {
            Content = new FormUrlEncodedContent([new("token", token)]),
        }, cancellationToken, authenticate: false);
        if (response.IsSuccess || (response.Status == 400 && response.Json()?["error"]?.GetValue<string>() == "invalid_token")) return;
        throw ProviderException.From(response, definition.Name);
    }
}
