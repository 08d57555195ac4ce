using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Slack;

/// <summary>
/// Calls to Slack's Web API and to incoming webhooks, and Slack's answers read as Slack documents them: Web API methods
/// answer HTTP 200 with <c>"ok": true</c> or <c>"ok": false</c> and an error code (<c>invalid_auth</c>,
/// <c>channel_not_found</c>, …); rate limits are HTTP 429 with <c>Retry-After</c> (seconds). Incoming webhooks answer
/// 200 <c>ok</c>, or a 4xx with a plain-text code (<c>invalid_payload</c>, <c>channel_not_found</c>, <c>no_service</c>).
/// </summary>
public static class SlackApi
{
    /// <summary>Errors that say the token is gone: the user must connect the bot again.</summary>
    private static readonly HashSet<string> AuthorizationErrors =
        ["invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "team_access_not_granted"];

    /// <summary>Errors worth trying again later: Slack's own trouble, or its rate limit.</summary>
    private static readonly HashSet<string> TransientErrors =
        ["ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout", "team_is_restricted"];

    /// <summary>A Web API method with a JSON body and the bot token; its <c>ok</c> checked.</summary>
    public static async Task<ProviderResponse> CallAsync(ConnectorContext context, string method, JsonObject arguments, CancellationToken cancellationToken)
    {
        var url = context.BaseUrl("api") + "/" + method;
        var body = arguments.ToJsonString();
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, url)
        {
            // Slack takes JSON bodies on write methods when the charset is given (its docs warn without it).
            Content = new StringContent(body, new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" }),
        }, cancellationToken);
        return Checked(response, method, context.Time);
    }

    /// <summary>
    /// Posts a message: with the bot token through <c>chat.postMessage</c> to the rule's channel or the installation's;
    /// with an incoming webhook, to the webhook's own channel.
    /// </summary>
    public static async Task<ProviderResponse> PostMessageAsync(ConnectorContext context, string? channel, string text, JsonArray? blocks, CancellationToken cancellationToken)
    {
        var message = new JsonObject();
        if (text.Length > 0) message["text"] = text;
        if (blocks is not null) message["blocks"] = blocks;
        if (context.Installation.TokensEncrypted is not null)
        {
            message["channel"] = channel ?? context.Value("channel")
                ?? throw new ProviderException("No channel: give one in the rule's input or the installation's configuration.", null, "channel_not_set", retryable: false);
            return await CallAsync(context, "chat.postMessage", message, cancellationToken);
        }
        var webhook = CheckWebhookUrl(context);
        var payload = message.ToJsonString();
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, webhook)
        {
            Content = new StringContent(payload, new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" }),
        }, cancellationToken, authenticate: false);
        if (response.IsSuccess) return response;
        var code = response.Body.Trim() is { Length: > 0 and <= 100 } plain ? plain : null;
        throw new ProviderException($"Slack's incoming webhook answered {response.Status}{(code is null ? "" : ": " + code)}.", response.Status, code,
            retryable: response.Status is 408 or 425 or 429 or >= 500, ProviderClient.RetryAfter(response, context.Time));
    }

    /// <summary>
    /// The installation's incoming webhook URL, checked to be on Slack's hooks host (the <c>hooks</c> base URL: same
    /// scheme, host and port): a pasted URL cannot point the node anywhere else.
    /// </summary>
    public static string CheckWebhookUrl(ConnectorContext context)
    {
        var url = context.Credentials["webhookUrl"] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
        if (url is null)
            throw new ProviderException("The installation is not connected to Slack: connect the bot (OAuth) or give an incoming webhook URL.", 401, "not_connected", retryable: false)
                { NeedsReauthorization = true };
        var hooks = new Uri(context.BaseUrl("hooks"));
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != hooks.Scheme || !string.Equals(uri.Host, hooks.Host, StringComparison.OrdinalIgnoreCase)
            || uri.Port != hooks.Port || !string.IsNullOrEmpty(uri.UserInfo))
            throw new ProviderException($"The incoming webhook URL must be on Slack's hooks host, {hooks.GetLeftPart(UriPartial.Authority)}.", null, "invalid_webhook_url", retryable: false);
        return uri.AbsoluteUri;
    }

    /// <summary>Slack's answer read: 429 and 5xx retryable (with <c>Retry-After</c>), <c>ok: false</c> as its error code.</summary>
    private static ProviderResponse Checked(ProviderResponse response, string method, TimeProvider time)
    {
        var json = response.Json() as JsonObject;
        var code = json is null ? null : SlackBlocks.Text(json["error"]);
        if (!response.IsSuccess)
            throw ProviderException.From(response, $"Slack {method}", code, ProviderClient.RetryAfter(response, time));
        if (json?["ok"] is JsonValue ok && ok.TryGetValue<bool>(out var isOk) && isOk) return response;
        code ??= "unexpected_response";
        throw new ProviderException($"Slack {method} refused: {code}.", response.Status, code, retryable: TransientErrors.Contains(code))
        {
            NeedsReauthorization = AuthorizationErrors.Contains(code),
        };
    }

    internal static string Utf8(byte[] body) => Encoding.UTF8.GetString(body);
}
