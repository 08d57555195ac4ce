using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Switchboard.Platform.Errors;

namespace Switchboard.Platform.Auth;

/// <summary>
/// The one authentication scheme of the API. It reads a credential from <c>Authorization: Bearer …</c>
/// (RFC 6750 §2.1) or <c>X-API-Key</c>, tells an API key (<c>sbk_</c>) from a JWT access token, and turns
/// either into a <see cref="Caller"/> and a tenant for the request's DbContext (<see cref="SwitchboardAuthentication"/>,
/// which the pipeline's authentication step calls directly); it answers challenges (401) and forbids (403).
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
        var failure = Context.Items.TryGetValue(SwitchboardAuthentication.FailureItem, out var f) && f is AuthOutcome o ? o : (AuthOutcome?)null;
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
