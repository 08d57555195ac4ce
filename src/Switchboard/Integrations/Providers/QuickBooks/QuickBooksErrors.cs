using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.QuickBooks;

/// <summary>
/// QuickBooks' error answers (https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes):
/// <c>{"Fault":{"Error":[{"Message","Detail","code","element"}],"type":"ValidationFault"},"time":…}</c>, and for
/// authentication failures the same shape in lower case (<c>{"fault":{"error":[{"message","detail","code"}],"type":"AUTHENTICATION"}}</c>).
/// A 429 (<c>ThrottleExceeded</c>, code 3001) is the per-company limit of 500 requests a minute
/// (https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features#limits-and-throttles): retried after
/// <c>Retry-After</c> when sent, else after the minute window. A 401 after the client's one refresh means the grant is gone.
/// </summary>
public static class QuickBooksErrors
{
    public static ProviderException From(ProviderResponse response, TimeProvider time)
    {
        var json = response.Json() as JsonObject;
        var fault = (json?["Fault"] ?? json?["fault"]) as JsonObject;
        var errors = ((fault?["Error"] ?? fault?["error"]) as JsonArray ?? []).OfType<JsonObject>()
            .Select(e => (Code: Field(e, "code"), Message: Field(e, "Message"), Detail: Field(e, "Detail"))).ToList();
        var text = errors.Count == 0 ? ProviderException.Truncate(response.Body)
            : string.Join("; ", errors.Select(e => $"{(e.Code is null ? "" : e.Code + ": ")}{e.Message}{(e.Detail is null || e.Detail == e.Message ? "" : " (" + e.Detail + ")")}"));
        if (response.Status == 429 || errors.Any(e => e.Code == "3001"))
            return new ProviderException($"QuickBooks' request limit was reached: {text}.", response.Status, text, retryable: true,
                ProviderClient.RetryAfter(response, time) ?? TimeSpan.FromMinutes(1));
        return new ProviderException($"QuickBooks answered {response.Status}: {text}.", response.Status, ProviderException.Truncate(text),
            response.Status is 408 or 425 or >= 500) { NeedsReauthorization = response.Status == 401 };
    }

    /// <summary>A field of an error, whichever case QuickBooks wrote it in.</summary>
    private static string? Field(JsonObject error, string name) =>
        QuickBooksApi.Text(error[name]) ?? QuickBooksApi.Text(error[char.ToLowerInvariant(name[0]) + name[1..]]);
}
