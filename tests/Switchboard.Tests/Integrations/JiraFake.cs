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
/// Jira Cloud as Atlassian documents it, on loopback (<see cref="FakeProvider"/>):
/// <list type="bullet">
/// <item>OAuth 2.0 (3LO) (https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/): the token endpoint takes
/// a JSON body with the client's id and secret; refresh tokens rotate (each refresh answers a new one and the old one is
/// refused with <c>invalid_grant</c>); <c>GET /oauth/token/accessible-resources</c> lists the grant's sites.</item>
/// <item>The REST API v3 behind the gateway, <c>/ex/jira/{cloudid}/rest/api/3</c> (https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/):
/// a bearer token that covers the site (else the gateway's 401 <c>{"code":401,"message":"Unauthorized"}</c>); errors as
/// <c>{"errorMessages":[],"errors":{}}</c>; 429 with Retry-After (https://developer.atlassian.com/cloud/jira/platform/rate-limiting/).</item>
/// <item>POST /issue: project key, issue type name, a one-line summary of at most 255 characters, a description in
/// Atlassian Document Format (https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/: doc version 1,
/// paragraphs of non-empty text nodes and hardBreaks), labels without spaces, a known priority name.</item>
/// <item>POST /search/jql (the enhanced search): fields must be named (it answers ids only otherwise), maxResults 1 to 100
/// with fields, <c>nextPageToken</c> only with the query that issued it, no token on the last page (<c>isLast</c>); JQL dates
/// "yyyy/MM/dd HH:mm" read in the user's time zone (this fake's user is at UTC+01:00, as the <c>updated</c> times show).</item>
/// <item>Dynamic webhooks (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-webhooks/): GET paged by
/// startAt, POST with url + webhooks[{events, jqlFilter}], PUT /webhook/refresh, DELETE with a body of
/// <c>{"webhookIds":[…]}</c> answered 202 (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-webhooks/#api-rest-api-3-webhook-delete).</item>
/// </list>
/// </summary>
public sealed partial class JiraFake : IAsyncDisposable
{
    public const string ClientId = "jira-client-id", ClientSecret = "jira-client-secret-0123456789abcdef";
    public static readonly TimeSpan UserOffset = TimeSpan.FromHours(1);
    private static readonly string[] Priorities = ["Highest", "High", "Medium", "Low", "Lowest"];
    private static readonly string[] IssueTypes = ["Task", "Bug", "Story"];
    private static readonly string[] WebhookEvents = ["jira:issue_created", "jira:issue_updated", "jira:issue_deleted", "comment_created"];

    public FakeProvider Provider { get; }
    public string BaseUrl => Provider.BaseUrl;
    private readonly ConcurrentDictionary<string, Grant> _byAccess = new(), _byRefresh = new();
    private readonly ConcurrentDictionary<string, Site> _sites = new();
    private int _grants, _siteCount;
    private JiraFake(FakeProvider provider) => Provider = provider;

    public sealed class Site(string cloudId, string name, string projectKey)
    {
        public string CloudId { get; } = cloudId;
        public string Name { get; } = name;
        public string Url => $"https://{Name}.atlassian.net";
        public string ProjectKey { get; } = projectKey;
        public ConcurrentDictionary<string, Issue> Issues { get; } = new();
        public ConcurrentDictionary<long, JsonObject> Webhooks { get; } = new();
        public ConcurrentQueue<JsonObject> Created { get; } = new();
        public ConcurrentQueue<string> Jql { get; } = new();
        private long _ids = 10000, _webhookIds = 1000;
        private long _clock = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        internal long NextId() => Interlocked.Increment(ref _ids);
        internal long NextWebhookId() => Interlocked.Increment(ref _webhookIds);
        public DateTimeOffset Tick() => DateTimeOffset.FromUnixTimeMilliseconds(Interlocked.Add(ref _clock, 1000));

        /// <summary>Moves this site's clock on (later changes land in a later JQL minute).</summary>
        public void Advance(TimeSpan by) => Interlocked.Add(ref _clock, (long)by.TotalMilliseconds);

