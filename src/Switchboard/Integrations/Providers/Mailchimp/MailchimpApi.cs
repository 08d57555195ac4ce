using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Mailchimp;

/// <summary>
/// Calls to the Marketing API 3.0 (https://mailchimp.com/developer/marketing/api/) on the account's data centre. Errors
/// are problem documents <c>{type,title,status,detail,instance,errors:[{field,message}]}</c>
/// (https://mailchimp.com/developer/marketing/docs/errors/); a 429 means more than 10 simultaneous connections
/// (https://mailchimp.com/developer/marketing/docs/fundamentals/#api-limits) and is retried after <c>Retry-After</c>
/// when sent, else a minute.
/// </summary>
public static partial class MailchimpApi
{
    public const string ApiEndpointExtra = "api_endpoint", DataCentreExtra = "dc", WebhookSecretExtra = "webhook_secret";

    [GeneratedRegex("^[a-z]{2,5}[0-9]{1,3}$")]
    private static partial Regex DataCentre();

    /// <summary>
    /// The API root: the operator's <c>BaseUrls:api</c> when configured (it wins), else the connection's
    /// <c>api_endpoint</c> from the metadata endpoint, used only when it is https on <c>&lt;dc&gt;.api.mailchimp.com</c>:
    /// a token is never sent to a host Mailchimp did not document.
    /// </summary>
    public static async Task<string> RootAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        if (ProviderUrls.ConfiguredBaseUrl(context.Options, MailchimpDefinition.Key) is { } configured) return configured;
        var endpoint = (await context.Http.TokensAsync(cancellationToken)).ExtraValue(ApiEndpointExtra);
        return Documented(endpoint) is { } root ? root + "/3.0"
            : throw new ProviderException("The Mailchimp connection names no API endpoint on *.api.mailchimp.com; connect again.", null, "no_api_endpoint", retryable: false)
                { NeedsReauthorization = true };
    }

    /// <summary>The endpoint when it is https://&lt;dc&gt;.api.mailchimp.com (no path, port, query or user info), else null.</summary>
    public static string? Documented(string? endpoint)
    {
        const string Suffix = ".api.mailchimp.com";
        return ProviderUrls.ProviderOrigin(endpoint, Suffix) is { } root && DataCentre().IsMatch(root["https://".Length..^Suffix.Length]) ? root : null;
    }

    public static async Task<ProviderResponse> SendAsync(ConnectorContext context, HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken,
        bool throwOnError = true)
    {
        var url = await RootAsync(context, cancellationToken) + path;
        var json = body?.ToJsonString();
        var response = await context.Http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(method, url);
            if (json is not null) request.Content = new StringContent(json, new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" });
            return request;
        }, cancellationToken);
        return response.IsSuccess || !throwOnError ? response : throw Error(response, context.Time);
    }

    public static ProviderException Error(ProviderResponse response, TimeProvider time)
    {
        var json = response.Json() as JsonObject;
        var (title, detail) = (Text(json?["title"]), Text(json?["detail"]));
        var errors = (json?["errors"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(e => Text(e["field"]) is { } field ? $"{field}: {Text(e["message"])}" : Text(e["message"])).OfType<string>().ToList();
        var providerError = title is null && detail is null ? ProviderException.Truncate(response.Body)
            : $"{title}{(title is not null && detail is not null ? ": " : "")}{detail}{(errors.Count == 0 ? "" : " (" + string.Join("; ", errors) + ")")}";
        if (response.Status == 429)
            return new ProviderException($"Mailchimp's connection limit was reached: {providerError}.", 429, providerError, retryable: true,
                ProviderClient.RetryAfter(response, time) ?? TimeSpan.FromMinutes(1));
        return new ProviderException($"Mailchimp answered {response.Status}{(providerError is null ? "" : ": " + providerError)}.", response.Status, providerError,
            response.Status is 408 or >= 500) { NeedsReauthorization = response.Status == 401 };
    }

    /// <summary>Mailchimp's subscriber hash: the lowercase hex MD5 of the lower-cased email (https://mailchimp.com/developer/marketing/docs/methods-parameters/#path-parameters).</summary>
#pragma warning disable CA5351 // MD5 is Mailchimp's member id, not a security use.
    public static string SubscriberHash(string email) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(email.Trim().ToLowerInvariant())));
#pragma warning restore CA5351

    /// <summary>The installation's inbound URL without its secret.</summary>
    public static string CallbackUrl(ConnectorContext context) =>
        (context.Options.PublicBaseUrl is { Length: > 0 } publicBase ? publicBase.TrimEnd('/')
            : throw new ProviderException("Mailchimp needs this node's public URL to deliver to: set Switchboard:PublicBaseUrl.", null, "public_url_not_set", retryable: false))
        + $"/api/v1/integrations/{context.Installation.Id}/inbound/{MailchimpDefinition.Events}";

    public static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;
}
