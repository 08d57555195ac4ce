using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Calls;
using Switchboard.Crm.Leads;
using Switchboard.Crm.Pipeline;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Providers.Slack;

/// <summary>
/// Slack's requests to an installation (<c>POST /api/v1/integrations/{id}/inbound/{kind}</c>): the
/// <c>/switchboard leads|calls</c> slash command (<see cref="Commands"/>) and the lead card's button
/// (<see cref="Interactions"/>). Every request is verified first, as Slack's "Verifying requests from Slack" describes:
/// <c>X-Slack-Signature</c> must be <c>v0=</c> and the hex HMAC-SHA256, keyed with the app's signing secret, of
/// <c>v0:{X-Slack-Request-Timestamp}:{raw body}</c>, compared in constant time; and the timestamp must be within five
/// minutes of now, so a captured request cannot be replayed later. Anything else is 401 and nothing is read or changed.
/// </summary>
public static class SlackInbound
{
    public const string Commands = "commands", Interactions = "interactions";

    /// <summary>Slack's replay window: "more than five minutes" from local time is refused.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    public static async Task<InboundResult> ReceiveAsync(ConnectorContext context, string kind, InboundRequest request, CancellationToken cancellationToken)
    {
        if (!Verifies(context, request)) return InboundResult.Unauthorized;
        var form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(request.Body));
        return kind switch
        {
            Commands => await CommandAsync(context, form["text"].ToString(), cancellationToken),
            Interactions => await InteractionAsync(context, form["payload"].ToString(), cancellationToken),
            _ => InboundResult.NotFound,
        };
    }

    /// <summary>The v0 signature check (constant time) and the five-minute window.</summary>
    public static bool Verifies(ConnectorContext context, InboundRequest request)
    {
        var secret = context.Credentials["signingSecret"] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;
        var timestamp = request.Header("X-Slack-Request-Timestamp");
        var signature = request.Header("X-Slack-Signature");
        if (secret is null || timestamp is null || signature is null) return false;
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)) return false;
        var age = context.Time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, 0, 253_402_300_799));
        if (age.Duration() > Window) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, timestamp, request.Body));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.UTF8.GetBytes(signature));
    }

    /// <summary><c>v0=</c> and the lowercase hex HMAC-SHA256 of <c>v0:{timestamp}:{body}</c>.</summary>
    public static string Sign(string secret, string timestamp, byte[] body)
    {
        var prefix = Encoding.UTF8.GetBytes($"v0:{timestamp}:");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message, prefix.Length);
        return "v0=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message));
    }

    /// <summary>
    /// <c>/switchboard leads</c> or <c>/switchboard calls</c>: the organization's five newest, answered ephemerally (only
    /// the user who asked sees it) within Slack's three seconds, as the command's immediate response.
    /// </summary>
    private static async Task<InboundResult> CommandAsync(ConnectorContext context, string text, CancellationToken cancellationToken)
    {
        var db = context.Services.GetRequiredService<SwitchboardDbContext>();
        var what = text.Trim().ToLowerInvariant();
        string title;
        List<string> lines;
        if (what == "leads")
        {
            title = "Newest leads";
            lines = (await db.Set<Lead>().AsNoTracking().OrderByDescending(l => l.Id).Take(5)
                    .Select(l => new { l.Id, l.Name, l.Company, l.Status, l.Score }).ToListAsync(cancellationToken))
                .Select(l => $"• *{SlackBlocks.Escape(l.Name)}*{(l.Company is null ? "" : " — " + SlackBlocks.Escape(l.Company))} · {l.Status} · score {l.Score} (`{l.Id}`)").ToList();
        }
        else if (what == "calls")
        {
            title = "Newest calls";
            lines = (await db.Set<Call>().AsNoTracking().OrderByDescending(c => c.Id).Take(5)
                    .Select(c => new { c.Id, c.Direction, c.FromNumber, c.ToNumber, c.Status, c.DurationSeconds, c.StartedAt }).ToListAsync(cancellationToken))
                .Select(c => $"• {c.Direction} {SlackBlocks.Escape(c.FromNumber)} → {SlackBlocks.Escape(c.ToNumber)} · {c.Status} · {c.DurationSeconds} s · {c.StartedAt:yyyy-MM-dd HH:mm} UTC").ToList();
        }
        else
        {
            return Json(new JsonObject { ["response_type"] = "ephemeral", ["text"] = "Usage: `/switchboard leads` or `/switchboard calls`." });
        }
        var body = lines.Count == 0 ? "Nothing yet." : string.Join("\n", lines);
        return Json(new JsonObject
        {
            ["response_type"] = "ephemeral",
            ["text"] = $"{title}:\n{body}",
            ["blocks"] = new JsonArray(SlackBlocks.Header(title), SlackBlocks.Section(body)),
        });
    }

    /// <summary>
    /// A <c>block_actions</c> payload (form field <c>payload</c>, JSON): the lead card's "Mark contacted" sets the lead's
    /// status through the CRM's write path, so the change is versioned and emits <c>lead.updated</c> like any other.
    /// Slack wants a 200 within three seconds; what it shows comes from later messages, so the answer has no body.
    /// </summary>
    private static async Task<InboundResult> InteractionAsync(ConnectorContext context, string payload, CancellationToken cancellationToken)
    {
        JsonObject? json;
        try { json = JsonNode.Parse(payload) as JsonObject; }
        catch (System.Text.Json.JsonException) { json = null; }
        if (json is null) return new InboundResult(400, """{"error":"payload must be JSON"}""");
        if (SlackBlocks.Text(json["type"]) != "block_actions" || json["actions"] is not JsonArray actions) return InboundResult.Ok;
        foreach (var action in actions.OfType<JsonObject>())
        {
            if (SlackBlocks.Text(action["action_id"]) != SlackBlocks.MarkContactedAction || SlackBlocks.Text(action["value"]) is not { } leadId) continue;
            await MarkContactedAsync(context, leadId, cancellationToken);
        }
        return InboundResult.Ok;
    }

    private static async Task MarkContactedAsync(ConnectorContext context, string leadId, CancellationToken cancellationToken)
    {
        var writer = context.Services.GetRequiredService<CrmWriter>();
        var http = new DefaultHttpContext { RequestServices = context.Services };
        var (lead, problem) = await LeadResource.Definition.FindAsync(writer, leadId, http, checkIfMatch: false, cancellationToken);
        if (lead is null || problem is not null || lead.Status is LeadStatus.Contacted or LeadStatus.Converted) return;
        var (changed, refused) = await LeadResource.Definition.ChangeAsync(writer, lead, l => l.Status = LeadStatus.Contacted, cancellationToken);
        if (changed && refused is null) await CrmOperations.SaveAsync(writer, http, LeadResource.Definition.Singular, 200, null, null, cancellationToken);
    }

    private static InboundResult Json(JsonObject body) => new(200, body.ToJsonString());
}