        public Issue Add(string summary, string status = "To Do", string category = "new", string priority = "Medium")
        {
            var id = NextId().ToString(CultureInfo.InvariantCulture);
            var issue = new Issue(id, $"{ProjectKey}-{Issues.Count + 1}") { Summary = summary, Status = status, Category = category, Priority = priority, Updated = Tick() };
            Issues[id] = issue;
            return issue;
        }

        /// <summary>A workflow transition, as a user makes it in Jira.</summary>
        public void Transition(string id, string status, string category)
        {
            var issue = Issues[id];
            lock (issue) { issue.Status = status; issue.Category = category; issue.Updated = Tick(); }
        }
    }

    public sealed class Issue(string id, string key)
    {
        public string Id { get; } = id;
        public string Key { get; } = key;
        public string Summary { get; set; } = "";
        public string Status { get; set; } = "To Do";
        public string Category { get; set; } = "new";
        public string Priority { get; set; } = "Medium";
        public List<string> Labels { get; } = [];
        public JsonObject? Description { get; set; }
        public DateTimeOffset Updated { get; set; }
    }

    public sealed class Grant(int number, IReadOnlyList<Site> sites)
    {
        public IReadOnlyList<Site> Sites { get; } = sites;
        public int Number { get; } = number;
        public string AccessToken { get; set; } = $"jat-{number}-1";
        public string RefreshToken { get; set; } = $"jrt-{number}-1";
        public int Refreshes => Volatile.Read(ref _refreshes);
        private int _refreshes;
        internal int Refreshed() => Interlocked.Increment(ref _refreshes);
    }

    public Site NewSite(string projectKey = "SUP")
    {
        var n = Interlocked.Increment(ref _siteCount);
        var site = new Site($"0a1b2c3d-4e5f-4a6b-8c7d-{n:D12}", $"acme{n}", projectKey);
        _sites[site.CloudId] = site;
        return site;
    }

    public Grant NewGrant(params Site[] sites)
    {
        var grant = new Grant(Interlocked.Increment(ref _grants), sites);
        _byAccess[grant.AccessToken] = grant;
        _byRefresh[grant.RefreshToken] = grant;
        return grant;
    }

    /// <summary>The grant's access token now answers 401 (expired).</summary>
    public void Expire(Grant grant) => _byAccess.TryRemove(grant.AccessToken, out _);

    private readonly ConcurrentQueue<(int Status, string? RetryAfter, JsonObject Body)> _failures = new();

    /// <summary>The next REST call (any site) answers this.</summary>
    public void FailNext(int status, JsonObject body, string? retryAfter = null) => _failures.Enqueue((status, retryAfter, body));

    public static JiraFake Start()
    {
        JiraFake? self = null;
        var provider = FakeProvider.StartAsync((app, fake) =>
        {
            app.MapPost("/oauth/token", (Delegate)((HttpContext http) => self!.TokenAsync(http, fake)));
            app.MapGet("/oauth/token/accessible-resources", (Delegate)((HttpContext http) => self!.Resources(http)));
            app.MapMethods("/ex/jira/{cloudId}/rest/api/3/{**path}", ["GET", "POST", "PUT", "DELETE"],
                (string cloudId, string path, HttpContext http) => self!.RestAsync(http, fake, cloudId, path));
        }).GetAwaiter().GetResult();
        self = new JiraFake(provider);
        return self;
    }

    public static JsonObject Errors(string[] messages, JsonObject? errors = null) => new()
    {
        ["errorMessages"] = new JsonArray([.. messages.Select(m => (JsonNode)m)]), ["errors"] = errors ?? [],
    };

