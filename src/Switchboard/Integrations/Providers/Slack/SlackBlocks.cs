using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchboard.Integrations.Providers.Slack;

/// <summary>
/// The Block Kit messages the Slack connector posts (header, section with fields, actions with a button, context), kept
/// within Block Kit's documented limits: a header's plain text at most 150 characters, a section field's text at most
/// 2,000, at most 10 fields, a button's value at most 2,000. Text from the CRM is escaped for mrkdwn (Slack's formatting
/// reference: <c>&amp;</c>, <c>&lt;</c>, <c>&gt;</c> become entities, so a lead named "&lt;!channel&gt;" pings no one).
/// </summary>
public static class SlackBlocks
{
    /// <summary>The action id of the lead card's button; its value is the lead's id.</summary>
    public const string MarkContactedAction = "switchboard_mark_contacted";

    public static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal);

    public static JsonObject Header(string text) => new()
    {
        ["type"] = "header", ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = Cut(text, 150), ["emoji"] = true },
    };

    public static JsonObject Section(string mrkdwn) => new()
    {
        ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = Cut(mrkdwn, 3000) },
    };

    /// <summary>A section of labelled fields (<c>*Label*\nvalue</c>), the empty ones left out.</summary>
    public static JsonObject? Fields(IEnumerable<(string Label, string? Value)> fields)
    {
        var list = new JsonArray();
        foreach (var (label, value) in fields)
        {
            if (string.IsNullOrWhiteSpace(value) || list.Count == 10) continue;
            list.Add(new JsonObject { ["type"] = "mrkdwn", ["text"] = Cut($"*{label}*\n{Escape(value)}", 2000) });
        }
        return list.Count == 0 ? null : new JsonObject { ["type"] = "section", ["fields"] = list };
    }

    public static JsonObject Button(string text, string actionId, string value, string? style = null)
    {
        var button = new JsonObject
        {
            ["type"] = "button", ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = Cut(text, 75) }, ["action_id"] = actionId, ["value"] = Cut(value, 2000),
        };
        if (style is not null) button["style"] = style;
        return button;
    }

    public static JsonObject Actions(string blockId, params JsonObject[] elements) => new()
    {
        ["type"] = "actions", ["block_id"] = blockId, ["elements"] = new JsonArray(elements.Select(e => (JsonNode)e).ToArray()),
    };

    public static JsonObject Context(string mrkdwn) => new()
    {
        ["type"] = "context", ["elements"] = new JsonArray(new JsonObject { ["type"] = "mrkdwn", ["text"] = Cut(mrkdwn, 2000) }),
    };

    /// <summary>The new-lead card: who, from where, how hot, and a "Mark contacted" button carrying the lead's id.</summary>
    public static (string Text, JsonArray Blocks) Lead(JsonObject lead, string? title)
    {
        var id = Text(lead["id"]) ?? "";
        var name = Text(lead["name"]) ?? "Unnamed lead";
        var company = Text(lead["company"]);
        var score = Text(lead["score"]);
        var heading = title ?? "New lead";
        var blocks = new JsonArray { Header($"{heading}: {name}") };
        if (Fields([("Company", company), ("Email", Text(lead["email"])), ("Phone", Text(lead["phone"])), ("Score", score), ("Status", Text(lead["status"])),
                ("Source", Text(lead["source"]))]) is { } fields)
            blocks.Add(fields);
        if (id.Length > 0 && Text(lead["status"]) is not ("contacted" or "converted"))
            blocks.Add(Actions("lead_actions", Button("Mark contacted", MarkContactedAction, id, "primary")));
        blocks.Add(Context($"Lead `{Escape(id)}` · Switchboard"));
        // The top-level text is the notification's, and Slack formats it as mrkdwn: escaped, like the fields.
        var text = Escape($"{heading}: {name}" + (company is null ? "" : $" ({company})") + (score is null ? "" : $", score {score}"));
        return (text, blocks);
    }

    /// <summary>The ticket card: subject, priority, status and the start of the description.</summary>
    public static (string Text, JsonArray Blocks) Ticket(JsonObject ticket, string? title)
    {
        var id = Text(ticket["id"]) ?? "";
        var subject = Text(ticket["subject"]) ?? "(no subject)";
        var heading = title ?? "Ticket";
        var blocks = new JsonArray { Header($"{heading}: {subject}") };
        if (Fields([("Priority", Text(ticket["priority"])), ("Status", Text(ticket["status"])), ("Contact", Text(ticket["contactId"]))]) is { } fields) blocks.Add(fields);
        if (Text(ticket["description"]) is { Length: > 0 } description) blocks.Add(Section(Escape(Cut(description, 500))));
        blocks.Add(Context($"Ticket `{Escape(id)}` · Switchboard"));
        var priority = Text(ticket["priority"]);
        return (Escape($"{heading}: {subject}" + (priority is null ? "" : $" ({priority} priority)")), blocks);
    }

    /// <summary>The digest: the period's counts, and the newest leads.</summary>
    public static (string Text, JsonArray Blocks) Digest(string period, DateTime since, int newLeads, int calls, int dealsWon, long wonMicros, string currency,
        IReadOnlyList<(string Name, string? Company, int Score)> topLeads)
    {
        var label = period == "weekly" ? "Weekly" : "Daily";
        var amount = (wonMicros / 1_000_000m).ToString("N2", CultureInfo.InvariantCulture);
        var blocks = new JsonArray
        {
            Header($"{label} CRM digest"),
            Fields([("New leads", newLeads.ToString(CultureInfo.InvariantCulture)), ("Calls", calls.ToString(CultureInfo.InvariantCulture)),
                ("Deals won", dealsWon.ToString(CultureInfo.InvariantCulture)), ("Won value", $"{amount} {currency}")])!,
        };
        if (topLeads.Count > 0)
            blocks.Add(Section("*Top new leads*\n" + string.Join("\n", topLeads.Select(l => $"• {Escape(l.Name)}{(l.Company is null ? "" : " — " + Escape(l.Company))} (score {l.Score})"))));
        blocks.Add(Context($"Since {since:yyyy-MM-dd HH:mm} UTC · Switchboard"));
        return ($"{label} CRM digest: {newLeads} new leads, {calls} calls, {dealsWon} deals won", blocks);
    }

    /// <summary>A JSON value as text (strings as they are, numbers as JSON writes them), or null.</summary>
    public static string? Text(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>() is { Length: > 0 } s ? s : null,
        JsonValue v when v.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.ToJsonString(),
        _ => null,
    };

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
