using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// The Microsoft identity platform's token endpoint and Microsoft Graph v1.0 (mail and calendar) on loopback, on
/// <see cref="FakeProvider"/>. It checks what Microsoft documents and answers Graph's shapes:
/// - every Graph call carries <c>Authorization: Bearer</c>; an unknown or expired token is 401
///   <c>InvalidAuthenticationToken</c>; a token without the delegated permission a call needs is 403 <c>ErrorAccessDenied</c>
///   (https://learn.microsoft.com/graph/permissions-reference); errors are <c>{"error":{"code","message","innerError":{"request-id","date"}}}</c>
///   (https://learn.microsoft.com/graph/errors);
/// - token endpoint (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token):
///   a form with <c>grant_type=refresh_token</c>, <c>refresh_token</c>, <c>client_id</c> and <c>client_secret</c>
///   (client_secret_post); the answer rotates the refresh token; <c>invalid_grant</c> (AADSTS70000-style) for an unknown one;
/// - <c>GET /me</c> with <c>$select</c> (https://learn.microsoft.com/graph/api/user-get);
/// - <c>POST /me/sendMail</c> (https://learn.microsoft.com/graph/api/user-sendmail): JSON <c>{message, saveToSentItems}</c>,
///   the message with a subject, <c>body.contentType</c> Text or HTML, at least one <c>toRecipients</c>, every recipient an
///   <c>emailAddress.address</c>; 202 with no body; a message saved to Sent Items reaches that folder's delta;
/// - message delta (https://learn.microsoft.com/graph/api/message-delta): a round's first request on
///   <c>/me/mailFolders/{inbox|sentitems}/messages/delta</c> (only <c>$select</c>, <c>$filter</c> on receivedDateTime,
///   <c>changeType</c>); later requests are the links given, exactly (no parameter added beside a <c>$skiptoken</c> or
///   <c>$deltatoken</c>); <c>Prefer: odata.maxpagesize</c> honoured (10 by default) and the same <c>IdType</c> on every page of
///   a round; removals as <c>@removed</c>; an invalidated delta token 410 <c>syncStateNotFound</c>;
/// - events (https://learn.microsoft.com/graph/api/resources/event): create (201), patch, delete (204), 404
///   <c>ErrorItemNotFound</c>; <c>start</c>/<c>end</c> <c>dateTimeTimeZone</c> without offset and with a known zone, end after
///   start, <c>isAllDay</c> events at midnight for whole days; attendees with addresses; a repeated <c>transactionId</c>
///   answers the event it made; a <c>$filter</c> on the single-value extended property
///   (https://learn.microsoft.com/graph/api/singlevaluelegacyextendedproperty-get);
/// - calendar view delta (https://learn.microsoft.com/graph/api/event-delta): <c>startDateTime</c> and <c>endDateTime</c> on a
///   round's first request only, links as given, removals as <c>@removed</c>, 410 <c>syncStateNotFound</c> for an invalidated token.
/// </summary>
public sealed partial class OutlookFake : IAsyncDisposable
{
    public const string ClientId = "6731de76-14a6-49ae-97bc-6eba6914391e", ClientSecret = "Gr8Q~test-secret";
    public const string AllScopes = "offline_access Mail.Send Mail.Read Calendars.ReadWrite User.Read";
    public const string KeyProperty = "String {8c85aa35-bcc3-4e57-b90e-d5f6cac9ae64} Name SwitchboardKey";

    private sealed class Grant
    {
        public required string Scope { get; init; }
        /// <summary>The signed-in user's mailbox: what <c>/me</c> is for this token.</summary>
        public required string Mailbox { get; init; }
        public string AccessToken { get; set; } = "";
        public string RefreshToken { get; set; } = "";
        public bool AccessExpired { get; set; }
    }

    /// <summary>An item of a delta collection: its JSON, the sequence of its last change, and whether it was removed.</summary>
    private sealed class Item(JsonObject json, long seq)
    {
        public JsonObject Json { get; set; } = json;
        public long Seq { get; set; } = seq;
        public bool Removed { get; set; }
        public string? TransactionId { get; init; }
        public string? Key { get; init; }
    }

    private sealed class Collection
    {
        public readonly Lock Gate = new();
        public readonly Dictionary<string, Item> Items = new(StringComparer.Ordinal);
        public long Seq;
    }

    /// <summary>A round's state behind an opaque token: which collection, what the first request asked, and what is left to page.</summary>
    private sealed record Round(string Collection, string Parameters, string IdType, List<JsonObject> Pending, long Seq, DateTime? WindowStart, DateTime? WindowEnd);

    private readonly ConcurrentDictionary<string, Grant> _byAccess = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Grant> _byRefresh = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Collection> _collections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Round> _skipTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Round> _deltaTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(int Status, string Code, string Message, string? RetryAfter)> _failures = new();
    private long _clockTicks = new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
    private int _refreshes;

