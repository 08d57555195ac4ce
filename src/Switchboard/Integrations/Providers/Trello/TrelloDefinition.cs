using Switchboard.Integrations.Catalog;

namespace Switchboard.Integrations.Providers.Trello;

/// <summary>
/// Trello's catalog entry: an API key (the operator's, with its secret) and a user token the user authorizes at
/// https://trello.com/1/authorize (https://developer.atlassian.com/cloud/trello/guides/rest-api/authorization/), cards
/// made from deals and tasks, a list per deal stage, and webhooks moving the deal when its card moves.
/// </summary>
public static class TrelloDefinition
{
    public const string Key = "trello";
    public const string CreateCard = "create_card", MoveCard = "move_card", EnsureStageLists = "ensure_stage_lists", RegisterWebhook = "register_webhook";
    public const string Cards = "cards", Events = "events";

    /// <summary>The list name a stage's list has when the configuration maps none.</summary>
    public static readonly IReadOnlyDictionary<string, string> StageListNames = new Dictionary<string, string>
    {
        ["lead"] = "Lead", ["qualification"] = "Qualification", ["proposal"] = "Proposal", ["negotiation"] = "Negotiation", ["won"] = "Won", ["lost"] = "Lost",
    };

    public static ProviderDefinition Create() => new()
    {
        Key = Key,
        Name = "Trello",
        Description = "Trello cards made from CRM deals (in their stage's list) and tasks, a list per deal stage, and a card moved to another list " +
            "moving its deal to that stage.",
        Category = ProviderCategory.ProjectManagement,
        // The user's token comes from Trello's authorize page (scope read,write, expiration never); the API key and its
        // secret are the operator's (Switchboard:Integrations:Providers:trello:ClientId and ClientSecret).
        Auth = new ProviderAuth(ProviderAuthKind.ApiKey) { AuthorizeUrl = "https://trello.com/1/authorize" },
        ConfigSchema = """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "required": ["apiToken", "boardId"],
          "additionalProperties": false,
          "properties": {
            "apiToken": { "type": "string", "writeOnly": true, "minLength": 32, "maxLength": 200, "title": "Trello token",
              "description": "The token Trello shows after you allow Switchboard at https://trello.com/1/authorize?expiration=never&scope=read,write&response_type=token&key=<the operator's API key>." },
            "boardId": { "type": "string", "pattern": "^[0-9a-f]{24}$", "title": "Board", "description": "The board's id (24 hex characters)." },
            "stageLists": {
              "type": "object", "title": "Stage lists",
              "description": "CRM deal stage → Trello list id. A stage not mapped uses the board's list named after it (Lead, Qualification, Proposal, Negotiation, Won, Lost), which ensure_stage_lists creates.",
              "propertyNames": { "enum": ["lead", "qualification", "proposal", "negotiation", "won", "lost"] },
              "additionalProperties": { "type": "string", "pattern": "^[0-9a-f]{24}$" }
            },
            "taskListName": { "type": "string", "minLength": 1, "maxLength": 100, "default": "Tasks", "title": "Task list", "description": "The list CRM tasks' cards go to." }
          }
        }
        """,
        Actions =
        [
            new(CreateCard, "Creates the card of a CRM deal (in its stage's list) or task (in the task list), once per record.", """
            {
              "type": "object", "additionalProperties": false,
              "properties": {
                "dealId": { "type": "string", "pattern": "^deal_[0-9A-Za-z]{10,36}$", "description": "{{data.id}} on deal.created" },
                "taskId": { "type": "string", "pattern": "^task_[0-9A-Za-z]{10,36}$", "description": "{{data.id}} on task.created" }
              }
            }
            """),
            new(MoveCard, "Moves a deal's card to its stage's list (on deal.stage_changed); the webhook that follows changes nothing.", """
            { "type": "object", "required": ["dealId"], "additionalProperties": false, "properties": { "dealId": { "type": "string", "pattern": "^deal_[0-9A-Za-z]{10,36}$" } } }
            """),
            new(EnsureStageLists, "Creates the board's missing stage lists (and the task list).", """{ "type": "object", "additionalProperties": false, "properties": {} }"""),
            new(RegisterWebhook, "Creates the board's webhook to this installation (Trello checks the URL with a HEAD first).", """{ "type": "object", "additionalProperties": false, "properties": {} }"""),
        ],
        Triggers = ["deal.created", "deal.stage_changed", "task.created"],
        Inbound = [Events],
        BaseUrls = new Dictionary<string, string> { ["api"] = "https://api.trello.com/1" },
        DocumentationUrl = "https://developer.atlassian.com/cloud/trello/rest/",
    };
}
