using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// Google's OAuth endpoints (token, revoke) and the Gmail API v1 on loopback, on <see cref="FakeProvider"/>. It checks what
/// Google documents and answers Google's shapes (https://developers.google.com/workspace/gmail/api/reference/rest):
/// - every call carries <c>Authorization: Bearer</c>; an unknown, expired or revoked token is 401 <c>authError</c>; a
///   token without a scope the method accepts is 403 <c>insufficientPermissions</c> (each method's "Authorization
///   scopes": send takes gmail.send, the reads gmail.readonly; gmail.modify and mail.google.com both);
/// - <c>userId</c> is <c>me</c> (or the mailbox's address);
/// - <c>users.messages.list</c>: <c>maxResults</c> 1 to 500, <c>labelIds</c> (all must match), <c>q</c> (only
///   <c>newer_than:Nd</c> is understood here; anything else is a violation), a <c>pageToken</c> only with the parameters
///   of the listing it continues; the answer <c>{messages:[{id,threadId}], nextPageToken?, resultSizeEstimate}</c>;
/// - <c>users.messages.get</c>: <c>format</c> one of minimal/full/raw/metadata, <c>metadataHeaders</c> only with
///   metadata; the message resource (id, threadId, labelIds, snippet, historyId, internalDate, sizeEstimate, payload);
/// - <c>users.history.list</c>: <c>startHistoryId</c> required, 404 <c>notFound</c> when it is older than the history kept
///   (https://developers.google.com/workspace/gmail/api/guides/sync#limitations); <c>historyTypes</c> from the four
///   documented; <c>maxResults</c> 1 to 500; the answer's <c>historyId</c> the mailbox's current one;
/// - <c>users.messages.send</c>: a JSON body with <c>raw</c>, base64url (RFC 4648 §5), decoding to an RFC 5322 message:
///   CRLF line ends only, 7-bit lines of at most 998 characters, Date, From (the mailbox's address), To/Cc/Bcc
///   addresses, Subject, MIME-Version 1.0, a Content-Type, base64 parts, multipart/alternative with its boundary;
///   encoded-words decoded (RFC 2047) so tests read what a mail client would show;
/// - token endpoint and revocation as Google Calendar's fake checks them.
/// </summary>
public sealed partial class GmailFake : IAsyncDisposable
{
    public const string ClientId = "switchboard-test.apps.googleusercontent.com", ClientSecret = "GOCSPX-test-secret";
    public const string SendScope = "https://www.googleapis.com/auth/gmail.send", ReadScope = "https://www.googleapis.com/auth/gmail.readonly";
    public const string BothScopes = SendScope + " " + ReadScope;
    private static readonly string[] SendScopes = [SendScope, "https://www.googleapis.com/auth/gmail.compose", "https://www.googleapis.com/auth/gmail.modify", "https://mail.google.com/"];
    private static readonly string[] ReadScopes = [ReadScope, "https://www.googleapis.com/auth/gmail.modify", "https://mail.google.com/"];

    private sealed class Grant
    {
        public required string RefreshToken { get; init; }
        public required string Scope { get; init; }
        public required Mailbox Mailbox { get; init; }
        public string AccessToken { get; set; } = "";
        public bool AccessExpired { get; set; }
        public bool Revoked { get; set; }
    }

    /// <summary>A message as Gmail keeps it: its headers decoded, its labels, and the history id it was added at.</summary>
    public sealed record Message(string Id, string ThreadId, List<string> LabelIds, List<(string Name, string Value)> Headers, string Snippet,
        DateTime InternalDate, long HistoryId, string? Text = null, string? Html = null, string? ContentType = null, string? Raw = null)
    {
        public string? Header(string name) => Headers.Where(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).FirstOrDefault();
    }

    public sealed class Mailbox(string address)
    {
        public Lock Gate { get; } = new();
        public string Address { get; } = address;
        public List<Message> Messages { get; } = [];
        public List<(long Id, Message Message)> History { get; } = [];
        public long HistoryId { get; set; } = 1000;
        /// <summary>History before this id is no longer kept: a <c>startHistoryId</c> under it is 404.</summary>
        public long OldestHistory { get; set; }
        /// <summary>The API calls made with this mailbox's tokens, in order (what a test asks of one installation among many).</summary>
        public ConcurrentQueue<FakeProvider.Recorded> Calls { get; } = new();
    }

