using System.Globalization;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Xero;

/// <summary>
/// Xero's error answers (https://developer.xero.com/documentation/api/accounting/responsecodes): a 400
/// <c>{"ErrorNumber":10,"Type":"ValidationException","Message","Elements":[{…,"ValidationErrors":[{"Message"}]}]}</c>,
/// and otherwise the problem shape <c>{"Type","Title","Status","Detail","Instance"}</c>. A 429
/// (https://developer.xero.com/documentation/guides/oauth2/limits) carries <c>Retry-After</c> (seconds) and
/// <c>X-Rate-Limit-Problem</c>: <c>minute</c>, <c>day</c> (per organisation), <c>appminute</c> or <c>concurrent</c>;
/// the wait is Retry-After, else the limit's own window.
/// </summary>
public static class XeroErrors
{
    public static ProviderException From(ProviderResponse response, TimeProvider time)
    {
        var json = response.Json() as JsonObject;
        var validation = (json?["Elements"] as JsonArray ?? []).OfType<JsonObject>()
            .SelectMany(e => (e["ValidationErrors"] as JsonArray ?? []).OfType<JsonObject>()).Select(v => Text(v["Message"])).OfType<string>().Distinct().ToList();
        var type = Text(json?["Type"]);
        var message = Text(json?["Message"]) ?? Text(json?["Detail"]) ?? Text(json?["Title"]);
        var text = (type is null ? "" : type + ": ") + (message ?? ProviderException.Truncate(response.Body)) + (validation.Count == 0 ? "" : " (" + string.Join("; ", validation) + ")");
        if (response.Status == 429)
        {
            var problem = response.HeaderValue("X-Rate-Limit-Problem");
            return new ProviderException($"Xero's {problem ?? "rate"} limit was reached.", 429, $"{problem ?? "rate"} limit: {text}", retryable: true,
                Seconds(response.HeaderValue("Retry-After")) ?? problem?.ToLowerInvariant() switch
                {
                    "day" => TimeSpan.FromHours(1),
                    "concurrent" => TimeSpan.FromSeconds(1),
                    _ => TimeSpan.FromMinutes(1),
                });
        }
        return new ProviderException($"Xero answered {response.Status}: {text}.", response.Status, ProviderException.Truncate(text),
            response.Status is 408 or 425 or >= 500) { NeedsReauthorization = response.Status == 401 };
    }

    /// <summary>Xero's Retry-After is a number of seconds; a day limit's can be hours, kept as Xero says (at most a day).</summary>
    private static TimeSpan? Seconds(string? value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds is > 0 and <= 86_400 ? TimeSpan.FromSeconds(seconds) : null;

    public static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;
}
