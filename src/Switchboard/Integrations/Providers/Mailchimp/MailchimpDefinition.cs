using Switchboard.Integrations.Catalog;

namespace Switchboard.Integrations.Providers.Mailchimp;

/// <summary>
/// Mailchimp's catalog entry. OAuth 2.0 (https://mailchimp.com/developer/marketing/guides/access-user-data-oauth-2/):
/// authorize at login.mailchimp.com/oauth2/authorize, exchange at /oauth2/token; Mailchimp's tokens do not expire and it
/// has no scopes. The account's data centre and API endpoint come from /oauth2/metadata, read once after the exchange
/// (<see cref="MailchimpConnector.CompleteConnectionAsync"/>).
/// </summary>
public static class MailchimpDefinition
{
    public const string Key = "mailchimp";
    public const string UpsertMember = "upsert_member", TriggerJourney = "trigger_journey", SendCampaign = "send_campaign", SubscribeWebhooks = "subscribe_webhooks";
    public const string Events = "events";
    /// <summary>The id map's models: journey triggers and campaign sends made (repeat safety), and webhook events handled.</summary>
    public const string JourneyModel = "journey_triggers", WebhookModel = "webhook_events";

    public static ProviderDefinition Create() => new()
    {
        Key = Key,
        Name = "Mailchimp",
        Description = "Audience members upserted from leads and contacts (subscriber hash = MD5 of the lower-cased email) and tagged with the lead's source; " +
            "a customer journey step or a campaign triggered by a CRM event; unsubscribes and profile changes recorded on the CRM contact.",
        Category = ProviderCategory.Marketing,
        Auth = new ProviderAuth(ProviderAuthKind.OAuth2)
        {
            AuthorizeUrl = "https://login.mailchimp.com/oauth2/authorize",
            TokenUrl = "https://login.mailchimp.com/oauth2/token",
            Scopes = [],
            ClientAuthentication = "post",
        },
        ConfigSchema = """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "required": ["listId"],
          "additionalProperties": false,
          "properties": {
            "listId": { "type": "string", "pattern": "^[A-Za-z0-9]{1,20}$", "title": "Audience id", "description": "The audience (list) members are upserted into (Audience → Settings → Audience name and defaults)." },
            "statusIfNew": { "enum": ["subscribed", "pending", "transactional"], "default": "pending", "title": "Status of new members", "description": "pending sends Mailchimp's double opt-in confirmation; subscribed only with the person's consent." }
          }
        }
        """,
        Actions =
        [
            new(UpsertMember, "Adds or updates the audience member for an email (PUT by subscriber hash) and tags it with the source. Input on lead.created: " +
                "{\"email\": \"{{data.email}}\", \"firstName\": \"{{data.name}}\", \"tag\": \"{{data.source}}\"}.", """
            {
              "type": "object", "required": ["email"], "additionalProperties": false,
              "properties": {
                "email": { "type": "string", "maxLength": 320 },
                "firstName": { "type": "string", "maxLength": 200 },
                "lastName": { "type": "string", "maxLength": 200 },
                "tag": { "type": "string", "maxLength": 100, "description": "A tag for the member (the lead's source); empty for none." }
              }
            }
            """),
            new(TriggerJourney, "Triggers a Customer Journey step (an API-triggered starting point) for an email, once per idempotencyKey.", """
            {
              "type": "object", "required": ["journeyId", "stepId", "email"], "additionalProperties": false,
              "properties": {
                "journeyId": { "type": "string", "pattern": "^[0-9]{1,12}$" },
                "stepId": { "type": "string", "pattern": "^[0-9]{1,12}$" },
                "email": { "type": "string", "maxLength": 320 },
                "idempotencyKey": { "type": "string", "maxLength": 100, "description": "Defaults to journey, step and email: the same person is triggered once." }
              }
            }
            """),
            new(SendCampaign, "Sends a prepared campaign now; a campaign Mailchimp already sent is not sent again.", """
            {
              "type": "object", "required": ["campaignId"], "additionalProperties": false,
              "properties": { "campaignId": { "type": "string", "pattern": "^[A-Za-z0-9]{1,20}$" } }
            }
            """),
            new(SubscribeWebhooks, "Creates the audience webhook (unsubscribe, profile, cleaned, email changes) delivering to this installation's inbound URL with a generated secret in its query.", """
            { "type": "object", "additionalProperties": false, "properties": {} }
            """),
        ],
        Triggers = ["lead.created", "contact.created", "deal.*", "payment.completed", "integration.scheduled"],
        Inbound = [Events],
        // The API's host is the account's data centre's (https://<dc>.api.mailchimp.com/3.0), read from the metadata endpoint.
        BaseUrls = new Dictionary<string, string> { ["login"] = "https://login.mailchimp.com" },
        DocumentationUrl = "https://mailchimp.com/developer/marketing/api/",
    };
}