    private sealed record Listing(string Mailbox, string Parameters, List<Message> Items, int Offset);
    private sealed record HistoryListing(string Mailbox, string Parameters, List<(long Id, Message Message)> Items, int Offset, long HistoryId);

    private readonly ConcurrentDictionary<string, Grant> _byAccess = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Grant> _byRefresh = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Listing> _pages = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HistoryListing> _historyPages = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Path, int Status, string Reason, string Domain, string Message, string? RetryAfter)> _failures = new();
    private int _refreshes;
    private long _ids = 0x18c0000000000000;

    public FakeProvider Provider { get; private set; } = null!;
    /// <summary>How many items a page holds at most, whatever <c>maxResults</c> asks (Gmail may answer fewer).</summary>
    public int ServerPageSize { get; set; } = 100;
    public int Refreshes => Volatile.Read(ref _refreshes);
    /// <summary>The clock <c>newer_than</c> is read against.</summary>
    public DateTime Now { get; set; } = new(2026, 12, 4, 12, 0, 0, DateTimeKind.Utc);
    public string ApiBaseUrl => Provider.BaseUrl + "/gmail/v1";
    public string TokenUrl => Provider.BaseUrl + "/token";
    public string RevokeUrl => Provider.BaseUrl + "/revoke";

    public static async Task<GmailFake> StartAsync()
    {
        var google = new GmailFake();
        google.Provider = await FakeProvider.StartAsync((app, fake) =>
        {
            app.MapPost("/token", (Func<HttpContext, Task<IResult>>)google.TokenAsync);
            app.MapPost("/revoke", (Func<HttpContext, Task<IResult>>)google.RevokeAsync);
            app.MapGet("/gmail/v1/users/{userId}/profile", google.Profile);
            app.MapGet("/gmail/v1/users/{userId}/messages", google.List);
            app.MapGet("/gmail/v1/users/{userId}/messages/{id}", google.Get);
            app.MapPost("/gmail/v1/users/{userId}/messages/send", google.SendAsync);
            app.MapGet("/gmail/v1/users/{userId}/history", google.History);
        });
        return google;
    }

    /// <summary>A user's consent to a new mailbox, as the code exchange would leave it.</summary>
    public (string AccessToken, string RefreshToken, Mailbox Mailbox) IssueGrant(string address, string scope = BothScopes)
    {
        var grant = new Grant { RefreshToken = "1//" + Guid.NewGuid().ToString("N"), Scope = scope, Mailbox = new Mailbox(address) };
        _byRefresh[grant.RefreshToken] = grant;
        NewAccessToken(grant);
        return (grant.AccessToken, grant.RefreshToken, grant.Mailbox);
    }

    public void ExpireAccessToken(string accessToken) => _byAccess[accessToken].AccessExpired = true;

    public bool IsRevoked(string refreshToken) => _byRefresh[refreshToken].Revoked;

    /// <summary>The next call to a path ending in <paramref name="pathSuffix"/> (after its auth check) answers this error.</summary>
    public void FailNext(string pathSuffix, int status, string reason, string message, string domain = "usageLimits", string? retryAfter = null) =>
        _failures.Enqueue((pathSuffix, status, reason, domain, message, retryAfter));

    /// <summary>Gmail forgets the mailbox's history so far: a history id issued until now is answered 404.</summary>
    public static void ExpireHistory(Mailbox mailbox)
    {
        lock (mailbox.Gate) mailbox.OldestHistory = mailbox.HistoryId + 1;
    }

    /// <summary>Mail arriving in (or, with SENT, sent from) the mailbox, as Gmail would add it; answers the message.</summary>
    public Message Deliver(Mailbox mailbox, string from, string to, string subject, string snippet, DateTime at, params string[] labels)
    {
        lock (mailbox.Gate)
        {
            var id = NewId();
            var message = new Message(id, id, labels.Length == 0 ? ["INBOX", "UNREAD"] : [.. labels],
                [("From", from), ("To", to), ("Subject", subject), ("Date", at.ToString("r", CultureInfo.InvariantCulture))], snippet, at, ++mailbox.HistoryId);
            mailbox.Messages.Add(message);
            mailbox.History.Add((message.HistoryId, message));
            return message;
        }
    }

    public static List<Message> SentMessages(Mailbox mailbox)
    {
        lock (mailbox.Gate) return mailbox.Messages.Where(m => m.LabelIds.Contains("SENT") && m.Raw is not null).ToList();
    }

    private async Task<IResult> TokenAsync(HttpContext http)
    {
        if (!Provider.Require(http.Request.HasFormContentType, "the token endpoint takes application/x-www-form-urlencoded"))
            return Json(400, new JsonObject { ["error"] = "invalid_request" });
        var form = await http.Request.ReadFormAsync();
        Provider.Require(form["client_id"] == ClientId && form["client_secret"] == ClientSecret, "client_secret_post: client_id and client_secret in the form");
        if (!Provider.Require(form["grant_type"] == "refresh_token", $"grant_type '{form["grant_type"]}' (only refresh_token is exercised here)"))
            return Json(400, new JsonObject { ["error"] = "unsupported_grant_type" });
        if (!_byRefresh.TryGetValue(form["refresh_token"].ToString(), out var grant) || grant.Revoked)
            return Json(400, new JsonObject { ["error"] = "invalid_grant", ["error_description"] = "Token has been expired or revoked." });
        Interlocked.Increment(ref _refreshes);
        NewAccessToken(grant);
        return Json(200, new JsonObject { ["access_token"] = grant.AccessToken, ["expires_in"] = 3599, ["scope"] = grant.Scope, ["token_type"] = "Bearer" });
    }

    private async Task<IResult> RevokeAsync(HttpContext http)
    {
        if (!Provider.Require(http.Request.HasFormContentType, "the revocation endpoint takes application/x-www-form-urlencoded"))
            return Json(400, new JsonObject { ["error"] = "invalid_request" });
        var token = (await http.Request.ReadFormAsync())["token"].ToString();
        Provider.Require(token.Length > 0, "revoke needs the token parameter");
        var grant = _byRefresh.GetValueOrDefault(token) ?? _byAccess.GetValueOrDefault(token);
        if (grant is null || grant.Revoked) return Json(400, new JsonObject { ["error"] = "invalid_token", ["error_description"] = "Token expired or revoked" });
        grant.Revoked = true;
        return Json(200, new JsonObject());
    }

    private IResult Profile(HttpContext http, string userId)
    {
        if (Authorized(http, userId, ReadScopes.Concat(["https://www.googleapis.com/auth/gmail.compose", "https://www.googleapis.com/auth/gmail.metadata"]).ToArray(),
                out var mailbox) is { } refused) return refused;
        lock (mailbox!.Gate)
            return Json(200, new JsonObject
            {
                ["emailAddress"] = mailbox.Address, ["messagesTotal"] = mailbox.Messages.Count, ["threadsTotal"] = mailbox.Messages.Select(m => m.ThreadId).Distinct().Count(),
                ["historyId"] = mailbox.HistoryId.ToString(CultureInfo.InvariantCulture),
            });
    }

    private IResult List(HttpContext http, string userId)
    {
        if (Authorized(http, userId, ReadScopes, out var mailbox) is { } refused) return refused;
        var query = http.Request.Query;
        if (query["maxResults"].FirstOrDefault() is { } max && !Provider.Require(int.TryParse(max, out var m) && m is >= 1 and <= 500, $"maxResults={max} (1 to 500)"))
            return Error(400, "invalidArgument", "Invalid maxResults");
        var pageSize = Math.Min(int.TryParse(query["maxResults"], out var asked) ? asked : 100, ServerPageSize);
        var labels = query["labelIds"].Select(l => l!).ToList();
        var q = query["q"].FirstOrDefault();
        var parameters = $"labelIds={string.Join(",", labels)}&q={q}&maxResults={query["maxResults"]}&includeSpamTrash={query["includeSpamTrash"]}";
        Listing listing;
        if (query["pageToken"].FirstOrDefault() is { } pageToken)
        {
            if (!Provider.Require(_pages.TryGetValue(pageToken, out listing!), "a pageToken this mailbox did not issue")) return Error(400, "invalidArgument", "Invalid pageToken");
            Provider.Require(listing.Mailbox == mailbox!.Address && listing.Parameters == parameters, "a pageToken must come with the same parameters as the request that got it");
        }
        else
        {
            DateTime? after = null;
            if (q is not null)
            {
                var match = NewerThanPattern().Match(q);
                if (!Provider.Require(match.Success, $"q='{q}' (this fake knows newer_than:Nd)")) return Error(400, "invalidArgument", "Invalid query");
                after = Now.AddDays(-int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
            }
            lock (mailbox!.Gate)
                // Gmail lists newest first; spam and trash only with includeSpamTrash.
                listing = new Listing(mailbox.Address, parameters, mailbox.Messages
                    .Where(msg => labels.All(msg.LabelIds.Contains) && (after is null || msg.InternalDate > after) && !msg.LabelIds.Contains("SPAM") && !msg.LabelIds.Contains("TRASH"))
                    .OrderByDescending(msg => msg.InternalDate).ThenByDescending(msg => msg.HistoryId).ToList(), 0);
        }
        if (InjectedFailure(http) is { } failure) return failure;
        var items = listing.Items.Skip(listing.Offset).Take(pageSize).ToList();
        var body = new JsonObject
        {
            ["messages"] = new JsonArray(items.Select(i => (JsonNode)new JsonObject { ["id"] = i.Id, ["threadId"] = i.ThreadId }).ToArray()),
            ["resultSizeEstimate"] = listing.Items.Count,
        };
        if (items.Count == 0) body.Remove("messages"); // Gmail leaves the field out of an empty list
        if (listing.Offset + items.Count < listing.Items.Count)
        {
            var next = Random.Shared.NextInt64().ToString(CultureInfo.InvariantCulture).PadLeft(20, '0');
            _pages[next] = listing with { Offset = listing.Offset + items.Count };
            body["nextPageToken"] = next;
        }
        return Json(200, body);
    }

    private IResult Get(HttpContext http, string userId, string id)
    {
        if (Authorized(http, userId, ReadScopes, out var mailbox) is { } refused) return refused;
        var format = http.Request.Query["format"].FirstOrDefault() ?? "full";
        Provider.Require(format is "minimal" or "full" or "raw" or "metadata", $"format={format}");
        var wanted = http.Request.Query["metadataHeaders"].Select(h => h!).ToList();
        Provider.Require(wanted.Count == 0 || format == "metadata", "metadataHeaders only with format=metadata");
        if (InjectedFailure(http) is { } failure) return failure;
        Message? message;
        lock (mailbox!.Gate) message = mailbox.Messages.FirstOrDefault(m => m.Id == id);
        if (message is null) return Error(404, "notFound", "Requested entity was not found.", "global", "NOT_FOUND");
        var headers = format == "minimal" ? [] : message.Headers.Where(h => format != "metadata" || wanted.Count == 0 || wanted.Contains(h.Name, StringComparer.OrdinalIgnoreCase));
        var body = new JsonObject
        {
            ["id"] = message.Id, ["threadId"] = message.ThreadId, ["labelIds"] = new JsonArray(message.LabelIds.Select(l => (JsonNode)l).ToArray()),
            ["snippet"] = message.Snippet, ["historyId"] = message.HistoryId.ToString(CultureInfo.InvariantCulture),
            ["internalDate"] = new DateTimeOffset(message.InternalDate).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            ["sizeEstimate"] = 1024 + message.Snippet.Length,
        };
        if (format != "minimal")
            body["payload"] = new JsonObject
            {
                ["partId"] = "", ["mimeType"] = message.ContentType?.Split(';')[0] ?? "text/plain", ["filename"] = "",
                ["headers"] = new JsonArray(headers.Select(h => (JsonNode)new JsonObject { ["name"] = h.Name, ["value"] = h.Value }).ToArray()),
            };
        return Json(200, body);
    }

    private IResult History(HttpContext http, string userId)
    {
        if (Authorized(http, userId, ReadScopes.Append("https://www.googleapis.com/auth/gmail.metadata").ToArray(), out var mailbox) is { } refused) return refused;
        var query = http.Request.Query;
        if (!Provider.Require(long.TryParse(query["startHistoryId"], out var start), "history.list needs startHistoryId")) return Error(400, "invalidArgument", "Missing startHistoryId");
        foreach (var type in query["historyTypes"])
            Provider.Require(type is "messageAdded" or "messageDeleted" or "labelAdded" or "labelRemoved", $"historyTypes={type}");
        if (query["maxResults"].FirstOrDefault() is { } max && !Provider.Require(int.TryParse(max, out var m) && m is >= 1 and <= 500, $"maxResults={max} (1 to 500)"))
            return Error(400, "invalidArgument", "Invalid maxResults");
        var pageSize = Math.Min(int.TryParse(query["maxResults"], out var asked) ? asked : 100, ServerPageSize);
        var parameters = $"start={start}&types={string.Join(",", query["historyTypes"].ToArray())}&labelId={query["labelId"]}&maxResults={query["maxResults"]}";
        HistoryListing listing;
        if (query["pageToken"].FirstOrDefault() is { } pageToken)
        {
            if (!Provider.Require(_historyPages.TryGetValue(pageToken, out listing!), "a pageToken this mailbox did not issue")) return Error(400, "invalidArgument", "Invalid pageToken");
            Provider.Require(listing.Mailbox == mailbox!.Address && listing.Parameters == parameters, "a history pageToken must come with the same startHistoryId and parameters");
        }
        else
        {
            lock (mailbox!.Gate)
            {
                if (start < mailbox.OldestHistory) return Error(404, "notFound", "Requested entity was not found.", "global", "NOT_FOUND");
                listing = new HistoryListing(mailbox.Address, parameters, mailbox.History.Where(h => h.Id > start).ToList(), 0, mailbox.HistoryId);
            }
        }
        if (InjectedFailure(http) is { } failure) return failure;
        var items = listing.Items.Skip(listing.Offset).Take(pageSize).ToList();
        var body = new JsonObject { ["historyId"] = listing.HistoryId.ToString(CultureInfo.InvariantCulture) };
        if (items.Count > 0)
            body["history"] = new JsonArray(items.Select(h => (JsonNode)new JsonObject
            {
                ["id"] = h.Id.ToString(CultureInfo.InvariantCulture),
                ["messages"] = new JsonArray(new JsonObject { ["id"] = h.Message.Id, ["threadId"] = h.Message.ThreadId }),
                ["messagesAdded"] = new JsonArray(new JsonObject
                {
                    ["message"] = new JsonObject
                    {
                        ["id"] = h.Message.Id, ["threadId"] = h.Message.ThreadId,
                        ["labelIds"] = new JsonArray(h.Message.LabelIds.Select(l => (JsonNode)l).ToArray()),
                    },
                }),
            }).ToArray());
        if (listing.Offset + items.Count < listing.Items.Count)
        {
            var next = Random.Shared.NextInt64().ToString(CultureInfo.InvariantCulture).PadLeft(20, '0');
            _historyPages[next] = listing with { Offset = listing.Offset + items.Count };
            body["nextPageToken"] = next;
        }
        return Json(200, body);
    }

    private async Task<IResult> SendAsync(HttpContext http, string userId)
    {
        if (Authorized(http, userId, SendScopes, out var mailbox) is { } refused) return refused;
        Provider.Require(http.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true, "messages.send takes a JSON message resource");
        JsonObject? resource;
        try { resource = await System.Text.Json.JsonSerializer.DeserializeAsync<JsonObject>(http.Request.Body); }
        catch (System.Text.Json.JsonException) { resource = null; }
        if (!Provider.Require(resource?["raw"] is JsonValue, "messages.send needs the message in 'raw'")) return Error(400, "invalidArgument", "Recipient address required", "global", "INVALID_ARGUMENT");
        var raw = resource!["raw"]!.GetValue<string>();
        if (!Provider.Require(Base64UrlPattern().IsMatch(raw), "raw must be base64url (RFC 4648 §5: A-Z a-z 0-9 - _, padding optional)"))
            return Error(400, "invalidArgument", "Invalid value for ByteString", "global", "INVALID_ARGUMENT");
        var mime = Encoding.Latin1.GetString(Convert.FromBase64String(Padded(raw.Replace('-', '+').Replace('_', '/'))));
        var parsed = ParseMime(mime, mailbox!.Address);
        if (parsed is null) return Error(400, "invalidArgument", "Invalid RFC 2822 message", "global", "INVALID_ARGUMENT");
        var threadId = resource["threadId"]?.GetValue<string>();
        if (InjectedFailure(http) is { } failure) return failure;
        Message sent;
        lock (mailbox.Gate)
        {
            var id = NewId();
            sent = parsed with { Id = id, ThreadId = threadId ?? id, LabelIds = ["SENT"], InternalDate = Now, HistoryId = ++mailbox.HistoryId, Raw = mime };
            mailbox.Messages.Add(sent);
            mailbox.History.Add((sent.HistoryId, sent));
        }
        return Json(200, new JsonObject { ["id"] = sent.Id, ["threadId"] = sent.ThreadId, ["labelIds"] = new JsonArray("SENT") });
    }

    /// <summary>Reads a sent message as a mail server would, recording as violations what RFC 5322 and RFC 2045–2047 do not allow.</summary>
    private Message? ParseMime(string mime, string mailboxAddress)
    {
        if (!Provider.Require(!BareLineEndPattern().IsMatch(mime), "lines must end in CRLF (RFC 5322 §2.1), never a bare CR or LF")) return null;
        var lines = mime.Split("\r\n");
        Provider.Require(lines.All(l => l.Length <= 998), "a line is at most 998 characters (RFC 5322 §2.1.1)");
        Provider.Require(mime.All(c => c < 128), "a message without 8BITMIME is 7-bit ASCII (non-ASCII goes in encoded-words and base64)");
        var (headers, body) = SplitHeaders(mime);
        if (headers is null) { Provider.Violation("a message without a blank line after its headers"); return null; }
        string? One(string name)
        {
            var all = headers.Where(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
            Provider.Require(all.Count <= 1, $"{name} appears {all.Count} times (RFC 5322 §3.6: at most once)");
            return all.FirstOrDefault().Value;
        }
        Provider.Require(One("Date") is { } date && DateTimeOffset.TryParseExact(date, "ddd, dd MMM yyyy HH:mm:ss zzz".Replace("zzz", "'+0000'"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _),
            "Date in RFC 5322 §3.3 form");
        var from = One("From");
        Provider.Require(from is not null && Addresses(from).SequenceEqual([mailboxAddress]), $"From must be the mailbox's own address ({mailboxAddress}), was {from}");
        var recipients = new[] { "To", "Cc", "Bcc" }.Select(One).OfType<string>().SelectMany(Addresses).ToList();
        if (!Provider.Require(recipients.Count > 0, "a message with no recipient")) return null;
        foreach (var address in recipients) Provider.Require(AddressPattern().IsMatch(address), $"'{address}' is not an address");
        Provider.Require(One("Subject") is not null, "a message without a Subject");
        Provider.Require(One("MIME-Version") == "1.0", "MIME-Version: 1.0 (RFC 2045 §4)");
        var contentType = One("Content-Type");
        if (!Provider.Require(contentType is not null, "a MIME message without Content-Type")) return null;
        string? text = null, html = null;
        if (contentType!.StartsWith("multipart/alternative", StringComparison.Ordinal))
        {
            var boundary = BoundaryPattern().Match(contentType).Groups[1].Value;
            if (!Provider.Require(boundary.Length is > 0 and <= 70, "multipart needs a boundary of 1 to 70 characters (RFC 2046 §5.1.1)")) return null;
            var end = body.IndexOf("\r\n--" + boundary + "--", StringComparison.Ordinal);
            if (!Provider.Require(body.StartsWith("--" + boundary + "\r\n", StringComparison.Ordinal) && end > 0, "multipart parts framed by --boundary and closed by --boundary--")) return null;
            foreach (var part in body[..end].Split("--" + boundary + "\r\n", StringSplitOptions.RemoveEmptyEntries))
            {
                var (partHeaders, partBody) = SplitHeaders(part);
                var type = partHeaders?.FirstOrDefault(h => h.Name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).Value ?? "";
                var decoded = DecodePart(partHeaders ?? [], partBody);
                if (type.StartsWith("text/plain", StringComparison.Ordinal)) text = decoded;
                else if (type.StartsWith("text/html", StringComparison.Ordinal)) html = decoded;
                else Provider.Violation($"an unexpected part {type}");
            }
            Provider.Require(text is not null && html is not null, "multipart/alternative with a text/plain and a text/html part");
        }
        else
        {
            var decoded = DecodePart(headers, body);
            if (contentType.StartsWith("text/html", StringComparison.Ordinal)) html = decoded; else text = decoded;
        }
        var snippet = (text ?? html ?? "").ReplaceLineEndings(" ");
        return new Message("", "", [], headers.Select(h => (h.Name, DecodeWords(h.Value))).ToList(), snippet[..Math.Min(200, snippet.Length)], Now, 0,
            text, html, contentType);
    }

    private string DecodePart(List<(string Name, string Value)> headers, string body)
    {
        var type = headers.FirstOrDefault(h => h.Name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).Value ?? "";
        Provider.Require(type.Contains("charset=UTF-8", StringComparison.OrdinalIgnoreCase), "a text part names its charset (UTF-8)");
        var encoding = headers.FirstOrDefault(h => h.Name.Equals("Content-Transfer-Encoding", StringComparison.OrdinalIgnoreCase)).Value;
        if (!Provider.Require(encoding == "base64", "text parts in base64 (what this fake decodes)")) return body;
        var lines = body.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Provider.Require(lines.All(l => l.Length <= 76), "base64 lines of at most 76 characters (RFC 2045 §6.8)");
        return Encoding.UTF8.GetString(Convert.FromBase64String(string.Concat(lines)));
    }

    /// <summary>Headers (unfolded, RFC 5322 §2.2.3) and the body after the first blank line.</summary>
    private static (List<(string Name, string Value)>? Headers, string Body) SplitHeaders(string text)
    {
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0) return (null, "");
        var unfolded = text[..split].Replace("\r\n ", " ").Replace("\r\n\t", "\t");
        var headers = unfolded.Split("\r\n").Select(l => l.Split(':', 2)).Where(p => p.Length == 2).Select(p => (p[0].Trim(), p[1].Trim())).ToList();
        return (headers, text[(split + 4)..]);
    }

    /// <summary>RFC 2047 encoded-words decoded (B and Q, UTF-8), whitespace between adjacent words dropped (§6.2); each word at most 75 characters.</summary>
    private string DecodeWords(string value)
    {
        foreach (Match word in EncodedWordPattern().Matches(value)) Provider.Require(word.Length <= 75, $"an encoded-word longer than 75 characters: {word.Value}");
        var joined = AdjacentWordsPattern().Replace(value, "$1$2");
        return EncodedWordPattern().Replace(joined, m => m.Groups[1].Value.Equals("B", StringComparison.OrdinalIgnoreCase)
            ? Encoding.UTF8.GetString(Convert.FromBase64String(m.Groups[2].Value))
            : Encoding.UTF8.GetString(QDecode(m.Groups[2].Value)));
    }

    private static byte[] QDecode(string text)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < text.Length; i++)
            if (text[i] == '_') bytes.Add((byte)' ');
            else if (text[i] == '=' && i + 2 < text.Length) { bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16)); i += 2; }
            else bytes.Add((byte)text[i]);
        return [.. bytes];
    }

    /// <summary>The addresses of an address-list header (the part in angle brackets, or the bare address).</summary>
    public static List<string> Addresses(string value) => AddressInListPattern().Matches(value).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).ToList();

    private static string Padded(string base64) => base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');

    /// <summary>Bearer auth and the method's scopes, as Google checks them; the user id is <c>me</c> or the mailbox's address.</summary>
    private IResult? Authorized(HttpContext http, string userId, string[] scopes, out Mailbox? mailbox)
    {
        mailbox = null;
        var header = http.Request.Headers.Authorization.ToString();
        if (!Provider.Require(header.StartsWith("Bearer ", StringComparison.Ordinal), $"{http.Request.Method} {http.Request.Path} without a bearer token"))
            return Unauthorized(http);
        if (!_byAccess.TryGetValue(header["Bearer ".Length..], out var grant) || grant.Revoked || grant.AccessExpired || grant.AccessToken != header["Bearer ".Length..])
            return Unauthorized(http);
        grant.Mailbox.Calls.Enqueue(new FakeProvider.Recorded(http.Request.Method, http.Request.Path.Value ?? "", http.Request.QueryString.Value ?? "",
            new Dictionary<string, string> { ["authorization"] = header }, "", DateTimeOffset.UtcNow));
        Provider.Require(userId == "me" || userId == grant.Mailbox.Address, $"userId '{userId}' (me or the mailbox's address)");
        if (!grant.Scope.Split(' ').Any(scopes.Contains))
            return Error(403, "insufficientPermissions", "Request had insufficient authentication scopes.", "global", "PERMISSION_DENIED");
        mailbox = grant.Mailbox;
        return null;
    }

    private static IResult Unauthorized(HttpContext http)
    {
        http.Response.Headers.WWWAuthenticate = "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"";
        return Error(401, "authError", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
            "global", "UNAUTHENTICATED");
    }

    private IResult? InjectedFailure(HttpContext http)
    {
        if (!_failures.TryPeek(out var f) || !http.Request.Path.Value!.EndsWith(f.Path, StringComparison.Ordinal) || !_failures.TryDequeue(out f)) return null;
        if (f.RetryAfter is not null) http.Response.Headers.RetryAfter = f.RetryAfter;
        return Error(f.Status, f.Reason, f.Message, f.Domain, f.Status == 429 ? "RESOURCE_EXHAUSTED" : f.Status == 403 ? "PERMISSION_DENIED" : null);
    }

    private void NewAccessToken(Grant grant)
    {
        _byAccess.TryRemove(grant.AccessToken, out _);
        grant.AccessToken = "ya29." + Guid.NewGuid().ToString("N");
        grant.AccessExpired = false;
        _byAccess[grant.AccessToken] = grant;
    }

    private string NewId() => Interlocked.Increment(ref _ids).ToString("x", CultureInfo.InvariantCulture);

    /// <summary>Google's error body (https://developers.google.com/workspace/gmail/api/guides/handle-errors).</summary>
    public static IResult Error(int code, string reason, string message, string domain = "global", string? status = null)
    {
        var error = new JsonObject
        {
            ["code"] = code, ["message"] = message,
            ["errors"] = new JsonArray(new JsonObject { ["message"] = message, ["domain"] = domain, ["reason"] = reason }),
        };
        if (status is not null) error["status"] = status;
        return Json(code, new JsonObject { ["error"] = error });
    }

    private static IResult Json(int status, JsonObject body) => Results.Text(body.ToJsonString(), "application/json; charset=UTF-8", statusCode: status);

    [GeneratedRegex(@"^newer_than:(\d+)d$")]
    private static partial Regex NewerThanPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_-]+={0,2}$")]
    private static partial Regex Base64UrlPattern();

    [GeneratedRegex(@"\r(?!\n)|(?<!\r)\n")]
    private static partial Regex BareLineEndPattern();

    [GeneratedRegex("boundary=\"([^\"]+)\"")]
    private static partial Regex BoundaryPattern();

    [GeneratedRegex(@"=\?UTF-8\?([BQ])\?([^?]*)\?=", RegexOptions.IgnoreCase)]
    private static partial Regex EncodedWordPattern();

    [GeneratedRegex(@"(\?=)\s+(=\?)")]
    private static partial Regex AdjacentWordsPattern();

    [GeneratedRegex(@"<([^<>\s]+)>|(?:^|,)\s*([^\s,<>""]+@[^\s,<>""]+)\s*(?=,|$)")]
    private static partial Regex AddressInListPattern();

    [GeneratedRegex(@"^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$")]
    private static partial Regex AddressPattern();

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}
