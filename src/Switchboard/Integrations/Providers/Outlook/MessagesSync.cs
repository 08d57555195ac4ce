using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Contacts;
using Switchboard.Crm.Leads;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Providers.Microsoft;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Providers.Outlook;

/// <summary>
/// The <c>messages</c> sync (pull): received and sent mail as <c>email</c> activities on the CRM contact or lead it was
/// exchanged with, by Graph's message delta query per folder
/// (https://learn.microsoft.com/graph/api/message-delta, https://learn.microsoft.com/graph/delta-query-messages).
/// <para>
/// A run reads the Inbox and then (unless <c>syncSentItems</c> is off) Sent Items. A folder's first round starts at
/// <c>/me/mailFolders/{inbox|sentitems}/messages/delta</c> with <c>$select</c>; every later page is Graph's
/// <c>@odata.nextLink</c>, and the round's last page gives an <c>@odata.deltaLink</c>, where the folder's next run starts.
/// The run's page cursor and high-water mark are small JSON documents holding those links as Graph gave them:
/// the cursor <c>{"folder","link","done"}</c> (the folder being read, the page to read next, the delta links of the
/// folders already finished), the high-water mark <c>{"inbox":deltaLink,"sentitems":deltaLink}</c>. A delta link Graph
/// no longer takes (410 Gone or <c>syncStateNotFound</c>: Outlook keeps delta tokens in a cache of limited size) starts
/// that folder's full round again within the run; the activities already made are found again by message id (the
/// engine's link map), so nothing is added twice.
/// </para>
/// <para>
/// Every request asks (RFC 7240 <c>Prefer</c>, as the message delta documents) for pages of <see cref="PageSize"/>,
/// immutable ids (a message moved between folders keeps its id, so its activity is not made twice) and bodies as text.
/// A message becomes an activity when its other party is a CRM contact (else a lead) by email: the sender of a received
/// message, the first matching To or Cc recipient of a sent one. Other mail, drafts and removals are skipped: an
/// activity records that mail was exchanged, so deleting the mail in Outlook does not delete it.
/// </para>
/// </summary>
public sealed class MessagesSync(TimeProvider time, ILogger logger) : ISyncModel
{
    public const int PageSize = 50;
    public const string Inbox = "inbox", SentItems = "sentitems";
    /// <summary>What an activity needs of a message; Graph answers nothing else.</summary>
    public const string Select = "id,subject,body,bodyPreview,from,toRecipients,ccRecipients,receivedDateTime,sentDateTime,lastModifiedDateTime,isDraft,internetMessageId,conversationId";
    private const int MaxSubject = 300, MaxNotes = 20_000, MaxMetadataValue = 500, MaxCursor = 4000;
    private static readonly string[] Prefer = [$"odata.maxpagesize={PageSize}", "IdType=\"ImmutableId\"", "outlook.body-content-type=\"text\""];

    private sealed record Cursor(string Folder, string? Link, Dictionary<string, string> Done);

    public async Task<SyncPage> PullAsync(ConnectorContext context, string? since, string? pageCursor, CancellationToken cancellationToken)
    {
        var settings = OutlookSettings.For(context);
        string[] folders = settings.SyncSentItems ? [Inbox, SentItems] : [Inbox];
        var cursor = pageCursor is null ? new Cursor(folders[0], null, []) : Parse(pageCursor);
        if (!folders.Contains(cursor.Folder)) throw new ProviderException($"'{cursor.Folder}' is not a folder this sync reads.", null, null, retryable: false);
        var marks = Marks(since);

        // Links are read back from the database: the bearer token only goes to one under the configured Graph base URL.
        var start = cursor.Link is { } link && GraphDelta.IsOwnLink(context, link) ? link
            : marks.TryGetValue(cursor.Folder, out var mark) && GraphDelta.IsOwnLink(context, mark) ? mark : null;
        var page = start is null ? null : await GraphDelta.ReadAsync(context, start, Prefer, OutlookConnector.Name, time, cancellationToken);
        if (page is null)
        {
            if (start is not null)
                logger.LogWarning("Microsoft Graph refused the {Folder} delta token of installation {InstallationId}: starting that folder's full round",
                    cursor.Folder, context.Installation.Id);
            page = await GraphDelta.ReadAsync(context, InitialUrl(context, cursor.Folder), Prefer, OutlookConnector.Name, time, cancellationToken)
                ?? throw new ProviderException("Microsoft Graph refused a new message delta round.", 410, null, retryable: true);
        }

        var records = await RecordsAsync(context, cursor.Folder, page.Items, cancellationToken);
        if (page.NextLink is { } next) return new SyncPage(records, Write(cursor with { Link = next }), null);

        // The folder's round is over: its delta link is where its next run starts. On to the next folder, or the run is done.
        var done = new Dictionary<string, string>(cursor.Done, StringComparer.Ordinal) { [cursor.Folder] = page.DeltaLink! };
        var following = Array.IndexOf(folders, cursor.Folder) + 1;
        return following < folders.Length
            ? new SyncPage(records, Write(new Cursor(folders[following], null, done)), null)
            : new SyncPage(records, null, Checked(JsonSerializer.Serialize(done)));
    }

