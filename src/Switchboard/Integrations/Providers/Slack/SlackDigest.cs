using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Calls;
using Switchboard.Crm.Deals;
using Switchboard.Crm.Leads;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Providers.Slack;

/// <summary>
/// The digest's numbers, read from the installation's organization's CRM (the context's services act for it: the
/// tenant filter keeps every other organization out): leads created, calls started, deals won and their value over the
/// last day or week, and the period's highest-scored new leads.
/// </summary>
public static class SlackDigest
{
    public static async Task<(string Text, JsonArray Blocks)> BuildAsync(ConnectorContext context, string period, CancellationToken cancellationToken)
    {
        var db = context.Services.GetRequiredService<SwitchboardDbContext>();
        var now = context.Time.GetUtcNow().UtcDateTime;
        var since = now - (period == "weekly" ? TimeSpan.FromDays(7) : TimeSpan.FromDays(1));
        var newLeads = await db.Set<Lead>().CountAsync(l => l.CreatedAt >= since, cancellationToken);
        var calls = await db.Set<Call>().CountAsync(c => c.StartedAt >= since, cancellationToken);
        var won = await db.Set<Deal>().Where(d => d.Stage == DealStage.Won && d.ClosedAt >= since)
            .Select(d => new { d.AmountMicros, d.Currency }).ToListAsync(cancellationToken);
        var currency = won.GroupBy(d => d.Currency).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault() ?? "USD";
        var top = await db.Set<Lead>().Where(l => l.CreatedAt >= since).OrderByDescending(l => l.Score).ThenByDescending(l => l.Id).Take(5)
            .Select(l => new { l.Name, l.Company, l.Score }).ToListAsync(cancellationToken);
        return SlackBlocks.Digest(period, since, newLeads, calls, won.Count, won.Where(d => d.Currency == currency).Sum(d => d.AmountMicros), currency,
            top.Select(l => (l.Name, l.Company, l.Score)).ToList());
    }
}
