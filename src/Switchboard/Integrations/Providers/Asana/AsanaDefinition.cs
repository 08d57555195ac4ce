using Switchboard.Integrations.Catalog;

namespace Switchboard.Integrations.Providers.Asana;

/// <summary>
/// Asana's catalog entry: OAuth 2.0 (https://developers.asana.com/docs/oauth), the create_task and register_webhook
/// actions, the two-way tasks sync, and webhooks (https://developers.asana.com/docs/webhooks-guide).
/// </summary>
public static class AsanaDefinition
{
    public const string Key = "asana";
    public const string CreateTask = "create_task", RegisterWebhook = "register_webhook";
    public const string Tasks = "tasks", Events = "events";

    public static ProviderDefinition Create() => new()
    {
        Key = Key,
        Name = "Asana",
        Description = "Asana tasks created from CRM tasks, and a two-way sync of a project's tasks (name, notes, due date, completion) with CRM tasks, " +
            "started early by Asana's webhooks.",
        Category = ProviderCategory.ProjectManagement,
        Auth = new ProviderAuth(ProviderAuthKind.OAuth2)
        {
            // https://developers.asana.com/docs/oauth: client_secret_post, PKCE (S256) supported; refresh answers keep the old refresh token.
            AuthorizeUrl = "https://app.asana.com/-/oauth_authorize",
            TokenUrl = "https://app.asana.com/-/oauth_token",
            RevokeUrl = "https://app.asana.com/-/oauth_revoke",
            // https://developers.asana.com/docs/oauth-scopes: the granular scopes of the calls made.
            Scopes = ["tasks:read", "tasks:write", "webhooks:read", "webhooks:write", "users:read"],
            Pkce = true,
            ClientAuthentication = "post",
        },
        ConfigSchema = """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "required": ["workspaceGid", "projectGid"],
          "additionalProperties": false,
          "properties": {
            "workspaceGid": { "type": "string", "pattern": "^[0-9]{1,30}$", "title": "Workspace", "description": "The Asana workspace's gid." },
            "projectGid": { "type": "string", "pattern": "^[0-9]{1,30}$", "title": "Project", "description": "The Asana project tasks are created in and synced with (its gid, from the project's URL)." },
            "conflictWinner": {
              "type": "object",
              "description": "Per synced field (title, description, dueAt, status; or * for the rest), which side wins when both changed since the last sync: newest (default), remote or local.",
              "additionalProperties": { "enum": ["newest", "remote", "local"] }
            },
            "syncIntervalSeconds": { "type": "integer", "minimum": 60, "maximum": 86400, "description": "How often scheduled syncs run (default 900 s)." },
            "deleteLocal": { "type": "boolean", "default": false, "description": "Delete the CRM task when its Asana task is deleted." }
          }
        }
        """,
        Actions =
        [
            new(CreateTask, "Creates the Asana task of a CRM task in the project (once: a repeat answers the task made) and links it to the tasks sync.", """
            {
              "type": "object", "required": ["taskId"], "additionalProperties": false,
              "properties": { "taskId": { "type": "string", "pattern": "^task_[0-9A-Za-z]{10,36}$", "description": "The CRM task ({{data.id}} on task.created)." } }
            }
            """),
            new(RegisterWebhook, "Establishes the webhook on the project delivering task changes to this installation (the X-Hook-Secret handshake included).",
                """{ "type": "object", "additionalProperties": false, "properties": {} }"""),
        ],
        Triggers = ["task.created"],
        Syncs = [new(Tasks, "tasks", SyncDirection.TwoWay, 900, "Asana tasks of the project ↔ CRM tasks: name ↔ title, notes ↔ description, due date, completed ↔ status.")],
        Inbound = [Events],
        BaseUrls = new Dictionary<string, string> { ["api"] = "https://app.asana.com/api/1.0" },
        DocumentationUrl = "https://developers.asana.com/reference/rest-api-reference",
    };
}
