using Microsoft.EntityFrameworkCore;
using Switchboard.Identity;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;

namespace Switchboard.OAuth.Protocol;

/// <summary>
/// <c>POST /oauth/revoke</c> (RFC 7009). A refresh token revokes its whole grant (every refresh token of the family and,
/// through the grant's <c>sid</c>, every access token, §2.1); an access token is revoked by itself, on every node
/// within a poll interval. Only the client the token was issued to can revoke it; any other token — unknown, expired,
/// another client's — is answered 200 all the same (§2.2), so the endpoint tells nothing about tokens it did not act on.
/// </summary>
public static class RevocationEndpoint
{
    public static async Task<IResult> HandleAsync(HttpContext http, ClientAuthenticator clients, SwitchboardDbContext db,
        GrantRevocation grants, AccessTokenValidator accessTokens, AuthInvalidationFeed invalidations, OAuthIssuer issuers,
        TimeProvider time, CancellationToken ct)
    {
        var request = await clients.ReadAsync(http, "revocation request", singleValued: false, ct);
        if (request.Refusal is { } refusal) return refusal;
        var (form, client) = (request.Form!, request.Client!);
        if (!form.TryGetValue("token", out var tokens) || tokens.Count != 1 || string.IsNullOrEmpty(tokens[0]))
            return OAuthResults.Error(http, OAuthError.InvalidRequest("token is required, once."));
        var token = tokens[0]!;

        if (token.StartsWith(SessionService.RefreshTokenPrefix, StringComparison.Ordinal))
        {
            var hash = SecretHash.Sha256Hex(token);
            var row = await db.RefreshTokens.AsNoTracking().FirstOrDefaultAsync(t => t.TokenHash == hash, ct);
            if (row is not null && row.ClientId == client.App.ClientId)
                await grants.RevokeAsync(row.FamilyId, "oauth_client", client.App.ClientId, "oauth.token_revoked",
                    new { clientId = client.App.ClientId, tokenType = "refresh_token" }, http, ct);
        }
        else if (await accessTokens.ReadOAuthTokenAsync(token, issuers.For(http), ct) is { } jwt
                 && jwt.TryGetPayloadValue<string>("client_id", out var owner) && owner == client.App.ClientId)
        {
            var invalidation = AuthInvalidationFeed.Stage(db, InvalidationKinds.AccessToken, jwt.Id, time);
            await db.SaveChangesAsync(ct);
            invalidations.Apply(invalidation);
        }
        OAuthResults.NoStore(http);
        return Results.Ok();
    }
}
