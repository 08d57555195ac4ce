using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.MicrosoftTeams;

/// <summary>
/// Posting to a Teams channel through the URL the user pasted: a Workflows webhook ("When a Teams webhook request is
/// received", on <c>*.logic.azure.com</c> or <c>*.environment.api.powerplatform.com</c>) or a legacy incoming webhook
/// (<c>*.webhook.office.com</c>). The URL must be on one of those hosts as the operator configured them (base URLs
/// <c>workflows</c>, <c>powerplatform</c>, <c>webhook</c>: same scheme and port, the host itself or a subdomain), so a
/// pasted URL cannot aim the node anywhere else.
/// <para>
/// How each answers, as documented: Workflows accept with <c>202 Accepted</c> and refuse with the Logic Apps error
/// envelope <c>{"error":{"code","message"}}</c> (401 for a bad <c>sig</c>, 404 for a deleted flow, 400 for a body
/// the trigger refuses, 429 with <c>Retry-After</c>). A legacy incoming webhook answers <c>200</c> with <c>1</c>, and
/// reports its own throttling inside a 200 ("connectors do not throw 429s": the body says <c>Microsoft Teams endpoint
/// returned HTTP error 429</c>), so a 2xx body is read for that too. The message may be at most 28 KB; more than four
/// requests a second to one webhook are throttled.
/// </para>
/// </summary>
public static partial class TeamsWebhook
{
    public const int MaxMessageBytes = 28 * 1024;

    [GeneratedRegex(@"returned HTTP error (?<status>\d{3})")]
    private static partial Regex EmbeddedError();

    /// <summary>The installation's webhook URL, checked to be on a Teams / Workflows host.</summary>
    public static Uri CheckedUrl(ConnectorContext context)
    {
        var url = context.Required("webhookUrl").Trim();
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !string.IsNullOrEmpty(uri.UserInfo) || !AllowedHosts(context).Any(host => On(uri, host)))
            throw new ProviderException("The webhook URL must be a Teams Workflows URL (…logic.azure.com, …environment.api.powerplatform.com) or an incoming webhook URL (…webhook.office.com).",
                null, "invalid_webhook_url", retryable: false);
        return uri;
    }

    private static IEnumerable<Uri> AllowedHosts(ConnectorContext context) =>
        new[] { "workflows", "powerplatform", "webhook" }.Select(name => new Uri(context.BaseUrl(name)));

    private static bool On(Uri uri, Uri host) =>
        uri.Scheme == host.Scheme && uri.Port == host.Port
        && (string.Equals(uri.Host, host.Host, StringComparison.OrdinalIgnoreCase) || uri.Host.EndsWith("." + host.Host, StringComparison.OrdinalIgnoreCase));

    /// <summary>Posts one message (an Adaptive Card attachment) and reads the answer as Teams documents it.</summary>
    public static async Task<ProviderResponse> PostAsync(ConnectorContext context, JsonObject message, CancellationToken cancellationToken)
    {
        var url = CheckedUrl(context);
        var body = message.ToJsonString();
        var size = Encoding.UTF8.GetByteCount(body);
        if (size > MaxMessageBytes)
            throw new ProviderException($"The card is {size:N0} bytes; Teams takes messages of at most 28 KB.", null, "message_too_large", retryable: false);
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(body, new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" }),
        }, cancellationToken, authenticate: false);
        return Checked(response, context.Time);
    }

    private static ProviderResponse Checked(ProviderResponse response, TimeProvider time)
    {
        if (response.IsSuccess)
        {
            // A legacy connector's own failure comes back as a 200 with the status inside the text.
            if (EmbeddedError().Match(response.Body) is { Success: true } embedded)
            {
                var status = int.Parse(embedded.Groups["status"].Value, System.Globalization.CultureInfo.InvariantCulture);
                throw new ProviderException($"Teams refused the message: HTTP error {status} inside a {response.Status} answer.", status,
                    ProviderException.Truncate(response.Body.Trim()), retryable: status is 408 or 429 or >= 500);
            }
            return response;
        }
        var error = response.Json() is JsonObject json && json["error"] is JsonObject e
            ? $"{TeamsCards.Text(e["code"])}: {TeamsCards.Text(e["message"])}"
            : response.Body.Trim() is { Length: > 0 and <= 500 } plain ? plain : null;
        return response.Status == 429
            ? throw new ProviderException("Teams throttled the webhook (429).", 429, error ?? "Too many requests.", retryable: true,
                ProviderClient.RetryAfter(response, time) ?? TimeSpan.FromSeconds(1))
            : throw ProviderException.From(response, "Teams", error, ProviderClient.RetryAfter(response, time));
    }
}
