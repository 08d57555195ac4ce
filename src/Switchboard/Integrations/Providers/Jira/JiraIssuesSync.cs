using System.Globalization;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Syncs;

namespace Switchboard.Integrations.Providers.Jira;

/// <summary>
/// The project's issues → CRM tickets, pull only, through the enhanced JQL search
/// (<c>POST /rest/api/3/search/jql</c>, https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-post;
/// the older <c>/search</c> is deprecated) paged by its <c>nextPageToken</c>. Incremental by <c>updated</c>:
/// <c>project = "KEY" AND updated &gt;= "yyyy/MM/dd HH:mm" ORDER BY updated ASC</c>. JQL dates have minute granularity and are read
/// in the connected user's time zone, so the mark is written in the offset Jira itself reported for the newest issue and
/// starts a minute early: issues of that minute come again and the engine skips them as unchanged.
/// <para>
/// Pull only: an issue's summary, status and priority follow Jira (an issue is where the work on a ticket happens); the
/// ticket's own edits are not pushed back, since a status in Jira changes by a workflow transition, not by a write, and
/// a ticket status has no single transition it maps to.
/// </para>
/// </summary>
public sealed class JiraIssuesSync(TimeProvider time) : ISyncModel, ISyncFieldMap
{
    /// <summary>Issues a page: the enhanced search answers at most 100 when fields beyond id and key are asked for.</summary>
    public const int PageSize = 100;
    public static readonly string[] JiraFields = ["summary", "status", "priority", "updated"];
    public static readonly TimeSpan Overlap = TimeSpan.FromMinutes(1);

    public IReadOnlyList<string> Fields { get; } = ["subject", "status", "priority"];

    public async Task<SyncPage> PullAsync(ConnectorContext context, string? since, string? pageCursor, CancellationToken cancellationToken)
    {
        // A run's first page is where the scheduler's regular visit keeps the dynamic webhook alive.
        if (string.IsNullOrEmpty(pageCursor)) await JiraWebhookRefresh.RefreshIfDueAsync(context, cancellationToken);
        var settings = JiraSettings.For(context);
        var body = new JsonObject
        {
            ["jql"] = Jql(settings, since),
            ["maxResults"] = PageSize,
            ["fields"] = new JsonArray([.. JiraFields.Select(f => (JsonNode)f)]),
        };
        if (!string.IsNullOrEmpty(pageCursor)) body["nextPageToken"] = pageCursor;
        var json = JiraApi.Body(await JiraApi.SendAsync(context, HttpMethod.Post, "/search/jql", body, cancellationToken));
        var issues = (json["issues"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var records = issues.Select(i => Read(i, settings)).ToList();
        var newest = issues.Select(i => JiraApi.ParseTime(JiraErrors.Text(i["fields"]?["updated"]))).OfType<DateTimeOffset>().DefaultIfEmpty().Max();
        var isLast = json["isLast"] is JsonValue last && last.TryGetValue<bool>(out var l) ? l : JiraErrors.Text(json["nextPageToken"]) is null;
        return new SyncPage(records, isLast ? null : JiraErrors.Text(json["nextPageToken"]),
            newest == default ? null : newest.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", CultureInfo.InvariantCulture));
    }

    public static string Jql(JiraSettings settings, string? since)
    {
        var jql = settings.ProjectClause;
        if (JiraApi.ParseTime(since) is { } mark)
            jql += $" AND updated >= \"{(mark - Overlap).ToString("yyyy/MM/dd HH:mm", CultureInfo.InvariantCulture)}\"";
        return jql + " ORDER BY updated ASC";
    }

    public Task<SyncRecord> PushAsync(ConnectorContext context, string? remoteId, JsonObject fields, CancellationToken cancellationToken) =>
        throw new ProviderException("The Jira issues sync is pull only.", null, null, retryable: false);

    /// <summary>An issue (<c>{"id","key","fields":{summary,status{name,statusCategory{key}},priority{name},updated}}</c>) in ticket names.</summary>
    public SyncRecord Read(JsonObject issue, JiraSettings settings)
    {
        var fields = issue["fields"] as JsonObject ?? [];
        var mapped = new JsonObject();
        if (JiraErrors.Text(fields["summary"]) is { } summary) mapped["subject"] = summary.Length <= 300 ? summary : summary[..300];
        if (settings.TicketStatus(JiraErrors.Text(fields["status"]?["name"]), JiraErrors.Text(fields["status"]?["statusCategory"]?["key"])) is { } status)
            mapped["status"] = status;
        if (JiraErrors.Text(fields["priority"]?["name"]) is { } priority && settings.ToCrmPriority.TryGetValue(priority, out var crmPriority))
            mapped["priority"] = crmPriority;
        var modified = JiraApi.ParseTime(JiraErrors.Text(fields["updated"]))?.UtcDateTime ?? time.GetUtcNow().UtcDateTime;
        return new SyncRecord(JiraErrors.Text(issue["id"]) ?? throw new ProviderException("A Jira issue has no id.", null, null, retryable: false), modified, mapped);
    }
}
