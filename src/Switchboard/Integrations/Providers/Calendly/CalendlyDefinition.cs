using Switchboard.Integrations.Catalog;

namespace Switchboard.Integrations.Providers.Calendly;

/// <summary>
/// Calendly, API v2 (https://developer.calendly.com/api-docs): bookings and cancellations from webhook subscriptions
/// (<c>invitee.created</c>, <c>invitee.canceled</c>) become leads and meeting activities in the CRM; the booking link is
/// offered in chat replies. Authenticates with a personal access token, or an OAuth 2.0 connection.
/// </summary>
public static class CalendlyDefinition
{
    public const string Key = "calendly";
    public const string SubscribeWebhooks = "subscribe_webhooks", OfferBookingLink = "offer_booking_link";
    public const string Events = "events";
    public static readonly IReadOnlyList<string> WebhookEvents = ["invitee.created", "invitee.canceled"];

    public static ProviderDefinition Create() => new()
    {
        Key = Key,
        Name = "Calendly",
        Description = "Turn Calendly bookings into leads and meeting activities (cancellations cancel them), and offer your booking link in chat replies.",
        Category = ProviderCategory.Calendar,
        Auth = new ProviderAuth(ProviderAuthKind.OAuth2)
        {
            AuthorizeUrl = "https://auth.calendly.com/oauth/authorize",
            TokenUrl = "https://auth.calendly.com/oauth/token",
            RevokeUrl = "https://auth.calendly.com/oauth/revoke",
            Scopes = ["users:read", "webhooks:read", "webhooks:write"],
            Pkce = true,
            ClientAuthentication = "post",
        },
        ConfigSchema = """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "required": ["webhookSigningKey"],
          "additionalProperties": false,
          "properties": {
            "personalAccessToken": { "type": "string", "minLength": 20, "maxLength": 2000, "writeOnly": true, "title": "Personal access token", "description": "A Calendly personal access token (Integrations → API and webhooks), instead of connecting with OAuth." },
            "webhookSigningKey": { "type": "string", "minLength": 16, "maxLength": 200, "writeOnly": true, "title": "Webhook signing key", "description": "Verifies Calendly-Webhook-Signature on deliveries. With a personal access token: a random secret you choose (Switchboard gives it to Calendly when it subscribes). With OAuth: your Calendly OAuth app's webhook signing key." },
            "scope": { "enum": ["organization", "user"], "default": "organization", "title": "Subscription scope", "description": "Bookings of the whole Calendly organization (owners and admins) or of the connected user only." },
            "schedulingUrl": { "type": "string", "format": "uri", "pattern": "^https://", "maxLength": 500, "title": "Booking link", "description": "The link offered in chat replies (an event type's page, say); the connected user's scheduling page when unset." },
            "leadSource": { "type": "string", "maxLength": 100, "default": "calendly", "title": "Lead source", "description": "The source of leads made from bookings." }
          }
        }
        """,
        Actions =
        [
            new(SubscribeWebhooks, "Subscribes this installation's inbound URL to invitee.created and invitee.canceled (once: an existing subscription is kept; a disabled one is replaced).", """
            { "type": "object", "additionalProperties": false, "properties": {} }
            """),
            new(OfferBookingLink, "Replies in a chat session with the booking link (a bot message); the output names the link. Input: {\"sessionId\": \"{{data.sessionId}}\"} on chat.message_received.", """
            {
              "type": "object", "required": ["sessionId"], "additionalProperties": false,
              "properties": {
                "sessionId": { "type": "string", "description": "The chat session (chs_…) to reply in." },
                "text": { "type": "string", "minLength": 1, "maxLength": 1000, "description": "The reply; the link is added after it." }
              }
            }
            """),
        ],
        Triggers = ["chat.message_received", "integration.scheduled"],
        Inbound = [Events],
        BaseUrls = new Dictionary<string, string> { ["api"] = "https://api.calendly.com" },
        DocumentationUrl = "https://developer.calendly.com/api-docs",
    };
}
