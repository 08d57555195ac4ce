using System.Globalization;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Jira;

/// <summary>
/// Keeps the installation's dynamic webhook alive. Jira deletes a webhook registered through the REST API 30 days after
/// its registration or last refresh; <c>PUT /rest/api/3/webhook/refresh</c> with its ids extends it and answers the new
/// <c>expirationDate</c> (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-webhooks/#api-rest-api-3-webhook-refresh-put).
/// <c>register_webhooks</c> keeps the id and the expiry with the tokens (encrypted extras); the refresh rides on the
/// scheduler that already runs the <c>issues</c> sync (every 15 minutes by default): the first page of a run refreshes
/// once the expiry is less than <see cref="RefreshBefore"/> away, so a refresh failing for a day is retried by the
/// next runs long before the webhook is gone.
/// </summary>
public static class JiraWebhookRefresh
{
    public const string WebhookIdExtra = "webhookId", WebhookExpiresExtra = "webhookExpiresAt";

    /// <summary>A third of the webhook's life: refreshed about every 20 days.</summary>
    public static readonly TimeSpan RefreshBefore = TimeSpan.FromDays(10);

    /// <summary>Jira's documented lifetime, assumed for a webhook whose expiry Jira did not answer.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(30);

    /// <summary>Keeps the webhook's id and expiry (Jira's answer, else 30 days from now) with the installation's tokens.</summary>
    public static Task KeepAsync(ConnectorContext context, JsonNode webhookId, string? expirationDate, CancellationToken cancellationToken)
    {
        var expires = JiraApi.ParseTime(expirationDate) ?? context.Time.GetUtcNow() + Lifetime;
        return context.Services.GetRequiredService<ProviderTokenStore>().AddExtraAsync(context.Installation.Id, new Dictionary<string, string>
        {
            [WebhookIdExtra] = webhookId.ToJsonString(),
            [WebhookExpiresExtra] = expires.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
        }, cancellationToken);
    }

    /// <summary>
    /// Refreshes the kept webhook when its expiry is near; nothing when none was registered. Answers whether it refreshed.
    /// A refusal no retry mends (the webhook deleted at Jira) is logged and leaves the sync alone: <c>register_webhooks</c>
    /// makes a new one. A transient failure (429, 5xx) fails the run's page like any provider call, and is retried with it.
    /// </summary>
    public static async Task<bool> RefreshIfDueAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        try { return await RefreshAsync(context, cancellationToken); }
        catch (ProviderException ex) when (!ex.Retryable && !ex.NeedsReauthorization)
        {
            context.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(JiraWebhookRefresh)).LogWarning(
                "Jira refused to refresh the webhook of installation {InstallationId}: {Status} {Error}", context.Installation.Id, ex.Status, ex.ProviderError ?? ex.Message);
            return false;
        }
    }

    private static async Task<bool> RefreshAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var tokens = await context.Http.TokensAsync(cancellationToken);
        if (tokens.ExtraValue(WebhookIdExtra) is not { Length: > 0 } ids || !long.TryParse(ids, NumberStyles.None, CultureInfo.InvariantCulture, out var id)) return false;
        var expires = JiraApi.ParseTime(tokens.ExtraValue(WebhookExpiresExtra));
        if (expires is { } at && at - context.Time.GetUtcNow() > RefreshBefore) return false;
        var answer = JiraApi.Body(await JiraApi.SendAsync(context, HttpMethod.Put, "/webhook/refresh",
            new JsonObject { ["webhookIds"] = new JsonArray(id) }, cancellationToken));
        await KeepAsync(context, JsonValue.Create(id), JiraErrors.Text(answer["expirationDate"]), cancellationToken);
        return true;
    }
}
