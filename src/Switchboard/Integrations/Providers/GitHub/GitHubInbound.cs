using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Pipeline;
using Switchboard.Crm.Tickets;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Syncs;
using Switchboard.Platform;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Providers.GitHub;

/// <summary>
/// GitHub's repository webhook deliveries to the installation's inbound URL (kind <c>events</c>), verified first as
/// "Validating webhook deliveries" describes (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries):
/// <c>X-Hub-Signature-256: sha256=&lt;hex HMAC-SHA256 of the raw body, keyed with the hook's secret&gt;</c>, compared in
/// constant time. GitHub's signature covers no timestamp, so replays are refused by the delivery's GUID
/// (<c>X-GitHub-Delivery</c>, the same on a redelivery, https://docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers),
/// recorded in the id map with the change it made, in one transaction.
/// <para>
/// <c>issues</c> closed (<c>state_reason</c> <c>completed</c>, else <c>not_planned</c>) → the linked ticket <c>resolved</c>
/// (else <c>closed</c>); <c>reopened</c> → <c>open</c>. <c>issue_comment</c> → the <c>comments</c> sync is queued (or made
/// due at once when it runs). <c>ping</c> (sent when the hook is created) → 200.
/// </para>
/// </summary>
public static class GitHubInbound
{
    public const string SignatureHeader = "X-Hub-Signature-256", EventHeader = "X-GitHub-Event", DeliveryHeader = "X-GitHub-Delivery";

    public static async Task<InboundResult> ReceiveAsync(ConnectorContext context, InboundRequest request, CancellationToken cancellationToken)
    {
        if (request.Method != "POST" || !Verifies(context, request)) return InboundResult.Unauthorized;
        var delivery = request.Header(DeliveryHeader);
        var eventName = request.Header(EventHeader);
        JsonObject? payload;
        try { payload = JsonNode.Parse(request.Body) as JsonObject; }
        catch (System.Text.Json.JsonException) { payload = null; }
        if (payload is null || delivery is not { Length: > 0 and <= 40 } || string.IsNullOrEmpty(eventName))
            return new InboundResult(400, """{"error":"Expected a GitHub webhook delivery (X-GitHub-Event, X-GitHub-Delivery and a JSON body)."}""");
        if (eventName == "ping" || context.Installation.Status != InstallationStatus.Active) return InboundResult.Ok;
        // A delivery about another repository (the hook was moved or copied) changes nothing here.
        var repository = GitHubApi.Text(payload["repository"]?["full_name"]);
        if (!string.Equals(repository, $"{GitHubApi.Owner(context)}/{GitHubApi.Repo(context)}", StringComparison.OrdinalIgnoreCase)) return InboundResult.Ok;

        var writer = context.Services.GetRequiredService<CrmWriter>();
        var db = writer.Db;
        try
        {
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            if (await db.Set<IntegrationRecordLink>().IgnoreQueryFilters().AnyAsync(l => l.InstallationId == context.Installation.Id
                    && l.Model == GitHubDefinition.DeliveriesModel && l.RemoteId == delivery, cancellationToken))
                return InboundResult.Ok; // a redelivery: handled before
            var now = context.Time.GetUtcNow().UtcDateTime;
            db.Add(new IntegrationRecordLink
            {
                Id = Ids.New(IntegrationResources.RecordLinks, context.Time), OrganizationId = context.Installation.OrganizationId, InstallationId = context.Installation.Id,
                Model = GitHubDefinition.DeliveriesModel, LocalId = delivery, RemoteId = delivery, RemoteUpdatedAt = now, UpdatedAt = now,
            });
            var saved = false;
            switch (eventName)
            {
                case "issues":
                    saved = await IssueChangedAsync(context, writer, payload, cancellationToken);
                    break;
                case "issue_comment":
                    await QueueCommentsAsync(context, db, cancellationToken);
                    break;
            }
            if (!saved) await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // The same delivery handled by another node at this moment: not acknowledged, so a redelivery finds it done.
            return new InboundResult(503, """{"error":"Busy with the same delivery; try again."}""");
        }
        return InboundResult.Ok;
    }

    /// <summary><c>sha256=</c> and the lowercase hex HMAC-SHA256 of the raw body, compared in constant time.</summary>
    public static bool Verifies(ConnectorContext context, InboundRequest request)
    {
        var secret = context.Services.GetRequiredService<IntegrationSecrets>().Tokens(context.Installation)?.ExtraValue(GitHubConnector.WebhookSecretExtra);
        var header = request.Header(SignatureHeader);
        if (string.IsNullOrEmpty(secret) || string.IsNullOrEmpty(header)) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, request.Body));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.UTF8.GetBytes(header));
    }

    public static string Sign(string secret, byte[] body) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>
    /// An issue closed or reopened (https://docs.github.com/en/webhooks/webhook-events-and-payloads#issues) moves the ticket
    /// it was opened for, through the CRM's write path (<c>ticket.updated</c>, <c>ticket.status_changed</c>). Answers whether
    /// it saved (the delivery's record with it).
    /// </summary>
    private static async Task<bool> IssueChangedAsync(ConnectorContext context, CrmWriter writer, JsonObject payload, CancellationToken cancellationToken)
    {
        var action = GitHubApi.Text(payload["action"]);
        var issue = payload["issue"] as JsonObject;
        var status = action switch
        {
            "closed" => GitHubApi.Text(issue?["state_reason"]) is "not_planned" ? TicketStatus.Closed : TicketStatus.Resolved,
            "reopened" => TicketStatus.Open,
            _ => null,
        };
        if (status is null || GitHubApi.Number(issue?["number"]) is not { } number) return false;
        var remote = number.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var db = writer.Db;
        var ticketId = await db.Set<IntegrationRecordLink>().IgnoreQueryFilters()
            .Where(l => l.InstallationId == context.Installation.Id && l.Model == GitHubDefinition.IssuesModel && l.RemoteId == remote).Select(l => l.LocalId)
            .FirstOrDefaultAsync(cancellationToken);
        if (ticketId is null) return false;
        var ticket = await db.Set<Ticket>().FirstOrDefaultAsync(t => t.Id == ticketId, cancellationToken);
        if (ticket is null || ticket.Status == status) return false;
        var (changed, problem) = await CrmOperations.ChangeAsync(TicketResource.Definition, writer, ticket, t => t.Status = status, cancellationToken);
        if (!changed || problem is not null) return false;
        await CrmOperations.SaveAsync(writer, new DefaultHttpContext { RequestServices = context.Services }, "ticket", 200, null, null, cancellationToken);
        return true;
    }

    /// <summary>Queues the comments sync, as HubSpot's change webhooks do; a run already under way is made due again at once.</summary>
    private static async Task QueueCommentsAsync(ConnectorContext context, SwitchboardDbContext db, CancellationToken cancellationToken)
    {
        var outcome = await context.Services.GetRequiredService<SyncQueue>().QueueAsync(db, context.Installation, [GitHubDefinition.Comments], SyncTrigger.Webhook, cancellationToken);
        if (outcome.Busy.Count > 0)
        {
            var now = context.Time.GetUtcNow().UtcDateTime;
            await db.Set<IntegrationSyncState>().IgnoreQueryFilters().Where(s => s.InstallationId == context.Installation.Id && s.Model == GitHubDefinition.Comments)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.NextRunAt, now), cancellationToken);
        }
    }
}
