using System.Text.Json.Nodes;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Slack;

/// <summary>
/// Slack: new-lead and ticket notifications in Block Kit, any message, a daily or weekly CRM digest (on a scheduled
/// rule), the <c>/switchboard leads|calls</c> slash command and the lead card's "Mark contacted" button.
/// <para>
/// Two ways in. A bot install over OAuth 2.0 v2 (<c>https://slack.com/oauth/v2/authorize</c>, bot scopes joined by
/// commas, the code exchanged at <c>oauth.v2.access</c>, which answers HTTP 200 with <c>"ok": false</c> when it refuses:
/// <see cref="ReadTokenResponse"/>); messages go through <c>chat.postMessage</c> with the bot token. Or an incoming
/// webhook URL pasted into the configuration, which posts to the one channel it was made for; it must be on Slack's hooks
/// host (the <c>hooks</c> base URL), so a user cannot aim the node at another address through it.
/// </para>
/// </summary>
public sealed class SlackConnector : Connector
{
    public const string Key = "slack";

    private static readonly ProviderDefinition Declared = new()
    {
        Key = Key,
        Name = "Slack",
        Description = "Post new leads, tickets and a daily or weekly CRM digest to Slack channels; answer /switchboard leads|calls from the CRM; mark a lead contacted from its card.",
        Category = ProviderCategory.Communication,
        Auth = new ProviderAuth(ProviderAuthKind.OAuth2)
        {
            AuthorizeUrl = "https://slack.com/oauth/v2/authorize",
            TokenUrl = "https://slack.com/api/oauth.v2.access",
            RevokeUrl = "https://slack.com/api/auth.revoke",
            Scopes = ["chat:write", "chat:write.public", "commands"],
            ScopeSeparator = ",",
            // Slack recommends HTTP Basic for the client credentials at oauth.v2.access.
            ClientAuthentication = "basic",
        },
        ConfigSchema = """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "properties": {
            "channel": { "type": "string", "minLength": 1, "maxLength": 80, "description": "The channel messages go to unless a rule names another (an id such as C0123456789, or #name). Not needed with an incoming webhook URL." },
            "webhookUrl": { "type": "string", "format": "uri", "maxLength": 500, "writeOnly": true, "description": "An incoming webhook URL (https://hooks.slack.com/services/…), instead of the OAuth bot install." },
            "signingSecret": { "type": "string", "minLength": 16, "maxLength": 200, "writeOnly": true, "description": "Your Slack app's signing secret: verifies slash commands and button clicks (inbound)." }
          },
          "additionalProperties": false
        }
        """,
        Actions =
        [
            new("notify_lead", "Posts a lead card (Block Kit) with a \"Mark contacted\" button. Input: {\"lead\": \"{{data}}\"} on lead events.", """
            {
              "type": "object",
              "properties": {
                "channel": { "type": "string", "maxLength": 80 },
                "title": { "type": "string", "maxLength": 100 },
                "lead": { "type": "object", "required": ["id"], "properties": { "id": { "type": "string" }, "name": { "type": "string" } } }
              },
              "required": ["lead"],
              "additionalProperties": false
            }
            """),
            new("notify_ticket", "Posts a ticket card (Block Kit). Input: {\"ticket\": \"{{data}}\"} on ticket events.", """
            {
              "type": "object",
              "properties": {
                "channel": { "type": "string", "maxLength": 80 },
                "title": { "type": "string", "maxLength": 100 },
                "ticket": { "type": "object", "required": ["id"], "properties": { "id": { "type": "string" }, "subject": { "type": "string" } } }
              },
              "required": ["ticket"],
              "additionalProperties": false
            }
            """),
            new("post_message", "Posts a message: text (mrkdwn), Block Kit blocks, or both (the text is then the notification's fallback).", """
            {
              "type": "object",
              "properties": {
                "channel": { "type": "string", "maxLength": 80 },
                "text": { "type": "string", "minLength": 1, "maxLength": 40000 },
                "blocks": { "type": "array", "maxItems": 50, "items": { "type": "object", "required": ["type"] } }
              },
              "anyOf": [ { "required": ["text"] }, { "required": ["blocks"] } ],
              "additionalProperties": false
            }
            """),
            new("send_digest", "Posts a summary of the CRM (new leads, calls, deals won) over the last day or week; meant for a scheduled rule.", """
            {
              "type": "object",
              "properties": {
                "channel": { "type": "string", "maxLength": 80 },
                "period": { "enum": ["daily", "weekly"] }
              },
              "additionalProperties": false
            }
            """),
        ],
        Triggers = ["lead.created", "lead.*", "ticket.created", "ticket.*", "deal.won"],
        Inbound = [SlackInbound.Commands, SlackInbound.Interactions],
        BaseUrls = new Dictionary<string, string> { ["api"] = "https://slack.com/api", ["hooks"] = "https://hooks.slack.com" },
        DocumentationUrl = "https://api.slack.com/methods/chat.postMessage",
    };

    public override ProviderDefinition Definition => Declared;