    public FakeProvider Provider { get; private set; } = null!;
    public string ApiBaseUrl => Provider.BaseUrl + "/v1.0";
    public string TokenUrl => Provider.BaseUrl + "/common/oauth2/v2.0/token";
    public int Refreshes => Volatile.Read(ref _refreshes);
    /// <summary>The most items a delta page holds, whatever <c>odata.maxpagesize</c> asks (Graph may answer fewer).</summary>
    public int ServerPageSize { get; set; } = 1000;
    public ConcurrentQueue<JsonObject> SentMail { get; } = new();

    public static async Task<OutlookFake> StartAsync()
    {
        var graph = new OutlookFake();
        graph.Provider = await FakeProvider.StartAsync((app, _) =>
        {
            app.MapPost("/common/oauth2/v2.0/token", (Func<HttpContext, Task<IResult>>)graph.TokenAsync);
            app.MapGet("/v1.0/me", graph.Me);
            app.MapPost("/v1.0/me/sendMail", (Func<HttpContext, Task<IResult>>)graph.SendMailAsync);
            app.MapGet("/v1.0/me/mailFolders/{folder}/messages/delta", graph.MessageDelta);
            foreach (var prefix in new[] { "/v1.0/me", "/v1.0/me/calendars/{calendarId}" })
            {
                app.MapGet(prefix + "/events", (HttpContext http, string? calendarId) => graph.ListEvents(http, calendarId));
                app.MapPost(prefix + "/events", (HttpContext http, string? calendarId) => graph.CreateEventAsync(http, calendarId));
                app.MapMethods(prefix + "/events/{eventId}", ["PATCH"], (HttpContext http, string? calendarId, string eventId) => graph.PatchEventAsync(http, calendarId, eventId));
                app.MapDelete(prefix + "/events/{eventId}", (HttpContext http, string? calendarId, string eventId) => graph.DeleteEvent(http, calendarId, eventId));
                app.MapGet(prefix + "/calendarView/delta", (HttpContext http, string? calendarId) => graph.CalendarViewDelta(http, calendarId));
            }
        });
        return graph;
    }

    /// <summary>A user's consent as the code exchange would leave it.</summary>
    public (string AccessToken, string RefreshToken) IssueGrant(string mailbox, string scope = AllScopes)
    {
        var grant = new Grant { Scope = scope, Mailbox = mailbox };
        NewTokens(grant);
        return (grant.AccessToken, grant.RefreshToken);
    }

    public void ExpireAccessToken(string accessToken) => _byAccess[accessToken].AccessExpired = true;

    /// <summary>Graph answers the next API call (after its auth check) with this error.</summary>
    public void FailNext(int status, string code, string message, string? retryAfter = null) => _failures.Enqueue((status, code, message, retryAfter));

    /// <summary>Every delta token issued so far is refused from now on (Outlook's delta token cache dropped them).</summary>
    public void InvalidateDeltaTokens() => _deltaTokens.Clear();

    /// <summary>A message arrives in (or is filed to) a folder of the mailbox, as a user's mail client would; answers its id.</summary>
    public string PutMessage(string mailbox, string folder, string subject, string from, string[] to, string body, DateTime at, string[]? cc = null, bool draft = false)
    {
        var id = "AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0A" + Guid.NewGuid().ToString("N");
        var message = new JsonObject
        {
            ["id"] = id, ["subject"] = subject,
            ["body"] = new JsonObject { ["contentType"] = "html", ["content"] = $"<html><body><p>{body}</p></body></html>" },
            ["bodyPreview"] = body.Length > 255 ? body[..255] : body,
            ["from"] = Recipient(from), ["sender"] = Recipient(from),
            ["toRecipients"] = new JsonArray(to.Select(t => (JsonNode)Recipient(t)).ToArray()),
            ["ccRecipients"] = new JsonArray((cc ?? []).Select(t => (JsonNode)Recipient(t)).ToArray()),
            ["receivedDateTime"] = Rfc3339(at), ["sentDateTime"] = Rfc3339(at.AddSeconds(-2)),
            ["isDraft"] = draft, ["isRead"] = false,
            ["internetMessageId"] = $"<{Guid.NewGuid():N}@contoso.example>", ["conversationId"] = "AAQkAD" + Guid.NewGuid().ToString("N")[..16],
            ["parentFolderId"] = folder,
        };
        Upsert(mailbox + "|mail:" + folder, id, message);
        return id;
    }

    /// <summary>A user changes a message (reads it, flags it): a change the next delta round sees.</summary>
    public void Touch(string mailbox, string folder, string id, Action<JsonObject> change)
    {
        var collection = _collections[mailbox + "|mail:" + folder];
        lock (collection.Gate)
        {
            var item = collection.Items[id];
            change(item.Json);
            item.Json["lastModifiedDateTime"] = Rfc3339(Now());
            item.Seq = ++collection.Seq;
        }
    }

