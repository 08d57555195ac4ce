using System.Collections.Concurrent;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.Extensions.Options;

namespace Switchboard.Platform.Auth;

/// <summary>
/// The pipeline's authorization step: <c>UseAuthorization</c>'s middleware behind a check that lets through, without
/// it, a request whose endpoint needs only what this API's own policies ask (an authenticated caller, scopes) when the
/// caller has it. Everything else (anonymous callers, missing scopes, any policy, role or scheme this check does not
/// know) goes through the standard middleware, which answers 401 and 403 as it always has. Each endpoint's rule is
/// worked out once, from its metadata.
/// </summary>
internal sealed class AuthorizationStep
{
    // What the standard middleware leaves for the endpoint middleware to see that authorization ran (it throws
    // otherwise for an endpoint with authorization metadata). ASP.NET Core keeps the key private and offers no public
    // way to set it short of turning the check off for every endpoint (RouteOptions.SuppressCheckForUnhandledSecurityMetadata),
    // so it is written here, the one place; AuthPipelineTests.TheStandardAuthorizationMiddlewareLeavesTheKeyTheStepLeaves runs
    // ASP.NET Core's own middleware and fails if the key changes.
    internal const string InvokedKey = "__AuthorizationMiddlewareWithEndpointInvoked";
    private static readonly object Invoked = new();

    private readonly RequestDelegate _next;
    private readonly RequestDelegate _standard;
    private readonly AuthorizationOptions _options;
    private readonly bool _knownProvider;
    private readonly ConcurrentDictionary<Endpoint, Rule> _rules = new();

    public AuthorizationStep(RequestDelegate next, RequestDelegate standard, IOptions<AuthorizationOptions> options, IAuthorizationPolicyProvider provider)
    {
        _next = next;
        _standard = standard;
        _options = options.Value;
        _knownProvider = provider.GetType() == typeof(DefaultAuthorizationPolicyProvider);
    }

    public Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        var rule = endpoint is null ? (_knownProvider && _options.FallbackPolicy is null ? Rule.Open : Rule.Standard)
            : _rules.GetOrAdd(endpoint, static (e, self) => self.RuleFor(e), this);
        if (rule.Kind == RuleKind.Standard) return _standard(context);
        if (rule.Kind == RuleKind.Caller)
        {
            if (context.FindCaller() is not { } caller) return _standard(context);
            foreach (var scope in rule.Scopes)
                if (!caller.Has(scope)) return _standard(context);
        }
        if (endpoint is not null) context.Items[InvokedKey] = Invoked;
        return _next(context);
    }

    /// <summary>What an endpoint's authorization metadata asks, when it asks only what this step can decide.</summary>
    internal Rule RuleFor(Endpoint endpoint)
    {
        if (!_knownProvider) return Rule.Standard;
        var metadata = endpoint.Metadata;
        if (metadata.GetMetadata<IAllowAnonymous>() is not null) return Rule.Open;
        var authorizeData = metadata.GetOrderedMetadata<IAuthorizeData>();
        var policies = metadata.GetOrderedMetadata<AuthorizationPolicy>();
        if (metadata.GetOrderedMetadata<IAuthorizationRequirementData>().Count > 0) return Rule.Standard;
        if (authorizeData.Count == 0 && policies.Count == 0) return _options.FallbackPolicy is null ? Rule.Open : Rule.Standard;

        var scopes = new List<string>();
        bool Understood(AuthorizationPolicy policy)
        {
            if (policy.AuthenticationSchemes.Count > 0) return false;
            foreach (var requirement in policy.Requirements)
            {
                if (requirement is ScopeRequirement scope) scopes.Add(scope.Scope);
                else if (requirement is not DenyAnonymousAuthorizationRequirement) return false;
            }
            return true;
        }
        foreach (var data in authorizeData)
            if (data.Policy is not null || data.Roles is not null || data.AuthenticationSchemes is not null || !Understood(_options.DefaultPolicy))
                return Rule.Standard;
        foreach (var policy in policies)
            if (!Understood(policy)) return Rule.Standard;
        return new Rule(RuleKind.Caller, [.. scopes.Distinct(StringComparer.Ordinal)]);
    }

    internal enum RuleKind { Open, Caller, Standard }

    /// <summary>Open: no authorization. Caller: an authenticated caller holding every scope. Standard: the standard middleware decides.</summary>
    internal sealed record Rule(RuleKind Kind, string[] Scopes)
    {
        public static readonly Rule Open = new(RuleKind.Open, []);
        public static readonly Rule Standard = new(RuleKind.Standard, []);
    }
}
