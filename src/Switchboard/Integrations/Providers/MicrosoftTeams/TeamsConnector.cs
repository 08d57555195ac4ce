using System.Text.Json.Nodes;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.MicrosoftTeams;

/// <summary>
/// Microsoft Teams: lead, ticket and payment notifications as Adaptive Cards (1.5), and messages of your own, posted to
/// a channel through a Workflows webhook URL (or a legacy incoming webhook URL). The URL is the credential (write-only);
/// the lead-details card links back to the record with <c>Action.OpenUrl</c>. A webhook has nothing to read, so the
/// connection test posts one small "connection test" card: the only call that proves a URL works.
/// </summary>
public sealed class TeamsConnector : Connector
{
    public const string Key = "microsoft_teams";

    private const string RecordInputs = """
        "title": { "type": "string", "maxLength": 100, "description": "The card's heading before the record's name (default: New lead / Ticket / Payment …)." },
        "recordUrl": { "type": "string", "maxLength": 2000, "description": "Where the card's Open button goes (Action.OpenUrl), e.g. https://crm.example.com/leads/{{data.id}}." }
        """;

    private static readonly ProviderDefinition Declared = new()
    {
        Key = Key,
        Name = "Microsoft Teams",
        Description = "Post new leads, tickets and payments to a Teams channel as Adaptive Cards through a Workflows (or incoming webhook) URL, with a button back to the record.",
        Category = ProviderCategory.Communication,
        Auth = new ProviderAuth(ProviderAuthKind.WebhookUrl),
        ConfigSchema = """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "properties": {
            "webhookUrl": { "type": "string", "format": "uri", "maxLength": 2000, "writeOnly": true, "title": "Webhook URL",
              "description": "The channel's Workflows URL (the \"Post to a channel when a webhook request is received\" template: …logic.azure.com/workflows/… or …environment.api.powerplatform.com/…), or a legacy incoming webhook URL (…webhook.office.com/webhookb2/…). The connection test posts a short card to the channel." }
          },
          "required": ["webhookUrl"],
          "additionalProperties": false
        }
        """,
        Actions =
        [
            .. RecordNotificationActions.For(RecordInputs,
                "Posts a lead-details card (company, email, phone, score, status, source) with an Open lead button back to the record. Input: {\"lead\": \"{{data}}\", \"recordUrl\": \"https://crm.example.com/leads/{{data.id}}\"}.",
                "Posts a ticket card (subject, priority, status, description). Input: {\"ticket\": \"{{data}}\"}.",
                "Posts a payment card (amount, currency, status, method). Input: {\"payment\": \"{{data}}\"}."),
            new("post_message", "Posts a card with your text (template variables filled), under an optional heading.", """
            {
              "type": "object",
              "properties": {
                "title": { "type": "string", "minLength": 1, "maxLength": 200 },
                "text": { "type": "string", "minLength": 1, "maxLength": 4000 }
              },
              "required": ["text"],
              "additionalProperties": false
            }
            """),
        ],
        Triggers = ["lead.created", "lead.*", "ticket.created", "ticket.*", "payment.completed", "payment.*"],
        BaseUrls = new Dictionary<string, string>
        {
            ["workflows"] = "https://logic.azure.com",
            ["powerplatform"] = "https://environment.api.powerplatform.com",
            ["webhook"] = "https://webhook.office.com",
        },
        DocumentationUrl = "https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using",
    };

    public override ProviderDefinition Definition => Declared;

    /// <summary>Posts a small card saying the connection works (a webhook has no read method; only a post proves the URL).</summary>
    public override Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken) =>
        TeamsWebhook.PostAsync(context, TeamsCards.Wrap(TeamsCards.Message("Switchboard connection test",
            $"This channel will receive the notifications of the {context.Installation.Name} integration.")), cancellationToken);

    public override Task<ProviderResponse> RunActionAsync(ConnectorContext context, string action, JsonObject input, CancellationToken cancellationToken)
    {
        var title = TeamsCards.Text(input["title"]);
        var recordUrl = RecordUrl(input);
        var card = action switch
        {
            "notify_lead" => TeamsCards.Lead(Record(input, "lead"), title, recordUrl),
            "notify_ticket" => TeamsCards.Ticket(Record(input, "ticket"), title, recordUrl),
            "notify_payment" => TeamsCards.Payment(Record(input, "payment"), title, recordUrl),
            "post_message" => TeamsCards.Message(title, TeamsCards.Text(input["text"]) ?? throw Invalid("post_message needs text.")),
            _ => throw Invalid($"Microsoft Teams has no action '{action}'."),
        };
        return TeamsWebhook.PostAsync(context, TeamsCards.Wrap(card), cancellationToken);
    }

    private static JsonObject Record(JsonObject input, string name) =>
        input[name] as JsonObject ?? throw Invalid($"input.{name} must be an object (the {name}: \"{{{{data}}}}\").");

    /// <summary>Action.OpenUrl needs an absolute URL; the record's link is the rule's (it knows where the CRM's pages are).</summary>
    private static string? RecordUrl(JsonObject input) => TeamsCards.Text(input["recordUrl"]) switch
    {
        null => null,
        var url when Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" => uri.AbsoluteUri,
        var url => throw Invalid($"input.recordUrl must be an absolute http(s) URL; it was '{url}'."),
    };

    private static ProviderException Invalid(string message) => new(message, null, "invalid_input", retryable: false);
}
