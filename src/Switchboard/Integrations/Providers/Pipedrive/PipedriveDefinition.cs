using Switchboard.Integrations.Catalog;

namespace Switchboard.Integrations.Providers.Pipedrive;

/// <summary>
/// Pipedrive's catalog entry: OAuth 2.0 with HTTP Basic client authentication (https://developers.pipedrive.com/docs/api/v1/Oauth),
/// API v1 on the company's api_domain, the deals sync, the actions, and webhooks authenticated by HTTP Basic
/// (https://pipedrive.readme.io/docs/guide-for-webhooks).
/// </summary>
public static class PipedriveDefinition
{
    public const string Key = "pipedrive";
    public const string CreatePerson = "create_person", CreateDeal = "create_deal", UpdateDealStage = "update_deal_stage", AddNote = "add_note",
        AddActivity = "add_activity", SubscribeWebhooks = "subscribe_webhooks";
    public const string Deals = "deals", Events = "events";

    private const string DealId = """{ "type": ["string", "integer"], "description": "The Pipedrive deal id, or a CRM deal id (deal_…) the deals sync has linked." }""";

    public static ProviderDefinition Create() => new()
    {
        Key = Key,
        Name = "Pipedrive",
        Description = "Two-way sync of deals with a Pipedrive company (stages mapped, won and lost), persons and deals created from CRM events, deal stages " +
            "updated, notes and activities added, and Pipedrive's deal webhooks starting an incremental sync.",
        Category = ProviderCategory.Crm,
        Auth = new ProviderAuth(ProviderAuthKind.OAuth2)
        {
            AuthorizeUrl = "https://oauth.pipedrive.com/oauth/authorize",
            TokenUrl = "https://oauth.pipedrive.com/oauth/token",
            // Pipedrive's scopes are set on the app in the Marketplace Manager, not in the authorize request.
            Scopes = [],
            ClientAuthentication = "basic",
        },
        ConfigSchema = $$"""
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "stageMapping": {
              "type": "object", "title": "Stage mapping",
              "description": "CRM deal stage → Pipedrive stage id. Unset: the default pipeline's lead → 1, qualification → 2, proposal → 4, negotiation → 5. Won and lost are Pipedrive statuses.",
              "propertyNames": { "enum": ["lead", "qualification", "proposal", "negotiation"] },
              "additionalProperties": { "type": "integer", "minimum": 1 }
            },
            "conflictWinner": {
              "type": "object", "title": "Conflict winner",
              "description": "Per synced field (or * for the rest), which side wins when both changed since the last sync: newest (default), remote or local.",
              "additionalProperties": { "enum": ["newest", "remote", "local"] }
            },
            "syncIntervalSeconds": { "type": "integer", "minimum": 60, "maximum": 86400, "title": "Sync interval", "description": "How often scheduled syncs run (default 900 s)." },
            "deleteLocal": { "type": "boolean", "default": false, "title": "Delete CRM deals", "description": "Delete the CRM deal when its Pipedrive deal is deleted." }
          }
        }
        """,
        Actions =
        [
            new(CreatePerson, "Creates a Pipedrive person, unless one with the email exists.", """
            {
              "type": "object", "required": ["name", "email"], "additionalProperties": false,
              "properties": { "name": { "type": "string", "minLength": 1, "maxLength": 255 }, "email": { "type": "string", "format": "email" }, "phone": { "type": "string", "maxLength": 50 } }
            }
            """),
            new(CreateDeal, "Creates a Pipedrive deal (for the person with the email, when given), unless that person already has an open deal with the title.", """
            {
              "type": "object", "required": ["title"], "additionalProperties": false,
              "properties": {
                "title": { "type": "string", "minLength": 1, "maxLength": 255 }, "value": { "type": "number", "minimum": 0 },
                "currency": { "type": "string", "pattern": "^[A-Z]{3}$" }, "stage": { "enum": ["lead", "qualification", "proposal", "negotiation", "won", "lost"] },
                "personEmail": { "type": "string", "format": "email" }, "expectedCloseDate": { "type": "string", "format": "date" }
              }
            }
            """),
            new(UpdateDealStage, "Moves a Pipedrive deal to the mapped stage of a CRM stage (won and lost set its status).", $$"""
            {
              "type": "object", "required": ["dealId", "stage"], "additionalProperties": false,
              "properties": { "dealId": {{DealId}}, "stage": { "enum": ["lead", "qualification", "proposal", "negotiation", "won", "lost"] } }
            }
            """),
            new(AddNote, "Adds a note to a Pipedrive deal, once.", $$"""
            {
              "type": "object", "required": ["dealId", "content"], "additionalProperties": false,
              "properties": { "dealId": {{DealId}}, "content": { "type": "string", "minLength": 1, "maxLength": 100000 } }
            }
            """),
            new(AddActivity, "Adds an activity (call, meeting, task, …) to a Pipedrive deal, once.", $$"""
            {
              "type": "object", "required": ["dealId", "subject"], "additionalProperties": false,
              "properties": {
                "dealId": {{DealId}}, "subject": { "type": "string", "minLength": 1, "maxLength": 255 },
                "type": { "type": "string", "pattern": "^[a-z_]{1,50}$", "default": "call" }, "dueDate": { "type": "string", "format": "date" },
                "done": { "type": "boolean", "default": false }, "note": { "type": "string", "maxLength": 100000 }
              }
            }
            """),
            new(SubscribeWebhooks, "Registers a Pipedrive webhook for deal changes to this installation's inbound URL, with HTTP Basic credentials it generates.", """
            { "type": "object", "additionalProperties": false, "properties": {} }
            """),
        ],
        Triggers = ["contact.created", "deal.created", "deal.stage_changed", "deal.updated", "activity.created"],
        Syncs = [new(Deals, "deals", SyncDirection.TwoWay, 900, "Pipedrive deals ↔ CRM deals: title, value, currency, stage (mapped; won and lost), expected close date.")],
        Inbound = [Events],
        DocumentationUrl = "https://developers.pipedrive.com/docs/api/v1",
    };
}
