using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Switchboard.Platform.Errors;

namespace Switchboard.Platform.Auth;

/// <summary>
/// The one authentication scheme of the API, as ASP.NET Core's authentication service knows it. Authenticating is
/// <see cref="SwitchboardAuthentication"/>'s (the pipeline's authentication step calls it directly); this handler answers
/// the challenges (401, with RFC 6750 §3's <c>WWW-Authenticate</c>) and forbids (403) the authorization middleware asks for.
/// </summary>
public sealed class SwitchboardAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    SwitchboardAuthentication authentication) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Switchboard";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync() =>
        await authentication.AuthenticateAsync(Context) ?? AuthenticateResult.NoResult();

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = Context.Items.TryGetValue(SwitchboardAuthentication.FailureItem, out var f) && f is AuthOutcome o ? o : (AuthOutcome?)null;
        if (failure is { Status: not 401 } refused)
        {
            if (refused.Status == 429) Response.Headers.RetryAfter = "60";
            await ApiProblem.WriteAsync(Context, refused.Status, refused.Code!, refused.Detail!);
            return;
        }
        // RFC 6750 §3: a 401 names the scheme, and error="invalid_token" when a credential was sent but refused.
        // RFC 9449 §7.1: a DPoP-bound token's refusal names the DPoP scheme and its algorithms.
        Response.Headers.WWWAuthenticate = failure is null
            ? "Bearer realm=\"switchboard\", DPoP algs=\"ES256 RS256 PS256\""
            : failure.Value.Challenge ?? $"Bearer realm=\"switchboard\", error=\"invalid_token\", error_description=\"{failure.Value.Detail}\"";
        await ApiProblem.WriteAsync(Context, 401,
            failure?.Code ?? ErrorCodes.Unauthorized,
            failure?.Detail ?? "Send an API key (Authorization: Bearer sbk_… or X-API-Key) or an access token.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiProblem.WriteAsync(Context, 403, ErrorCodes.Forbidden, "These credentials may not perform this operation.");
}
