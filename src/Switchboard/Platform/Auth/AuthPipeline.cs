using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.Extensions.Options;
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
        var credential = ReadCredential(context.Request);
        if (credential is null) return null;

        var outcome = credential.StartsWith(ApiKeyFormat.Prefix, StringComparison.Ordinal)
            ? await apiKeys.AuthenticateAsync(credential, context.ClientIp(), context.RequestAborted)
            : await accessTokens.ValidateAsync(credential, context.RequestAborted);

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

    /// <summary>The credential sent: <c>Authorization: Bearer …</c> (RFC 6750 §2.1), else <c>X-API-Key</c>.</summary>
    private static string? ReadCredential(HttpRequest request)
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
}

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
    // otherwise for an endpoint with authorization metadata); the same key as Microsoft.AspNetCore.Authorization's.
    private const string InvokedKey = "__AuthorizationMiddlewareWithEndpointInvoked";
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

public static class AuthPipelineExtensions
{
    // WebApplication adds UseAuthentication and UseAuthorization at the start of the pipeline unless these are set
    // (the keys ASP.NET Core's own UseAuthentication/UseAuthorization set); the steps below take their places.
    private const string AuthenticationSetKey = "__AuthenticationMiddlewareSet";
    private const string AuthorizationSetKey = "__AuthorizationMiddlewareSet";

    public static IApplicationBuilder UseSwitchboardAuthentication(this IApplicationBuilder app)
    {
        app.Properties[AuthenticationSetKey] = true;
        return app.UseMiddleware<AuthenticationStep>();
    }

    public static IApplicationBuilder UseSwitchboardAuthorization(this IApplicationBuilder app)
    {
        app.Properties[AuthorizationSetKey] = true;
        return app.Use(next =>
        {
            var standard = app.New();
            standard.UseAuthorization();
            standard.Run(next);
            var services = app.ApplicationServices;
            return new AuthorizationStep(next, standard.Build(),
                services.GetRequiredService<IOptions<AuthorizationOptions>>(),
                services.GetRequiredService<IAuthorizationPolicyProvider>()).InvokeAsync;
        });
    }
}
