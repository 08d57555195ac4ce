using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Tickets;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Syncs;
using Switchboard.Platform;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Providers.Jira;

/// <summary>
/// Jira Cloud (<see cref="JiraDefinition"/>). The connection learns its site's cloud id from
/// <c>GET /oauth/token/accessible-resources</c> (https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/#3-1-get-the-cloudid-for-your-site);
/// <c>create_issue</c> makes an issue from a ticket (<c>POST /rest/api/3/issue</c>,
/// https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-post) and links it
/// in the issues sync's id map, so the issue's status transitions come back onto that ticket (<see cref="JiraIssuesSync"/>);
/// <c>register_webhooks</c> registers the dynamic webhook (<c>POST /rest/api/3/webhook</c>,
/// https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-webhooks/) whose verified deliveries
/// (<see cref="JiraWebhookToken"/>) start an incremental sync at once. Uninstalling deletes that webhook
/// (<see cref="RemoveProviderStateAsync"/>); Atlassian documents no token revocation endpoint for 3LO apps (a user removes
/// the app from their account), so it then only forgets the tokens.
/// </summary>
public sealed class JiraConnector(TimeProvider time) : Connector
{
    public override ProviderDefinition Definition { get; } = JiraDefinition.Create();

    private readonly JiraIssuesSync _issues = new(time);

    public override ISyncModel? Sync(string model) => model == JiraDefinition.Issues ? _issues : null;

