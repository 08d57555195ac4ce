using Switchboard.Integrations.Catalog;

namespace Switchboard.Integrations.Providers.HubSpot;

/// <summary>HubSpot's catalog entry: OAuth 2.0 (https://developers.hubspot.com/docs/api/oauth-quickstart-guide), syncs, actions, webhooks.</summary>
public static class HubSpotDefinition
{
    public const string Key = "hubspot";
    public const string LogCall = "log_call", AddNote = "add_note", CreateDeal = "create_deal";
    public const string Contacts = "contacts", Deals = "deals";

    public static ProviderDefinition Create() => new()
    {
        Key = Key,
        Name = "HubSpot",
        Description = "Two-way sync of contacts and deals (pipeline stages mapped) with a HubSpot account, calls and notes logged on the contact's " +
            "timeline, deals created from qualified leads, and HubSpot's change webhooks starting an incremental sync.",
        Category = ProviderCategory.Crm,
        Auth = new ProviderAuth(ProviderAuthKind.OAuth2)
        {
            AuthorizeUrl = "https://app.hubspot.com/oauth/authorize",
            TokenUrl = "https://api.hubapi.com/oauth/v1/token",
            // HubSpot's scopes are space-separated in the authorize URL; "oauth" is required of every app.
            Scopes = ["oauth", "crm.objects.contacts.read", "crm.objects.contacts.write", "crm.objects.deals.read", "crm.objects.deals.write"],
            ClientAuthentication = "post",
        },
        ConfigSchema = """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "pipeline": { "type": "string", "maxLength": 100, "default": "default", "description": "The HubSpot deal pipeline new deals go into." },
            "stageMapping": {
              "type": "object",
              "description": "CRM deal stage → HubSpot deal stage id (internal value). Unset stages use HubSpot's default pipeline's ids.",
              "propertyNames": { "enum": ["lead", "qualification", "proposal", "negotiation", "won", "lost"] },
              "additionalProperties": { "type": "string", "minLength": 1, "maxLength": 100 }
            },
            "conflictWinner": {
              "type": "object",
              "description": "Per synced field (or * for the rest), which side wins when both changed since the last sync: newest (default), remote or local.",
              "additionalProperties": { "enum": ["newest", "remote", "local"] }
            },
            "syncIntervalSeconds": { "type": "integer", "minimum": 60, "maximum": 86400, "description": "How often scheduled syncs run (default 900 s)." },
            "deleteLocal": { "type": "boolean", "default": false, "description": "Delete the CRM record when its HubSpot record is deleted." }
          }
        }
        """,
        Actions =
        [
            new(LogCall, "Logs a call on a HubSpot contact's timeline (a call engagement associated with the contact).", """
            {
              "type": "object", "required": ["contactId"], "additionalProperties": false,
              "properties": {
                "contactId": { "type": "string", "description": "The HubSpot contact id, or a CRM contact id (con_…) the contacts sync has linked." },
                "title": { "type": "string", "maxLength": 200 },
                "body": { "type": "string", "maxLength": 65536 },
                "direction": { "enum": ["INBOUND", "OUTBOUND"] },
                "durationSeconds": { "type": "integer", "minimum": 0 },
                "status": { "enum": ["COMPLETED", "BUSY", "NO_ANSWER", "FAILED", "CANCELED"] },
                "timestamp": { "type": "string", "format": "date-time" }
              }
            }
            """),
            new(AddNote, "Adds a note to a HubSpot contact's timeline.", """
            {
              "type": "object", "required": ["contactId", "body"], "additionalProperties": false,
              "properties": {
                "contactId": { "type": "string", "description": "The HubSpot contact id, or a CRM contact id (con_…) the contacts sync has linked." },
                "body": { "type": "string", "minLength": 1, "maxLength": 65536 },
                "timestamp": { "type": "string", "format": "date-time" }
              }
            }
            """),
            new(CreateDeal, "Creates a HubSpot deal (from a qualified lead, say), associated with a contact when one is given.", """
            {
              "type": "object", "required": ["name"], "additionalProperties": false,
              "properties": {
                "name": { "type": "string", "minLength": 1, "maxLength": 200 },
                "amount": { "type": "number", "minimum": 0 },
                "currency": { "type": "string", "pattern": "^[A-Z]{3}$" },
                "stage": { "type": "string", "description": "A CRM deal stage (mapped by stageMapping) or a HubSpot stage id." },
                "contactId": { "type": "string", "description": "The HubSpot contact id, or a CRM contact id (con_…) the contacts sync has linked." },
                "closeDate": { "type": "string", "format": "date" }
              }
            }
            """),
        ],
        Triggers = ["lead.*", "call.*", "contact.*", "deal.*"],
        Syncs =
        [
            new(Contacts, "contacts", SyncDirection.TwoWay, 900, "HubSpot contacts ↔ CRM contacts: first and last name, email, phone, company, job title."),
            new(Deals, "deals", SyncDirection.TwoWay, 900, "HubSpot deals ↔ CRM deals: name, amount, currency, stage (mapped), close date."),
        ],
        Inbound = ["events"],
        BaseUrls = new Dictionary<string, string> { ["api"] = "https://api.hubapi.com" },
        DocumentationUrl = "https://developers.hubspot.com/docs/api/crm/understanding-the-crm",
    };
}
