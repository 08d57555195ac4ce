using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchboard.Integrations.Providers.Discord;

/// <summary>
/// The embeds the Discord connector posts, within Discord's documented embed limits (Message resource, "Embed Limits":
/// title 256 characters, description 4096, at most 25 fields, a field's name 256 and value 1024, footer text 2048,
/// author name 256, and at most 6000 characters across the titles, descriptions, field names and values, footer texts
/// and author names of all the embeds of one message; Execute Webhook: at most 10 embeds). The cards built here are cut
/// to fit; embeds a rule gives are checked (<see cref="Problems"/>) and refused before any call, so the attempt says
/// what to fix rather than Discord's 400. CRM text is escaped for Discord's markdown, so a lead's name cannot become a
/// masked link or a code block.
/// </summary>
public static class DiscordEmbeds
{
    public const int MaxEmbeds = 10, MaxTitle = 256, MaxDescription = 4096, MaxFields = 25, MaxFieldName = 256, MaxFieldValue = 1024,
        MaxFooter = 2048, MaxAuthor = 256, MaxTotal = 6000, MaxContent = 2000;

    /// <summary>Colours of the sidebar (decimal RGB, as the embed's <c>color</c> takes them).</summary>
    private const int Blue = 0x3B82F6, Green = 0x22C55E, Amber = 0xF59E0B, Red = 0xEF4444, Grey = 0x6B7280;

