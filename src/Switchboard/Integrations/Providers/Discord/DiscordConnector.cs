using System.Text.Json.Nodes;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Discord;

/// <summary>
/// Discord: lead, ticket and payment notifications as embeds, and any message, through a channel webhook (Execute
/// Webhook with <c>wait=true</c>). The webhook URL is the credential (write-only); the connection test reads the
/// webhook with its token (Get Webhook with Token), which proves the URL without posting to the channel. Mentions are
/// never parsed (<c>allowed_mentions.parse</c> empty), so CRM text cannot ping anyone; rate limits are Discord's 429
/// (<see cref="DiscordWebhook.Error"/>), waited out by the delivery queue.
/// </summary>
public sealed class DiscordConnector : Connector
{
    public const string Key = "discord";

    private const string RecordInputs = """
        "title": { "type": "string", "maxLength": 100, "description": "The embed's title before the record's name (default: New lead / Ticket / Payment …)." },
        "recordUrl": { "type": "string", "maxLength": 2000, "description": "The embed title's link back to the record, e.g. https://crm.example.com/leads/{{data.id}}." }
        """;

    private static readonly ProviderDefinition Declared = new()
    {
        Key = Key,
        Name = "Discord",
        Description = "Post new leads, tickets and payments to a Discord channel as embeds through a channel webhook, or any message of your own.",
        Category = ProviderCategory.Communication,
        Auth = new ProviderAuth(ProviderAuthKind.WebhookUrl),
        ConfigSchema = """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "properties": {
            "webhookUrl": { "type": "string", "format": "uri", "maxLength": 500, "writeOnly": true, "title": "Webhook URL",
              "pattern": "^https://((ptb|canary)\\.)?discord(app)?\\.com/api(/v[0-9]{1,2})?/webhooks/[0-9]{15,25}/[A-Za-z0-9_.-]{20,200}/?$",
              "description": "The channel webhook's URL (Server Settings → Integrations → Webhooks → Copy Webhook URL): https://discord.com/api/webhooks/{id}/{token}." },
            "username": { "type": "string", "minLength": 1, "maxLength": 80, "title": "Name", "description": "Overrides the webhook's name on each message." },
            "avatarUrl": { "type": "string", "format": "uri", "maxLength": 2000, "title": "Avatar URL", "description": "Overrides the webhook's avatar on each message." }
          },
          "required": ["webhookUrl"],
          "additionalProperties": false
        }
        """,
        Actions =
        [
            .. RecordNotificationActions.For(RecordInputs,
                "Posts a lead embed (name, company, email, phone, score, status, source) linking to the record. Input: {\"lead\": \"{{data}}\"} on lead events.",
                "Posts a ticket embed (subject, priority, status, description). Input: {\"ticket\": \"{{data}}\"} on ticket events.",
                "Posts a payment embed (amount, currency, status, method). Input: {\"payment\": \"{{data}}\"} on payment events."),
            new("post_message", "Posts a message: content (up to 2,000 characters) and/or up to 10 embeds of your own, within Discord's embed limits.", """
            {
              "type": "object",
              "properties": {
                "content": { "type": "string", "minLength": 1, "maxLength": 2000 },
                "embeds": { "type": "array", "minItems": 1, "maxItems": 10, "items": { "type": "object" } }
              },
              "anyOf": [ { "required": ["content"] }, { "required": ["embeds"] } ],
              "additionalProperties": false
            }
            """),
        ],
        Triggers = ["lead.created", "lead.*", "ticket.created", "ticket.*", "payment.completed", "payment.*"],
        BaseUrls = new Dictionary<string, string> { ["api"] = "https://discord.com/api/v10" },
        DocumentationUrl = "https://discord.com/developers/docs/resources/webhook#execute-webhook",
    };

    public override ProviderDefinition Definition => Declared;

    /// <summary>
    /// Get Webhook with Token: one read that proves the id and token (404 Unknown Webhook once it is deleted, 401 for a
    /// wrong token) and posts nothing. The answer's own token and URL are removed before it goes anywhere.
    /// </summary>
    public override async Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var url = DiscordWebhook.Url(context, DiscordWebhook.Parts(context));
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), cancellationToken, authenticate: false);
        if (!response.IsSuccess) throw DiscordWebhook.Error(response, context.Time);
        if (response.Json() is not JsonObject webhook) return response;
        webhook.Remove("token");
        webhook.Remove("url");
        return response with { Body = webhook.ToJsonString() };
    }

    public override async Task<ProviderResponse> RunActionAsync(ConnectorContext context, string action, JsonObject input, CancellationToken cancellationToken)
    {
        var now = context.Time.GetUtcNow().UtcDateTime;
        var title = DiscordEmbeds.Text(input["title"]);
        var recordUrl = RecordUrl(input);
        string? content = null;
        JsonArray? embeds;
        switch (action)
        {
            case "notify_lead": embeds = [DiscordEmbeds.Lead(Record(input, "lead"), title, recordUrl, now)]; break;
            case "notify_ticket": embeds = [DiscordEmbeds.Ticket(Record(input, "ticket"), title, recordUrl, now)]; break;
            case "notify_payment": embeds = [DiscordEmbeds.Payment(Record(input, "payment"), title, recordUrl, now)]; break;
            case "post_message":
                content = DiscordEmbeds.Text(input["content"]);
                embeds = input["embeds"] is JsonArray given ? (JsonArray)given.DeepClone() : null;
                if (content is null && embeds is null) throw Invalid("post_message needs content or embeds.");
                break;
            default: throw Invalid($"Discord has no action '{action}'.");
        }
        if (DiscordEmbeds.Problems(content, embeds) is { Count: > 0 } problems) throw Invalid("The message breaks Discord's limits: " + string.Join(" ", problems));

        var message = new JsonObject();
        if (content is not null) message["content"] = content;
        if (embeds is not null) message["embeds"] = embeds;
        if (context.Value("username") is { } username) message["username"] = username;
        if (context.Value("avatarUrl") is { } avatar) message["avatar_url"] = avatar;
        // No @everyone, role or user pings from CRM text (Discord advises allowed_mentions for user-generated strings).
        message["allowed_mentions"] = new JsonObject { ["parse"] = new JsonArray() };
        return await DiscordWebhook.ExecuteAsync(context, message, cancellationToken);
    }

    private static JsonObject Record(JsonObject input, string name) =>
        input[name] as JsonObject ?? throw Invalid($"input.{name} must be an object (the {name}: \"{{{{data}}}}\").");

    private static string? RecordUrl(JsonObject input) => DiscordEmbeds.Text(input["recordUrl"]) switch
    {
        null => null,
        var url when Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" => uri.AbsoluteUri,
        var url => throw Invalid($"input.recordUrl must be an absolute http(s) URL; it was '{url}'."),
    };

    private static ProviderException Invalid(string message) => new(message, null, "invalid_input", retryable: false);
}
