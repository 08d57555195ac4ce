using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Switchboard.Platform.Errors;

namespace Switchboard.Platform.Auth;

/// <summary>The operation needs <see cref="Scope"/> (see <see cref="Scopes.Grants"/>).</summary>
public sealed record ScopeRequirement(string Scope) : IAuthorizationRequirement;

internal sealed class ScopeRequirementHandler : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (context.Resource is HttpContext http && http.FindCaller() is { } caller && caller.Has(requirement.Scope))
            context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

/// <summary>Answers a missing scope with 403 <c>insufficient_scope</c> (RFC 6750 §3.1) as problem+json.</summary>
internal sealed class ProblemAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden && authorizeResult.AuthorizationFailure?.FailedRequirements.OfType<ScopeRequirement>().FirstOrDefault() is { } missing)
        {
            context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"switchboard\", error=\"insufficient_scope\", scope=\"{missing.Scope}\"";
            await ApiProblem.WriteAsync(context, 403, ErrorCodes.InsufficientScope, $"This operation requires the '{missing.Scope}' scope.");
            return;
        }
        await _default.HandleAsync(next, context, policy, authorizeResult);
    }
}

public static class ScopeAuthorizationExtensions
{
    /// <summary>Requires an authenticated caller holding <paramref name="scope"/>.</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope) where TBuilder : IEndpointConventionBuilder =>
        // No scheme named on the policy: the authentication step has already run the only (default) scheme, and a policy that
        // names one makes the authorization middleware authenticate again and merge the principals on every request.
        builder.RequireAuthorization(new AuthorizationPolicyBuilder()
            .RequireAuthenticatedUser()
            .AddRequirements(new ScopeRequirement(scope))
            .Build());

    public static IServiceCollection AddSwitchboardAuth(this IServiceCollection services)
    {
        services.AddSingleton<SwitchboardAuthentication>();
        services.AddAuthentication(SwitchboardAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, SwitchboardAuthenticationHandler>(
                SwitchboardAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .SetDefaultPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        services.AddSingleton<IAuthorizationHandler, ScopeRequirementHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>();
        return services;
    }
}
