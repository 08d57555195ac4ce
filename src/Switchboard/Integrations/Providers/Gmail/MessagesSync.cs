using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Contacts;
using Switchboard.Crm.Leads;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Providers.Google;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Providers.Gmail;

/// <summary>
/// The <c>messages</c> sync: a mailbox's inbound and sent mail as <c>email</c> activities on the CRM contact or lead
/// whose address matches, by Gmail's own synchronization (https://developers.google.com/workspace/gmail/api/guides/sync).
/// <para>
/// Full sync (the first run, and whenever Gmail no longer has the history asked for): <c>users.getProfile</c> first, whose
/// <c>historyId</c> is the mailbox's current point and becomes the high-water mark once the listing is done (taken
/// before listing, so mail arriving meanwhile is read again by the next run rather than missed); then
/// <c>users.messages.list</c> (https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.messages/list)
/// of each configured label in turn (<c>labelIds</c> takes messages with all the labels given, so one label a listing),
/// with <c>q=newer_than:{days}d</c>, paged by <c>nextPageToken</c>.
/// </para>
/// <para>
/// Partial sync: <c>users.history.list</c> (https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.history/list)
/// from the stored history id with <c>historyTypes=messageAdded</c>, paged by <c>nextPageToken</c>; the last page's
/// <c>historyId</c> is the next high-water mark. Messages added carry their labels, so those of no configured label
/// cost no further call. Gmail answers 404 for a history id out of its range ("typically valid for at least a week");
/// its remedy is a full sync, which this model starts itself within the same run. The page cursor says which listing a
/// page belongs to (<c>full:{historyId}:{label}:{pageToken}</c> or <c>incremental:{pageToken}</c>), so a resumed run
/// goes on with the right one and the engine needs no special case.
/// </para>
/// <para>
/// Each message is read with <c>users.messages.get?format=metadata</c> (its headers and snippet; the guide's batch
/// endpoint would save round trips, not quota). It is <em>sent</em> when it has the <c>SENT</c> label (matched on its
/// To, Cc and Bcc) and <em>inbound</em> otherwise (matched on From); a message whose addresses match no contact and no
/// lead creates nothing and is counted as skipped. The message id is the remote id, so a message listed again (a full
/// sync after an incremental one, a message in INBOX and SENT) is recognized by the engine's id map, never logged twice.
/// The subject is the activity's subject, the snippet (HTML entities decoded) its notes, the message's
/// <c>internalDate</c> its time; the direction, addresses and thread id go into its metadata.
/// </para>
/// </summary>
public sealed class MessagesSync(TimeProvider time, ILogger logger) : ISyncModel
{
    /// <summary>Message ids a page lists (Gmail's default 100, at most 500): each costs a <c>messages.get</c>, 5 quota units.</summary>
    public const int PageSize = 100;
    private const string FullPrefix = "full:", IncrementalPrefix = "incremental:", Sent = "SENT";
    private const int MaxSubject = 300, MaxNotes = 20_000, MaxMetadataValue = 500;
    private static readonly string[] MetadataHeaders = ["From", "To", "Cc", "Bcc", "Subject"];