    public void Remove(string collectionKey, string id)
    {
        var collection = _collections[collectionKey];
        lock (collection.Gate)
        {
            var item = collection.Items[id];
            item.Removed = true;
            item.Seq = ++collection.Seq;
        }
    }

    public void RemoveMessage(string mailbox, string folder, string id) => Remove(mailbox + "|mail:" + folder, id);
    public void RemoveEvent(string mailbox, string? calendarId, string id) => Remove(CalendarKey(mailbox, calendarId), id);

    /// <summary>A user adds an event in Outlook; answers it as Graph stores it.</summary>
    public JsonObject PutEvent(string mailbox, string? calendarId, JsonObject ev) => Upsert(CalendarKey(mailbox, calendarId), ev["id"]?.GetValue<string>() ?? NewEventId(), ev.DeepClone().AsObject());

    public JsonObject? Event(string mailbox, string? calendarId, string id)
    {
        if (!_collections.TryGetValue(CalendarKey(mailbox, calendarId), out var collection)) return null;
        lock (collection.Gate) return collection.Items.TryGetValue(id, out var item) && !item.Removed ? item.Json.DeepClone().AsObject() : null;
    }

    public IReadOnlyList<JsonObject> Events(string mailbox, string? calendarId)
    {
        if (!_collections.TryGetValue(CalendarKey(mailbox, calendarId), out var collection)) return [];
        lock (collection.Gate) return collection.Items.Values.Where(i => !i.Removed).OrderBy(i => i.Seq).Select(i => i.Json.DeepClone().AsObject()).ToList();
    }

    public IReadOnlyList<JsonObject> Messages(string mailbox, string folder)
    {
        if (!_collections.TryGetValue(mailbox + "|mail:" + folder, out var collection)) return [];
        lock (collection.Gate) return collection.Items.Values.Where(i => !i.Removed).OrderBy(i => i.Seq).Select(i => i.Json.DeepClone().AsObject()).ToList();
    }

    private JsonObject Upsert(string collectionKey, string id, JsonObject json, string? transactionId = null, string? key = null)
    {
        var collection = _collections.GetOrAdd(collectionKey, _ => new Collection());
        lock (collection.Gate)
        {
            json["id"] = id;
            json["lastModifiedDateTime"] = Rfc3339(Now());
            json["createdDateTime"] ??= json["lastModifiedDateTime"]!.DeepClone();
            json["@odata.etag"] = $"W/\"{Guid.NewGuid():N}\"";
            var old = collection.Items.GetValueOrDefault(id);
            collection.Items[id] = new Item(json, ++collection.Seq) { TransactionId = transactionId ?? old?.TransactionId, Key = key ?? old?.Key };
            return json.DeepClone().AsObject();
        }
    }

    private async Task<IResult> TokenAsync(HttpContext http)
    {
        if (!Provider.Require(http.Request.HasFormContentType, "the token endpoint takes application/x-www-form-urlencoded"))
            return TokenError("invalid_request", "AADSTS900144: The request body must contain the following parameter: 'grant_type'.");
        var form = await http.Request.ReadFormAsync();
        Provider.Require(form["client_id"] == ClientId && form["client_secret"] == ClientSecret, "client_secret_post: client_id and client_secret in the form");
        if (!Provider.Require(form["grant_type"] == "refresh_token", $"grant_type '{form["grant_type"]}' (only refresh_token is exercised here)"))
            return TokenError("unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.");
        if (form.ContainsKey("scope"))
            Provider.Require(form["scope"].ToString().Split(' ').All(s => AllScopes.Split(' ').Contains(s)), "a refresh may ask only for scopes of the original consent");
        if (!_byRefresh.TryGetValue(form["refresh_token"].ToString(), out var grant))
            return TokenError("invalid_grant", "AADSTS70000: The provided value for the 'refresh_token' is not valid.");
        Interlocked.Increment(ref _refreshes);
        _byRefresh.TryRemove(grant.RefreshToken, out _);
        NewTokens(grant);
        // The identity platform answers a refresh with a new refresh token (the old one is to be replaced).
        return Json(200, new JsonObject
        {
            ["token_type"] = "Bearer", ["scope"] = grant.Scope, ["expires_in"] = 3599, ["ext_expires_in"] = 3599,
            ["access_token"] = grant.AccessToken, ["refresh_token"] = grant.RefreshToken,
        });
    }

    private IResult Me(HttpContext http)
    {
        if (Authorized(http, out var mailbox, "User.Read") is { } refused) return refused;
        if (InjectedFailure(http) is { } failure) return failure;
        var select = http.Request.Query["$select"].ToString();
        Provider.Require(select.Length > 0, "GET /me without $select (Switchboard reads three properties)");
        var me = new JsonObject
        {
            ["@odata.context"] = $"{ApiBaseUrl}/$metadata#users(id,mail,userPrincipalName)/$entity",
            ["id"] = "87d349ed-44d7-43e1-9a83-5f2406dee5bd", ["mail"] = mailbox, ["userPrincipalName"] = mailbox, ["displayName"] = "Owner",
        };
        if (select.Length > 0)
            foreach (var name in me.Select(p => p.Key).ToList())
                if (name != "@odata.context" && name != "id" && !select.Split(',').Contains(name)) me.Remove(name);
        return Json(200, me);
    }