    private async Task<IResult> TokenAsync(HttpContext http, FakeProvider fake)
    {
        fake.Require(http.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true, "Atlassian's token endpoint takes a JSON body");
        JsonObject? body = null;
        try { body = await JsonNode.ParseAsync(http.Request.Body) as JsonObject; }
        catch (System.Text.Json.JsonException) { }
        fake.Require(body?["client_id"]?.GetValue<string>() == ClientId && body?["client_secret"]?.GetValue<string>() == ClientSecret,
            "the token request carries client_id and client_secret");
        if (!fake.Require(body?["grant_type"]?.GetValue<string>() == "refresh_token", "only refresh_token grants are expected here")
            || !_byRefresh.TryRemove(body?["refresh_token"]?.GetValue<string>() ?? "", out var grant))
            return Results.Json(new { error = "invalid_grant", error_description = "Unknown or invalid refresh token." }, statusCode: 403);
        var n = grant.Refreshed();
        // Rotating refresh tokens: the old one is gone, a new one comes with the access token.
        grant.AccessToken = $"jat-{grant.Number}-{n + 1}";
        grant.RefreshToken = $"jrt-{grant.Number}-{n + 1}";
        _byAccess[grant.AccessToken] = grant;
        _byRefresh[grant.RefreshToken] = grant;
        return Results.Json(new JsonObject
        {
            ["access_token"] = grant.AccessToken, ["refresh_token"] = grant.RefreshToken, ["expires_in"] = 3600, ["token_type"] = "Bearer",
            ["scope"] = "read:jira-work write:jira-work manage:jira-webhook offline_access",
        });
    }

    private Grant? Bearer(HttpContext http)
    {
        var auth = http.Request.Headers.Authorization.ToString();
        return auth.StartsWith("Bearer ", StringComparison.Ordinal) && _byAccess.TryGetValue(auth["Bearer ".Length..], out var grant) ? grant : null;
    }

    private static IResult Unauthorized() => Results.Json(new { code = 401, message = "Unauthorized" }, statusCode: 401);

    private IResult Resources(HttpContext http)
    {
        if (Bearer(http) is not { } grant) return Unauthorized();
        return Results.Json(new JsonArray([.. grant.Sites.Select(s => (JsonNode)new JsonObject
        {
            ["id"] = s.CloudId, ["url"] = s.Url, ["name"] = s.Name,
            ["scopes"] = new JsonArray("read:jira-work", "write:jira-work", "manage:jira-webhook"), ["avatarUrl"] = "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/rocket.png",
        })]));
    }

    private async Task<IResult> RestAsync(HttpContext http, FakeProvider fake, string cloudId, string path)
    {
        if (Bearer(http) is not { } grant || !_sites.TryGetValue(cloudId, out var site) || !grant.Sites.Contains(site)) return Unauthorized();
        if (_failures.TryDequeue(out var failure))
        {
            if (failure.RetryAfter is not null) http.Response.Headers["Retry-After"] = failure.RetryAfter;
            return Results.Json(failure.Body, statusCode: failure.Status);
        }
        JsonObject? body = null;
        if (http.Request.Method is "POST" or "PUT" or "DELETE")
        {
            fake.Require(http.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true, "Jira takes JSON bodies");
            try { body = await JsonNode.ParseAsync(http.Request.Body) as JsonObject; }
            catch (System.Text.Json.JsonException) { }
            if (body is null) return Results.Json(Errors(["Unexpected character in the request body."]), statusCode: 400);
        }
        var method = http.Request.Method;
        if (method == "GET" && path.StartsWith("project/", StringComparison.Ordinal))
        {
            var key = path["project/".Length..];
            return key == site.ProjectKey
                ? Results.Json(new { id = "10000", key, name = "Support", self = $"{site.Url}/rest/api/3/project/10000" })
                : Results.Json(Errors([$"No project could be found with key '{key}'."]), statusCode: 404);
        }
        if (method == "POST" && path == "issue") return CreateIssue(site, body!, fake);
        if (method == "GET" && path.StartsWith("issue/", StringComparison.Ordinal))
        {
            if (!site.Issues.TryGetValue(path["issue/".Length..], out var issue))
                return Results.Json(Errors(["Issue does not exist or you do not have permission to see it."]), statusCode: 404);
            var fields = http.Request.Query["fields"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries);
            fake.Require(fields.Length > 0, "name the fields to read");
            return Results.Json(Json(site, issue, fields));
        }
        if (method == "POST" && path == "search/jql") return Search(site, body!, fake);
        if (method == "GET" && path == "webhook")
        {
            var startAt = int.Parse(http.Request.Query["startAt"].FirstOrDefault() ?? "0", CultureInfo.InvariantCulture);
            var max = int.Parse(http.Request.Query["maxResults"].FirstOrDefault() ?? "100", CultureInfo.InvariantCulture);
            fake.Require(max is > 0 and <= 100, "webhook pages hold 1 to 100");
            var all = site.Webhooks.OrderBy(w => w.Key).Select(w => w.Value).ToList();
            var page = all.Skip(startAt).Take(max).ToList();
            return Results.Json(new JsonObject
            {
                ["startAt"] = startAt, ["maxResults"] = max, ["total"] = all.Count, ["isLast"] = startAt + page.Count >= all.Count,
                ["values"] = new JsonArray([.. page.Select(w => (JsonNode)new JsonObject
                {
                    ["id"] = w["id"]!.DeepClone(), ["jqlFilter"] = w["jqlFilter"]!.DeepClone(), ["events"] = w["events"]!.DeepClone(), ["expirationDate"] = w["expirationDate"]!.DeepClone(),
                    ["url"] = w["url"]!.DeepClone(),
                })]),
            });
        }
        if (method == "POST" && path == "webhook") return Register(site, body!, fake);
        if (method == "PUT" && path == "webhook/refresh")
        {
            var ids = (body!["webhookIds"] as JsonArray ?? []).Select(i => i!.GetValue<long>()).ToList();
            fake.Require(ids.Count > 0 && ids.All(site.Webhooks.ContainsKey), "refresh names the app's webhooks");
            var expires = DateTimeOffset.UtcNow.AddDays(30).ToString("yyyy-MM-ddTHH:mm:ss.fffzz00", CultureInfo.InvariantCulture);
            foreach (var id in ids) if (site.Webhooks.TryGetValue(id, out var w)) w["expirationDate"] = expires;
            return Results.Json(new { expirationDate = expires });
        }
        if (method == "DELETE" && path == "webhook")
        {
            // Only the calling app's webhooks are removed; ids of other apps' webhooks are ignored.
            var ids = (body!["webhookIds"] as JsonArray ?? []).Select(i => i is JsonValue v && v.TryGetValue<long>(out var n) ? n : -1).ToList();
            if (!fake.Require(ids.Count > 0 && ids.All(i => i > 0), "DELETE /webhook takes {\"webhookIds\": [numbers]}"))
                return Results.Json(Errors(["webhookIds: must not be empty"]), statusCode: 400);
            foreach (var id in ids) site.Webhooks.TryRemove(id, out _);
            return Results.StatusCode(202);
        }
        fake.Violation($"{method} /rest/api/3/{path} is not an endpoint this connector should call");
        return Results.Json(Errors(["Not found"]), statusCode: 404);
    }

