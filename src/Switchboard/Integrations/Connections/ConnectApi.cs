using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Docs;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.OAuth.Browser;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Connections;

/// <summary>
/// Connecting an installation to its provider with OAuth 2.0 (RFC 6749 §4.1, PKCE of RFC 7636 where the provider takes
/// it): <c>GET …/{id}/connect</c> answers the provider's authorize URL for the user's browser; the provider sends the
/// browser back to <c>GET …/oauth/callback</c>, which exchanges the code for tokens and stores them encrypted.
/// </summary>
public static class ConnectApi
{
    public const string CallbackPath = IntegrationsApi.BasePath + "/oauth/callback";

    internal static void Map(RouteGroupBuilder group, IEndpointRouteBuilder app)
    {
        group.MapGet("/{id}/connect", Connect).RequireScope(IntegrationResources.Installations.WriteScope).WithName("connectIntegration")
            .WithSummary("The provider's authorize URL to send the user's browser to")
            .WithQueryParameters(new QueryParameterDoc("returnUrl", "A path on this node to send the browser to after the callback (otherwise a page says it is done).",
                Example: "/dashboard/integrations"))
            .ProducesErrors(ErrorCodes.Conflict);
        // The provider's redirect lands in the user's browser, which carries no API credentials: the state says who asked.
        app.MapGet(CallbackPath, Callback).AllowAnonymous().WithTags("Integrations").WithName("integrationOAuthCallback")
            .WithSummary("Where the provider sends the browser back (called by the browser, not by API clients)")
            .WithQueryParameters(
                new QueryParameterDoc("code", "The authorization code.", Example: "4/0AX4XfWh"),
                new QueryParameterDoc("state", "The state the authorize URL carried.", Required: true, Example: "djEuM2Y…"),
                new QueryParameterDoc("error", "The provider's error code, when the user refused or the request failed (RFC 6749 §4.1.2.1).", Example: "access_denied"),
                new QueryParameterDoc("error_description", "The provider's explanation of the error.", Example: "The user denied access."))
            .ProducesErrors(ErrorCodes.BadRequest);
    }

    internal static string RedirectUri(SwitchboardOptions options, HttpRequest request) =>
        (options.PublicBaseUrl?.TrimEnd('/') ?? $"{request.Scheme}://{request.Host}") + CallbackPath;