    public async Task<SyncPage> PullAsync(ConnectorContext context, string? since, string? pageCursor, CancellationToken cancellationToken)
    {
        var settings = GmailSettings.For(context);
        if (pageCursor is null) return since is null ? await FullAsync(context, settings, null, 0, null, cancellationToken)
            : await IncrementalAsync(context, settings, since, null, cancellationToken);
        if (pageCursor.StartsWith(IncrementalPrefix, StringComparison.Ordinal))
            return await IncrementalAsync(context, settings, since ?? throw BadCursor(pageCursor), pageCursor[IncrementalPrefix.Length..], cancellationToken);
        if (!pageCursor.StartsWith(FullPrefix, StringComparison.Ordinal)) throw BadCursor(pageCursor);
        var parts = pageCursor[FullPrefix.Length..].Split(':', 3);
        if (parts.Length != 3 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var label)) throw BadCursor(pageCursor);
        return await FullAsync(context, settings, parts[0], label, parts[2].Length == 0 ? null : parts[2], cancellationToken);
    }

    /// <summary>The sync writes activities from mail; it never writes mail from the CRM (the model is pull only).</summary>
    public Task<SyncRecord> PushAsync(ConnectorContext context, string? remoteId, JsonObject fields, CancellationToken cancellationToken) =>
        throw new ProviderException("Gmail's messages sync only reads mail; activities are not pushed to Gmail.", null, null, retryable: false);

    /// <summary>One page of the full listing: <paramref name="label"/>'s messages, then the next label's, then the history id as high-water mark.</summary>
    private async Task<SyncPage> FullAsync(ConnectorContext context, GmailSettings settings, string? historyId, int label, string? pageToken,
        CancellationToken cancellationToken)
    {
        if (historyId is null)
        {
            var profile = await GetAsync(context, GmailSettings.Mailbox(context) + "/profile", cancellationToken);
            historyId = Text(profile, "historyId") ?? throw new ProviderException("Gmail answered a profile without a historyId.", 200, null, retryable: true);
        }
        if (label >= settings.LabelIds.Count) return new SyncPage([], null, historyId); // the labels were changed while the run was resumed
        var url = $"{GmailSettings.Mailbox(context)}/messages?labelIds={Uri.EscapeDataString(settings.LabelIds[label])}"
            + $"&q={Uri.EscapeDataString($"newer_than:{settings.InitialSyncDays}d")}&maxResults={PageSize}";
        if (pageToken is not null) url += "&pageToken=" + Uri.EscapeDataString(pageToken);
        var list = await GetAsync(context, url, cancellationToken);
        var ids = (list["messages"] as JsonArray ?? []).OfType<JsonObject>().Select(m => Text(m, "id")).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        var (records, skipped) = await RecordsAsync(context, ids, cancellationToken);
        string? next = Text(list, "nextPageToken") is { } token ? $"{FullPrefix}{historyId}:{label}:{token}"
            : label + 1 < settings.LabelIds.Count ? $"{FullPrefix}{historyId}:{label + 1}:" : null;
        return new SyncPage(records, next, next is null ? historyId : null, skipped);
    }

    /// <summary>One page of the mailbox's history since <paramref name="since"/>; a 404 (history no longer kept) starts the full sync.</summary>
    private async Task<SyncPage> IncrementalAsync(ConnectorContext context, GmailSettings settings, string since, string? pageToken, CancellationToken cancellationToken)
    {
        var url = $"{GmailSettings.Mailbox(context)}/history?startHistoryId={Uri.EscapeDataString(since)}&historyTypes=messageAdded&maxResults={PageSize}";
        if (pageToken is not null) url += "&pageToken=" + Uri.EscapeDataString(pageToken);
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), cancellationToken);
        if (response.Status == 404)
        {
            // "If the startHistoryId is outside the available range of history records, the API returns HTTP 404 … your
            // client must perform a full sync" (the sync guide). Started here, from its first page.
            logger.LogWarning("Gmail no longer has the history from {HistoryId} for installation {InstallationId}: starting a full sync",
                since, context.Installation.Id);
            return await FullAsync(context, settings, null, 0, null, cancellationToken);
        }
        var json = Json(response);
        var labels = settings.LabelIds.ToHashSet(StringComparer.Ordinal);
        var ids = (json["history"] as JsonArray ?? []).OfType<JsonObject>()
            .SelectMany(h => (h["messagesAdded"] as JsonArray ?? []).OfType<JsonObject>())
            .Select(added => added["message"] as JsonObject).OfType<JsonObject>()
            .Where(m => (m["labelIds"] as JsonArray ?? []).OfType<JsonValue>().Any(l => l.TryGetValue<string>(out var id) && labels.Contains(id)))
            .Select(m => Text(m, "id")).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        var (records, skipped) = await RecordsAsync(context, ids, cancellationToken);
        var next = Text(json, "nextPageToken");
        return new SyncPage(records, next is null ? null : IncrementalPrefix + next,
            next is null ? Text(json, "historyId") ?? since : null, skipped);
    }

    /// <summary>Reads the messages and maps those that match a contact or lead; answers the records and how many were skipped.</summary>
    private async Task<(List<SyncRecord> Records, int Skipped)> RecordsAsync(ConnectorContext context, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var messages = new List<Message>();
        var skipped = 0;
        foreach (var id in ids)
        {
            var url = $"{GmailSettings.Mailbox(context)}/messages/{Uri.EscapeDataString(id)}?format=metadata"
                + string.Concat(MetadataHeaders.Select(h => "&metadataHeaders=" + h));
            var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), cancellationToken);
            if (response.Status == 404) { skipped++; continue; } // deleted since it was listed
            messages.Add(Message.Of(Json(response)));
        }
        if (messages.Count == 0) return ([], skipped);

        var addresses = messages.SelectMany(m => m.Counterparts).ToHashSet(StringComparer.Ordinal);
        var (contacts, leads) = await MatchesAsync(context, addresses, cancellationToken);
        var records = new List<SyncRecord>();
        foreach (var message in messages)
        {
            var contact = message.Counterparts.Select(a => contacts.GetValueOrDefault(a)).FirstOrDefault(c => c is not null);
            var lead = message.Counterparts.Select(a => leads.GetValueOrDefault(a)).FirstOrDefault(l => l is not null);
            if (contact is null && lead is null) { skipped++; continue; }
            records.Add(message.ToRecord(contact, lead));
        }
        return (records, skipped);
    }

    /// <summary>
    /// The organization's contacts and leads by address (the CRM stores addresses lower-cased), in one query each, in a
    /// scope of its own: the engine's run scope may be busy on its own context while the next page is fetched.
    /// </summary>
    private static async Task<(Dictionary<string, string> Contacts, Dictionary<string, string> Leads)> MatchesAsync(ConnectorContext context,
        HashSet<string> addresses, CancellationToken cancellationToken)
    {
        if (addresses.Count == 0) return ([], []);
        await using var scope = context.Services.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope();
        var organizationId = context.Installation.OrganizationId;
        scope.ServiceProvider.GetRequiredService<TenantScope>().OrganizationId = organizationId;
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var list = addresses.ToList();
        // The oldest record of an address wins when several share it: the same choice on every run.
        var contacts = (await db.Set<Contact>().AsNoTracking().Where(c => c.OrganizationId == organizationId && c.Email != null && list.Contains(c.Email))
                .OrderBy(c => c.CreatedAt).ThenBy(c => c.Id).Select(c => new { c.Email, c.Id }).ToListAsync(cancellationToken))
            .DistinctBy(c => c.Email).ToDictionary(c => c.Email!, c => c.Id, StringComparer.Ordinal);
        var leads = (await db.Set<Lead>().AsNoTracking().Where(l => l.OrganizationId == organizationId && l.Email != null && list.Contains(l.Email))
                .OrderBy(l => l.CreatedAt).ThenBy(l => l.Id).Select(l => new { l.Email, l.Id }).ToListAsync(cancellationToken))
            .DistinctBy(l => l.Email).ToDictionary(l => l.Email!, l => l.Id, StringComparer.Ordinal);
        return (contacts, leads);
    }

    /// <summary>A message as <c>messages.get?format=metadata</c> answers it, reduced to what an activity needs.</summary>
    private sealed record Message(string Id, string? ThreadId, bool IsSent, string? Subject, string? Snippet, DateTime At, string From, string To,
        IReadOnlyList<string> Counterparts)
    {
        public static Message Of(JsonObject json)
        {
            var id = Text(json, "id") ?? throw new ProviderException("Gmail answered a message without an id.", 200, null, retryable: false);
            var headers = (json["payload"]?["headers"] as JsonArray ?? []).OfType<JsonObject>()
                .Select(h => (Name: Text(h, "name") ?? "", Value: h["value"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : ""))
                .ToList();
            string Header(string name) => string.Join(", ", headers.Where(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value));
            var sent = (json["labelIds"] as JsonArray ?? []).OfType<JsonValue>().Any(l => l.TryGetValue<string>(out var label) && label == Sent);
            // internalDate: milliseconds since the epoch, as a string, when Gmail accepted the message.
            var at = Text(json, "internalDate") is { } ms && long.TryParse(ms, NumberStyles.None, CultureInfo.InvariantCulture, out var millis)
                ? DateTimeOffset.FromUnixTimeMilliseconds(millis).UtcDateTime
                : throw new ProviderException($"Gmail answered message {id} without an internalDate.", 200, null, retryable: false);
            var counterparts = (sent ? new[] { Header("To"), Header("Cc"), Header("Bcc") } : [Header("From")])
                .SelectMany(AddressesOf).Distinct(StringComparer.Ordinal).ToList();
            return new Message(id, Text(json, "threadId"), sent, Header("Subject"), Text(json, "snippet"), at, Header("From"), Header("To"), counterparts);
        }

        public SyncRecord ToRecord(string? contactId, string? leadId)
        {
            var metadata = new JsonObject { ["direction"] = IsSent ? "sent" : "inbound" };
            if (From.Length > 0) metadata["from"] = Cut(From, MaxMetadataValue);
            if (To.Length > 0) metadata["to"] = Cut(To, MaxMetadataValue);
            if (ThreadId is not null) metadata["gmailThreadId"] = ThreadId;
            var fields = new JsonObject
            {
                ["type"] = "email",
                ["subject"] = Cut(string.IsNullOrWhiteSpace(Subject) ? "(no subject)" : Subject.Trim(), MaxSubject),
                ["notes"] = Snippet is null ? null : Cut(WebUtility.HtmlDecode(Snippet), MaxNotes),
                ["occurredAt"] = At.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                ["contactId"] = contactId,
                ["leadId"] = leadId,
                ["metadata"] = metadata,
            };
            return new SyncRecord(Id, At, fields);
        }
    }

    /// <summary>The addresses of a header's value (<c>Ada &lt;ada@example.com&gt;, bob@example.com</c>), lower-cased as the CRM stores them.</summary>
    internal static IEnumerable<string> AddressesOf(string header) => GmailMime.Split(header)
        .Select(part => part.Trim())
        .Select(part => part.LastIndexOf('<') is var open and >= 0 && part.EndsWith('>') ? part[(open + 1)..^1].Trim() : part)
        .Where(address => address.Length is > 2 and <= 320 && address.Contains('@'))
        .Select(address => address.ToLowerInvariant());

    private async Task<JsonObject> GetAsync(ConnectorContext context, string url, CancellationToken cancellationToken) =>
        Json(await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), cancellationToken));

    private JsonObject Json(ProviderResponse response) => !response.IsSuccess ? throw GoogleErrors.From(response, time, GmailConnector.Api)
        : response.Json() as JsonObject ?? throw new ProviderException("Gmail answered something that is not a JSON object.", response.Status, null, retryable: true);

    private static string? Text(JsonObject json, string name) => json[name] switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim(),
        JsonValue v => v.ToJsonString(),
        _ => null,
    };

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..max];

    private static ProviderException BadCursor(string cursor) => new($"'{cursor}' is not a Gmail page cursor.", null, null, retryable: false);
}
