using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Switchboard.ApiKeys;
using Switchboard.Identity;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Storage;

namespace Switchboard.Platform.Auth;

/// <summary>
/// The one authentication scheme of the API. It reads a credential from <c>Authorization: Bearer …</c>
/// (RFC 6750 §2.1) or <c>X-API-Key</c>, tells an API key (<c>sbk_</c>) from a JWT access token, and turns
/// either into a <see cref="Caller"/> and a tenant for the request's DbContext.
/// </summary>
public sealed class SwitchboardAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyAuthenticator apiKeys,
    AccessTokenValidator accessTokens) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Switchboard";
    private const string FailureItem = "switchboard.auth.failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var credential = ReadCredential(Request);
        if (credential is null) return AuthenticateResult.NoResult();

        var outcome = credential.StartsWith(ApiKeyFormat.Prefix, StringComparison.Ordinal)
            ? await apiKeys.AuthenticateAsync(credential, Context.ClientIp(), Context.RequestAborted)
            : await accessTokens.ValidateAsync(credential, Context.RequestAborted);

        if (!outcome.Succeeded)
        {
            Context.Items[FailureItem] = outcome;
            return AuthenticateResult.Fail(outcome.Code!);
        }

        var caller = outcome.Caller!;
        Context.Features.Set(caller);
        Context.RequestServices.GetRequiredService<TenantScope>().OrganizationId = caller.OrganizationId;
        var identity = new ClaimsIdentity(
            [new Claim("sub", caller.ActorId ?? ""), new Claim("org", caller.OrganizationId)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    internal static string? ReadCredential(HttpRequest request)
    {
        var authorization = request.Headers.Authorization;
        if (authorization.Count == 1 && authorization[0] is { } value &&
            value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = value[7..].Trim();
            return token.Length > 0 ? token : null;
        }
        var apiKey = request.Headers["X-API-Key"];
        return apiKey.Count == 1 && !string.IsNullOrWhiteSpace(apiKey[0]) ? apiKey[0]!.Trim() : null;
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = Context.Items.TryGetValue(FailureItem, out var f) && f is AuthOutcome o ? o : (AuthOutcome?)null;
        if (failure is { Status: not 401 } refused)
        {
            if (refused.Status == 429) Response.Headers.RetryAfter = "60";
            await ApiProblem.WriteAsync(Context, refused.Status, refused.Code!, refused.Detail!);
            return;
        }
        // RFC 6750 §3: a 401 names the scheme, and error="invalid_token" when a credential was sent but refused.
        Response.Headers.WWWAuthenticate = failure is null
            ? "Bearer realm=\"switchboard\""
            : $"Bearer realm=\"switchboard\", error=\"invalid_token\", error_description=\"{failure.Value.Detail}\"";
        await ApiProblem.WriteAsync(Context, 401,
            failure?.Code ?? ErrorCodes.Unauthorized,
            failure?.Detail ?? "Send an API key (Authorization: Bearer sbk_… or X-API-Key) or an access token.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiProblem.WriteAsync(Context, 403, ErrorCodes.Forbidden, "These credentials may not perform this operation.");
}
