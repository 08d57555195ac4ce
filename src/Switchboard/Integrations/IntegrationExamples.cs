using System.Text.Json.Nodes;

namespace Switchboard.Integrations;

/// <summary>
/// Whole examples of the integrations API's bodies for the OpenAPI document (<see cref="Docs.Examples"/>): the generated
/// ones would show a configuration schema as a string and a provider key as "string".
/// </summary>
internal static class IntegrationExamples
{
    private const string InstallationId = "ins_01JD4V2Q8M3ZC5X7T9W1E6R0YB";

    private static JsonObject SlackConfigSchema() => new()
    {
        ["type"] = "object",
        ["properties"] = new JsonObject
        {
            ["channel"] = new JsonObject { ["type"] = "string", ["description"] = "Where notifications go.", ["pattern"] = "^#" },
            ["signingSecret"] = new JsonObject { ["type"] = "string", ["writeOnly"] = true, ["description"] = "Verifies Slack's requests." },
        },
        ["required"] = new JsonArray("channel"),
    };

    public static IEnumerable<KeyValuePair<Type, JsonObject>> ByType =>
    [
        new(typeof(ProviderInfo), new JsonObject
        {
            ["key"] = "slack", ["name"] = "Slack", ["description"] = "Lead and ticket notifications, digests, slash commands.", ["category"] = "communication",
            ["publisher"] = "Switchboard", ["version"] = "1.0.0", ["iconUrl"] = "/api/v1/integrations/providers/slack/icon.svg",
            ["authType"] = "oauth2",
            ["auth"] = new JsonObject { ["kind"] = "oauth2", ["scopes"] = new JsonArray("chat:write", "commands"), ["pkce"] = false },
            ["capabilities"] = new JsonArray("actions", "triggers", "inbound", "oauth_connect"),
            ["configSchema"] = SlackConfigSchema(),
            ["actions"] = new JsonArray(new JsonObject
            {
                ["name"] = "post_message", ["description"] = "Posts a message to a channel.",
                ["inputSchema"] = new JsonObject { ["type"] = "object", ["properties"] = new JsonObject { ["text"] = new JsonObject { ["type"] = "string" } } },
            }),
            ["triggers"] = new JsonArray("lead.created", "ticket.*"), ["syncs"] = new JsonArray(), ["inbound"] = new JsonArray("commands", "interactions"), ["appInbound"] = new JsonArray(),
            ["documentationUrl"] = "https://api.slack.com/methods", ["rating"] = new JsonObject { ["average"] = 4.5, ["count"] = 12 },
        }),
        new(typeof(InstallationInput), new JsonObject
        {
            ["provider"] = "slack", ["name"] = "Sales notifications", ["config"] = new JsonObject { ["channel"] = "#sales", ["signingSecret"] = "8f742231b10e8888abcd99yyyzzz85a5" },
        }),
        new(typeof(InstallationResponse), new JsonObject
        {
            ["id"] = InstallationId, ["provider"] = "slack", ["name"] = "Sales notifications", ["config"] = new JsonObject { ["channel"] = "#sales" },
            ["credentialsSet"] = new JsonArray("signingSecret"), ["status"] = "active", ["statusReason"] = null, ["connected"] = true, ["maxActionsPerSecond"] = null,
            ["lastSuccessAt"] = "2026-11-22T09:30:00Z", ["lastFailureAt"] = null, ["lastError"] = null, ["consecutiveFailures"] = 0,
            ["createdAt"] = "2026-11-20T14:02:11Z", ["updatedAt"] = "2026-11-22T09:30:00Z",
        }),
        new(typeof(ConnectionTestResponse), new JsonObject
        {
            ["success"] = false, ["latencyMs"] = 182, ["status"] = "needs_reauth", ["providerStatus"] = 401, ["providerError"] = "invalid_grant: The refresh token was revoked.",
        }),
        new(typeof(InstallationHealthResponse), new JsonObject
        {
            ["status"] = "active", ["statusReason"] = null, ["successRate24h"] = 98.5, ["operations24h"] = 200, ["lastSuccessAt"] = "2026-11-22T09:30:00Z",
            ["lastError"] = "Slack answered 429: ratelimited.", ["lastErrorAt"] = "2026-11-22T08:12:40Z", ["consecutiveFailures"] = 0, ["nextSyncAt"] = "2026-11-22T10:00:00Z",
        }),
        new(typeof(ReviewInput), new JsonObject { ["rating"] = 5, ["text"] = "Set up in two minutes; the lead alerts work well." }),
        new(typeof(ReviewResponse), new JsonObject
        {
            ["id"] = "rev_01JD4V2Q8M3ZC5X7T9W1E6R0YB", ["provider"] = "slack", ["rating"] = 5, ["text"] = "Set up in two minutes; the lead alerts work well.", ["mine"] = true,
            ["createdAt"] = "2026-11-20T14:02:11Z", ["updatedAt"] = "2026-11-20T14:02:11Z",
        }),
        new(typeof(ConnectResponse), new JsonObject
        {
            ["authorizeUrl"] = "https://slack.com/oauth/v2/authorize?response_type=code&client_id=1234.5678&redirect_uri=https%3A%2F%2Fswitchboard.example.com%2Fapi%2Fv1%2Fintegrations%2Foauth%2Fcallback&scope=chat%3Awrite%2Ccommands&state=djEu…",
            ["expiresAt"] = "2026-11-22T09:40:00Z",
        }),
        new(typeof(ConnectionCompleted), new JsonObject { ["installationId"] = InstallationId, ["provider"] = "slack", ["status"] = "active" }),
        new(typeof(OverviewResponse), new JsonObject
        {
            ["integrations"] = new JsonObject
            {
                ["total"] = 3,
                ["byStatus"] = new JsonObject { ["pending_auth"] = 0, ["active"] = 2, ["error"] = 0, ["needs_reauth"] = 1, ["disabled"] = 0 },
            },
            ["webhooks"] = new JsonObject { ["active"] = 4, ["disabled"] = 1 },
            ["apiKeys"] = new JsonObject { ["active"] = 6 },
            ["requests"] = new JsonObject { ["last24h"] = 48210, ["errors"] = 312, ["errorRate"] = 0.6 },
            ["deliveries"] = new JsonObject { ["last24h"] = 1520, ["succeeded"] = 1509, ["successRate"] = 99.3 },
            ["generatedAt"] = "2026-11-22T09:30:00Z",
        }),
    ];
}
