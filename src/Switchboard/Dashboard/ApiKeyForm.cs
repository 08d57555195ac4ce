using System.Globalization;
using Switchboard.ApiKeys;

namespace Switchboard.Dashboard;

/// <summary>
/// The fields of the dashboard's form for a new API key, as typed, and their translation into the body of
/// <c>POST /api/v1/api-keys</c>. Only what a form needs is checked here (numbers that are numbers, a date that is a
/// date); everything else is the API's validator's to judge, and its messages are shown beside these same fields,
/// named as the API names them.
/// </summary>
public sealed class ApiKeyForm
{
    public const string NameField = "name", ScopesField = "scopes", ExpiresAtField = "expiresAt", RateLimitField = "rateLimit",
        RequestsField = "rateLimitRequests", WindowField = "rateLimitWindowSeconds", AllowedIpsField = "allowedIps";

    public string Name { get; init; } = "";
    public IReadOnlyList<string> Scopes { get; init; } = [];
    /// <summary>A <c>datetime-local</c> value, read as UTC.</summary>
    public string ExpiresAt { get; init; } = "";
    public string RateLimitRequests { get; init; } = "";
    public string RateLimitWindowSeconds { get; init; } = "";
    /// <summary>One address or CIDR block per line (commas also separate).</summary>
    public string AllowedIps { get; init; } = "";

    public static ApiKeyForm From(IFormCollection form) => new()
    {
        Name = form[NameField].ToString(),
        Scopes = form[ScopesField].Where(s => !string.IsNullOrEmpty(s)).Select(s => s!).ToList(),
        ExpiresAt = form[ExpiresAtField].ToString().Trim(),
        RateLimitRequests = form[RequestsField].ToString().Trim(),
        RateLimitWindowSeconds = form[WindowField].ToString().Trim(),
        AllowedIps = form[AllowedIpsField].ToString(),
    };

    /// <summary>The API request these fields stand for, or the fields that cannot be read, keyed as the API keys its errors.</summary>
    public CreateApiKeyRequest? ToRequest(out Dictionary<string, string[]> errors)
    {
        errors = [];
        DateTime? expiresAt = null;
        if (ExpiresAt.Length > 0)
        {
            if (DateTime.TryParseExact(ExpiresAt, ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd"], CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed))
                expiresAt = DateTime.SpecifyKind(parsed, DateTimeKind.Utc);
            else errors[ExpiresAtField] = ["Enter a date and time such as 2027-01-31T18:00 (UTC)."];
        }

        RateLimitSetting? rateLimit = null;
        if (RateLimitRequests.Length > 0 || RateLimitWindowSeconds.Length > 0)
        {
            var requests = Whole(RateLimitRequests);
            var window = Whole(RateLimitWindowSeconds);
            if (requests is null || window is null) errors[RateLimitField] = ["Enter both the number of requests and the window in seconds, as whole numbers."];
            else rateLimit = new RateLimitSetting(requests, window);
        }

        var ips = AllowedIps.Split(['\n', '\r', ',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return errors.Count > 0 ? null : new CreateApiKeyRequest(Name, [.. Scopes], expiresAt, rateLimit, ips.Length > 0 ? ips : null);
    }

    private static int? Whole(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
}