    internal static async Task<Results<Ok<ConnectResponse>, ProblemHttpResult>> Connect(
        string id, SwitchboardDbContext db, ProviderCatalog catalog, SecretProtector protector, IOptions<SwitchboardOptions> options, TimeProvider time,
        HttpContext http, CancellationToken ct)
    {
        if (await IntegrationsApi.FindAsync(db, id, ct) is not { } installation) return ApiProblem.NotFound("integration");
        if (catalog.Find(installation.ProviderKey)?.Definition is not { } provider)
            return ApiProblem.Conflict(ErrorCodes.Conflict, $"The provider '{installation.ProviderKey}' is not in this build.");
        if (provider.Auth.Kind != ProviderAuthKind.OAuth2)
            return ApiProblem.Conflict(ErrorCodes.Conflict, $"{provider.Name} does not connect with OAuth: its credentials are part of the configuration (PATCH {IntegrationsApi.BasePath}/{id}).");
        if (installation.Status == InstallationStatus.Disabled)
            return ApiProblem.Conflict(ErrorCodes.Conflict, "The installation is disabled; enable it first (PATCH with enabled: true).");
        var clientId = ProviderUrls.Settings(options.Value, provider.Key)?.ClientId;
        if (string.IsNullOrEmpty(clientId))
            return ApiProblem.Conflict(ErrorCodes.Conflict,
                $"This deployment has no OAuth client for {provider.Name}; the operator sets Switchboard:Integrations:Providers:{provider.Key}:ClientId and ClientSecret.");
        var returnUrl = http.Request.Query["returnUrl"].ToString();
        if (returnUrl.Length > 0 && LocalReturnUrl.Sanitize(returnUrl) != returnUrl)
            return ApiProblem.Validation("returnUrl", "Must be a path on this node (starting with a single /).");

        var caller = http.GetCaller();
        var now = time.GetUtcNow();
        var expires = now.AddSeconds(options.Value.Integrations.ConnectStateLifetimeSeconds);
        var verifier = provider.Auth.Pkce ? ConnectState.NewVerifier() : null;
        var redirectUri = RedirectUri(options.Value, http.Request);
        var state = new ConnectState(installation.Id, installation.OrganizationId, caller.ActorType, caller.ActorId, redirectUri, verifier,
            returnUrl.Length > 0 ? returnUrl : null, expires.ToUnixTimeSeconds()).Seal(protector);

        var parameters = new List<KeyValuePair<string, string>>
        {
            new("response_type", "code"), new("client_id", clientId), new("redirect_uri", redirectUri),
        };
        if (provider.Auth.Scopes.Count > 0) parameters.Add(new(provider.Auth.ScopeParameter, string.Join(provider.Auth.ScopeSeparator, provider.Auth.Scopes)));
        parameters.Add(new("state", state));
        if (verifier is not null)
        {
            parameters.Add(new("code_challenge", ConnectState.Challenge(verifier)));
            parameters.Add(new("code_challenge_method", "S256"));
        }
        foreach (var (name, value) in provider.Auth.AuthorizeParameters) parameters.Add(new(name, value));
        var authorize = ProviderUrls.AuthorizeUrl(options.Value, provider);
        var url = new StringBuilder(authorize).Append(authorize.Contains('?', StringComparison.Ordinal) ? '&' : '?');
        url.AppendJoin('&', parameters.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        return TypedResults.Ok(new ConnectResponse(url.ToString(), expires.UtcDateTime));
    }

    internal static async Task<Results<Ok<ConnectionCompleted>, ProblemHttpResult, ContentHttpResult, SeeOther>> Callback(
        SwitchboardDbContext db, ProviderCatalog catalog, ProviderTokenStore tokens, SecretProtector protector, TimeProvider time, HttpContext http,
        ILoggerFactory logs, CancellationToken ct)
    {
        BrowserPage.ApplySecurityHeaders(http.Response);
        // A browser (the provider's redirect) gets a page; anything else (a script, a test) gets JSON and problems.
        var browser = http.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));
        Results<Ok<ConnectionCompleted>, ProblemHttpResult, ContentHttpResult, SeeOther> Failure(string title, string message, int status) =>
            browser ? (ContentHttpResult)BrowserPage.Error(title, message, status)
                : ApiProblem.Result(status, status == 404 ? ErrorCodes.NotFound : ErrorCodes.BadRequest, $"{title}: {message}");
        var query = http.Request.Query;
        var state = ConnectState.Open(query["state"].ToString(), protector, time.GetUtcNow());
        if (state is null)
            return Failure("This connection link is not valid", "The link was altered, is not from this service, or has expired. Start the connection again from your integrations.",
                StatusCodes.Status400BadRequest);
        var installation = await db.Set<IntegrationInstallation>().IgnoreQueryFilters()
            .FirstOrDefaultAsync(i => i.Id == state.InstallationId && i.OrganizationId == state.OrganizationId, ct);
        if (installation is null || catalog.Find(installation.ProviderKey)?.Definition is not { } provider)
            return Failure("This integration no longer exists", "It was uninstalled after the connection started.", StatusCodes.Status404NotFound);

        if (query["error"].ToString() is { Length: > 0 } error)
        {
            // The user said no (or the provider could not ask): the installation stays as it was.
            var description = query["error_description"].ToString();
            var message = error == "access_denied" ? $"Access to {provider.Name} was not granted, so {installation.Name} is not connected."
                : $"{provider.Name} answered {Limit(error, 100)}{(description.Length > 0 ? ": " + Limit(description, 300) : "")}.";
            return state.ReturnUrl is { } back ? Back(back, installation.Id, error: Limit(error, 100)) : Failure($"Not connected to {provider.Name}", message, StatusCodes.Status400BadRequest);
        }
        var code = query["code"].ToString();
        if (code.Length is 0 or > 4096)
            return Failure($"Not connected to {provider.Name}", $"{provider.Name} sent no authorization code back. Start the connection again.", StatusCodes.Status400BadRequest);

