using Switchboard.Docs;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Storage;
using Switchboard.Platform.Validation;
using Switchboard.RateLimiting;

namespace Switchboard.Identity;

public static class AuthApi
{
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/v1/auth").WithTags("Authentication").AllowAnonymous().WithPerIpRateLimit();
        auth.MapPost("/signup", Signup).WithName("signup").WithSummary("Create an organization and its owner")
            .ProducesErrors(ErrorCodes.EmailTaken, ErrorCodes.SignupDisabled);
        auth.MapPost("/login", Login).WithName("login").WithSummary("Sign in with email and password")
            .ProducesErrors(ErrorCodes.InvalidCredentials, ErrorCodes.LoginThrottled);
        auth.MapPost("/refresh", Refresh).WithName("refreshToken").WithSummary("Exchange a refresh token for new tokens")
            .ProducesErrors(ErrorCodes.InvalidRefreshToken, ErrorCodes.RefreshTokenReused);
        auth.MapPost("/logout", Logout).WithName("logout").WithSummary("End the session of an access or refresh token")
            .ProducesErrors(ErrorCodes.Unauthorized, ErrorCodes.MalformedJson);

        app.MapGet("/api/v1/me", Me).RequireAuthorization().WithTags("Authentication").WithName("getMe").WithSummary("Who the credentials belong to");
        app.MapGet("/.well-known/jwks.json", async (SigningKeyRing ring, HttpContext http, CancellationToken cancellationToken) =>
            {
                http.Response.Headers.CacheControl = "public, max-age=60";
                return TypedResults.Json(await ring.JwksAsync(cancellationToken), contentType: "application/jwk-set+json");
            })
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    internal static async Task<Results<Created<AuthResponse>, ProblemHttpResult>> Signup(
        SignupRequest request, IValidator<SignupRequest> validator, AccountService accounts, SessionService sessions, SwitchboardDbContext db,
        IOptions<SwitchboardOptions> options, HttpContext http, CancellationToken cancellationToken)
    {
        if (await validator.CheckAsync(request, cancellationToken) is { } invalid) return invalid;
        if (!options.Value.Auth.AllowSignup)
            return ApiProblem.Result(403, ErrorCodes.SignupDisabled, "Signup is turned off on this installation; ask an administrator for an account.");
        var created = await accounts.CreateOrganizationWithOwnerAsync(request.Email!, request.Password!, request.Name!, request.OrganizationName!, http, cancellationToken);
        if (created is not { } c)
            return ApiProblem.Conflict(ErrorCodes.EmailTaken, "An account with this email already exists; sign in instead.");
        var response = sessions.Issue(c.User, c.Organization, c.Membership);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created("/api/v1/me", response);
    }

    internal static async Task<Results<Ok<AuthResponse>, ProblemHttpResult>> Login(
        LoginRequest request, IValidator<LoginRequest> validator, SwitchboardDbContext db, PasswordSignIn passwords,
        SessionService sessions, HttpContext http, CancellationToken cancellationToken)
    {
        if (await validator.CheckAsync(request, cancellationToken) is { } invalid) return invalid;
        var result = await passwords.VerifyAsync(request.Email!, request.Password!, request.OrganizationId, http, cancellationToken);
        switch (result.Status)
        {
            case PasswordSignInStatus.Throttled:
                http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(result.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return ApiProblem.Result(429, ErrorCodes.LoginThrottled, "Too many failed sign-in attempts. Try again later.");
            case PasswordSignInStatus.Failed:
                return ApiProblem.Result(401, ErrorCodes.InvalidCredentials, "The email or password is incorrect.");
        }
        var (user, membership) = (result.User!, result.Membership!);
        var org = await db.Organizations.FirstAsync(o => o.Id == membership.OrganizationId, cancellationToken);
        var response = sessions.Issue(user, org, membership);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(response);
    }

    internal static async Task<Results<Ok<AuthResponse>, ProblemHttpResult>> Refresh(
        RefreshRequest request, IValidator<RefreshRequest> validator, SessionService sessions, HttpContext http, CancellationToken cancellationToken)
    {
        if (await validator.CheckAsync(request, cancellationToken) is { } invalid) return invalid;
        var (response, failure) = await sessions.RefreshAsync(request.RefreshToken!, http, cancellationToken);
        return failure switch
        {
            null => TypedResults.Ok(response!),
            ErrorCodes.RefreshTokenReused => ApiProblem.Result(401, failure, "This refresh token was already used; the session has been revoked. Sign in again."),
            _ => ApiProblem.Result(401, failure, "The refresh token is invalid, expired or revoked."),
        };
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Logout(
        LogoutRequest? request, SessionService sessions, HttpContext http, CancellationToken cancellationToken)
    {
        var caller = http.FindCaller();
        string? familyId = null, organizationId = null, userId = null;
        if (!string.IsNullOrEmpty(request?.RefreshToken) && await sessions.FindAsync(request.RefreshToken, cancellationToken) is { } token)
            (familyId, organizationId, userId) = (token.FamilyId, token.OrganizationId, token.UserId);
        else if (caller is { Kind: CallerKind.User, SessionId: { } sid })
            (familyId, organizationId, userId) = (sid, caller.OrganizationId, caller.UserId);

        if (familyId is null)
            return ApiProblem.Result(401, ErrorCodes.Unauthorized, "Send the session's access token or its refresh token.");
        await sessions.RevokeFamilyAsync(familyId, organizationId!, "auth.logout", userId!, http, cancellationToken);
        return TypedResults.NoContent();
    }

    internal static async Task<Ok<MeResponse>> Me(HttpContext http, SwitchboardDbContext db, CancellationToken cancellationToken)
    {
        var caller = http.GetCaller();
        var user = caller.UserId is null ? null : await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == caller.UserId, cancellationToken);
        return TypedResults.Ok(new MeResponse(caller.ActorType, user?.AsResponse(), caller.OrganizationId, caller.Role, caller.ApiKeyId, caller.Scopes));
    }
}
