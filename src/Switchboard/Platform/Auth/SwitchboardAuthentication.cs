using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Switchboard.ApiKeys;
using Switchboard.Identity;
using Switchboard.Platform.Storage;

namespace Switchboard.Platform.Auth;

/// <summary>
/// Turns a request's credential into a <see cref="Caller"/>: the one authentication the API has. The authentication
/// step of the pipeline calls it once per request; <see cref="SwitchboardAuthenticationHandler"/> calls it when
/// something asks the ASP.NET Core authentication service to authenticate, and answers challenges and forbids.
/// </summary>
public sealed class SwitchboardAuthentication(ApiKeyAuthenticator apiKeys, AccessTokenValidator accessTokens)
{
    internal const string FailureItem = "switchboard.auth.failure";

    /// <summary>
    /// Authenticates the request: null when it carries no credential; otherwise success (the caller is set on the
    /// context and the request's tenant is fixed) or failure (kept on the context for the challenge to explain).
    /// </summary>
    public async ValueTask<AuthenticateResult?> AuthenticateAsync(HttpContext context) =>
        await AuthenticateCallerAsync(context) switch
        {
            null => null,
            { Caller: { } caller } => Result(caller),
            { Code: var code } => AuthenticateResult.Fail(code!),
        };

    /// <summary>
    /// What <see cref="AuthenticateAsync"/> does, without the ASP.NET Core result: null without a credential, else the
    /// outcome (a success sets the caller on the context and fixes the request's tenant; a failure is kept for the challenge).
    /// </summary>
    internal async ValueTask<AuthOutcome?> AuthenticateCallerAsync(HttpContext context)
    {
        var (credential, scheme) = ReadCredential(context.Request);
        if (credential is null) return null;

        var outcome = scheme == TokenScheme.Bearer && credential.StartsWith(ApiKeyFormat.Prefix, StringComparison.Ordinal)
            ? await apiKeys.AuthenticateAsync(credential, context.ClientIp(), context.RequestAborted)
            : await accessTokens.ValidateAsync(credential, scheme, context);

        if (!outcome.Succeeded)
        {
            context.Items[FailureItem] = outcome;
            return outcome;
        }
        context.Features.Set(outcome.Caller!);
        context.RequestServices.GetRequiredService<TenantScope>().OrganizationId = outcome.Caller!.OrganizationId;
        return outcome;
    }

    /// <summary>The caller as ASP.NET Core's authentication sees it: a principal with its actor and organization.</summary>
    internal static AuthenticateResult Result(Caller caller)
    {
        var identity = new ClaimsIdentity(
            [new Claim("sub", caller.ActorId ?? ""), new Claim("org", caller.OrganizationId)], SwitchboardAuthenticationHandler.SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SwitchboardAuthenticationHandler.SchemeName));
    }

    /// <summary>
    /// The credential sent: <c>Authorization: Bearer …</c> (RFC 6750 §2.1) or <c>Authorization: DPoP …</c> (RFC 9449 §7.1,
    /// a DPoP-bound access token), else <c>X-API-Key</c>.
    /// </summary>
    private static (string? Credential, TokenScheme Scheme) ReadCredential(HttpRequest request)
    {
        var authorization = request.Headers.Authorization;
        if (authorization.Count == 1 && authorization[0] is { } value)
        {
            if (value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                var token = value[7..].Trim();
                return (token.Length > 0 ? token : null, TokenScheme.Bearer);
            }
            if (value.StartsWith("DPoP ", StringComparison.OrdinalIgnoreCase))
            {
                var token = value[5..].Trim();
                return (token.Length > 0 ? token : null, TokenScheme.DPoP);
            }
        }
        var apiKey = request.Headers["X-API-Key"];
        return (apiKey.Count == 1 && !string.IsNullOrWhiteSpace(apiKey[0]) ? apiKey[0]!.Trim() : null, TokenScheme.Bearer);
    }
}