        ProviderTokens issued;
        try { issued = await tokens.ExchangeCodeAsync(provider, code, state.RedirectUri, state.CodeVerifier, ct); }
        catch (ProviderException ex)
        {
            logs.CreateLogger(typeof(ConnectApi)).LogWarning("The {Provider} code exchange of installation {InstallationId} failed: {Status} {Error}",
                provider.Key, installation.Id, ex.Status, ex.ProviderError ?? ex.Message);
            return state.ReturnUrl is { } back ? Back(back, installation.Id, error: "exchange_failed")
                : Failure($"Not connected to {provider.Name}", $"{provider.Name} refused the connection: {ex.ProviderError ?? ex.Message}",
                    ex.Status is >= 400 and < 500 ? StatusCodes.Status400BadRequest : StatusCodes.Status502BadGateway);
        }
        await tokens.StoreAsync(installation.Id, issued, ct);
        if (await CompleteAsync(installation, http, tokens, logs, ct) is { } incomplete)
            return state.ReturnUrl is { } back ? Back(back, installation.Id, error: "connection_incomplete")
                : Failure($"Not connected to {provider.Name}", incomplete.Message, incomplete.Status);
        AuditTrail.Record(db, http, time, installation.OrganizationId, state.ActorType, state.ActorId, "integration.connected",
            IntegrationResources.Installations.Name, installation.Id, new { provider = provider.Key });
        await db.SaveChangesAsync(ct);
        if (state.ReturnUrl is { } done) return Back(done, installation.Id, error: null);
        if (!browser) return TypedResults.Ok(new ConnectionCompleted(installation.Id, provider.Key, InstallationStatus.Active));
        return (ContentHttpResult)BrowserPage.Html($"Connected to {provider.Name}",
            $"<h1>Connected to {BrowserPage.Encode(provider.Name)}</h1>\n<p>{BrowserPage.Encode(installation.Name)} is connected. You can close this window.</p>\n");
    }

    /// <summary>
    /// Lets the connector learn what its later calls need beyond the tokens (<see cref="Connector.CompleteConnectionAsync"/>)
    /// and keeps it with them. When the provider refuses, the tokens just stored are dropped: an installation that
    /// looks connected but cannot make a call would fail later, far from the cause.
    /// </summary>
    private static async Task<(string Message, int Status)?> CompleteAsync(IntegrationInstallation installation, HttpContext http,
        ProviderTokenStore tokens, ILoggerFactory logs, CancellationToken ct)
    {
        var db = http.RequestServices.GetRequiredService<SwitchboardDbContext>();
        await db.Entry(installation).ReloadAsync(ct);
        var (connector, context) = http.RequestServices.GetRequiredService<ConnectorContexts>().For(installation, http.RequestServices);
        var query = http.Request.Query.Where(q => q.Key is not ("code" or "state")).ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        try
        {
            if (await connector.CompleteConnectionAsync(context, query, ct) is { Count: > 0 } extra)
            {
                await tokens.AddExtraAsync(installation.Id, extra, ct); // the tokens as stored now: the call may have refreshed them
                // The provider account, in plain, where the provider's app-wide webhooks look it up (InboundApi).
                if (connector.ProviderAccountExtra is { } key && extra.TryGetValue(key, out var account) && account.Length is > 0 and <= 100)
                    await db.Set<IntegrationInstallation>().IgnoreQueryFilters().Where(i => i.Id == installation.Id)
                        .ExecuteUpdateAsync(s => s.SetProperty(i => i.ProviderAccountId, account), ct);
            }
            return null;
        }
        catch (ProviderException ex)
        {
            logs.CreateLogger(typeof(ConnectApi)).LogWarning("Completing the {Provider} connection of installation {InstallationId} failed: {Status} {Error}",
                installation.ProviderKey, installation.Id, ex.Status, ex.ProviderError ?? ex.Message);
            await db.Set<IntegrationInstallation>().IgnoreQueryFilters().Where(i => i.Id == installation.Id).ExecuteUpdateAsync(s => s
                .SetProperty(i => i.TokensEncrypted, (string?)null)
                .SetProperty(i => i.TokenExpiresAt, (DateTime?)null)
                .SetProperty(i => i.Status, InstallationStatus.NeedsReauth)
                .SetProperty(i => i.StatusReason, ProviderException.Truncate(ex.ProviderError ?? ex.Message)), CancellationToken.None);
            // The provider's refusal (4xx) or the connector's own (no status, final: a choice the user must make, such as
            // which of several organisations) is the user's to fix; a provider failing or unreachable is a bad gateway.
            return ($"{connector.Definition.Name} refused to complete the connection: {ex.ProviderError ?? ex.Message}",
                ex.Status is >= 400 and < 500 || (ex.Status is null && !ex.Retryable) ? StatusCodes.Status400BadRequest : StatusCodes.Status502BadGateway);
        }
    }

    /// <summary>Back to the local path given at connect time, with the outcome in its query (RFC 9110 §15.4.4: 303, so the browser GETs it).</summary>
    private static SeeOther Back(string returnUrl, string installationId, string? error)
    {
        var url = new StringBuilder(returnUrl).Append(returnUrl.Contains('?', StringComparison.Ordinal) ? '&' : '?')
            .Append("integration=").Append(Uri.EscapeDataString(installationId))
            .Append(error is null ? "&connected=true" : "&error=" + Uri.EscapeDataString(error));
        return new SeeOther(url.ToString());
    }

    private static string Limit(string text, int max) => text.Length <= max ? text : text[..max];

    internal sealed class SeeOther(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
            httpContext.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }
}
