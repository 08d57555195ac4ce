using Switchboard.Integrations.Catalog;

namespace Switchboard.Integrations.Providers.Salesforce;

/// <summary>
/// Salesforce's catalog entry: the OAuth 2.0 web server flow with PKCE
/// (https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm), the REST API on the org's
/// instance (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_rest.htm), the leads sync
/// and the create_lead and log_call actions.
/// </summary>
public static class SalesforceDefinition
{
    public const string Key = "salesforce";
    public const string CreateLead = "create_lead", LogCall = "log_call";
    public const string Leads = "leads";

    public static ProviderDefinition Create() => new()
    {
        Key = Key,
        Name = "Salesforce",
        Description = "Two-way sync of leads with a Salesforce org (status mapped to the org's lead statuses, custom fields mapped), incremental by " +
            "SystemModstamp; leads created from CRM leads and calls logged as Tasks on the lead or contact, written through the composite API.",
        Category = ProviderCategory.Crm,
        Auth = new ProviderAuth(ProviderAuthKind.OAuth2)
        {
            // Production orgs; a sandbox org authorizes at test.salesforce.com: the operator sets AuthorizeUrl and TokenUrl.
            AuthorizeUrl = "https://login.salesforce.com/services/oauth2/authorize",
            TokenUrl = "https://login.salesforce.com/services/oauth2/token",
            RevokeUrl = "https://login.salesforce.com/services/oauth2/revoke",
            // "api" for the REST API, "refresh_token" for a refresh token (https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_tokens_scopes.htm).
            Scopes = ["api", "refresh_token"],
            Pkce = true,
            ClientAuthentication = "post",
        },
        ConfigSchema = """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "statusMapping": {
              "type": "object", "title": "Lead status mapping",
              "description": "CRM lead status → a value of the org's Lead Status picklist. Unset: new → Open - Not Contacted, contacted → Working - Contacted, qualified → Closed - Converted, unqualified → Closed - Not Converted.",
              "propertyNames": { "enum": ["new", "contacted", "qualified", "unqualified"] },
              "additionalProperties": { "type": "string", "minLength": 1, "maxLength": 255 }
            },
            "fieldMapping": {
              "type": "object", "title": "Custom field mapping",
              "description": "CRM lead field → Salesforce field API name (a custom field such as Score__c, or LeadSource, Description, Rating, Industry, Title, Website).",
              "propertyNames": { "enum": ["source", "score", "notes"] },
              "additionalProperties": { "type": "string", "maxLength": 100, "pattern": "^(?:[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*__c|LeadSource|Description|Rating|Industry|Title|Website)$" }
            },
            "conflictWinner": {
              "type": "object", "title": "Conflict winner",
              "description": "Per synced field (or * for the rest), which side wins when both changed since the last sync: newest (default), remote or local.",
              "additionalProperties": { "enum": ["newest", "remote", "local"] }
            },
            "syncIntervalSeconds": { "type": "integer", "minimum": 60, "maximum": 86400, "title": "Sync interval", "description": "How often scheduled syncs run (default 900 s)." },
            "deleteLocal": { "type": "boolean", "default": false, "title": "Delete CRM leads", "description": "Delete the CRM lead when its Salesforce lead is deleted." }
          }
        }
        """,
        Actions =
        [
            new(CreateLead, "Creates Salesforce leads (one, or up to 200 in `leads`) through the composite API; a lead whose email an open Salesforce lead already has is not created again.", """
            {
              "type": "object", "additionalProperties": false,
              "properties": {
                "name": { "type": "string", "minLength": 1, "maxLength": 200 },
                "email": { "type": "string", "format": "email", "maxLength": 80 },
                "company": { "type": "string", "minLength": 1, "maxLength": 255 },
                "phone": { "type": "string", "maxLength": 40 },
                "status": { "enum": ["new", "contacted", "qualified", "unqualified"] },
                "source": { "type": "string", "maxLength": 255 },
                "score": { "type": "integer" },
                "notes": { "type": "string", "maxLength": 32000 },
                "leads": {
                  "type": "array", "minItems": 1, "maxItems": 200,
                  "items": { "type": "object", "required": ["name", "email", "company"] }
                }
              }
            }
            """),
            new(LogCall, "Logs a call as a completed Salesforce Task (TaskSubtype Call) on the contact, else the open lead, with the email; once per call.", """
            {
              "type": "object", "required": ["email", "subject"], "additionalProperties": false,
              "properties": {
                "email": { "type": "string", "format": "email", "description": "The email of the Salesforce contact or lead the call was with." },
                "subject": { "type": "string", "minLength": 1, "maxLength": 255 },
                "description": { "type": "string", "maxLength": 32000 },
                "activityDate": { "type": "string", "format": "date", "description": "The call's date (default: today, UTC)." },
                "durationSeconds": { "type": "integer", "minimum": 0 },
                "callType": { "enum": ["Inbound", "Outbound", "Internal"] }
              }
            }
            """),
        ],
        Triggers = ["lead.created", "lead.updated", "activity.created"],
        Syncs = [new(Leads, "leads", SyncDirection.TwoWay, 900, "Salesforce leads ↔ CRM leads: name, email, phone, company, status (mapped) and the mapped custom fields; deletions included.")],
        DocumentationUrl = "https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_rest.htm",
    };
}