    private static IResult CreateIssue(Site site, JsonObject body, FakeProvider fake)
    {
        var fields = body["fields"] as JsonObject ?? [];
        var errors = new JsonObject();
        if (fields["project"]?["key"]?.GetValue<string>() != site.ProjectKey) errors["project"] = "Specify a valid project ID or key";
        if (!IssueTypes.Contains(fields["issuetype"]?["name"]?.GetValue<string>())) errors["issuetype"] = "Specify an issue type";
        var summary = fields["summary"]?.GetValue<string>();
        if (string.IsNullOrWhiteSpace(summary)) errors["summary"] = "You must specify a summary of the issue.";
        else if (summary.Length > 255 || summary.Contains('\n')) errors["summary"] = "Summary must be less than 255 characters and on one line.";
        if (fields["priority"] is { } priority && !Priorities.Contains(priority["name"]?.GetValue<string>()))
            errors["priority"] = "Specify a valid 'id' or 'name' for Priority";
        var labels = (fields["labels"] as JsonArray ?? []).Select(l => l!.GetValue<string>()).ToList();
        if (labels.Any(l => l.Length == 0 || l.Length > 255 || l.Any(char.IsWhiteSpace))) errors["labels"] = "The label must not contain spaces.";
        if (fields["description"] is { } description && Adf(description) is { } adfError)
        {
            fake.Violation("description is not Atlassian Document Format: " + adfError);
            errors["description"] = "Operation value must be an Atlassian Document. See the Atlassian Document Format (ADF).";
        }
        if (errors.Count > 0) return Results.Json(Errors([], errors), statusCode: 400);
        var issue = site.Add(summary!, priority: fields["priority"]?["name"]?.GetValue<string>() ?? "Medium");
        issue.Labels.AddRange(labels);
        issue.Description = fields["description"]?.DeepClone().AsObject();
        site.Created.Enqueue(body.DeepClone().AsObject());
        return Results.Json(new { id = issue.Id, key = issue.Key, self = $"{site.Url}/rest/api/3/issue/{issue.Id}" }, statusCode: 201);
    }

