using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Switchboard.Identity;
using Switchboard.Platform;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;

namespace Switchboard.OAuth.Protocol;

/// <summary>The token response (RFC 6749 §5.1; <c>token_type</c> DPoP for a bound token, RFC 9449 §5).</summary>
public sealed record TokenResponse(
    [property: System.Text.Json.Serialization.JsonPropertyName("access_token")] string AccessToken,
    [property: System.Text.Json.Serialization.JsonPropertyName("token_type")] string TokenType,
    [property: System.Text.Json.Serialization.JsonPropertyName("expires_in")] int ExpiresIn,
    [property: System.Text.Json.Serialization.JsonPropertyName("refresh_token")] string? RefreshToken,
    [property: System.Text.Json.Serialization.JsonPropertyName("scope")] string Scope,
    [property: System.Text.Json.Serialization.JsonPropertyName("id_token")] string? IdToken = null);

/// <summary>
/// <c>POST /oauth/token</c> (RFC 6749 §3.2): the authorization_code grant with PKCE S256 required for every client
/// (RFC 9700 §2.1.1, RFC 7636), client_credentials for confidential apps, and refresh_token with rotation: each refresh
/// token is redeemed once (one conditional UPDATE) for a successor in the same family (the grant), and a redeemed one
/// presented again revokes the grant (RFC 9700 §4.14.2). A code presented twice does the same (RFC 6749 §4.1.2). A DPoP
/// proof binds the tokens issued to its key (RFC 9449 §5). No password or implicit grant.
/// </summary>
public sealed class TokenEndpoint(
    SwitchboardDbContext db, ClientAuthenticator clients, DpopProofs dpop, AccessTokenService accessTokens, GrantRevocation revocation,
    OAuthIssuer issuers, IOptions<SwitchboardOptions> options, TimeProvider time)
{
    public const string RefreshTokenPrefix = SessionService.RefreshTokenPrefix;

    public static async Task<IResult> HandleAsync(HttpContext http, TokenEndpoint endpoint, CancellationToken ct) =>
        await endpoint.TokenAsync(http, ct);

    private async Task<IResult> TokenAsync(HttpContext http, CancellationToken ct)
    {
        var request = await clients.ReadAsync(http, "token request", singleValued: true, ct);
        if (request.Refusal is { } refusal) return refusal;
        var (form, client) = (request.Form!, request.Client!);

        DpopProof? proof = null;
        if (DpopProofs.Present(http))
        {
            var (checkedProof, error) = await dpop.ValidateAsync(http, accessToken: null, ct);
            if (checkedProof is null) return OAuthResults.Error(http, OAuthError.InvalidDpopProof(error!));
            proof = checkedProof;
        }

        var grantType = Param(form, "grant_type");
        // Token issuance: a span under the request's, and the issued/refused counters by grant type.
        using var activity = Platform.Telemetry.SwitchboardTelemetry.Source.StartActivity("oauth token");
        var outcome = grantType switch
        {
            "authorization_code" => await AuthorizationCodeAsync(http, client, form, proof, ct),
            "client_credentials" => ClientCredentials(http, client, form, proof),
            "refresh_token" => await RefreshAsync(http, client, form, proof, ct),
            null => (null, OAuthError.InvalidRequest("grant_type is required.")),
            _ => (null, new OAuthError(OAuthErrorCodes.UnsupportedGrantType,
                "grant_type must be authorization_code, client_credentials or refresh_token (no password or implicit grant, RFC 9700 §2.4).")),
        };
        Platform.Telemetry.SwitchboardTelemetry.TokenRequestEnded(grantType, outcome.Response is null ? outcome.Error!.Error : null);
        if (activity is not null)
        {
            activity.SetTag(Platform.Telemetry.SwitchboardTelemetry.GrantTypeAttribute, grantType);
            activity.SetTag("oauth.client_id", client.App.ClientId);
            if (outcome.Response is null) Platform.Telemetry.SwitchboardTelemetry.Failed(activity, outcome.Error!.Error);
        }
        return outcome.Response is { } response ? OAuthResults.Ok(http, response) : OAuthResults.Error(http, outcome.Error!);
    }

    private static string? Param(IReadOnlyDictionary<string, StringValues> form, string name) =>
        form.TryGetValue(name, out var v) && v.Count == 1 && !string.IsNullOrEmpty(v[0]) ? v[0] : null;

    private async Task<(TokenResponse? Response, OAuthError? Error)> AuthorizationCodeAsync(HttpContext http, AuthenticatedClient client,
        IReadOnlyDictionary<string, StringValues> form, DpopProof? proof, CancellationToken ct)
    {
        var code = Param(form, "code");
        var redirectUri = Param(form, "redirect_uri");
        var verifier = Param(form, "code_verifier");
        if (code is null) return (null, OAuthError.InvalidRequest("code is required."));
        if (redirectUri is null) return (null, OAuthError.InvalidRequest("redirect_uri is required: the one the authorization request named."));

        var hash = SecretHash.Sha256Hex(code);
        var row = await db.OAuthAuthorizationCodes.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(c => c.CodeHash == hash, ct);
        if (row is null) return (null, OAuthError.InvalidGrant("The authorization code is unknown."));
        if (row.ClientId != client.App.ClientId) return (null, OAuthError.InvalidGrant("The authorization code was issued to another client."));
        if (row.UsedAt is not null) return (null, await ReplayedCodeAsync(row, http, ct));
        var now = time.UtcNow();
        if (row.ExpiresAt <= now) return (null, OAuthError.InvalidGrant("The authorization code has expired."));
        if (!string.Equals(row.RedirectUri, redirectUri, StringComparison.Ordinal))
            return (null, OAuthError.InvalidGrant("redirect_uri differs from the one in the authorization request."));
        // RFC 7636 §4.6 with RFC 9700 §2.1.1: a challenge is always stored (authorize refuses requests without one), so a
        // missing verifier, or one that does not hash to the challenge, fails; a verifier with no challenge (a downgrade) too.
        if (verifier is null) return (null, OAuthError.InvalidGrant("code_verifier is required (PKCE)."));
        if (string.IsNullOrEmpty(row.CodeChallenge)) return (null, OAuthError.InvalidGrant("A code_verifier was sent for a request without a code_challenge."));
        if (!IsVerifier(verifier)) return (null, OAuthError.InvalidGrant("code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~."));
        if (!SecretHash.FixedTimeEquals(S256(verifier), row.CodeChallenge)) return (null, OAuthError.InvalidGrant("code_verifier does not match the code_challenge."));
        if (row.DpopJkt is not null && proof?.Jkt != row.DpopJkt)
            return (null, OAuthError.InvalidDpopProof("This code must be redeemed with a DPoP proof of the key named by dpop_jkt."));

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var claimed = await db.OAuthAuthorizationCodes.IgnoreQueryFilters()
            .Where(c => c.Id == row.Id && c.UsedAt == null && c.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.UsedAt, now), ct) == 1;
        if (!claimed)
        {
            await tx.RollbackAsync(ct);
            return (null, await ReplayedCodeAsync(row, http, ct));
        }
        var grant = await db.OAuthGrants.IgnoreQueryFilters().FirstOrDefaultAsync(g => g.Id == row.GrantId && g.RevokedAt == null, ct);
        var membership = await db.Memberships.IgnoreQueryFilters().AsNoTracking()
            .FirstOrDefaultAsync(m => m.UserId == row.UserId && m.OrganizationId == row.OrganizationId, ct);
        if (grant is null || membership is null)
        {
            await tx.CommitAsync(ct); // the code stays spent
            return (null, OAuthError.InvalidGrant("The authorization was revoked, or the user left the organization."));
        }
        var response = Issue(http, client, grant, row.UserId, membership.Role, row.Scopes, proof, now);
        // OpenID Connect Core §3.1.3.3: with the openid scope the response carries an ID token for the client.
        if (row.Scopes.Contains(OAuthScopes.OpenId))
            response = response with { IdToken = accessTokens.CreateIdToken(issuers.For(http), row.UserId, client.App.ClientId, row.Nonce, row.AuthTime, response.AccessToken) };
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return (response, null);
    }

    /// <summary>RFC 6749 §4.1.2: a code used twice; what was issued with it is revoked (the whole grant, see <see cref="GrantRevocation"/>).</summary>
    private async Task<OAuthError> ReplayedCodeAsync(OAuthAuthorizationCode row, HttpContext http, CancellationToken ct)
    {
        await revocation.RevokeAsync(row.GrantId, "oauth_client", row.ClientId, "oauth.authorization_code_replayed",
            new { appId = row.AppId, clientId = row.ClientId }, http, ct);
        return OAuthError.InvalidGrant("The authorization code was already used; the tokens issued with it have been revoked.");
    }

    private (TokenResponse? Response, OAuthError? Error) ClientCredentials(HttpContext http, AuthenticatedClient client, IReadOnlyDictionary<string, StringValues> form, DpopProof? proof)
    {
        if (!client.IsConfidential || client.App.Type != OAuthAppTypes.Confidential)
            return (null, OAuthError.UnauthorizedClient("client_credentials is for confidential apps only; a public app cannot keep a secret."));
        var requested = OAuthScopes.Parse(Param(form, "scope"));
        if (requested.Length == 0) requested = client.App.Scopes;
        if (!OAuthScopes.AllValid(requested)) return (null, OAuthError.InvalidScope("scope names a scope the API does not know."));
        var scopes = OAuthScopes.ForApp(requested, client.App);
        if (scopes.Count != requested.Length)
            return (null, OAuthError.InvalidScope("scope asks for more than this app was registered for (and a client_credentials token has no user for openid, profile or email)."));

        var issuer = issuers.For(http);
        var app = client.App;
        // RFC 9068 §2.2: with no resource owner the subject is the client; the app's organization is the tenant; sid is the app.
        var token = accessTokens.CreateForClient(issuer, OAuthIssuer.Audience(issuer), app.ClientId, app.ClientId, app.OrganizationId, role: null,
            app.Id, scopes, proof?.Jkt);
        return (new TokenResponse(token, proof is null ? "Bearer" : "DPoP", accessTokens.LifetimeSeconds, null, string.Join(' ', scopes)), null);
    }

    private async Task<(TokenResponse? Response, OAuthError? Error)> RefreshAsync(HttpContext http, AuthenticatedClient client,
        IReadOnlyDictionary<string, StringValues> form, DpopProof? proof, CancellationToken ct)
    {
        var presented = Param(form, "refresh_token");
        if (presented is null) return (null, OAuthError.InvalidRequest("refresh_token is required."));
        var hash = SecretHash.Sha256Hex(presented);
        var row = await db.RefreshTokens.AsNoTracking().FirstOrDefaultAsync(t => t.TokenHash == hash, ct);
        var now = time.UtcNow();
        if (row is null || row.ClientId is null || row.RevokedAt is not null || row.ExpiresAt <= now)
            return (null, OAuthError.InvalidGrant("The refresh token is unknown, expired or revoked."));
        if (row.ClientId != client.App.ClientId) return (null, OAuthError.InvalidGrant("The refresh token was issued to another client."));
        if (row.UsedAt is not null) return (null, await ReusedRefreshTokenAsync(row, http, ct));
        // RFC 9449 §5: a public client's refresh token is bound to the DPoP key it was issued with.
        if (row.DpopJkt is not null && proof?.Jkt != row.DpopJkt)
            return (null, OAuthError.InvalidDpopProof("This refresh token is bound to a DPoP key: send a proof signed by that key."));

        var granted = row.Scopes ?? [];
        var requested = OAuthScopes.Parse(Param(form, "scope"));
        // RFC 6749 §6: a refresh may narrow the scope, never widen it.
        if (requested.Length > 0 && requested.Any(s => !granted.Contains(s)))
            return (null, OAuthError.InvalidScope("A refresh may only ask for scopes of the original grant."));

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var claimed = await db.RefreshTokens.Where(t => t.Id == row.Id && t.UsedAt == null && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.UsedAt, now), ct) == 1;
        if (!claimed)
        {
            await tx.RollbackAsync(ct);
            return (null, await ReusedRefreshTokenAsync(row, http, ct));
        }
        var grant = await db.OAuthGrants.IgnoreQueryFilters().FirstOrDefaultAsync(g => g.Id == row.FamilyId && g.RevokedAt == null, ct);
        var membership = await db.Memberships.IgnoreQueryFilters().AsNoTracking()
            .FirstOrDefaultAsync(m => m.UserId == row.UserId && m.OrganizationId == row.OrganizationId, ct);
        if (grant is null || membership is null)
        {
            await tx.CommitAsync(ct);
            return (null, OAuthError.InvalidGrant("The authorization was revoked, or the user left the organization."));
        }
        var response = Issue(http, client, grant, row.UserId, membership.Role, granted, proof, now,
            accessScopes: requested.Length > 0 ? requested : null, boundJkt: row.DpopJkt);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return (response, null);
    }

    private async Task<OAuthError> ReusedRefreshTokenAsync(RefreshToken row, HttpContext http, CancellationToken ct)
    {
        await revocation.RevokeAsync(row.FamilyId, "oauth_client", row.ClientId, "oauth.refresh_token_reused",
            new { clientId = row.ClientId }, http, ct);
        return OAuthError.InvalidGrant("The refresh token was already used; every token of this authorization has been revoked.");
    }

    /// <summary>
    /// An access token and the next refresh token of the grant's family (added to the unit of work). The access token
    /// carries the granted scopes the user's role still covers; the refresh token keeps the grant's scopes as consented.
    /// </summary>
    private TokenResponse Issue(HttpContext http, AuthenticatedClient client, OAuthGrant grant, string userId, string role,
        IReadOnlyList<string> grantedScopes, DpopProof? proof, DateTime now, IReadOnlyList<string>? accessScopes = null, string? boundJkt = null)
    {
        var scopes = OAuthScopes.WithinRole(accessScopes ?? grantedScopes, role);
        var issuer = issuers.For(http);
        var access = accessTokens.CreateForClient(issuer, OAuthIssuer.Audience(issuer), userId, client.App.ClientId, grant.OrganizationId, role,
            grant.Id, scopes, proof?.Jkt);
        var refresh = RefreshTokenPrefix + SecretHash.RandomToken(32);
        db.RefreshTokens.Add(new RefreshToken
        {
            Id = Ids.New("rt", time), FamilyId = grant.Id, TokenHash = SecretHash.Sha256Hex(refresh), UserId = userId,
            OrganizationId = grant.OrganizationId, CreatedAt = now,
            ExpiresAt = now.AddSeconds(options.Value.Auth.RefreshTokenLifetimeSeconds),
            ClientId = client.App.ClientId, Scopes = [.. grantedScopes],
            // Public clients' refresh tokens are bound to their DPoP key (RFC 9449 §5); confidential ones to their authentication.
            DpopJkt = boundJkt ?? (client.IsConfidential ? null : proof?.Jkt),
        });
        grant.LastUsedAt = now;
        return new TokenResponse(access, proof is null ? "Bearer" : "DPoP", accessTokens.LifetimeSeconds, refresh, string.Join(' ', scopes));
    }

    /// <summary>RFC 7636 §4.1: 43 to 128 unreserved characters.</summary>
    private static bool IsVerifier(string verifier)
    {
        if (verifier.Length is < 43 or > 128) return false;
        foreach (var c in verifier)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~')) return false;
        return true;
    }

    /// <summary>RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))).</summary>
    public static string S256(string verifier) => Base64Url.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
}
