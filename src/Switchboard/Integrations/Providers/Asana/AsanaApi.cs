using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Asana;

/// <summary>
/// Calls to Asana's REST API (https://developers.asana.com/docs/overview): JSON bodies wrapped in <c>{"data": …}</c>,
/// answers likewise; errors as <c>{"errors":[{"message","help","phrase"}]}</c> (https://developers.asana.com/docs/errors).
/// A 429 (https://developers.asana.com/docs/rate-limits) is retryable after its <c>Retry-After</c> seconds; 400, 402,
/// 403 and 404 are refusals with Asana's message; a 401 the client's one refresh did not cure means the grant is gone.
/// </summary>
public static class AsanaApi
{
    public const string HookSecretExtra = "hookSecret", HookPendingExtra = "hookPendingUntil";

    public static async Task<JsonObject> SendAsync(ConnectorContext context, HttpMethod method, string pathAndQuery, JsonObject? data, CancellationToken cancellationToken)
    {
        var url = context.BaseUrl().TrimEnd('/') + pathAndQuery;
        var response = await context.Http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(method, url);
            request.Headers.Accept.ParseAdd("application/json");
            if (data is not null) request.Content = JsonContent.Create(new JsonObject { ["data"] = data });
            return request;
        }, cancellationToken);
        if (!response.IsSuccess) throw Error(response, context.Time);
        return response.Json() as JsonObject ?? throw new ProviderException("Asana's answer is not JSON.", response.Status, ProviderException.Truncate(response.Body), retryable: true);
    }

    public static ProviderException Error(ProviderResponse response, TimeProvider time)
    {
        var messages = (response.Json() as JsonObject)?["errors"] is JsonArray errors
            ? string.Join("; ", errors.OfType<JsonObject>().Select(e => Text(e["message"])).OfType<string>())
            : null;
        var error = string.IsNullOrEmpty(messages) ? ProviderException.Truncate(response.Body) : messages;
        if (response.Status == 429)
            return new ProviderException("Asana's rate limit was reached.", 429, error, retryable: true, ProviderClient.RetryAfter(response, time) ?? TimeSpan.FromSeconds(30));
        if (response.Status == 401)
            return new ProviderException("Asana refused the token.", 401, error, retryable: false) { NeedsReauthorization = true };
        return ProviderException.From(response, "Asana", error);
    }

    public static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    public static DateTime? Time(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at.UtcDateTime : null;
}