    /// <summary>An incoming webhook URL is a connection of its own: such an install needs no OAuth.</summary>
    public override bool NeedsConnection(JsonObject config, JsonObject credentials) => !HasWebhook(credentials);

    private static bool HasWebhook(JsonObject credentials) => credentials["webhookUrl"] is JsonValue v && v.TryGetValue<string>(out var url) && url.Length > 0;

    /// <summary>
    /// <c>auth.test</c> with the bot token. An install by incoming webhook only has nothing Slack lets one check without
    /// posting (a webhook has no read method): the answer says what was checked (the URL is on Slack's hooks host) and
    /// what was not, rather than posting a test message to the channel.
    /// </summary>
    public override async Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        if (context.Installation.TokensEncrypted is null && HasWebhook(context.Credentials))
        {
            SlackApi.CheckWebhookUrl(context);
            var body = new JsonObject
            {
                ["ok"] = true,
                ["checked"] = "The incoming webhook URL is on Slack's hooks host.",
                ["notChecked"] = "Slack offers no way to check an incoming webhook without posting to its channel; a rule's first run will. " +
                    "Connect the bot (OAuth) for a test with auth.test.",
            };
            using var answer = new HttpResponseMessage(System.Net.HttpStatusCode.OK);
            return new ProviderResponse(200, body.ToJsonString(), answer.Headers, 0);
        }
        return await SlackApi.CallAsync(context, "auth.test", [], cancellationToken);
    }

    public override async Task<ProviderResponse> RunActionAsync(ConnectorContext context, string action, JsonObject input, CancellationToken cancellationToken)
    {
        var title = SlackBlocks.Text(input["title"]);
        var (text, blocks) = action switch
        {
            "notify_lead" => SlackBlocks.Lead(input["lead"] as JsonObject ?? throw Invalid("input.lead must be an object (the lead: \"{{data}}\")."), title),
            "notify_ticket" => SlackBlocks.Ticket(input["ticket"] as JsonObject ?? throw Invalid("input.ticket must be an object (the ticket: \"{{data}}\")."), title),
            "post_message" => (SlackBlocks.Text(input["text"]) ?? "", input["blocks"] as JsonArray is { } given ? (JsonArray)given.DeepClone() : null),
            "send_digest" => await SlackDigest.BuildAsync(context, SlackBlocks.Text(input["period"]) ?? "daily", cancellationToken),
            _ => throw Invalid($"Slack has no action '{action}'."),
        };
        if (text.Length == 0 && blocks is null) throw Invalid("post_message needs text or blocks.");
        return await SlackApi.PostMessageAsync(context, SlackBlocks.Text(input["channel"]), text, blocks, cancellationToken);
    }

    private static ProviderException Invalid(string message) => new(message, null, "invalid_input", retryable: false);

    public override Task<InboundResult> ReceiveAsync(ConnectorContext context, string kind, InboundRequest request, CancellationToken cancellationToken) =>
        SlackInbound.ReceiveAsync(context, kind, request, cancellationToken);

    /// <summary>
    /// <c>oauth.v2.access</c> answers 200 with <c>"ok": false</c> and an error code when it refuses: read as an RFC 6749
    /// error (a refused code or refresh token means the user must connect again); on success the bot token, and the
    /// team and bot user beside it, are kept.
    /// </summary>
    public override ProviderTokens ReadTokenResponse(ProviderResponse response, ProviderTokens? previous, DateTime now)
    {
        if (response.Json() is JsonObject json && json["ok"] is JsonValue ok && ok.TryGetValue<bool>(out var isOk))
        {
            if (!isOk)
            {
                var code = SlackBlocks.Text(json["error"]) ?? "unknown_error";
                var gone = code is "invalid_code" or "code_already_used" or "invalid_refresh_token" or "invalid_client_id" or "bad_client_secret"
                    or "invalid_grant_type" or "token_revoked" or "token_expired" or "oauth_authorization_url_mismatch" or "bad_redirect_uri";
                throw new ProviderException($"Slack's oauth.v2.access refused: {code}.", response.Status, code, retryable: code is "ratelimited" or "internal_error")
                    { NeedsReauthorization = gone };
            }
            var tokens = OAuthTokenResponse.FromJson(json, previous, now);
            var extra = new Dictionary<string, string>(tokens.Extra ?? new Dictionary<string, string>());
            if (json["team"] is JsonObject team)
            {
                if (SlackBlocks.Text(team["id"]) is { } teamId) extra["team_id"] = teamId;
                if (SlackBlocks.Text(team["name"]) is { } teamName) extra["team_name"] = teamName;
            }
            return tokens with { Extra = extra.Count == 0 ? null : extra };
        }
        return base.ReadTokenResponse(response, previous, now);
    }

    /// <summary><c>auth.revoke</c> with the bot token on uninstall.</summary>
    public override async Task RevokeAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        if (context.Installation.TokensEncrypted is null) return;
        await SlackApi.CallAsync(context, "auth.revoke", [], cancellationToken);
    }
}