    /// <summary>The configured project (<c>GET /rest/api/3/project/{key}</c>): proves the token, the site and the project key at once.</summary>
    public override Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken) =>
        JiraApi.SendAsync(context, HttpMethod.Get, "/project/" + Uri.EscapeDataString(JiraSettings.For(context).ProjectKey), null, cancellationToken);

    /// <summary>
    /// The site of the grant: <c>accessible-resources</c> lists every site the user granted (<c>[{"id","url","name","scopes"}]</c>);
    /// the installation's <c>site</c> picks one by URL or name, else the first that has Jira's scopes.
    /// </summary>
    public override async Task<IReadOnlyDictionary<string, string>?> CompleteConnectionAsync(ConnectorContext context,
        IReadOnlyDictionary<string, string> callbackQuery, CancellationToken cancellationToken)
    {
        var url = context.BaseUrl().TrimEnd('/') + "/oauth/token/accessible-resources";
        var response = await context.Http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.ParseAdd("application/json");
            return request;
        }, cancellationToken);
        if (!response.IsSuccess) throw JiraErrors.From(response, context.Time);
        var sites = (response.Json() as JsonArray ?? []).OfType<JsonObject>()
            .Where(s => JiraApi.IsCloudId(JiraErrors.Text(s["id"])))
            .Where(s => s["scopes"] is not JsonArray scopes || scopes.Any(x => JiraErrors.Text(x)?.EndsWith(":jira-work", StringComparison.Ordinal) == true))
            .ToList();
        if (sites.Count == 0)
            throw new ProviderException("The Jira connection covers no Jira site.", response.Status, "no_accessible_resources", retryable: false);
        var wanted = context.Value("site")?.Trim().TrimEnd('/');
        var site = wanted is null ? sites[0]
            : sites.FirstOrDefault(s => string.Equals(JiraErrors.Text(s["url"])?.TrimEnd('/'), wanted, StringComparison.OrdinalIgnoreCase)
                                        || string.Equals(JiraErrors.Text(s["name"]), wanted, StringComparison.OrdinalIgnoreCase))
              ?? throw new ProviderException($"The Jira connection does not cover the site '{wanted}'; it covers: " +
                  string.Join(", ", sites.Select(s => JiraErrors.Text(s["url"]) ?? JiraErrors.Text(s["name"]))) + ".", null, "site_not_granted", retryable: false);
        var extra = new Dictionary<string, string> { [JiraApi.CloudIdExtra] = JiraErrors.Text(site["id"])! };
        if (JiraApi.SiteOrigin(JiraErrors.Text(site["url"])) is { } siteUrl) extra[JiraApi.SiteUrlExtra] = siteUrl;
        return extra;
    }

    public override async Task<ProviderResponse> RunActionAsync(ConnectorContext context, string action, JsonObject input, CancellationToken cancellationToken) => action switch
    {
        JiraDefinition.CreateIssue => await CreateIssueAsync(context, input, cancellationToken),
        JiraDefinition.RegisterWebhooks => await RegisterWebhooksAsync(context, cancellationToken),
        _ => await base.RunActionAsync(context, action, input, cancellationToken),
    };

    /// <summary>
    /// Once per ticket, under the queue's at-least-once delivery: the issues sync's id map is read first (a repeat answers
    /// the issue made); then Jira is searched for the label every created issue carries (<c>switchboard-{ticket id}</c>),
    /// which finds an issue whose creation answer was lost; only then is one created. The new issue is linked to the
    /// ticket with the fields a pull would read, so the next pull does not count it as a change.
    /// </summary>
    private async Task<ProviderResponse> CreateIssueAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var settings = JiraSettings.For(context);
        var ticketId = JiraErrors.Text(input["ticketId"]) ?? throw Invalid("create_issue needs a ticketId (\"{{data.id}}\" on ticket.created).");
        var subject = JiraErrors.Text(input["subject"])?.Trim() ?? throw Invalid("create_issue needs a subject.");
        if (subject.Length > 255 || subject.Contains('\n')) throw Invalid("A Jira summary is one line of at most 255 characters.");
        var description = JiraErrors.Text(input["description"]);
        if (description?.Length > 20_000) throw Invalid("The description is longer than 20,000 characters.");
        string? priority = null;
        if (JiraErrors.Text(input["priority"]) is { } crmPriority && !settings.ToJiraPriority.TryGetValue(crmPriority, out priority))
            throw Invalid($"Unknown priority '{crmPriority}' (low, normal, high or urgent).");

        var db = context.Services.GetRequiredService<SwitchboardDbContext>();
        var organization = context.Installation.OrganizationId;
        if (!Ids.LooksValid(ticketId, TicketResource.Definition.IdPrefix)) throw Invalid($"'{ticketId}' is not a ticket id.");
        var ticket = await db.Set<Ticket>().IgnoreQueryFilters().AsNoTracking()
            .FirstOrDefaultAsync(t => t.Id == ticketId && t.OrganizationId == organization, cancellationToken)
            ?? throw Invalid($"No ticket {ticketId} in the installation's organization.");
        var linked = await db.Set<IntegrationRecordLink>().IgnoreQueryFilters().AsNoTracking()
            .Where(l => l.InstallationId == context.Installation.Id && l.Model == JiraDefinition.Issues && l.LocalId == ticketId)
            .Select(l => l.RemoteId).FirstOrDefaultAsync(cancellationToken);
        if (linked is not null)
            return Answer(new JsonObject { ["id"] = linked, ["created"] = false });

        var label = Label(ticketId);
        var found = JiraApi.Body(await JiraApi.SendAsync(context, HttpMethod.Post, "/search/jql", new JsonObject
        {
            ["jql"] = $"{settings.ProjectClause} AND labels = \"{label}\" ORDER BY updated ASC",
            ["maxResults"] = 1,
            ["fields"] = new JsonArray([.. JiraIssuesSync.JiraFields.Select(f => (JsonNode)f)]),
        }, cancellationToken));
        var created = false;
        if ((found["issues"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault() is not { } issue)
        {
            var fields = new JsonObject
            {
                ["project"] = new JsonObject { ["key"] = settings.ProjectKey },
                ["issuetype"] = new JsonObject { ["name"] = settings.IssueType },
                ["summary"] = subject,
                ["labels"] = new JsonArray(label),
            };
            if (!string.IsNullOrWhiteSpace(description)) fields["description"] = JiraAdf.FromText(description);
            if (priority is not null) fields["priority"] = new JsonObject { ["name"] = priority };
            var made = JiraApi.Body(await JiraApi.SendAsync(context, HttpMethod.Post, "/issue", new JsonObject { ["fields"] = fields }, cancellationToken));
            var id = JiraErrors.Text(made["id"]) ?? throw new ProviderException("Jira answered the creation without an issue id.", 201, null, retryable: false);
            // The creation answers only id, key and self: the issue as a pull reads it, for the link's fingerprint and time.
            issue = JiraApi.Body(await JiraApi.SendAsync(context, HttpMethod.Get,
                $"/issue/{Uri.EscapeDataString(id)}?fields={string.Join(',', JiraIssuesSync.JiraFields)}", null, cancellationToken));
            created = true;
        }
        var record = _issues.Read(issue, settings);
        db.Add(new IntegrationRecordLink
        {
            Id = Ids.New(IntegrationResources.RecordLinks, time), OrganizationId = organization, InstallationId = context.Installation.Id,
            Model = JiraDefinition.Issues, LocalId = ticketId, RemoteId = record.RemoteId, LocalUpdatedAt = ticket.UpdatedAt,
            RemoteUpdatedAt = record.ModifiedAt, Fingerprint = SyncFingerprint.Of(record.Fields), UpdatedAt = time.GetUtcNow().UtcDateTime,
        });
        try { await db.SaveChangesAsync(cancellationToken); }
        catch (DbUpdateException) { } // the issue pulled and linked by a sync at this moment, or another attempt's link: the same issue either way
        return Answer(new JsonObject { ["id"] = record.RemoteId, ["key"] = JiraErrors.Text(issue["key"]), ["created"] = created });
    }

    public static string Label(string ticketId) => "switchboard-" + ticketId;

    /// <summary>
    /// One dynamic webhook for the project's issue creations and updates. Jira takes a single delivery URL per app
    /// (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-webhooks/#api-rest-api-3-webhook-post), so
    /// every installation registers the app-wide route (<see cref="InboundApi.ProviderPath"/>), which hands a delivery to
    /// the installations connected to its site (<see cref="ReadAppInbound"/>). One already registered with the same
    /// filter (another installation on the same site and project, or this one before) is refreshed and shared
    /// (<c>PUT /rest/api/3/webhook/refresh</c>: Jira deletes a dynamic webhook 30 days after its registration or last
    /// refresh) instead of added again. Its id and expiry are kept with the tokens, and the scheduled <c>issues</c> sync
    /// refreshes it from then on (<see cref="JiraWebhookRefresh"/>).
    /// </summary>
    private static async Task<ProviderResponse> RegisterWebhooksAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var callback = (context.Options.PublicBaseUrl is { Length: > 0 } publicBase ? publicBase.TrimEnd('/')
            : throw new ProviderException("Jira needs this node's public URL to deliver to: set Switchboard:PublicBaseUrl.", null, "public_url_not_set", retryable: false))
            + Actions.InboundApi.ProviderPath(JiraDefinition.Key, JiraDefinition.Events);
        var jql = JiraSettings.For(context).ProjectClause;
        string[] events = ["jira:issue_created", "jira:issue_updated"];
        await KeepSiteAsync(context, cancellationToken);
        for (var startAt = 0; ;)
        {
            var page = JiraApi.Body(await JiraApi.SendAsync(context, HttpMethod.Get, $"/webhook?startAt={startAt}&maxResults=100", null, cancellationToken));
            var values = (page["values"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            if (values.FirstOrDefault(w => JiraErrors.Text(w["jqlFilter"]) == jql
                    && events.All(e => (w["events"] as JsonArray ?? []).Any(x => JiraErrors.Text(x) == e))) is { } existing)
            {
                var refreshed = JiraApi.Body(await JiraApi.SendAsync(context, HttpMethod.Put, "/webhook/refresh",
                    new JsonObject { ["webhookIds"] = new JsonArray(existing["id"]!.DeepClone()) }, cancellationToken));
                await JiraWebhookRefresh.KeepAsync(context, existing["id"]!, JiraErrors.Text(refreshed["expirationDate"]), cancellationToken);
                return Answer(new JsonObject { ["webhookId"] = existing["id"]!.DeepClone(), ["created"] = false, ["expirationDate"] = refreshed["expirationDate"]?.DeepClone() });
            }
            if (values.Count == 0 || page["isLast"] is JsonValue last && last.TryGetValue<bool>(out var isLast) && isLast) break;
            startAt += values.Count;
        }
        var answer = JiraApi.Body(await JiraApi.SendAsync(context, HttpMethod.Post, "/webhook", new JsonObject
        {
            ["url"] = callback,
            ["webhooks"] = new JsonArray(new JsonObject { ["events"] = new JsonArray([.. events.Select(e => (JsonNode)e)]), ["jqlFilter"] = jql }),
        }, cancellationToken));
        var result = (answer["webhookRegistrationResult"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault();
        if (result?["createdWebhookId"] is not { } webhookId)
            throw new ProviderException("Jira refused the webhook.", 200,
                string.Join("; ", (result?["errors"] as JsonArray ?? []).Select(e => JiraErrors.Text(e)).OfType<string>()), retryable: false);
        // Kept with the tokens, so the scheduled issues sync refreshes it before Jira's 30 days run out (JiraWebhookRefresh).
        await JiraWebhookRefresh.KeepAsync(context, webhookId, null, cancellationToken);
        return Answer(new JsonObject { ["webhookId"] = webhookId.DeepClone(), ["created"] = true });
    }

    /// <summary>
    /// The installation's site as its provider account, where the app-wide route finds it: set when the connection
    /// completes; an installation connected before that kept only the site's URL with its tokens, and gets it here.
    /// </summary>
    private static async Task KeepSiteAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        if (context.Installation.ProviderAccountId is not null) return;
        if (JiraApi.SiteOrigin((await context.Http.TokensAsync(cancellationToken)).ExtraValue(JiraApi.SiteUrlExtra)) is not { } site) return;
        await context.Services.GetRequiredService<SwitchboardDbContext>().Set<IntegrationInstallation>().IgnoreQueryFilters()
            .Where(i => i.Id == context.Installation.Id).ExecuteUpdateAsync(s => s.SetProperty(i => i.ProviderAccountId, site), cancellationToken);
        context.Installation.ProviderAccountId = site;
    }

    /// <summary>The site (its URL's origin) names the installations an app-wide delivery is for.</summary>
    public override string? ProviderAccountExtra => JiraApi.SiteUrlExtra;

    /// <summary>
    /// The app-wide route's first step: verified with the app's client secret (<see cref="JiraWebhookToken"/>; none
    /// configured: 503), then the site it is about, the origin of the issue's (or comment's) <c>self</c> link
    /// (<c>https://acme.atlassian.net/rest/api/3/issue/10001</c>). Each installation connected to that site then gets it
    /// through <see cref="ReceiveAsync"/>.
    /// </summary>
    public override AppInbound? ReadAppInbound(Platform.SwitchboardOptions options, string kind, InboundRequest request)
    {
        if (kind != JiraDefinition.Events) return null;
        var secret = ProviderUrls.Settings(options, JiraDefinition.Key)?.ClientSecret;
        if (string.IsNullOrEmpty(secret)) return AppInbound.Unconfigured;
        if (request.Method != "POST" || !JiraWebhookToken.Verify(request.Header("Authorization"), secret, time.GetUtcNow())) return AppInbound.Refused(InboundResult.Unauthorized);
        var delivery = Delivery(request);
        if (delivery is null) return AppInbound.Refused(NotADelivery);
        var site = JiraApi.SiteOrigin(JiraErrors.Text(delivery["issue"]?["self"])) ?? JiraApi.SiteOrigin(JiraErrors.Text(delivery["comment"]?["self"]));
        return site is null ? AppInbound.Refused(new InboundResult(400, """{"message":"Expected the issue's self link, which names its Jira site."}"""))
            : AppInbound.For([site]);
    }

    private static readonly InboundResult NotADelivery = new(400, """{"message":"Expected a Jira webhook delivery with webhookEvent."}""");

    private static JsonObject? Delivery(InboundRequest request)
    {
        try { return JsonNode.Parse(request.Body) is JsonObject delivery && JiraErrors.Text(delivery["webhookEvent"]) is not null ? delivery : null; }
        catch (System.Text.Json.JsonException) { return null; }
    }

    /// <summary>
    /// A delivery for this installation, handed on by the app-wide route (<see cref="ReadAppInbound"/>), verified again (<see cref="JiraWebhookToken"/>, keyed with the operator's client
    /// secret). A delivery only says that issues changed: it queues the issues sync (or makes a running one due again),
    /// which reads the changes through the API. Nothing of the body is written, so a delivery can change no ticket by
    /// itself. A delivery whose <c>matchedWebhookIds</c> leave out the webhook this installation keeps is another
    /// project's on the same site, and is acknowledged without a sync.
    /// </summary>
    public override async Task<InboundResult> ReceiveAsync(ConnectorContext context, string kind, InboundRequest request, CancellationToken cancellationToken)
    {
        if (kind != JiraDefinition.Events) return InboundResult.NotFound;
        var secret = ProviderUrls.Settings(context.Options, JiraDefinition.Key)?.ClientSecret;
        if (request.Method != "POST" || string.IsNullOrEmpty(secret) || !JiraWebhookToken.Verify(request.Header("Authorization"), secret, time.GetUtcNow()))
            return InboundResult.Unauthorized;
        if (Delivery(request) is not { } delivery) return NotADelivery;
        var type = JiraErrors.Text(delivery["webhookEvent"])!;
        if (!type.StartsWith("jira:issue_", StringComparison.Ordinal) || context.Installation.Status != InstallationStatus.Active) return InboundResult.Ok;
        if (delivery["matchedWebhookIds"] is JsonArray matched && context.Installation.TokensEncrypted is not null
            && (await context.Http.TokensAsync(cancellationToken)).ExtraValue(JiraWebhookRefresh.WebhookIdExtra) is { Length: > 0 } kept
            && !matched.Any(id => id?.ToJsonString() == kept))
            return InboundResult.Ok;

        var db = context.Services.GetRequiredService<SwitchboardDbContext>();
        var outcome = await context.Services.GetRequiredService<SyncQueue>().QueueAsync(db, context.Installation, [JiraDefinition.Issues], SyncTrigger.Webhook, cancellationToken);
        if (outcome.Busy.Count > 0)
        {
            var now = time.GetUtcNow().UtcDateTime;
            await db.Set<IntegrationSyncState>().IgnoreQueryFilters().Where(s => s.InstallationId == context.Installation.Id && s.Model == JiraDefinition.Issues)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.NextRunAt, now), cancellationToken);
        }
        return InboundResult.Ok;
    }

    /// <summary>
    /// Deletes the dynamic webhook <c>register_webhooks</c> kept the id of (<c>DELETE /rest/api/3/webhook</c> with
    /// <c>{"webhookIds":[…]}</c>, https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-webhooks/#api-rest-api-3-webhook-delete;
    /// Jira removes only the calling app's webhooks and ignores other ids), unless another installation on the same
    /// site keeps the same webhook (same project: they share it, and it goes on delivering to them). None kept: nothing
    /// to delete; an unrefreshed dynamic webhook is deleted by Jira 30 days after its last refresh.
    /// </summary>
    public override async Task RemoveProviderStateAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        if (context.Installation.TokensEncrypted is null) return;
        var kept = (await context.Http.TokensAsync(cancellationToken)).ExtraValue(JiraWebhookRefresh.WebhookIdExtra);
        if (!long.TryParse(kept, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)) return;
        if (context.Installation.ProviderAccountId is { } site)
        {
            var secrets = context.Services.GetRequiredService<IntegrationSecrets>();
            var others = await context.Services.GetRequiredService<SwitchboardDbContext>().Set<IntegrationInstallation>().IgnoreQueryFilters().AsNoTracking()
                .Where(i => i.ProviderKey == JiraDefinition.Key && i.ProviderAccountId == site && i.Id != context.Installation.Id && i.TokensEncrypted != null)
                .ToListAsync(cancellationToken);
            if (others.Any(other => secrets.Tokens(other)?.ExtraValue(JiraWebhookRefresh.WebhookIdExtra) == kept)) return;
        }
        await JiraApi.SendAsync(context, HttpMethod.Delete, "/webhook", new JsonObject { ["webhookIds"] = new JsonArray(id) }, cancellationToken);
    }

    private static ProviderResponse Answer(JsonObject body)
    {
        using var answer = new HttpResponseMessage(System.Net.HttpStatusCode.OK);
        return new ProviderResponse(200, body.ToJsonString(), answer.Headers, 0);
    }

    private static ProviderException Invalid(string message) => new(message, null, "invalid_input", retryable: false);
}