    /// <summary>Backslash-escapes Discord markdown (emphasis, strike, spoiler, code, quotes, headings, masked links, mentions' angle brackets).</summary>
    public static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (c is '\\' or '*' or '_' or '~' or '`' or '|' or '>' or '<' or '[' or ']' or '(' or ')' or '#' or '-' or ':') escaped.Append('\\');
            escaped.Append(c);
        }
        return escaped.ToString();
    }

    public static JsonObject Lead(JsonObject lead, string? title, string? recordUrl, DateTime now)
    {
        var name = Text(lead["name"]) ?? "Unnamed lead";
        var score = Number(lead["score"]);
        var color = score switch { >= 80 => Red, >= 50 => Amber, not null => Blue, _ => Blue };
        return Embed($"{title ?? "New lead"}: {name}", Text(lead["notes"]), recordUrl, color,
            [("Company", Text(lead["company"])), ("Email", Text(lead["email"])), ("Phone", Text(lead["phone"])), ("Score", Text(lead["score"])),
                ("Status", Text(lead["status"])), ("Source", Text(lead["source"]))],
            $"Lead {Text(lead["id"])} · Switchboard", Text(lead["createdAt"]), now);
    }

    public static JsonObject Ticket(JsonObject ticket, string? title, string? recordUrl, DateTime now)
    {
        var priority = Text(ticket["priority"]);
        var color = priority switch { "urgent" => Red, "high" => Amber, "low" => Grey, _ => Blue };
        return Embed($"{title ?? "Ticket"}: {Text(ticket["subject"]) ?? "(no subject)"}", Text(ticket["description"]), recordUrl, color,
            [("Priority", priority), ("Status", Text(ticket["status"])), ("Contact", Text(ticket["contactId"]))],
            $"Ticket {Text(ticket["id"])} · Switchboard", Text(ticket["createdAt"]), now);
    }

    public static JsonObject Payment(JsonObject payment, string? title, string? recordUrl, DateTime now)
    {
        var status = Text(payment["status"]);
        var color = status switch { "completed" => Green, "failed" => Red, "refunded" => Grey, _ => Amber };
        var amount = payment["amount"] is JsonValue a && a.TryGetValue<decimal>(out var value) ? value.ToString("N2", CultureInfo.InvariantCulture) : Text(payment["amount"]);
        var heading = title ?? status switch { "completed" => "Payment received", "failed" => "Payment failed", "refunded" => "Payment refunded", _ => "Payment" };
        return Embed($"{heading}: {amount} {Text(payment["currency"])}".TrimEnd(), Text(payment["description"]), recordUrl, color,
            [("Status", status), ("Method", Text(payment["method"])), ("Contact", Text(payment["contactId"])), ("Reason", Text(payment["failureReason"]))],
            $"Payment {Text(payment["id"])} · Switchboard", Text(payment["updatedAt"]) ?? Text(payment["createdAt"]), now);
    }

    private static JsonObject Embed(string title, string? description, string? url, int color, IEnumerable<(string Name, string? Value)> fields, string footer,
        string? timestamp, DateTime now)
    {
        var embed = new JsonObject { ["title"] = Cut(title, MaxTitle), ["color"] = color };
        if (url is not null) embed["url"] = url;
        if (!string.IsNullOrWhiteSpace(description)) embed["description"] = Cut(Escape(description), 1000);
        var list = new JsonArray();
        foreach (var (name, value) in fields)
            if (!string.IsNullOrWhiteSpace(value) && list.Count < MaxFields)
                list.Add(new JsonObject { ["name"] = name, ["value"] = Cut(Escape(value), MaxFieldValue), ["inline"] = true });
        if (list.Count > 0) embed["fields"] = list;
        embed["footer"] = new JsonObject { ["text"] = Cut(footer, MaxFooter) };
        // ISO 8601, as the embed's timestamp takes it: the record's time when it has one.
        embed["timestamp"] = DateTime.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at)
            ? at.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture) : now.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        return embed;
    }

    /// <summary>What breaks Discord's documented limits in a message's content and embeds (empty when within them).</summary>
    public static List<string> Problems(string? content, JsonArray? embeds)
    {
        var problems = new List<string>();
        if (content is not null && content.Trim().Length > MaxContent) problems.Add($"content is {content.Trim().Length} characters; Discord takes at most {MaxContent}.");
        if (embeds is null) return problems;
        if (embeds.Count > MaxEmbeds) problems.Add($"{embeds.Count} embeds; Discord takes at most {MaxEmbeds} per message.");
        var total = 0;
        for (var i = 0; i < embeds.Count; i++)
        {
            if (embeds[i] is not JsonObject embed) { problems.Add($"embeds[{i}] is not an object."); continue; }
            total += Check(problems, $"embeds[{i}].title", Text(embed["title"]), MaxTitle);
            total += Check(problems, $"embeds[{i}].description", Text(embed["description"]), MaxDescription);
            total += Check(problems, $"embeds[{i}].footer.text", Text(embed["footer"]?["text"]), MaxFooter);
            total += Check(problems, $"embeds[{i}].author.name", Text(embed["author"]?["name"]), MaxAuthor);
            if (embed["fields"] is JsonArray fields)
            {
                if (fields.Count > MaxFields) problems.Add($"embeds[{i}] has {fields.Count} fields; Discord takes at most {MaxFields}.");
                for (var f = 0; f < fields.Count; f++)
                {
                    total += Check(problems, $"embeds[{i}].fields[{f}].name", Text(fields[f]?["name"]), MaxFieldName);
                    total += Check(problems, $"embeds[{i}].fields[{f}].value", Text(fields[f]?["value"]), MaxFieldValue);
                }
            }
        }
        if (total > MaxTotal) problems.Add($"the embeds hold {total} characters in all; Discord takes at most {MaxTotal} per message.");
        return problems;
    }

    /// <summary>The counted length of one text (Discord trims leading and trailing whitespace before it counts), with a problem when over its limit.</summary>
    private static int Check(List<string> problems, string field, string? text, int max)
    {
        var length = text?.Trim().Length ?? 0;
        if (length > max) problems.Add($"{field} is {length} characters; Discord takes at most {max}.");
        return length;
    }

    public static string? Text(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>() is { Length: > 0 } s ? s : null,
        JsonValue v when v.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.ToJsonString(),
        _ => null,
    };

    private static double? Number(JsonNode? node) => node is JsonValue v && v.TryGetValue<double>(out var n) ? n : null;

    public static string Cut(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
