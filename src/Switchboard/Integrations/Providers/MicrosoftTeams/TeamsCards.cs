using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchboard.Integrations.Providers.MicrosoftTeams;

/// <summary>
/// The Adaptive Cards (schema version 1.5) the Teams connector posts, wrapped as Teams' incoming webhooks and Workflows
/// take them ("Send Adaptive Cards using an Incoming Webhook": <c>{"type":"message","attachments":[{"contentType":
/// "application/vnd.microsoft.card.adaptive","contentUrl":null,"content":{…card…}}]}</c>). Only elements and actions a
/// webhook renders: TextBlock (the 1.5 <c>heading</c> style), FactSet, and <c>Action.OpenUrl</c> (webhooks support
/// OpenUrl, ShowCard and ToggleVisibility, not Submit). CRM text is escaped for the card's markdown subset, so a name
/// cannot become a link or bold text.
/// </summary>
public static class TeamsCards
{
    public const string Version = "1.5";
    public const string ContentType = "application/vnd.microsoft.card.adaptive";

    /// <summary>Backslash-escapes the markdown an Adaptive Card TextBlock or fact renders (emphasis, links, code).</summary>
    public static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (c is '\\' or '*' or '_' or '[' or ']' or '`' or '#' or '>') escaped.Append('\\');
            escaped.Append(c);
        }
        return escaped.ToString();
    }

    /// <summary>The lead-details card: name, company, contact details, score, status and source, with "Open lead" back to the record.</summary>
    public static JsonObject Lead(JsonObject lead, string? title, string? recordUrl) => Card(
        $"{title ?? "New lead"}: {Text(lead["name"]) ?? "Unnamed lead"}",
        [("Company", Text(lead["company"])), ("Email", Text(lead["email"])), ("Phone", Text(lead["phone"])), ("Score", Text(lead["score"])),
            ("Status", Text(lead["status"])), ("Source", Text(lead["source"]))],
        Text(lead["notes"]), $"Lead {Text(lead["id"])} · Switchboard", recordUrl, "Open lead");

    public static JsonObject Ticket(JsonObject ticket, string? title, string? recordUrl) => Card(
        $"{title ?? "Ticket"}: {Text(ticket["subject"]) ?? "(no subject)"}",
        [("Priority", Text(ticket["priority"])), ("Status", Text(ticket["status"])), ("Contact", Text(ticket["contactId"]))],
        Text(ticket["description"]), $"Ticket {Text(ticket["id"])} · Switchboard", recordUrl, "Open ticket");

    public static JsonObject Payment(JsonObject payment, string? title, string? recordUrl)
    {
        var status = Text(payment["status"]);
        var amount = payment["amount"] is JsonValue a && a.TryGetValue<decimal>(out var value) ? value.ToString("N2", CultureInfo.InvariantCulture) : Text(payment["amount"]);
        var heading = title ?? status switch { "completed" => "Payment received", "failed" => "Payment failed", "refunded" => "Payment refunded", _ => "Payment" };
        return Card($"{heading}: {amount} {Text(payment["currency"])}".TrimEnd(),
            [("Status", status), ("Method", Text(payment["method"])), ("Contact", Text(payment["contactId"])), ("Reason", Text(payment["failureReason"]))],
            Text(payment["description"]), $"Payment {Text(payment["id"])} · Switchboard", recordUrl, "Open payment");
    }

    /// <summary>A card of a title and text (the rule's own message, template variables filled: escaped like CRM text).</summary>
    public static JsonObject Message(string? title, string text) => Card(title, [], text, null, null, null);

    private static JsonObject Card(string? title, IEnumerable<(string Title, string? Value)> facts, string? text, string? footer, string? url, string? urlTitle)
    {
        var body = new JsonArray();
        if (title is not null)
            body.Add(new JsonObject { ["type"] = "TextBlock", ["text"] = Escape(Cut(title, 200)), ["size"] = "Large", ["weight"] = "Bolder", ["style"] = "heading", ["wrap"] = true });
        var factList = new JsonArray();
        foreach (var (name, value) in facts)
            if (!string.IsNullOrWhiteSpace(value)) factList.Add(new JsonObject { ["title"] = name, ["value"] = Escape(Cut(value, 500)) });
        if (factList.Count > 0) body.Add(new JsonObject { ["type"] = "FactSet", ["facts"] = factList });
        if (!string.IsNullOrWhiteSpace(text)) body.Add(new JsonObject { ["type"] = "TextBlock", ["text"] = Escape(Cut(text, 4000)), ["wrap"] = true });
        // The footer is the record's id (server-made: a prefix, an underscore and a ULID) and the product's name: nothing to escape.
        if (footer is not null) body.Add(new JsonObject { ["type"] = "TextBlock", ["text"] = footer, ["size"] = "Small", ["isSubtle"] = true, ["wrap"] = true });
        var card = new JsonObject
        {
            ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json", ["type"] = "AdaptiveCard", ["version"] = Version, ["body"] = body,
            ["msteams"] = new JsonObject { ["width"] = "Full" },
        };
        if (url is not null) card["actions"] = new JsonArray(new JsonObject { ["type"] = "Action.OpenUrl", ["title"] = urlTitle, ["url"] = url });
        return card;
    }

    /// <summary>The webhook's message: one Adaptive Card attachment.</summary>
    public static JsonObject Wrap(JsonObject card) => new()
    {
        ["type"] = "message",
        ["attachments"] = new JsonArray(new JsonObject { ["contentType"] = ContentType, ["contentUrl"] = null, ["content"] = card }),
    };

    public static string? Text(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>() is { Length: > 0 } s ? s : null,
        JsonValue v when v.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.ToJsonString(),
        _ => null,
    };

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