    private async Task<IResult> SendMailAsync(HttpContext http)
    {
        if (Authorized(http, out var mailbox, "Mail.Send") is { } refused) return refused;
        if (InjectedFailure(http) is { } failure) return failure;
        var body = await ReadJsonAsync(http);
        if (body?["message"] is not JsonObject message) return Invalid("ErrorInvalidRequest", "sendMail needs a message");
        if (message["subject"] is not JsonValue) Provider.Violation("a message without a subject");
        if (message["body"] is not JsonObject itemBody || itemBody["contentType"]?.GetValue<string>() is not ("Text" or "HTML" or "text" or "html")
            || itemBody["content"] is not JsonValue)
            return Invalid("ErrorInvalidRequest", "body must be an itemBody with contentType Text or HTML and content");
        if (message["toRecipients"] is not JsonArray { Count: > 0 }) return Invalid("ErrorInvalidRecipients", "At least one recipient is not valid.");
        foreach (var list in new[] { "toRecipients", "ccRecipients", "bccRecipients", "replyTo" })
            if (message[list] is { } recipients)
            {
                if (recipients is not JsonArray array) return Invalid("ErrorInvalidRequest", $"{list} must be a collection of recipients");
                foreach (var r in array)
                    if (r?["emailAddress"]?["address"]?.GetValue<string>() is not { } address || !address.Contains('@'))
                        return Invalid("ErrorInvalidRecipients", "At least one recipient is not valid., Recipient is not resolved.");
            }
        foreach (var (name, _) in message)
            Provider.Require(name is "subject" or "body" or "toRecipients" or "ccRecipients" or "bccRecipients" or "replyTo" or "importance" or "attachments",
                $"message property '{name}' (Switchboard sends only the documented writable ones)");
        if (body["saveToSentItems"] is { } save) Provider.Require(save.GetValueKind() == System.Text.Json.JsonValueKind.True || save.GetValueKind() == System.Text.Json.JsonValueKind.False, "saveToSentItems is a boolean");
        SentMail.Enqueue(body.DeepClone().AsObject());
        if (body["saveToSentItems"]?.GetValue<bool>() != false)
        {
            var content = message["body"]!["content"]!.GetValue<string>();
            var id = PutMessage(mailbox, "sentitems", message["subject"]?.GetValue<string>() ?? "", mailbox,
                message["toRecipients"]!.AsArray().Select(r => r!["emailAddress"]!["address"]!.GetValue<string>()).ToArray(), content, Now(),
                (message["ccRecipients"] as JsonArray)?.Select(r => r!["emailAddress"]!["address"]!.GetValue<string>()).ToArray());
            _ = id;
        }
        return Results.StatusCode(202);
    }

    private IResult MessageDelta(HttpContext http, string folder)
    {
        if (Authorized(http, out var mailbox, "Mail.Read") is { } refused) return refused;
        if (InjectedFailure(http) is { } failure) return failure;
        if (!Provider.Require(folder is "inbox" or "sentitems" or "drafts" or "deleteditems" or "archive", $"mail folder '{folder}' (a well-known name or an id)"))
            return Error(404, "ErrorItemNotFound", "The specified object was not found in the store.");
        var prefer = Prefer(http);
        var idType = prefer.GetValueOrDefault("IdType") ?? "RestId";
        return Delta(http, mailbox + "|mail:" + folder, idType, prefer, allowed: ["$select", "$filter", "changeType"], window: false);
    }

    private IResult CalendarViewDelta(HttpContext http, string? calendarId)
    {
        if (Authorized(http, out var mailbox, "Calendars.ReadWrite", "Calendars.Read") is { } refused) return refused;
        if (InjectedFailure(http) is { } failure) return failure;
        return Delta(http, CalendarKey(mailbox, calendarId), "RestId", Prefer(http), allowed: ["startDateTime", "endDateTime"], window: true);
    }

