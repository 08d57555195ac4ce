using Switchboard.Integrations.Catalog;

namespace Switchboard.Integrations.Providers.GitHub;

/// <summary>
/// GitHub's catalog entry. OAuth apps and GitHub Apps' user access tokens share the web flow
/// (https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps): authorize at
/// github.com/login/oauth/authorize, exchange and refresh at github.com/login/oauth/access_token (JSON with
/// <c>Accept: application/json</c>). An OAuth app's token does not expire; a GitHub App that opts in to expiring user
/// tokens answers <c>expires_in</c> and a <c>refresh_token</c> (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens).
/// The <c>repo</c> scope covers issues, comments and repository hooks (https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps).
/// </summary>
public static class GitHubDefinition
{
    public const string Key = "github";
    public const string CreateIssue = "create_issue", SubscribeWebhooks = "subscribe_webhooks";
    public const string Comments = "comments", Events = "events";
    /// <summary>The id map's models: ticket ↔ issue number, and the webhook deliveries handled (X-GitHub-Delivery).</summary>
    public const string IssuesModel = "issues", DeliveriesModel = "deliveries";
    public static readonly string[] WebhookEvents = ["issues", "issue_comment"];

    public static ProviderDefinition Create() => new()
    {
        Key = Key,
        Name = "GitHub",
        Description = "Issues opened from CRM tickets (once per ticket), issue comments synced into the CRM as notes on the ticket's contact, " +
            "and GitHub's repository webhooks (verified by X-Hub-Signature-256) closing or reopening the ticket and fetching new comments.",
        Category = ProviderCategory.ProjectManagement,
        Auth = new ProviderAuth(ProviderAuthKind.OAuth2)
        {
            AuthorizeUrl = "https://github.com/login/oauth/authorize",
            TokenUrl = "https://github.com/login/oauth/access_token",
            Scopes = ["repo"],
            ClientAuthentication = "post",
        },
        ConfigSchema = """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "required": ["owner", "repo"],
          "additionalProperties": false,
          "properties": {
            "owner": { "type": "string", "pattern": "^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$", "title": "Owner", "description": "The user or organization that owns the repository." },
            "repo": { "type": "string", "pattern": "^[A-Za-z0-9._-]{1,100}$", "title": "Repository", "description": "The repository's name; issues are opened and comments read there." },
            "labels": { "type": "array", "maxItems": 10, "items": { "type": "string", "minLength": 1, "maxLength": 50 }, "default": [], "title": "Labels", "description": "Labels put on every issue opened from a ticket (they must exist in the repository)." },
            "syncIntervalSeconds": { "type": "integer", "minimum": 60, "maximum": 86400, "title": "Sync interval", "description": "How often the comments sync runs without a webhook (default 900 s)." }
          }
        }
        """,
        Actions =
        [
            new(CreateIssue, "Opens an issue for a ticket, once: a repeated run (or a second rule) answers the issue already opened. " +
                "Input on ticket.created: {\"ticketId\": \"{{data.id}}\", \"title\": \"{{data.subject}}\", \"body\": \"{{data.description}}\"}.", """
            {
              "type": "object", "required": ["ticketId", "title"], "additionalProperties": false,
              "properties": {
                "ticketId": { "type": "string", "description": "The CRM ticket (tkt_…) the issue is for." },
                "title": { "type": "string", "minLength": 1, "maxLength": 256 },
                "body": { "type": "string", "maxLength": 60000 },
                "labels": { "type": "array", "maxItems": 10, "items": { "type": "string", "minLength": 1, "maxLength": 50 } }
              }
            }
            """),
            new(SubscribeWebhooks, "Creates the repository webhook (issues and issue_comment) that delivers to this installation's inbound URL, with a generated secret kept encrypted; once (an existing hook is updated).", """
            { "type": "object", "additionalProperties": false, "properties": {} }
            """),
        ],
        Triggers = ["ticket.created", "integration.scheduled"],
        Syncs = [new(Comments, "activities", SyncDirection.Pull, 900, "Comments on issues opened from tickets → CRM notes (on the ticket's contact), incremental by the comments' updated time.")],
        Inbound = [Events],
        BaseUrls = new Dictionary<string, string> { ["api"] = "https://api.github.com" },
        DocumentationUrl = "https://docs.github.com/en/rest",
    };
}
