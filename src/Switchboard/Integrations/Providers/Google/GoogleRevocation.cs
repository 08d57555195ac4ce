using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Google;

/// <summary>
/// Revokes a Google grant on uninstall, for every Google connector (Calendar, Sheets, …), as Google's OAuth 2.0 for web
/// server apps documents it (https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke): a form
/// POST of the token to the revocation endpoint. The refresh token when there is one (Google then revokes the access
/// tokens issued from it as well), else the access token. A token Google no longer knows (400 <c>invalid_token</c>) is
/// already what uninstalling wants.
/// </summary>
public static class GoogleRevocation
{
    public static async Task RevokeAsync(ConnectorContext context, ProviderDefinition definition, CancellationToken cancellationToken)
    {
        var revokeUrl = ProviderUrls.RevokeUrl(context.Options, definition);
        // The stored tokens as they are: refreshing a token only to revoke it would be one more call to Google for nothing.
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
