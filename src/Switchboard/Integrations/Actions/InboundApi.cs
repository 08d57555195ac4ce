using Microsoft.EntityFrameworkCore;
using Switchboard.Docs;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Actions;

/// <summary>
/// <c>POST /api/v1/integrations/{id}/inbound/{kind}</c>: a provider's own traffic to one installation (Slack's slash
/// commands and button clicks, a provider's webhooks). Anonymous for Switchboard's API authentication — the provider
/// holds no Switchboard credential — and verified instead by the provider's own scheme, in the connector, before
/// anything else (<see cref="Connector.ReceiveAsync"/>): anything unverified is 401 and changes nothing. The body is read
/// raw (signatures cover its exact bytes), at most <see cref="MaxBodyBytes"/>. A well-formed installation id that names
/// no installation is 410 Gone: installation ids are never reused, so the URL will never answer again, and a provider
/// that still calls it (its webhook outlived the uninstall) is told to stop; Trello deletes a webhook whose callback
/// answers 410 (https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/). An ill-formed id stays 404.
/// </summary>
public static class InboundApi
{
    public const string ProviderRoute = "/api/v1/integrations/providers/{key}/inbound/{kind}";

    /// <summary>The path of a provider's app-wide inbound route (<see cref="ReceiveForProviderAsync"/>).</summary>
    public static string ProviderPath(string key, string kind) => ProviderRoute.Replace("{key}", key, StringComparison.Ordinal).Replace("{kind}", kind, StringComparison.Ordinal);

    /// <summary>Slack's payloads are a few KB; a megabyte is room for any provider's event without holding a node's memory hostage.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    public static IEndpointRouteBuilder MapIntegrationInboundApi(this IEndpointRouteBuilder app)
    {
        // No per-IP limit: a provider sends every customer's traffic from a few shared addresses (Slack's do).
        app.MapPost("/api/v1/integrations/{id}/inbound/{kind}", ReceiveAsync).AllowAnonymous().DisableAntiforgery().WithTags("Integration rules")
            .ProducesErrors(ErrorCodes.Unauthorized, ErrorCodes.PayloadTooLarge, ErrorCodes.Gone)
            .WithName("receiveIntegrationInbound")
            .WithSummary("A provider's own request to an installation (Slack slash commands and buttons), verified by the provider's signature")
            .WithDescription("Called by the provider, not by API clients: give this URL to the provider (Slack: the slash command's and interactivity's " +
                "Request URL, with kind `commands` or `interactions`). Verified by the provider's own scheme before anything is read; an unverified request " +
                "is 401 and changes nothing. The answer is the provider's (JSON or text). An installation that no longer exists answers 410 Gone, which tells the " +
                "provider to stop (Trello then deletes its webhook).");
        // The same URL answers a provider's GET verification handshake (the Graph API's hub.challenge, sent when a
        // webhook is registered): the connector checks it as it checks a POST's signature; a GET without a body.
        app.MapGet("/api/v1/integrations/{id}/inbound/{kind}", ReceiveAsync).AllowAnonymous().WithTags("Integration rules")
            .ProducesErrors(ErrorCodes.Unauthorized, ErrorCodes.Gone)
            .WithName("verifyIntegrationInbound")
            .WithSummary("A provider's verification handshake for an installation's inbound URL (WhatsApp's hub.challenge)")
            .WithDescription("Called by the provider, not by API clients, when the URL is registered: the connector checks the request by the provider's own " +
                "scheme (WhatsApp: `hub.mode=subscribe` and the installation's verify token, compared in constant time) and answers the provider's challenge " +
                "as text. Anything else is 401 and changes nothing.");
        // A provider that sends every connected account's events to one URL per app (QuickBooks, Xero, Jira): verified with the
        // operator's app secret, then handed to the installations connected to the accounts it names.
        app.MapPost(ProviderRoute, ReceiveForProviderAsync).AllowAnonymous().DisableAntiforgery().WithTags("Integration rules")
            .ProducesErrors(ErrorCodes.Unauthorized, ErrorCodes.PayloadTooLarge, ErrorCodes.ServiceUnavailable)
            .WithName("receiveProviderInbound")
            .WithSummary("A provider's app-wide webhook (QuickBooks, Xero, Jira), verified with the operator's app secret and routed to the installations it names")
            .WithDescription("Called by the provider, not by API clients: the operator registers this URL once per app in the provider's developer portal " +
                "(kind `events`; QuickBooks: the webhook endpoint, signed with the app's verifier token; Xero: the delivery URL, signed with the webhook key; " +
                "Jira: registered by each installation's `register_webhooks` action, signed with a JWT keyed with the app's client secret). " +
                "A request whose signature does not verify is 401 and changes nothing (Xero's: with an empty body, as its intent-to-receive check expects). " +
                "A verified request is handed to each installation connected to an account it names (QuickBooks' realmId, Xero's tenantId, the Jira site of " +
                "the issue's `self` link), in that " +
                "installation's organization only; an account no installation is connected to is acknowledged (200) and ignored. 503 when the operator " +
                "has not configured the app's secret (`Switchboard:Integrations:Providers:<key>:WebhookVerifierToken`, `WebhookKey` or `ClientSecret`).");
        // The GET route also answers HEAD: Trello checks a webhook's callback URL with one when the webhook is created
        // (https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/), and the connector answers it.
        return app;
    }

