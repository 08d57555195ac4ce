using Switchboard.Integrations.Catalog;

namespace Switchboard.Integrations.Providers.WhatsApp;

/// <summary>
/// WhatsApp Business Platform, Cloud API (https://developers.facebook.com/docs/whatsapp/cloud-api): lead notifications as
/// approved template messages (<c>POST /{version}/{phone-number-id}/messages</c>, a system user's access token as a
/// bearer token), and inbound messages from the Graph webhook (the <c>hub.challenge</c> handshake and
/// <c>X-Hub-Signature-256</c>) written into the CRM's chat.
/// </summary>
public static class WhatsAppDefinition
{
    public const string Key = "whatsapp_business";
    public const string NotifyLead = "notify_lead";
    public const string Events = "events";

    /// <summary>E.164 (ITU-T E.164: a country code and at most 15 digits in all), with the leading plus.</summary>
    public const string E164Pattern = "^\\+[1-9][0-9]{6,14}$";

    public static ProviderDefinition Create() => new()
    {
        Key = Key,
        Name = "WhatsApp Business (Cloud API)",
        Description = "Notify your team of new leads with approved WhatsApp template messages, and receive customers' WhatsApp messages in the CRM's chat.",
        Category = ProviderCategory.Communication,
        Auth = new ProviderAuth(ProviderAuthKind.ApiKey),
        ConfigSchema = $$"""
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "required": ["phoneNumberId", "accessToken"],
          "additionalProperties": false,
          "properties": {
            "phoneNumberId": { "type": "string", "pattern": "^[0-9]{5,20}$", "title": "Phone number ID", "description": "The business phone number's ID (WhatsApp Manager → API setup), not the number itself." },
            "apiVersion": { "type": "string", "pattern": "^v[0-9]{1,3}\\.[0-9]$", "default": "v21.0", "title": "Graph API version", "description": "The Graph API version in request paths." },
            "recipients": {
              "type": "array", "minItems": 1, "maxItems": 25, "uniqueItems": true, "title": "Recipients",
              "description": "The numbers lead notifications go to, in E.164 (+14155550123), unless a rule names others.",
              "items": { "type": "string", "pattern": "{{E164Pattern.Replace("\\", "\\\\", StringComparison.Ordinal)}}" }
            },
            "templateName": { "type": "string", "pattern": "^[a-z0-9_]{1,512}$", "title": "Template", "description": "The approved message template lead notifications use, unless a rule names another." },
            "languageCode": { "type": "string", "pattern": "^[a-z]{2,3}(_[A-Z]{2})?$", "default": "en_US", "title": "Template language", "description": "The template's language code (en_US, pt_BR, de)." },
            "accessToken": { "type": "string", "minLength": 20, "maxLength": 1000, "writeOnly": true, "title": "Access token", "description": "A system user's access token with whatsapp_business_messaging." },
            "appSecret": { "type": "string", "minLength": 16, "maxLength": 200, "writeOnly": true, "title": "App secret", "description": "Your Meta app's secret: verifies X-Hub-Signature-256 on webhook deliveries (inbound)." },
            "verifyToken": { "type": "string", "minLength": 16, "maxLength": 200, "writeOnly": true, "title": "Verify token", "description": "A secret you choose and also enter in the app's webhook settings: answers the hub.challenge handshake (inbound)." }
          }
        }
        """,
        Actions =
        [
            new(NotifyLead, "Sends an approved template message to each recipient; the template's body parameters come from the event " +
                "(\"parameters\": [\"{{data.name}}\", \"{{data.company}}\", \"{{data.score}}\"]).", $$"""
            {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "parameters": { "type": "array", "maxItems": 20, "items": { "type": ["string", "number", "boolean", "null"] }, "description": "The values of the template body's numbered parameters, in order (text; a missing value is sent as a dash)." },
                "template": { "type": "string", "pattern": "^[a-z0-9_]{1,512}$", "description": "The template; the installation's templateName by default." },
                "languageCode": { "type": "string", "pattern": "^[a-z]{2,3}(_[A-Z]{2})?$" },
                "to": { "type": "array", "minItems": 1, "maxItems": 25, "items": { "type": "string", "pattern": "{{E164Pattern.Replace("\\", "\\\\", StringComparison.Ordinal)}}" }, "description": "Recipients in E.164; the installation's recipients by default." }
              }
            }
            """),
        ],
        Triggers = ["lead.created", "lead.*"],
        Inbound = [Events],
        BaseUrls = new Dictionary<string, string> { ["api"] = "https://graph.facebook.com" },
        DocumentationUrl = "https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages",
    };
}
