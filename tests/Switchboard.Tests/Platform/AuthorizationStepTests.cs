using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Options;
using Switchboard.Platform.Auth;

namespace Switchboard.Tests.Platform;

/// <summary>
/// The authorization step lets through, by itself, only requests whose endpoint asks for an authenticated caller and
/// scopes the caller holds; anything else, or anything it does not understand, goes to the standard middleware.
/// (The whole pipeline's 401s and 403s are covered by the API tests on both databases.)
/// </summary>
public sealed class AuthorizationStepTests
{
    private sealed class Conventions : IEndpointConventionBuilder
    {
        private readonly List<Action<EndpointBuilder>> _conventions = [];
        public void Add(Action<EndpointBuilder> convention) => _conventions.Add(convention);

        public Endpoint Build()
        {
            var builder = new RouteEndpointBuilder(_ => Task.CompletedTask, RoutePatternFactory.Parse("/x"), 0);
            foreach (var convention in _conventions) convention(builder);
            return builder.Build();
        }
    }

    private static Endpoint Endpoint(Action<Conventions>? configure = null)
    {
        var conventions = new Conventions();
        configure?.Invoke(conventions);
        return conventions.Build();
    }

    private static AuthorizationStep Step(RequestDelegate next, RequestDelegate standard, Action<AuthorizationOptions>? configure = null, IAuthorizationPolicyProvider? provider = null)
    {
        var options = new AuthorizationOptions { DefaultPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build() };
        configure?.Invoke(options);
        var wrapped = Options.Create(options);
        return new AuthorizationStep(next, standard, wrapped, provider ?? new DefaultAuthorizationPolicyProvider(wrapped));
    }

    private static AuthorizationStep.Rule RuleFor(Endpoint endpoint, Action<AuthorizationOptions>? configure = null) =>
        Step(_ => Task.CompletedTask, _ => Task.CompletedTask, configure).RuleFor(endpoint);

    [Fact]
    public void TheApisOwnPoliciesAreDecidedHere()
    {
        RuleFor(Endpoint()).ShouldBe(AuthorizationStep.Rule.Open);
        RuleFor(Endpoint(e => e.AllowAnonymous())).ShouldBe(AuthorizationStep.Rule.Open);
        var scoped = RuleFor(Endpoint(e => e.RequireScope("contacts:read")));
        scoped.Kind.ShouldBe(AuthorizationStep.RuleKind.Caller);
        scoped.Scopes.ShouldBe(["contacts:read"]);
        var authenticated = RuleFor(Endpoint(e => e.RequireAuthorization()));
        authenticated.Kind.ShouldBe(AuthorizationStep.RuleKind.Caller);
        authenticated.Scopes.ShouldBeEmpty();
    }

    [Fact]
    public void AnythingElseGoesToTheStandardMiddleware()
    {
        RuleFor(Endpoint(e => e.RequireAuthorization(new AuthorizeAttribute { Roles = "admin" }))).ShouldBe(AuthorizationStep.Rule.Standard);
        RuleFor(Endpoint(e => e.RequireAuthorization("named-policy"))).ShouldBe(AuthorizationStep.Rule.Standard);
        RuleFor(Endpoint(e => e.RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = "Other" }))).ShouldBe(AuthorizationStep.Rule.Standard);
        RuleFor(Endpoint(e => e.RequireAuthorization(p => p.RequireClaim("role", "admin")))).ShouldBe(AuthorizationStep.Rule.Standard);
        RuleFor(Endpoint(e => e.RequireAuthorization(new AuthorizationPolicyBuilder("Other").RequireAuthenticatedUser().Build())))
            .ShouldBe(AuthorizationStep.Rule.Standard);
        // A default policy asking more than an authenticated user, or a fallback policy for endpoints without metadata.
        RuleFor(Endpoint(e => e.RequireAuthorization()), o => o.DefaultPolicy = new AuthorizationPolicyBuilder().RequireRole("admin").Build())
            .ShouldBe(AuthorizationStep.Rule.Standard);
        RuleFor(Endpoint(), o => o.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .ShouldBe(AuthorizationStep.Rule.Standard);
        // A policy provider of someone else's: it may answer anything for any name.
        var options = Options.Create(new AuthorizationOptions());
        new AuthorizationStep(_ => Task.CompletedTask, _ => Task.CompletedTask, options, new OtherProvider(options))
            .RuleFor(Endpoint(e => e.RequireScope("contacts:read"))).ShouldBe(AuthorizationStep.Rule.Standard);
    }

    private sealed class OtherProvider(IOptions<AuthorizationOptions> options) : DefaultAuthorizationPolicyProvider(options);

    [Theory]
    [InlineData(new[] { "contacts:read" }, true)]
    [InlineData(new[] { "*:read" }, true)]
    [InlineData(new[] { "deals:read" }, false)]
    [InlineData(new string[0], false)]
    public async Task ACallerHoldingTheScopeIsLetThroughAndAnyOtherGoesToTheStandardMiddleware(string[] scopes, bool passes)
    {
        string? ran = null;
        var step = Step(_ => { ran = "next"; return Task.CompletedTask; }, _ => { ran = "standard"; return Task.CompletedTask; });
        var context = new DefaultHttpContext();
        context.SetEndpoint(Endpoint(e => e.RequireScope("contacts:read")));
        context.Features.Set(new Caller(CallerKind.ApiKey, "org_1", scopes, ApiKeyId: "key_1"));
        context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "key_1")], "Switchboard"));
        await step.InvokeAsync(context);
        ran.ShouldBe(passes ? "next" : "standard");
        // The endpoint middleware refuses to run an endpoint with authorization metadata unless authorization ran.
        context.Items.ContainsKey(AuthorizationStep.InvokedKey).ShouldBe(passes);
    }

    [Fact]
    public async Task AnAnonymousRequestToAProtectedEndpointGoesToTheStandardMiddleware()
    {
        string? ran = null;
        var step = Step(_ => { ran = "next"; return Task.CompletedTask; }, _ => { ran = "standard"; return Task.CompletedTask; });
        var context = new DefaultHttpContext();
        context.SetEndpoint(Endpoint(e => e.RequireAuthorization()));
        await step.InvokeAsync(context);
        ran.ShouldBe("standard");

        context = new DefaultHttpContext();
        context.SetEndpoint(Endpoint(e => e.AllowAnonymous()));
        await step.InvokeAsync(context);
        ran.ShouldBe("next");
    }
}
