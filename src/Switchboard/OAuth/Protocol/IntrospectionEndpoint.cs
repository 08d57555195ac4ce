using Microsoft.EntityFrameworkCore;
using Switchboard.Identity;
using Switchboard.Platform;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;

namespace Switchboard.OAuth.Protocol;

/// <summary>
/// <c>POST /oauth/introspect</c> (RFC 7662), for confidential clients (§2.1: the endpoint must not be open; a public app
/// cannot authenticate). A client learns about its own tokens only: any token that is not active, not this server's, or
/// issued to another client is <c>{"active": false}</c> (§2.2), so nothing leaks across clients or tenants.
/// </summary>
public static class IntrospectionEndpoint
{
    public static async Task<IResult> HandleAsync(HttpContext http, ClientAuthenticator clients, SwitchboardDbContext db,
        AccessTokenValidator accessTokens, OAuthIssuer issuers, TimeProvider time, CancellationToken ct)
    {
        var request = await clients.ReadAsync(http, "introspection request", singleValued: false, ct);
        if (request.Refusal is { } refusal) return refusal;
        var (form, client) = (request.Form!, request.Client!);
        if (!client.IsConfidential)
            return OAuthResults.Error(http, OAuthError.InvalidClient("Introspection is for confidential apps; authenticate with a secret or a client assertion."));
        if (!form.TryGetValue("token", out var tokens) || tokens.Count != 1 || string.IsNullOrEmpty(tokens[0]))
            return OAuthResults.Error(http, OAuthError.InvalidRequest("token is required, once."));
        var token = tokens[0]!;
        var issuer = issuers.For(http);
        var inactive = new Dictionary<string, object> { ["active"] = false };

        if (token.StartsWith(SessionService.RefreshTokenPrefix, StringComparison.Ordinal))
        {
            var hash = SecretHash.Sha256Hex(token);
            var now = time.UtcNow();
            var row = await db.RefreshTokens.AsNoTracking().FirstOrDefaultAsync(t => t.TokenHash == hash, ct);
            if (row is null || row.ClientId != client.App.ClientId || row.UsedAt is not null || row.RevokedAt is not null || row.ExpiresAt <= now)
                return OAuthResults.Ok(http, inactive);
            var grantLive = await db.OAuthGrants.IgnoreQueryFilters().AnyAsync(g => g.Id == row.FamilyId && g.RevokedAt == null, ct);
            if (!grantLive) return OAuthResults.Ok(http, inactive);
            return OAuthResults.Ok(http, new Dictionary<string, object>
            {
                ["active"] = true, ["token_type"] = "refresh_token", ["client_id"] = row.ClientId, ["sub"] = row.UserId,
                ["scope"] = string.Join(' ', row.Scopes ?? []), ["iss"] = issuer, ["org"] = row.OrganizationId, ["sid"] = row.FamilyId,
                ["iat"] = new DateTimeOffset(row.CreatedAt).ToUnixTimeSeconds(), ["exp"] = new DateTimeOffset(row.ExpiresAt).ToUnixTimeSeconds(),
            });
        }

        var jwt = await accessTokens.ReadOAuthTokenAsync(token, issuer, ct);
        if (jwt is null || !jwt.TryGetPayloadValue<string>("client_id", out var owner) || owner != client.App.ClientId)
            return OAuthResults.Ok(http, inactive);
        var body = new Dictionary<string, object>
        {
            ["active"] = true, ["client_id"] = owner, ["sub"] = jwt.Subject, ["iss"] = jwt.Issuer, ["aud"] = jwt.Audiences.First(),
            ["jti"] = jwt.Id, ["iat"] = new DateTimeOffset(jwt.IssuedAt).ToUnixTimeSeconds(), ["exp"] = new DateTimeOffset(jwt.ValidTo).ToUnixTimeSeconds(),
            ["nbf"] = new DateTimeOffset(jwt.ValidFrom).ToUnixTimeSeconds(),
            ["scope"] = jwt.TryGetPayloadValue<string>("scope", out var scope) ? scope : "",
        };
        foreach (var name in new[] { "org", "role", "sid" })
            if (jwt.TryGetPayloadValue<string>(name, out var value)) body[name] = value;
        if (AccessTokenValidator.Thumbprint(jwt) is { } jkt)
        {
            body["token_type"] = "DPoP";
            body["cnf"] = new Dictionary<string, string> { ["jkt"] = jkt };
        }
        else body["token_type"] = "Bearer";
        return OAuthResults.Ok(http, body);
    }
}