    /// <summary>A delta round's page: the first request's parameters checked, or the link's token read; a next or a delta link issued.</summary>
    private IResult Delta(HttpContext http, string collectionKey, string idType, Dictionary<string, string> prefer, string[] allowed, bool window)
    {
        var query = http.Request.Query;
        var skip = query["$skiptoken"].FirstOrDefault();
        var deltaToken = query["$deltatoken"].FirstOrDefault();
        Round round;
        if (skip is not null || deltaToken is not null)
        {
            Provider.Require(query.Count == 1, $"a delta link used with parameters added ({http.Request.QueryString}): the links are to be used as given");
            if (skip is not null)
            {
                if (!Provider.Require(_skipTokens.TryGetValue(skip, out round!), "a $skiptoken Graph did not issue"))
                    return Error(400, "BadRequest", "Invalid skip token.");
            }
            else
            {
                if (!_deltaTokens.TryGetValue(deltaToken!, out var previous))
                    return Error(410, "syncStateNotFound", "The sync state generation is not found. The delta token is expired and data must be synchronized again.");
                var collection = _collections.GetOrAdd(collectionKey, _ => new Collection());
                lock (collection.Gate)
                {
                    var changed = collection.Items.Values.Where(i => i.Seq > previous.Seq).OrderBy(i => i.Seq)
                        .Where(i => i.Removed || InWindow(i.Json, previous.WindowStart, previous.WindowEnd))
                        .Select(i => Shape(i, previous.Parameters, prefer)).ToList();
                    round = previous with { Pending = changed, Seq = collection.Seq };
                }
            }
            Provider.Require(round.Collection == collectionKey, "a delta link used on another collection than the one that issued it");
            Provider.Require(round.IdType == idType, $"Prefer IdType changed within a round ({round.IdType} → {idType}): ids would not match");
        }
        else
        {
            foreach (var key in query.Keys)
                Provider.Require(allowed.Contains(key), $"'{key}' on a delta request (allowed: {string.Join(", ", allowed)})");
            DateTime? from = null, until = null;
            if (window)
            {
                if (!Provider.Require(query.ContainsKey("startDateTime") && query.ContainsKey("endDateTime"), "a calendar view delta's first request needs startDateTime and endDateTime"))
                    return Error(400, "ErrorInvalidParameter", "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.");
                from = DateTime.Parse(query["startDateTime"]!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
                until = DateTime.Parse(query["endDateTime"]!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
                Provider.Require(until > from, "endDateTime after startDateTime");
            }
            var parameters = query["$select"].ToString();
            var collection = _collections.GetOrAdd(collectionKey, _ => new Collection());
            lock (collection.Gate)
            {
                var all = collection.Items.Values.Where(i => !i.Removed && InWindow(i.Json, from, until)).OrderBy(i => i.Seq).Select(i => Shape(i, parameters, prefer)).ToList();
                round = new Round(collectionKey, parameters, idType, all, collection.Seq, from, until);
            }
        }

        var pageSize = Math.Min(prefer.TryGetValue("odata.maxpagesize", out var max) && int.TryParse(max, out var m) ? m : 10, ServerPageSize);
        var items = round.Pending.Take(pageSize).ToList();
        var rest = round.Pending.Skip(pageSize).ToList();
        var path = http.Request.Path.Value!;
        var body = new JsonObject
        {
            ["@odata.context"] = $"{ApiBaseUrl}/$metadata#Collection(message)",
            ["value"] = new JsonArray(items.Select(i => (JsonNode)i).ToArray()),
        };
        if (rest.Count > 0)
        {
            var token = "sk" + Guid.NewGuid().ToString("N");
            _skipTokens[token] = round with { Pending = rest };
            body["@odata.nextLink"] = $"{Provider.BaseUrl}{path}?$skiptoken={token}";
        }
        else
        {
            var token = "dt" + Guid.NewGuid().ToString("N");
            _deltaTokens[token] = round with { Pending = [] };
            body["@odata.deltaLink"] = $"{Provider.BaseUrl}{path}?$deltatoken={token}";
        }
        return Json(200, body);
    }

    /// <summary>An item as a delta page carries it: a removal as its id and <c>@removed</c>; otherwise the selected properties (all without <c>$select</c>).</summary>
    private static JsonObject Shape(Item item, string select, Dictionary<string, string> prefer)
    {
        if (item.Removed) return new JsonObject { ["id"] = item.Json["id"]!.DeepClone(), ["@removed"] = new JsonObject { ["reason"] = "deleted" } };
        var json = item.Json.DeepClone().AsObject();
        json.Remove("parentFolderId");
        if (prefer.GetValueOrDefault("outlook.body-content-type") == "text" && json["body"] is JsonObject body && body["contentType"]?.GetValue<string>() == "html")
            json["body"] = new JsonObject { ["contentType"] = "text", ["content"] = TagPattern().Replace(body["content"]!.GetValue<string>(), "").Trim() };
        if (select.Length == 0) return json;
        var wanted = select.Split(',').ToHashSet(StringComparer.Ordinal);
        foreach (var name in json.Select(p => p.Key).ToList())
            if (name != "id" && !name.StartsWith('@') && !wanted.Contains(name)) json.Remove(name);
        return json;
    }

    private static bool InWindow(JsonObject json, DateTime? from, DateTime? until)
    {
        if (from is null || until is null) return true;
        var start = When(json["start"]);
        var end = When(json["end"]);
        return start is not null && end is not null && start < until && end > from;
    }

    private IResult ListEvents(HttpContext http, string? calendarId)
    {
        if (Authorized(http, out var mailbox, "Calendars.ReadWrite", "Calendars.Read") is { } refused) return refused;
        if (InjectedFailure(http) is { } failure) return failure;
        var filter = http.Request.Query["$filter"].ToString();
        var match = KeyFilter().Match(filter);
        if (!Provider.Require(match.Success, $"an events $filter Switchboard does not use: '{filter}'"))
            return Error(400, "ErrorInvalidUrlQueryFilter", "The query filter contains one or more invalid nodes.");
        Provider.Require(match.Groups["id"].Value == KeyProperty, $"the extended property id '{match.Groups["id"].Value}' (String {{guid}} Name …)");
        var value = match.Groups["value"].Value;
        var collection = _collections.GetOrAdd(CalendarKey(mailbox, calendarId), _ => new Collection());
        List<JsonObject> found;
        lock (collection.Gate)
            found = collection.Items.Values.Where(i => !i.Removed && i.Key == value).Select(i => new JsonObject
            {
                ["@odata.etag"] = i.Json["@odata.etag"]!.DeepClone(), ["id"] = i.Json["id"]!.DeepClone(),
            }).ToList();
        if (http.Request.Query["$top"].FirstOrDefault() is { } top) found = found.Take(int.Parse(top, CultureInfo.InvariantCulture)).ToList();
        return Json(200, new JsonObject { ["@odata.context"] = $"{ApiBaseUrl}/$metadata#users('me')/events(id)", ["value"] = new JsonArray(found.Select(f => (JsonNode)f).ToArray()) });
    }

    private async Task<IResult> CreateEventAsync(HttpContext http, string? calendarId)
    {
        if (Authorized(http, out var mailbox, "Calendars.ReadWrite") is { } refused) return refused;
        if (InjectedFailure(http) is { } failure) return failure;
        var body = await ReadJsonAsync(http);
        if (body is null) return Invalid("ErrorInvalidRequest", "Empty Payload. JSON content expected.");
        if (CheckEvent(body, create: true) is { } invalid) return invalid;
        var transactionId = body["transactionId"]?.GetValue<string>();
        string? key = null;
        if (body["singleValueExtendedProperties"] is JsonArray properties)
            foreach (var property in properties)
            {
                Provider.Require(property?["id"]?.GetValue<string>() is { } pid && ExtendedPropertyId().IsMatch(pid), "an extended property id of the form 'String {guid} Name …'");
                if (property?["id"]?.GetValue<string>() == KeyProperty) key = property["value"]?.GetValue<string>();
            }
        var collection = _collections.GetOrAdd(CalendarKey(mailbox, calendarId), _ => new Collection());
        if (transactionId is not null)
            lock (collection.Gate)
                // The same transactionId again (a POST retried): Graph answers the event it already made.
                if (collection.Items.Values.FirstOrDefault(i => !i.Removed && i.TransactionId == transactionId) is { } existing)
                    return Json(201, Public(existing.Json));
        var stored = body.DeepClone().AsObject();
        stored.Remove("singleValueExtendedProperties");
        stored["isCancelled"] = false;
        stored["webLink"] = "https://outlook.office365.com/owa/?itemid=x";
        Normalize(stored);
        return Json(201, Public(Upsert(CalendarKey(mailbox, calendarId), NewEventId(), stored, transactionId, key)));
    }

    private async Task<IResult> PatchEventAsync(HttpContext http, string? calendarId, string eventId)
    {
        if (Authorized(http, out var mailbox, "Calendars.ReadWrite") is { } refused) return refused;
        if (InjectedFailure(http) is { } failure) return failure;
        var patch = await ReadJsonAsync(http);
        if (patch is null) return Invalid("ErrorInvalidRequest", "Empty Payload. JSON content expected.");
        Provider.Require(!patch.ContainsKey("transactionId"), "transactionId cannot be changed after the create");
        var ev = Event(mailbox, calendarId, eventId);
        if (ev is null) return Error(404, "ErrorItemNotFound", "The specified object was not found in the store.");
        foreach (var (name, value) in patch) ev[name] = value?.DeepClone();
        if (CheckEvent(ev, create: false) is { } invalid) return invalid;
        Normalize(ev);
        return Json(200, Public(Upsert(CalendarKey(mailbox, calendarId), eventId, ev)));
    }

    private IResult DeleteEvent(HttpContext http, string? calendarId, string eventId)
    {
        if (Authorized(http, out var mailbox, "Calendars.ReadWrite") is { } refused) return refused;
        if (InjectedFailure(http) is { } failure) return failure;
        if (Event(mailbox, calendarId, eventId) is null) return Error(404, "ErrorItemNotFound", "The specified object was not found in the store.");
        Remove(CalendarKey(mailbox, calendarId), eventId);
        return Results.StatusCode(204);
    }

    /// <summary>The checks Graph makes on an event; any failure is also a violation: Switchboard should never send it.</summary>
    private IResult? CheckEvent(JsonObject ev, bool create)
    {
        IResult Bad(string code, string text)
        {
            Provider.Violation(text);
            return Error(400, code, text);
        }
        if (create && (ev["subject"] is not JsonValue subject || string.IsNullOrWhiteSpace(subject.GetValue<string>()))) return Bad("ErrorInvalidRequest", "an event without a subject");
        var start = ev["start"] as JsonObject;
        var end = ev["end"] as JsonObject;
        if (start is null || end is null) return Bad("ErrorInvalidRequest", "an event without start and end");
        foreach (var (name, time) in new[] { ("start", start), ("end", end) })
        {
            var text = time["dateTime"]?.GetValue<string>();
            var zone = time["timeZone"]?.GetValue<string>();
            if (text is null || !WallClockPattern().IsMatch(text)) return Bad("ErrorInvalidRequest", $"{name}.dateTime '{text}' is not a wall-clock time (yyyy-MM-ddTHH:mm:ss, no offset)");
            if (zone is null || !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _)) return Bad("TimeZoneNotSupportedException", $"A valid TimeZone value must be specified. The following TimeZone value is not supported: '{zone}'.");
        }
        var from = When(start)!.Value;
        var until = When(end)!.Value;
        if (until < from) return Bad("ErrorInvalidRequest", "The end of the event must be after its start.");
        if (ev["isAllDay"]?.GetValue<bool>() == true)
        {
            if (start["timeZone"]!.GetValue<string>() != end["timeZone"]!.GetValue<string>()) return Bad("ErrorInvalidRequest", "an all-day event's start and end must be in the same time zone");
            var s = DateTime.Parse(start["dateTime"]!.GetValue<string>(), CultureInfo.InvariantCulture);
            var e = DateTime.Parse(end["dateTime"]!.GetValue<string>(), CultureInfo.InvariantCulture);
            if (s.TimeOfDay != TimeSpan.Zero || e.TimeOfDay != TimeSpan.Zero || e <= s)
                return Bad("ErrorInvalidRequest", "Your request can't be completed. If an event is marked as all day, its start and end times must be at midnight.");
        }
        if (ev["attendees"] is { } attendees)
        {
            if (attendees is not JsonArray list) return Bad("ErrorInvalidRequest", "attendees must be a collection");
            foreach (var a in list)
                if (a?["emailAddress"]?["address"]?.GetValue<string>() is not { } address || !address.Contains('@')) return Bad("ErrorInvalidRequest", "an attendee without an address");
                else if (a["type"]?.GetValue<string>() is { } type && type is not ("required" or "optional" or "resource")) return Bad("ErrorInvalidRequest", $"attendee type '{type}'");
        }
        if (ev["body"] is JsonObject body && body["contentType"]?.GetValue<string>()?.ToLowerInvariant() is not ("text" or "html")) return Bad("ErrorInvalidRequest", "body.contentType text or html");
        if (ev["reminderMinutesBeforeStart"] is JsonValue reminder && reminder.GetValue<int>() < 0) return Bad("ErrorInvalidRequest", "reminderMinutesBeforeStart is not negative");
        return null;
    }

    /// <summary>Graph answers times in UTC (no <c>Prefer: outlook.timezone</c>), as <c>yyyy-MM-ddTHH:mm:ss.fffffff</c>.</summary>
    private static void Normalize(JsonObject ev)
    {
        foreach (var name in new[] { "start", "end" })
            if (When(ev[name]) is { } at)
                ev[name] = new JsonObject { ["dateTime"] = at.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", CultureInfo.InvariantCulture), ["timeZone"] = "UTC" };
        ev["originalStartTimeZone"] ??= "UTC";
    }

    private static JsonObject Public(JsonObject ev)
    {
        var copy = ev.DeepClone().AsObject();
        copy["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#users('me')/events/$entity";
        return copy;
    }

    /// <summary>A <c>dateTimeTimeZone</c> as a UTC instant.</summary>
    private static DateTime? When(JsonNode? node)
    {
        if (node?["dateTime"]?.GetValue<string>() is not { } text || node["timeZone"]?.GetValue<string>() is not { } zone) return null;
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zone, out var tz)) return null;
        var wall = DateTime.SpecifyKind(DateTime.Parse(text, CultureInfo.InvariantCulture), DateTimeKind.Unspecified);
        return TimeZoneInfo.ConvertTimeToUtc(wall, tz);
    }

    /// <summary>Bearer auth as Graph checks it, then the delegated permission the call needs.</summary>
    private IResult? Authorized(HttpContext http, out string mailbox, params string[] anyScope)
    {
        mailbox = "";
        var header = http.Request.Headers.Authorization.ToString();
        if (!Provider.Require(header.StartsWith("Bearer ", StringComparison.Ordinal), $"{http.Request.Method} {http.Request.Path} without a bearer token"))
            return Unauthorized(http);
        if (!_byAccess.TryGetValue(header["Bearer ".Length..], out var grant) || grant.AccessExpired || grant.AccessToken != header["Bearer ".Length..])
            return Unauthorized(http);
        mailbox = grant.Mailbox;
        if (!grant.Scope.Split(' ').Any(anyScope.Contains))
            return Error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.");
        return null;
    }

    private static IResult Unauthorized(HttpContext http)
    {
        http.Response.Headers.WWWAuthenticate = "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"";
        return Error(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.");
    }

    private IResult? InjectedFailure(HttpContext http)
    {
        if (!_failures.TryDequeue(out var f)) return null;
        if (f.RetryAfter is not null) http.Response.Headers.RetryAfter = f.RetryAfter;
        return Error(f.Status, f.Code, f.Message);
    }

    /// <summary>The request's <c>Prefer</c> preferences (RFC 7240: comma-separated, in one or several headers), each checked.</summary>
    private Dictionary<string, string> Prefer(HttpContext http)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var header in http.Request.Headers["Prefer"])
            foreach (var part in (header ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = part.IndexOf('=');
                var name = eq < 0 ? part : part[..eq].Trim();
                var value = eq < 0 ? "" : part[(eq + 1)..].Trim().Trim('"');
                switch (name)
                {
                    case "odata.maxpagesize":
                        Provider.Require(int.TryParse(value, out var size) && size is >= 1 and <= 1000, $"odata.maxpagesize={value}");
                        break;
                    case "IdType":
                        Provider.Require(value is "ImmutableId" or "RestId", $"IdType=\"{value}\" (ImmutableId or RestId)");
                        break;
                    case "outlook.body-content-type":
                        Provider.Require(value is "text" or "html", $"outlook.body-content-type=\"{value}\" (text or html)");
                        break;
                    default:
                        Provider.Violation($"Prefer: {part} is not a preference Graph documents for this call");
                        break;
                }
                result[name] = value;
            }
        return result;
    }

    private async Task<JsonObject?> ReadJsonAsync(HttpContext http)
    {
        Provider.Require(http.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true, "a JSON body is application/json");
        try { return await System.Text.Json.JsonSerializer.DeserializeAsync<JsonObject>(http.Request.Body); }
        catch (System.Text.Json.JsonException) { Provider.Violation("a body that is not JSON"); return null; }
    }

    private IResult Invalid(string code, string message)
    {
        Provider.Violation(message);
        return Error(400, code, message);
    }

    private void NewTokens(Grant grant)
    {
        _byAccess.TryRemove(grant.AccessToken, out _);
        grant.AccessToken = "eyJ0eXAiOiJKV1QiLCJub25jZSI6." + Guid.NewGuid().ToString("N");
        grant.RefreshToken = "0.ARoAv4j5cvGGr0GRqy180BHbR" + Guid.NewGuid().ToString("N");
        grant.AccessExpired = false;
        _byAccess[grant.AccessToken] = grant;
        _byRefresh[grant.RefreshToken] = grant;
    }

    private static JsonObject Recipient(string address) => new() { ["emailAddress"] = new JsonObject { ["name"] = address.Split('@')[0], ["address"] = address } };
    private static string CalendarKey(string mailbox, string? calendarId) => mailbox + "|calendar:" + (calendarId ?? "default");
    private static string NewEventId() => "AAMkAGI2TG93AAA=" + Guid.NewGuid().ToString("N");
    private DateTime Now() => new(Interlocked.Add(ref _clockTicks, TimeSpan.TicksPerSecond), DateTimeKind.Utc);
    private static string Rfc3339(DateTime at) => at.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static IResult TokenError(string error, string description) => Json(400, new JsonObject
    {
        ["error"] = error, ["error_description"] = description, ["error_codes"] = new JsonArray(70000),
        ["timestamp"] = "2026-12-04 10:00:00Z", ["trace_id"] = Guid.NewGuid().ToString(), ["correlation_id"] = Guid.NewGuid().ToString(),
    });

    /// <summary>Graph's error body (https://learn.microsoft.com/graph/errors).</summary>
    public static IResult Error(int status, string code, string message) => Json(status, new JsonObject
    {
        ["error"] = new JsonObject
        {
            ["code"] = code, ["message"] = message,
            ["innerError"] = new JsonObject { ["date"] = "2026-12-04T10:00:00", ["request-id"] = "b2d1a2c3-0000-4000-8000-" + Guid.NewGuid().ToString("N")[..12], ["client-request-id"] = Guid.NewGuid().ToString() },
        },
    });

    private static IResult Json(int status, JsonObject body) => Results.Text(body.ToJsonString(), "application/json; charset=utf-8", statusCode: status);

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?$")]
    private static partial Regex WallClockPattern();

    [GeneratedRegex(@"^String \{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\} Name \w+$")]
    private static partial Regex ExtendedPropertyId();

    [GeneratedRegex(@"^singleValueExtendedProperties/Any\(ep: ep/id eq '(?<id>[^']+)' and ep/value eq '(?<value>[^']*)'\)$")]
    private static partial Regex KeyFilter();

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}