    /// <summary>What ADF requires of a document: type doc, version 1, block nodes with inline content, non-empty text nodes.</summary>
    private static string? Adf(JsonNode doc)
    {
        if (doc["type"]?.GetValue<string>() != "doc" || doc["version"]?.GetValue<int>() != 1 || doc["content"] is not JsonArray blocks) return "the root is not {type: doc, version: 1, content: []}";
        foreach (var block in blocks)
        {
            if (block?["type"]?.GetValue<string>() != "paragraph" || block["content"] is not JsonArray inline) return "a top-level node is not a paragraph with content";
            foreach (var node in inline)
                switch (node?["type"]?.GetValue<string>())
                {
                    case "text" when node["text"]?.GetValue<string>() is { Length: > 0 }: break;
                    case "hardBreak": break;
                    default: return $"unexpected inline node {node?.ToJsonString()}";
                }
        }
        return null;
    }

    [GeneratedRegex("""^project = "(?<key>[A-Z][A-Z0-9_]+)"(?: AND labels = "(?<label>[^"]+)")?(?: AND updated >= "(?<since>\d{4}/\d{2}/\d{2} \d{2}:\d{2})")? ORDER BY updated ASC$""")]
    private static partial Regex JqlShape();

    private static IResult Search(Site site, JsonObject body, FakeProvider fake)
    {
        var jql = body["jql"]?.GetValue<string>() ?? "";
        site.Jql.Enqueue(jql);
        var match = JqlShape().Match(jql);
        if (!fake.Require(match.Success, $"unexpected JQL: {jql}"))
            return Results.Json(Errors([$"Error in the JQL Query: {jql}"]), statusCode: 400);
        var fields = (body["fields"] as JsonArray ?? []).Select(f => f!.GetValue<string>()).ToArray();
        fake.Require(fields.Length > 0, "the enhanced search answers only issue ids unless fields are named");
        var max = body["maxResults"]?.GetValue<int>() ?? 50;
        fake.Require(max is >= 1 and <= 100, "maxResults is 1 to 100 when fields are requested");
        var offset = 0;
        if (body["nextPageToken"]?.GetValue<string>() is { } token)
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(token)).Split('\n');
            fake.Require(decoded[0] == jql, "a nextPageToken is used only with the query that issued it");
            offset = int.Parse(decoded[1], CultureInfo.InvariantCulture);
        }
        IEnumerable<Issue> issues = site.Issues.Values.Where(i => i.Key.StartsWith(match.Groups["key"].Value + "-", StringComparison.Ordinal));
        if (match.Groups["label"].Success) issues = issues.Where(i => i.Labels.Contains(match.Groups["label"].Value));
        if (match.Groups["since"].Success)
        {
            // JQL dates are the user's wall-clock time.
            var since = new DateTimeOffset(DateTime.ParseExact(match.Groups["since"].Value, "yyyy/MM/dd HH:mm", CultureInfo.InvariantCulture), UserOffset);
            issues = issues.Where(i => i.Updated >= since);
        }
        var sorted = issues.OrderBy(i => i.Updated).ThenBy(i => long.Parse(i.Id, CultureInfo.InvariantCulture)).ToList();
        var page = sorted.Skip(offset).Take(max).ToList();
        var answer = new JsonObject { ["issues"] = new JsonArray([.. page.Select(i => (JsonNode)Json(site, i, fields))]), ["isLast"] = offset + page.Count >= sorted.Count };
        if (offset + page.Count < sorted.Count)
            answer["nextPageToken"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{jql}\n{offset + page.Count}"));
        return Results.Json(answer);
    }

    private static JsonObject Json(Site site, Issue issue, string[] fields)
    {
        var f = new JsonObject();
        lock (issue)
        {
            foreach (var name in fields)
                f[name] = name switch
                {
                    "summary" => issue.Summary,
                    "status" => new JsonObject
                    {
                        ["name"] = issue.Status, ["id"] = "10001",
                        ["statusCategory"] = new JsonObject { ["key"] = issue.Category, ["name"] = issue.Category switch { "new" => "To Do", "done" => "Done", _ => "In Progress" } },
                    },
                    "priority" => new JsonObject { ["name"] = issue.Priority, ["id"] = "3" },
                    "updated" => issue.Updated.ToOffset(UserOffset).ToString("yyyy-MM-ddTHH:mm:ss.fff", CultureInfo.InvariantCulture) + "+0100",
                    "labels" => new JsonArray([.. issue.Labels.Select(l => (JsonNode)l)]),
                    _ => null,
                };
        }
        return new JsonObject { ["id"] = issue.Id, ["key"] = issue.Key, ["self"] = $"{site.Url}/rest/api/3/issue/{issue.Id}", ["fields"] = f };
    }

    private static IResult Register(Site site, JsonObject body, FakeProvider fake)
    {
        var url = body["url"]?.GetValue<string>();
        fake.Require(url?.StartsWith("https://", StringComparison.Ordinal) == true, "the webhook URL is https");
        var results = new JsonArray();
        // "Only a single URL per app is allowed to be registered": a second URL on the site is refused.
        if (site.Webhooks.Values.Select(w => w["url"]!.GetValue<string>()).FirstOrDefault(u => u != url) is { } registered)
        {
            fake.Violation($"a second webhook URL for the app on one site ({url}; registered: {registered})");
            return Results.Json(Errors(["Only a single URL per app is allowed to be registered."]), statusCode: 400);
        }
        foreach (var webhook in body["webhooks"] as JsonArray ?? [])
        {
            var events = (webhook?["events"] as JsonArray ?? []).Select(e => e!.GetValue<string>()).ToList();
            var jql = webhook?["jqlFilter"]?.GetValue<string>();
            if (events.Count == 0 || !events.All(WebhookEvents.Contains) || string.IsNullOrEmpty(jql))
            {
                fake.Violation("each webhook names known events and a jqlFilter");
                results.Add(new JsonObject { ["errors"] = new JsonArray("Invalid webhook: events and jqlFilter are required.") });
                continue;
            }
            var id = site.NextWebhookId();
            site.Webhooks[id] = new JsonObject
            {
                ["id"] = id, ["url"] = url, ["jqlFilter"] = jql, ["events"] = webhook!["events"]!.DeepClone(),
                ["expirationDate"] = DateTimeOffset.UtcNow.AddDays(30).ToString("yyyy-MM-ddTHH:mm:ss.fff+0000", CultureInfo.InvariantCulture),
            };
            results.Add(new JsonObject { ["createdWebhookId"] = id });
        }
        return Results.Json(new JsonObject { ["webhookRegistrationResult"] = results });
    }

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