    public Task<SyncRecord> PushAsync(ConnectorContext context, string? remoteId, JsonObject fields, CancellationToken cancellationToken) =>
        throw new ProviderException("The Outlook messages sync only reads mail; send mail with the send_email action.", null, null, retryable: false);

    /// <summary>A folder's first delta request: the only one that carries <c>$select</c> (Graph keeps it in the links it gives).</summary>
    public static string InitialUrl(ConnectorContext context, string folder) =>
        $"{context.BaseUrl()}/me/mailFolders/{folder}/messages/delta?$select={Select}";

    /// <summary>The page's messages that were exchanged with a CRM contact or lead, as email activities on it.</summary>
    private async Task<List<SyncRecord>> RecordsAsync(ConnectorContext context, string folder, IReadOnlyList<JsonObject> items, CancellationToken cancellationToken)
    {
        var outbound = folder == SentItems;
        var messages = items.Where(m => !m.ContainsKey("@removed") && !OutlookEvents.Flag(m, "isDraft") && OutlookEvents.Text(m, "id") is not null)
            .Select(m => (Message: m, Parties: Parties(m, outbound))).Where(m => m.Parties.Count > 0).ToList();
        if (messages.Count == 0) return [];

        var addresses = messages.SelectMany(m => m.Parties).Distinct(StringComparer.Ordinal).ToList();
        var organizationId = context.Installation.OrganizationId;
        // A scope of its own: the engine fetches a page while it applies and commits the previous one, and its run scope's
        // DbContext may be busy then. The installation's organization only: the tenant filter and, again, by its id.
        await using var scope = context.Services.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantScope>().OrganizationId = organizationId;
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var contacts = await db.Set<Contact>().AsNoTracking()
            .Where(c => c.OrganizationId == organizationId && c.Email != null && addresses.Contains(c.Email))
            .OrderBy(c => c.CreatedAt).ThenBy(c => c.Id).Select(c => new { c.Id, c.Email }).ToListAsync(cancellationToken);
        var leads = await db.Set<Lead>().AsNoTracking()
            .Where(l => l.OrganizationId == organizationId && l.Email != null && addresses.Contains(l.Email))
            .OrderBy(l => l.CreatedAt).ThenBy(l => l.Id).Select(l => new { l.Id, l.Email }).ToListAsync(cancellationToken);
        // The oldest record of an address wins when several share it, so a message always lands on the same one.
        var contactOf = contacts.GroupBy(c => c.Email!).ToDictionary(g => g.Key, g => g.First().Id, StringComparer.Ordinal);
        var leadOf = leads.GroupBy(l => l.Email!).ToDictionary(g => g.Key, g => g.First().Id, StringComparer.Ordinal);

        var now = time.GetUtcNow().UtcDateTime;
        var records = new List<SyncRecord>();
        foreach (var (message, parties) in messages)
        {
            // A contact before a lead: the same person as both is the contact the lead became.
            var party = parties.FirstOrDefault(contactOf.ContainsKey) ?? parties.FirstOrDefault(leadOf.ContainsKey);
            if (party is null) continue;
            records.Add(ToRecord(message, folder, party, contactOf.GetValueOrDefault(party), contactOf.ContainsKey(party) ? null : leadOf[party], now));
        }
        return records;
    }

