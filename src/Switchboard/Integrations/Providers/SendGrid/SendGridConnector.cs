using System.Text.Json.Nodes;
using Switchboard.Integrations.Actions;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.SendGrid;

/// <summary>
/// SendGrid: transactional mail from CRM events (a dynamic template with the record as its data, or a subject and a
/// plain-text body written with template variables) and Marketing contacts upserted to lists, tagged by lead source (a
/// text custom field, and a list per source). Authenticated by an API key (write-only); the connection test is
/// <c>GET /v3/scopes</c>, which checks the key and that it may send mail.
/// <para>
/// SendGrid's Mail Send has no idempotency key: a send whose 202 was lost is sent again by the queue's retry
/// (at least once). Each message carries the event's id in <c>custom_args.switchboard_event</c>, so a duplicate can be
/// told in SendGrid's activity.
/// </para>
/// </summary>
public sealed class SendGridConnector : Connector
{
    public const string Key = "sendgrid";

    private static readonly ProviderDefinition Declared = new()
    {
        Key = Key,
        Name = "SendGrid",
        Description = "Send transactional email from CRM events with SendGrid dynamic templates or text templates, and add leads and contacts to Marketing lists tagged by lead source.",
        Category = ProviderCategory.Email,
        Auth = new ProviderAuth(ProviderAuthKind.ApiKey),
        ConfigSchema = """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "properties": {
            "apiKey": { "type": "string", "minLength": 20, "maxLength": 200, "writeOnly": true, "title": "API key",
              "description": "A SendGrid API key (Settings → API Keys) with Mail Send and, for contacts, Marketing access." },
            "region": { "enum": ["global", "eu"], "default": "global", "title": "Region", "description": "eu for EU regional subusers (api.eu.sendgrid.com)." },
            "fromEmail": { "type": "string", "format": "email", "maxLength": 254, "title": "From", "description": "The sender: a verified Sender Identity of your SendGrid account." },
            "fromName": { "type": "string", "maxLength": 200, "title": "From name" },
            "replyToEmail": { "type": "string", "format": "email", "maxLength": 254, "title": "Reply-To" },
            "categories": { "type": "array", "maxItems": 10, "uniqueItems": true, "items": { "type": "string", "minLength": 1, "maxLength": 255 },
              "title": "Categories", "description": "SendGrid categories every message carries (at most 10 with the rule's)." },
            "listIds": { "type": "array", "maxItems": 100, "items": { "type": "string", "format": "uuid" }, "title": "Lists",
              "description": "Marketing list ids every upserted contact joins." },
            "listsBySource": { "type": "object", "maxProperties": 100, "additionalProperties": { "type": "string", "format": "uuid" }, "title": "List per lead source",
              "description": "A Marketing list id per lead source, e.g. {\"web\": \"<list id>\", \"event\": \"<list id>\"}: a contact also joins its source's list." },
            "sourceFieldId": { "type": "string", "pattern": "^[A-Za-z0-9_]{1,100}$", "title": "Lead source field",
              "description": "The id of a text custom field (GET /v3/marketing/field_definitions, e.g. e1_T) that receives the lead's source." }
          },
          "required": ["apiKey"],
          "additionalProperties": false
        }
        """,
        Actions =
        [
            new("send_email", "Sends one email with a dynamic template ({\"to\": \"{{data.email}}\", \"templateId\": \"d-…\", \"dynamicTemplateData\": {\"lead\": \"{{data}}\"}}) or a subject and plain-text body with template variables.", """
            {
              "type": "object",
              "properties": {
                "to": { "type": "string", "maxLength": 254 },
                "toName": { "type": "string", "maxLength": 200 },
                "fromEmail": { "type": "string", "maxLength": 254 },
                "fromName": { "type": "string", "maxLength": 200 },
                "templateId": { "type": "string", "pattern": "^d-[0-9a-f]{32}$" },
                "dynamicTemplateData": { "type": "object" },
                "subject": { "type": "string", "minLength": 1, "maxLength": 998 },
                "text": { "type": "string", "minLength": 1, "maxLength": 100000 },
                "categories": { "type": "array", "maxItems": 10, "items": { "type": "string", "maxLength": 255 } }
              },
              "required": ["to"],
              "anyOf": [ { "required": ["templateId"] }, { "required": ["subject", "text"] } ],
              "additionalProperties": false
            }
            """),
            new("upsert_contact", "Adds or updates a Marketing contact from a lead or contact ({\"contact\": \"{{data}}\"}): its lists, its source's list, and its source in the source field.", """
            {
              "type": "object",
              "properties": {
                "contact": { "type": "object", "required": ["email"], "properties": { "email": { "type": "string" } } },
                "source": { "type": "string", "maxLength": 200 },
                "listIds": { "type": "array", "maxItems": 100, "items": { "type": "string", "format": "uuid" } }
              },
              "required": ["contact"],
              "additionalProperties": false
            }
            """),
        ],
        Triggers = ["lead.created", "lead.*", "contact.created", "contact.*", "payment.completed", "ticket.created"],
        BaseUrls = new Dictionary<string, string> { ["api"] = "https://api.sendgrid.com", ["api_eu"] = "https://api.eu.sendgrid.com" },
        DocumentationUrl = "https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send",
    };

    public override ProviderDefinition Definition => Declared;

    /// <summary>
    /// <c>GET /v3/scopes</c>: one cheap read that proves the key (401 otherwise) and, when the installation has a sender
    /// (it is meant to send mail), that the key holds <c>mail.send</c>.
    /// </summary>
    public override async Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var response = await SendGridApi.SendAsync(context, HttpMethod.Get, "/v3/scopes", null, cancellationToken);
        var scopes = (response.Json()?["scopes"] as JsonArray ?? []).Select(SendGridApi.Text).ToHashSet(StringComparer.Ordinal);
        if (context.Value("fromEmail") is not null && !scopes.Contains("mail.send"))
            throw new ProviderException("The API key cannot send mail: it lacks the mail.send scope.", null, "missing_scope: mail.send", retryable: false);
        return response;
    }

    public override async Task<ProviderResponse> RunActionAsync(ConnectorContext context, string action, JsonObject input, CancellationToken cancellationToken)
    {
        switch (action)
        {
            case "send_email":
                var eventId = context.Services.GetService<ActionInvocation>()?.Payload is { } payload ? SendGridApi.Text(JsonNode.Parse(payload)?["id"]) : null;
                var sent = await SendGridApi.SendAsync(context, HttpMethod.Post, "/v3/mail/send", SendGridRequests.Mail(context, input, eventId), cancellationToken);
                // 202 with no body: the message id SendGrid gives in X-Message-Id is what the run's log keeps.
                return sent with { Body = new JsonObject { ["messageId"] = sent.HeaderValue("X-Message-Id") }.ToJsonString() };
            case "upsert_contact":
                return await SendGridApi.SendAsync(context, HttpMethod.Put, "/v3/marketing/contacts", SendGridRequests.Contact(context, input), cancellationToken);
            default:
                throw new ProviderException($"SendGrid has no action '{action}'.", null, "invalid_input", retryable: false);
        }
    }
}
