using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Jira;

/// <summary>
/// Calls to Jira Cloud through Atlassian's API gateway: <c>{api}/ex/jira/{cloudid}/rest/api/3/…</c>
/// (https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/#3--make-calls-to-the-api-using-the-access-token),
/// the cloud id being the one <see cref="JiraConnector.CompleteConnectionAsync"/> kept with the tokens. The gateway's host
/// is the operator's setting or the definition's (never a URL Jira sent), and the cloud id is checked before it goes
/// into a path.
/// </summary>
public static partial class JiraApi
{
    public const string CloudIdExtra = "cloudId", SiteUrlExtra = "siteUrl";

    [GeneratedRegex("^[0-9A-Za-z-]{8,64}$")]
    private static partial Regex CloudIdShape();

    public static bool IsCloudId(string? id) => id is not null && CloudIdShape().IsMatch(id);

    /// <summary>
    /// A site as the installations' provider account (<see cref="IntegrationInstallation.ProviderAccountId"/>) and the app-wide
    /// webhook route name it: the origin of its URL (<c>https://acme.atlassian.net</c>, lower case, no path), from
    /// <c>accessible-resources</c>' <c>url</c> or a delivery's <c>self</c> link. Null for anything but an absolute https URL.
    /// </summary>
    public static string? SiteOrigin(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps && uri.Host.Length > 0
            ? uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant() : null;

    public static async Task<string> BaseAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var cloudId = (await context.Http.TokensAsync(cancellationToken)).ExtraValue(CloudIdExtra);
        if (!IsCloudId(cloudId))
            throw new ProviderException("The Jira connection names no site (cloud id); connect the installation again.", null, "no_cloud_id", retryable: false)
                { NeedsReauthorization = true };
        return $"{context.BaseUrl().TrimEnd('/')}/ex/jira/{cloudId}/rest/api/3";
    }

    /// <summary>Sends a JSON request to <c>{base}{path}</c>; answers the success, throws Jira's error.</summary>
    public static async Task<ProviderResponse> SendAsync(ConnectorContext context, HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        var url = await BaseAsync(context, cancellationToken) + path;
        var response = await context.Http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(method, url);
            request.Headers.Accept.ParseAdd("application/json");
            if (body is not null) request.Content = JsonContent.Create(body);
            return request;
        }, cancellationToken);
        return response.IsSuccess ? response : throw JiraErrors.From(response, context.Time);
    }

    public static JsonObject Body(ProviderResponse response) =>
        response.Json() as JsonObject ?? throw new ProviderException("Jira's answer is not a JSON object.", response.Status, ProviderException.Truncate(response.Body), retryable: true);

    /// <summary>
    /// Jira's times (<c>2026-12-04T10:15:30.123+0100</c>: the offset without a colon, in the connected user's time zone).
    /// </summary>
    public static DateTimeOffset? ParseTime(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (text.Length > 5 && (text[^5] is '+' or '-') && text[^4..].All(char.IsAsciiDigit)) text = text[..^2] + ":" + text[^2..];
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
    }
}

/// <summary>The installation's Jira settings with the schema's defaults filled in.</summary>
public sealed class JiraSettings
{
    public static readonly IReadOnlyDictionary<string, string> DefaultPriorities = new Dictionary<string, string>
    {
        ["low"] = "Low", ["normal"] = "Medium", ["high"] = "High", ["urgent"] = "Highest",
    };

    /// <summary>Jira's status categories (<c>statusCategory.key</c>) → ticket status.</summary>
    public static readonly IReadOnlyDictionary<string, string> DefaultStatuses = new Dictionary<string, string>
    {
        ["new"] = "open", ["indeterminate"] = "pending", ["done"] = "resolved",
    };

    public required string ProjectKey { get; init; }
    public string IssueType { get; private init; } = "Task";
    public string? Site { get; private init; }
    public Dictionary<string, string> ToJiraPriority { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> ToCrmPriority { get; } = new(StringComparer.OrdinalIgnoreCase);
    public Dictionary<string, string> ToTicketStatus { get; } = new(StringComparer.OrdinalIgnoreCase);

    public static JiraSettings For(ConnectorContext context)
    {
        var settings = new JiraSettings
        {
            ProjectKey = context.Required("projectKey"),
            IssueType = context.Value("issueType") ?? "Task",
            Site = context.Value("site"),
        };
        foreach (var (crm, jira) in DefaultPriorities) settings.ToJiraPriority[crm] = jira;
        if (context.Config["priorityMapping"] is JsonObject priorities)
            foreach (var (crm, value) in priorities)
                if (JiraErrors.Text(value) is { } jira) settings.ToJiraPriority[crm] = jira;
        foreach (var (crm, jira) in settings.ToJiraPriority) settings.ToCrmPriority.TryAdd(jira, crm);
        foreach (var (category, status) in DefaultStatuses) settings.ToTicketStatus[category] = status;
        if (context.Config["statusMapping"] is JsonObject statuses)
            foreach (var (jira, value) in statuses)
                if (JiraErrors.Text(value) is { } status) settings.ToTicketStatus[jira] = status;
        return settings;
    }

    /// <summary>The ticket status of an issue's status: its name's mapping, else its category's.</summary>
    public string? TicketStatus(string? name, string? category) =>
        name is not null && ToTicketStatus.TryGetValue(name, out var byName) ? byName
        : category is not null && ToTicketStatus.TryGetValue(category, out var byCategory) ? byCategory
        : null;

    /// <summary>JQL's string literal for the project key (the schema's pattern already leaves no quote to escape).</summary>
    public string ProjectClause => $"project = \"{ProjectKey}\"";
}