public sealed class JiraSqliteNode : SqliteSwitchboard
{
    public JiraFake Jira { get; } = JiraFake.Start();
    public JiraSqliteNode() => JiraNode.Configure(this, Jira);
    public override async ValueTask DisposeAsync() { await base.DisposeAsync(); await Jira.DisposeAsync(); }
}

public sealed class JiraPostgresNode : PostgresSwitchboard
{
    public JiraFake Jira { get; } = JiraFake.Start();
    public JiraPostgresNode() => JiraNode.Configure(this, Jira);
    public override async ValueTask DisposeAsync() { await base.DisposeAsync(); await Jira.DisposeAsync(); }
}

internal static class JiraNode
{
    public const string PublicBaseUrl = "https://switchboard.example.com";

    public static void Configure(SwitchboardFactory node, JiraFake jira)
    {
        const string Prefix = "Switchboard:Integrations:Providers:jira:";
        node.With(Prefix + "BaseUrls:api", jira.BaseUrl);
        node.With(Prefix + "TokenUrl", jira.BaseUrl + "/oauth/token");
        node.With(Prefix + "ClientId", JiraFake.ClientId);
        node.With(Prefix + "ClientSecret", JiraFake.ClientSecret);
        node.With("Switchboard:PublicBaseUrl", PublicBaseUrl);
        node.With("Switchboard:Integrations:SchedulerPollSeconds", "0.2");
        node.With("Switchboard:Integrations:SyncLeaseSeconds", "5");
    }
}
