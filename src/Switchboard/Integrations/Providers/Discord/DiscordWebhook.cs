using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Discord;

/// <summary>
/// Discord's channel webhooks (Webhook resource: https://discord.com/developers/docs/resources/webhook): the pasted
/// webhook URL names the webhook's id and token; every call goes to the configured <c>api</c> base URL with them
/// (<c>GET /webhooks/{id}/{token}</c>, "Get Webhook with Token", needs no other authentication; <c>POST
/// /webhooks/{id}/{token}?wait=true</c>, "Execute Webhook", answers the created message), so a pasted URL cannot aim the
/// node at another host. Errors are Discord's JSON (<c>{"message","code","errors"}</c>, Opcodes and Status Codes); a
/// 429 (Rate Limits) carries <c>retry_after</c> (seconds, with decimals), <c>global</c>, <c>Retry-After</c> and the
/// <c>X-RateLimit-*</c> headers, and the wait is the longest of them.
/// </summary>
public static partial class DiscordWebhook
{
    /// <summary>Discord's webhook URL: its hosts (discord.com and the ptb/canary builds, the older discordapp.com), an optional API version, id and token.</summary>
    [GeneratedRegex(@"^https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api(?:/v\d{1,2})?/webhooks/(?<id>\d{15,25})/(?<token>[A-Za-z0-9_\-\.]{20,200})/?$")]
    public static partial Regex UrlPattern();

    /// <summary>The installation's webhook id and token, from its (decrypted) webhook URL.</summary>
    public static (string Id, string Token) Parts(ConnectorContext context)
    {
        var url = context.Required("webhookUrl").Trim();
        var match = UrlPattern().Match(url);
        if (!match.Success)
            throw new ProviderException("The webhook URL is not a Discord channel webhook URL (https://discord.com/api/webhooks/{id}/{token}).", null, "invalid_webhook_url", retryable: false);
        return (match.Groups["id"].Value, match.Groups["token"].Value);
    }

    public static string Url(ConnectorContext context, (string Id, string Token) webhook) =>
        $"{context.BaseUrl("api")}/webhooks/{webhook.Id}/{Uri.EscapeDataString(webhook.Token)}";

    /// <summary>Execute Webhook with <c>wait=true</c>: Discord answers 200 with the message once it is saved, or an error (none is lost silently).</summary>
    public static async Task<ProviderResponse> ExecuteAsync(ConnectorContext context, JsonObject message, CancellationToken cancellationToken)
    {
        var url = Url(context, Parts(context)) + "?wait=true";
        var body = message.ToJsonString();
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(body, new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" }),
        }, cancellationToken, authenticate: false);
        return response.IsSuccess ? response : throw Error(response, context.Time);
    }

    /// <summary>Discord's error answer as a <see cref="ProviderException"/>: its code and message, the first field error, and a 429's wait.</summary>
    public static ProviderException Error(ProviderResponse response, TimeProvider time)
    {
        var json = response.Json() as JsonObject;
        var message = DiscordEmbeds.Text(json?["message"]);
        var code = DiscordEmbeds.Text(json?["code"]);
        var detail = json?["errors"] is JsonNode errors ? FirstFieldError(errors, "") : null;
        var error = message is null ? ProviderException.Truncate(response.Body) : (code is null ? message : $"{code}: {message}") + (detail is null ? "" : $" ({detail})");
        if (response.Status == 429)
        {
            var global = json?["global"] is JsonValue g && g.TryGetValue<bool>(out var isGlobal) && isGlobal
                || string.Equals(response.HeaderValue("X-RateLimit-Global"), "true", StringComparison.OrdinalIgnoreCase);
            var scope = response.HeaderValue("X-RateLimit-Scope");
            return new ProviderException($"Discord's {(global ? "global " : "")}rate limit was reached{(scope is null ? "" : $" (scope {scope})")}.", 429,
                error ?? "You are being rate limited.", retryable: true, RateLimitWait(response, json, time));
        }
        return ProviderException.From(response, "Discord", error, ProviderClient.RetryAfter(response, time));
    }

    /// <summary>
    /// How long a 429 asks to wait: Discord says to rely on <c>Retry-After</c> or <c>retry_after</c>; the bucket's
    /// <c>X-RateLimit-Reset-After</c> is the fallback. The longest of those given.
    /// </summary>
    public static TimeSpan RateLimitWait(ProviderResponse response, JsonObject? json, TimeProvider time)
    {
        var waits = new List<TimeSpan>();
        if (json?["retry_after"] is JsonValue r && r.TryGetValue<double>(out var seconds) && seconds >= 0) waits.Add(TimeSpan.FromSeconds(seconds));
        if (ProviderClient.RetryAfter(response, time) is { } header) waits.Add(header);
        if (double.TryParse(response.HeaderValue("X-RateLimit-Reset-After"), NumberStyles.Float, CultureInfo.InvariantCulture, out var resetAfter) && resetAfter >= 0)
            waits.Add(TimeSpan.FromSeconds(resetAfter));
        return waits.Count == 0 ? TimeSpan.FromSeconds(1) : waits.Max();
    }

    /// <summary>The first message of Discord's nested form errors (<c>{"embeds":{"0":{"title":{"_errors":[{"code","message"}]}}}}</c>), with its path.</summary>
    private static string? FirstFieldError(JsonNode node, string path)
    {
        if (node is not JsonObject o) return null;
        if (o["_errors"] is JsonArray { Count: > 0 } list && list[0] is JsonObject first)
            return $"{(path.Length == 0 ? "body" : path)}: {DiscordEmbeds.Text(first["message"]) ?? DiscordEmbeds.Text(first["code"])}";
        foreach (var (name, child) in o)
            if (child is not null && FirstFieldError(child, path.Length == 0 ? name : $"{path}.{name}") is { } found) return found;
        return null;
    }
}
