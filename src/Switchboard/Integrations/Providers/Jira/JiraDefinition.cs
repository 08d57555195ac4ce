using Switchboard.Integrations.Catalog;

namespace Switchboard.Integrations.Providers.Jira;

/// <summary>
/// Jira Cloud's catalog entry: OAuth 2.0 (3LO) (https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/),
/// the create_issue action, the pull-only issues → tickets sync and the dynamic webhooks that start it early.
/// </summary>
public static class JiraDefinition
{
    public const string Key = "jira";
    public const string CreateIssue = "create_issue", RegisterWebhooks = "register_webhooks";
    public const string Issues = "issues", Events = "events";

    public static ProviderDefinition Create() => new()
    {
        Key = Key,
        Name = "Jira",
        Description = "Jira Cloud issues created from CRM tickets (the description in Atlassian Document Format), and the issues' status " +
            "transitions pulled back onto the tickets incrementally, started early by Jira's webhooks.",
        Category = ProviderCategory.ProjectManagement,
        Auth = new ProviderAuth(ProviderAuthKind.OAuth2)
        {
            // https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/: audience=api.atlassian.com and prompt=consent
            // on the authorize URL; offline_access for a (rotating) refresh token; the token endpoint takes JSON.
            AuthorizeUrl = "https://auth.atlassian.com/authorize",
            TokenUrl = "https://auth.atlassian.com/oauth/token",
            Scopes = ["read:jira-work", "write:jira-work", "manage:jira-webhook", "offline_access"],
            ClientAuthentication = "post",
            TokenRequestFormat = "json",
            AuthorizeParameters = new Dictionary<string, string> { ["audience"] = "api.atlassian.com", ["prompt"] = "consent" },
        },
        ConfigSchema = """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "required": ["projectKey"],
          "additionalProperties": false,
          "properties": {
            "projectKey": { "type": "string", "pattern": "^[A-Z][A-Z0-9_]{1,9}$", "title": "Project key", "description": "The Jira project issues are created in and pulled from (e.g. SUP)." },
            "site": { "type": "string", "maxLength": 200, "title": "Site", "description": "When the connection covers several Jira sites: the site's URL (https://acme.atlassian.net) or name. Default: the first." },
            "issueType": { "type": "string", "maxLength": 60, "default": "Task", "title": "Issue type", "description": "The issue type name of created issues." },
            "priorityMapping": {
              "type": "object", "title": "Priority mapping",
              "description": "CRM ticket priority → Jira priority name. Default: low → Low, normal → Medium, high → High, urgent → Highest.",
              "propertyNames": { "enum": ["low", "normal", "high", "urgent"] },
              "additionalProperties": { "type": "string", "minLength": 1, "maxLength": 60 }
            },
            "statusMapping": {
              "type": "object", "title": "Status mapping",
              "description": "Jira status name, or status category key (new, indeterminate, done) → CRM ticket status. A status name wins over its category. Default: new → open, indeterminate → pending, done → resolved.",
              "additionalProperties": { "enum": ["open", "pending", "resolved", "closed"] }
            },
            "syncIntervalSeconds": { "type": "integer", "minimum": 60, "maximum": 86400, "description": "How often scheduled syncs run (default 900 s)." }
          }
        }
        """,
        Actions =
        [
            new(CreateIssue, "Creates a Jira issue from a CRM ticket (once per ticket: repeats answer the issue made), linked so its status comes back to the ticket.", """
            {
              "type": "object", "required": ["ticketId", "subject"], "additionalProperties": false,
              "properties": {
                "ticketId": { "type": "string", "pattern": "^tkt_[0-9A-Za-z]{10,36}$", "description": "The CRM ticket ({{data.id}} on ticket.created)." },
                "subject": { "type": "string", "minLength": 1, "maxLength": 255, "description": "The issue's summary." },
                "description": { "type": "string", "maxLength": 20000, "description": "Plain text; paragraphs and line breaks are kept (Atlassian Document Format)." },
                "priority": { "enum": ["low", "normal", "high", "urgent"], "description": "The CRM priority, mapped by priorityMapping." }
              }
            }
            """),
            new(RegisterWebhooks, "Registers (or refreshes: Jira expires them after 30 days) the dynamic webhook delivering the project's issue changes to this installation.",
                """{ "type": "object", "additionalProperties": false, "properties": {} }"""),
        ],
        Triggers = ["ticket.created"],
        Syncs = [new(Issues, "tickets", SyncDirection.Pull, 900, "Jira issues of the project → CRM tickets: summary, status (mapped by statusMapping), priority (mapped back).")],
        AppInbound = [Events],
        BaseUrls = new Dictionary<string, string> { ["api"] = "https://api.atlassian.com" },
        DocumentationUrl = "https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/",
    };
}
