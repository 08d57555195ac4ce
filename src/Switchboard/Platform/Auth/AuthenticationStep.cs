using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;

namespace Switchboard.Platform.Auth;

/// <summary>
/// The pipeline's authentication step, in place of <c>UseAuthentication</c>. That middleware asks the authentication
/// service for the default scheme, builds a handler for it through dependency injection and initializes it on every
/// request; the API has one scheme and no remote (callback) schemes, so this step calls the authentication itself.
/// What it leaves on the context is what <c>UseAuthentication</c> leaves: <see cref="HttpContext.User"/> for a valid
/// credential and the authenticate result for the authorization step.
/// </summary>
internal sealed class AuthenticationStep(RequestDelegate next, SwitchboardAuthentication authentication)
{
    public async Task InvokeAsync(HttpContext context)
    {
        // A failed credential leaves the anonymous user (and, for the challenge, the failure in Items); a valid one the
        // feature that HttpContext.User reads from.
        if (await authentication.AuthenticateCallerAsync(context) is { Caller: { } caller })
        {
            var feature = new AuthenticatedFeature(caller);
            context.Features.Set<Microsoft.AspNetCore.Authentication.IAuthenticateResultFeature>(feature);
            context.Features.Set<Microsoft.AspNetCore.Http.Features.Authentication.IHttpAuthenticationFeature>(feature);
        }
        await next(context);
    }

    /// <summary>
    /// The authenticate result and user of an authenticated request, made when first read: the API's own steps read the
    /// <see cref="Caller"/>, so most requests never need the principal, its identity and claims, or the ticket.
    /// </summary>
    private sealed class AuthenticatedFeature(Caller caller)
        : Microsoft.AspNetCore.Authentication.IAuthenticateResultFeature, Microsoft.AspNetCore.Http.Features.Authentication.IHttpAuthenticationFeature
    {
        // As ASP.NET Core's own feature behaves: setting the result sets the user to its principal; setting the user drops the result.
        private AuthenticateResult? _result;
        private ClaimsPrincipal? _user;
        private bool _resultSet, _userSet;

        public AuthenticateResult? AuthenticateResult
        {
            get
            {
                if (!_resultSet) (_result, _resultSet) = (SwitchboardAuthentication.Result(caller), true);
                return _result;
            }
            set => (_result, _resultSet, _user, _userSet) = (value, true, value?.Principal, true);
        }

        public ClaimsPrincipal? User
        {
            get => _userSet ? _user : AuthenticateResult?.Principal;
            set => (_user, _userSet, _result, _resultSet) = (value, true, null, true);
        }
    }
}
