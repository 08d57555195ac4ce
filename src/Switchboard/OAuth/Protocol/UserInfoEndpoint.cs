using Microsoft.EntityFrameworkCore;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Storage;

namespace Switchboard.OAuth.Protocol;

/// <summary>
/// <c>GET/POST /oauth/userinfo</c> (OpenID Connect Core §5.3): the user an access token acts for, to the extent its
/// scopes say — <c>sub</c> with <c>openid</c>, <c>name</c> with <c>profile</c>, <c>email</c> with <c>email</c>. The
/// token is checked by the API's own authentication (Bearer, or DPoP with a proof); a token without <c>openid</c>, or
/// one with no user (client_credentials), is refused with 403 <c>insufficient_scope</c> (RFC 6750 §3.1).
/// </summary>
public static class UserInfoEndpoint
{
    public static async Task<IResult> HandleAsync(HttpContext http, SwitchboardDbContext db, CancellationToken ct)
    {
        OAuthResults.NoStore(http);
        var caller = http.GetCaller();
        if (caller is not { Kind: CallerKind.OAuthClient, UserId: { } userId } || !caller.Scopes.Contains(OAuthScopes.OpenId))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"switchboard\", error=\"insufficient_scope\", scope=\"openid\"";
            return OAuthResults.Error(http, new OAuthError("insufficient_scope", "The access token must be a user's, with the openid scope.", 403));
        }
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, ct);
        if (user is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"switchboard\", error=\"invalid_token\"";
            return OAuthResults.Error(http, new OAuthError(OAuthErrorCodes.InvalidToken, "The token's user no longer exists.", 401));
        }
        var claims = new Dictionary<string, object> { ["sub"] = user.Id };
        if (caller.Scopes.Contains(OAuthScopes.Profile)) claims["name"] = user.Name;
        if (caller.Scopes.Contains(OAuthScopes.Email)) claims["email"] = user.Email;
        return OAuthResults.Ok(http, claims);
    }
}