    internal static async Task<IResult> ReceiveAsync(string id, string kind, HttpContext http, IServiceScopeFactory scopes, ConnectorContexts contexts,
        ProviderCatalog catalog, CancellationToken ct)
    {
        var body = await ReadBodyAsync(http.Request, ct);
        if (body is null)
            return ApiProblem.Result(413, ErrorCodes.PayloadTooLarge, $"An inbound request's body may be at most {MaxBodyBytes} bytes.");

        await using var scope = scopes.CreateAsyncScope();
        IntegrationInstallation? installation = null;
        if (Ids.LooksValid(id, IntegrationResources.Installations))
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            installation = await db.Set<IntegrationInstallation>().IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(i => i.Id == id, ct);
        }
        if (installation is null && Ids.LooksValid(id, IntegrationResources.Installations))
            return ApiProblem.Result(StatusCodes.Status410Gone, ErrorCodes.Gone,
                "No such installation: it was uninstalled (or never existed), and this URL will not answer again. Delete the webhook that calls it.");
        var connector = installation is null ? null : catalog.Find(installation.ProviderKey);
        if (installation is null || connector is null || !connector.Definition.Inbound.Contains(kind, StringComparer.Ordinal))
            return ApiProblem.NotFound("inbound endpoint");

        // From here on the request acts for the installation's organization: the connector's reads and writes are its.
        scope.ServiceProvider.GetRequiredService<TenantScope>().OrganizationId = installation.OrganizationId;
        var (_, context) = contexts.For(installation, scope.ServiceProvider);
        return Answer(await connector.ReceiveAsync(context, kind, Read(http, body), ct), http);
    }

    /// <summary>
    /// The provider-level route: <see cref="Connector.ReadAppInbound"/> verifies with the operator's app secret and
    /// names the accounts; each installation connected to one of them (of this provider, in any organization: the
    /// point of the route) gets the request through <see cref="Connector.ReceiveAsync"/> in a scope of its own
    /// organization, which verifies again and handles its own account's part only. One installation failing (a 5xx:
    /// busy, its database) makes the answer 503 so the provider redelivers; the others' handlers then see the event
    /// again, as any at-least-once delivery may.
    /// </summary>
    internal static async Task<IResult> ReceiveForProviderAsync(string key, string kind, HttpContext http, IServiceScopeFactory scopes, ConnectorContexts contexts,
        ProviderCatalog catalog, Microsoft.Extensions.Options.IOptions<SwitchboardOptions> options, CancellationToken ct)
    {
        var body = await ReadBodyAsync(http.Request, ct);
        if (body is null)
            return ApiProblem.Result(413, ErrorCodes.PayloadTooLarge, $"An inbound request's body may be at most {MaxBodyBytes} bytes.");
        var connector = catalog.Find(key);
        var request = Read(http, body);
        if (connector is null || !connector.Definition.AppInbound.Contains(kind, StringComparer.Ordinal)
            || connector.ReadAppInbound(options.Value, kind, request) is not { } verdict) return ApiProblem.NotFound("inbound endpoint");
        if (verdict.Answer is { } answer) return Answer(answer, http);
        if (verdict.Accounts.Count == 0) return Results.StatusCode(200);

        List<IntegrationInstallation> installations;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            var accounts = verdict.Accounts;
            installations = await db.Set<IntegrationInstallation>().IgnoreQueryFilters().AsNoTracking()
                .Where(i => i.ProviderKey == connector.Definition.Key && i.ProviderAccountId != null && accounts.Contains(i.ProviderAccountId))
                .OrderBy(i => i.Id).ToListAsync(ct);
        }
        var failed = false;
        foreach (var installation in installations)
        {
            await using var scope = scopes.CreateAsyncScope();
            // The installation's organization, and only it: the handler's reads and writes are that organization's.
            scope.ServiceProvider.GetRequiredService<TenantScope>().OrganizationId = installation.OrganizationId;
            var (_, context) = contexts.For(installation, scope.ServiceProvider);
            var result = await connector.ReceiveAsync(context, kind, request, ct);
            if (result.Status >= 500) failed = true;
        }
        return failed ? ApiProblem.Result(503, ErrorCodes.ServiceUnavailable, "An installation could not take the event now; deliver it again.")
            : Results.StatusCode(200);
    }

    private static InboundRequest Read(HttpContext http, byte[] body) => new(http.Request.Method, body,
        http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
        http.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal));

    /// <summary>The connector's answer: a 401, 404 or 503 without a body of its own becomes the route's problem; the rest as the connector gave it.</summary>
    private static IResult Answer(InboundResult result, HttpContext http)
    {
        foreach (var (name, value) in result.Headers ?? new Dictionary<string, string>()) http.Response.Headers[name] = value;
        return result.Status switch
        {
            401 when result.Body is null => ApiProblem.Result(401, ErrorCodes.Unauthorized, "The request's signature did not verify (or it is too old); nothing was done."),
            404 when result.Body is null => ApiProblem.NotFound("inbound endpoint"),
            503 when result.Body is null => ApiProblem.Result(503, ErrorCodes.ServiceUnavailable,
                "This provider's webhooks are not configured on this server (the operator's app secret is missing); nothing was done."),
            _ when result.Body is null => Results.StatusCode(result.Status),
            _ => Results.Content(result.Body, result.ContentType, System.Text.Encoding.UTF8, result.Status),
        };
    }

    /// <summary>The raw body, or null when it is larger than <see cref="MaxBodyBytes"/>; a GET has none.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)) return [];
        if (request.ContentLength > MaxBodyBytes) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