    /// <summary>The other party's addresses, lower case (as the CRM stores emails): a received message's sender, a sent one's To and Cc recipients.</summary>
    private static List<string> Parties(JsonObject message, bool outbound) => outbound
        ? OutlookMail.AddressesOf(message["toRecipients"]).Concat(OutlookMail.AddressesOf(message["ccRecipients"])).Distinct(StringComparer.Ordinal).ToList()
        : OutlookMail.Address(message["from"]) is { } sender ? [sender] : [];

    private static SyncRecord ToRecord(JsonObject message, string folder, string party, string? contactId, string? leadId, DateTime now)
    {
        var outbound = folder == SentItems;
        var at = OutlookEvents.Instant(OutlookEvents.Text(message, outbound ? "sentDateTime" : "receivedDateTime"))
            ?? OutlookEvents.Instant(OutlookEvents.Text(message, "receivedDateTime"));
        var modified = OutlookEvents.Instant(OutlookEvents.Text(message, "lastModifiedDateTime"))?.UtcDateTime ?? at?.UtcDateTime ?? now;
        var metadata = new JsonObject
        {
            ["direction"] = outbound ? "outbound" : "inbound",
            ["folder"] = folder,
            [outbound ? "to" : "from"] = party,
        };
        if (OutlookEvents.Text(message, "internetMessageId") is { } internetId) metadata["internetMessageId"] = OutlookEvents.Cut(internetId, MaxMetadataValue);
        if (OutlookEvents.Text(message, "conversationId") is { } conversation) metadata["conversationId"] = OutlookEvents.Cut(conversation, MaxMetadataValue);
        var fields = new JsonObject
        {
            ["type"] = "email",
            ["subject"] = OutlookEvents.Cut(OutlookEvents.Text(message, "subject") ?? "(no subject)", MaxSubject),
            ["notes"] = OutlookEvents.BodyText(message) is { } body ? OutlookEvents.Cut(body.Trim(), MaxNotes) : null,
            ["occurredAt"] = OutlookEvents.Iso(at?.UtcDateTime ?? modified),
            ["contactId"] = contactId,
            ["leadId"] = leadId,
            ["metadata"] = metadata,
        };
        return new SyncRecord(OutlookEvents.Text(message, "id")!, modified, fields);
    }

    /// <summary>The previous run's delta links by folder; none (a first run, or a mark of another form) means full rounds.</summary>
    private static Dictionary<string, string> Marks(string? since)
    {
        if (since is null) return [];
        try { return JsonSerializer.Deserialize<Dictionary<string, string>>(since) ?? []; }
        catch (JsonException) { return []; }
    }

    private static Cursor Parse(string text)
    {
        try
        {
            var json = JsonNode.Parse(text) as JsonObject;
            var folder = json?["folder"]?.GetValue<string>();
            var done = json?["done"] is JsonObject d ? d.ToDictionary(p => p.Key, p => p.Value!.GetValue<string>(), StringComparer.Ordinal) : [];
            if (folder is not null) return new Cursor(folder, json!["link"]?.GetValue<string>(), done);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException) { }
        throw new ProviderException("The page cursor is not one of the Outlook messages sync.", null, null, retryable: false);
    }

    private static string Write(Cursor cursor) => Checked(new JsonObject
    {
        ["folder"] = cursor.Folder,
        ["link"] = cursor.Link,
        ["done"] = new JsonObject(cursor.Done.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
    }.ToJsonString());

    /// <summary>The engine stores cursors of at most 4,000 characters; Graph's links are far shorter, and a longer one is refused clearly.</summary>
    private static string Checked(string text) => text.Length <= MaxCursor ? text
        : throw new ProviderException($"Microsoft Graph's delta links made a cursor of {text.Length} characters (at most {MaxCursor} are stored).", null, null, retryable: false);
}
