using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Tickets;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Syncs;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Providers.GitHub;

/// <summary>
/// The <c>comments</c> sync: comments on the issues opened from tickets become CRM notes (activities of type
/// <c>note</c>, on the ticket's contact). It reads "List issue comments for a repository"
/// (<c>GET /repos/{owner}/{repo}/issues/comments</c>, https://docs.github.com/en/rest/issues/comments#list-issue-comments-for-a-repository)
/// sorted by <c>updated</c> ascending, 100 a page, with <c>since</c> (comments updated at or after it) set to the previous
/// run's high-water mark. Each next page is a new query anchored at the last <c>updated_at</c> read (keyset paging: the
/// comments of that very second come again and the engine skips them as unchanged), not the <c>page</c> offset: a
/// comment edited while a run pages moves to the end and, with offsets, the one behind it would slip into a page already
/// read. Offsets (<c>page</c>, as the <c>Link</c> header's rel="next" gives it) are used only while a whole page shares
/// the anchor's second. Comments on issues no ticket opened are counted as skipped.
/// </summary>
public sealed class CommentsSync : ISyncModel, ISyncFieldMap
{
    public IReadOnlyList<string> Fields { get; } = ["type", "subject", "notes", "occurredAt", "contactId"];

    public async Task<SyncPage> PullAsync(ConnectorContext context, string? since, string? pageCursor, CancellationToken cancellationToken)
    {
        var (anchor, page) = ParseCursor(pageCursor, since);
        var query = $"{GitHubApi.RepoPath(context)}/issues/comments?sort=updated&direction=asc&per_page={GitHubApi.PageSize}"
            + (anchor is null ? "" : "&since=" + Uri.EscapeDataString(anchor.Value.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)))
            + (page > 1 ? $"&page={page}" : "");
        var response = await GitHubApi.SendAsync(context, HttpMethod.Get, query, null, cancellationToken);
        var comments = (response.Json() as JsonArray ?? throw new ProviderException("GitHub's comment list is not a JSON array.", response.Status, null, retryable: true))
            .OfType<JsonObject>().ToList();

        // The issue each comment belongs to (the number ends its issue_url), and the tickets those issues were opened for.
        var numbers = comments.Select(IssueNumber).OfType<string>().Distinct().ToList();
        var db = context.Services.GetRequiredService<SwitchboardDbContext>();
        var links = await db.Set<IntegrationRecordLink>().IgnoreQueryFilters()
            .Where(l => l.InstallationId == context.Installation.Id && l.Model == GitHubDefinition.IssuesModel && numbers.Contains(l.RemoteId))
            .ToDictionaryAsync(l => l.RemoteId, l => l.LocalId, cancellationToken);
        var ticketIds = links.Values.ToList();
        var contacts = await db.Set<Ticket>().IgnoreQueryFilters()
            .Where(t => t.OrganizationId == context.Installation.OrganizationId && ticketIds.Contains(t.Id))
            .ToDictionaryAsync(t => t.Id, t => t.ContactId, cancellationToken);

        var repo = $"{GitHubApi.Owner(context)}/{GitHubApi.Repo(context)}";
        var records = new List<SyncRecord>();
        var skipped = 0;
        DateTime? last = null;
        foreach (var comment in comments)
        {
            var updated = GitHubApi.Time(comment["updated_at"]) ?? GitHubApi.Time(comment["created_at"]) ?? context.Time.GetUtcNow().UtcDateTime;
            last = last is null || updated > last ? updated : last;
            if (IssueNumber(comment) is not { } number || !links.TryGetValue(number, out var ticketId) || !contacts.TryGetValue(ticketId, out var contactId)
                || GitHubApi.Number(comment["id"]) is not { } id)
            {
                skipped++;
                continue;
            }
            var login = GitHubApi.Text(comment["user"]?["login"]) ?? "ghost";
            records.Add(new SyncRecord(id.ToString(CultureInfo.InvariantCulture), updated, new JsonObject
            {
                ["type"] = "note",
                ["subject"] = GitHubApi.Cut($"GitHub comment by @{login} on {repo}#{number}", 300),
                ["notes"] = GitHubApi.Cut(GitHubApi.Text(comment["body"]) ?? "", 20_000),
                ["occurredAt"] = (GitHubApi.Time(comment["created_at"]) ?? updated).ToString("O", CultureInfo.InvariantCulture),
                ["contactId"] = contactId,
            }));
        }

        string? next = null;
        if (GitHubApi.NextPage(response) is { } nextPage)
        {
            var lastSecond = last is null ? (DateTime?)null : Truncate(last.Value);
            next = lastSecond is not null && lastSecond != anchor ? Cursor(lastSecond, 1) : Cursor(anchor, nextPage);
        }
        var mark = last?.ToString("O", CultureInfo.InvariantCulture);
        return new SyncPage(records, next, mark, skipped);
    }

    /// <summary>The sync only reads GitHub: CRM notes are not written back as comments.</summary>
    public Task<SyncRecord> PushAsync(ConnectorContext context, string? remoteId, JsonObject fields, CancellationToken cancellationToken) =>
        throw new ProviderException("The GitHub comments sync only reads from GitHub.", null, null, retryable: false);

    private static string? IssueNumber(JsonObject comment) =>
        GitHubApi.Text(comment["issue_url"]) is { } url && url.TrimEnd('/') is var trimmed && trimmed[(trimmed.LastIndexOf('/') + 1)..] is { Length: > 0 } number
            && number.All(char.IsAsciiDigit) ? number : null;

    private static DateTime Truncate(DateTime at) => new(at.Ticks - at.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    /// <summary>The page cursor: the query's anchor (<c>since</c>, to the second) and GitHub's page within it.</summary>
    private static string Cursor(DateTime? anchor, int page) =>
        $"{anchor?.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}|{page.ToString(CultureInfo.InvariantCulture)}";

    private static (DateTime? Anchor, int Page) ParseCursor(string? cursor, string? since)
    {
        static DateTime? Parse(string? text) =>
            DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? Truncate(at.UtcDateTime) : null;
        if (string.IsNullOrEmpty(cursor)) return (Parse(since), 1);
        var bar = cursor.IndexOf('|', StringComparison.Ordinal);
        var page = bar >= 0 && int.TryParse(cursor[(bar + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p > 0 ? p : 1;
        return (Parse(bar >= 0 ? cursor[..bar] : cursor), page);
    }
}
