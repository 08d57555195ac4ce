using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// A loopback GitHub (REST API 2022-11-28 and the OAuth token endpoint) that checks what GitHub documents and answers
/// GitHub's shapes. Read for it: docs.github.com — "Getting started with the REST API" (headers: Accept
/// application/vnd.github+json, X-GitHub-Api-Version, a User-Agent is required), "API versions", "Using pagination in the
/// REST API" (Link rel="next"/"last", per_page ≤ 100), "Rate limits for the REST API" (403/429 with x-ratelimit-remaining 0
/// and x-ratelimit-reset; secondary limits with retry-after), "Troubleshooting the REST API" (401 Bad credentials, 422
/// Validation Failed with errors[]), https://docs.github.com/en/rest/issues/issues (create, get, list repository issues),
/// https://docs.github.com/en/rest/issues/comments (list issue comments for a repository: sort created|updated,
/// direction, since as ISO 8601 YYYY-MM-DDTHH:MM:SSZ), https://docs.github.com/en/rest/repos/webhooks (list, create with
/// name "web" and config url/content_type/secret/insecure_ssl, update, delete; a second hook with the same URL is 422
/// "Hook already exists on this repository"), https://docs.github.com/en/rest/apps/oauth-applications (delete an app
/// authorization: basic auth with the client id and secret, {"access_token"}), and "Refreshing user access tokens"
/// (POST github.com/login/oauth/access_token with client_id, client_secret, grant_type=refresh_token, refresh_token;
/// errors answered with HTTP 200 and {"error":"bad_refresh_token"}).
/// </summary>
public sealed class GitHubFake : IAsyncDisposable
{
    public const string Owner = "acme", Repo = "widgets", ClientId = "Iv1.8a61f9b3a7aba766", ClientSecret = "gh-test-client-secret-0123456789abcdef";
    public static readonly string[] RepoLabels = ["bug", "support", "from-crm"];

    public FakeProvider Provider { get; }
    /// <summary>Access tokens GitHub takes; refresh tokens it takes; the grants deleted (by access token).</summary>
    public ConcurrentDictionary<string, bool> AccessTokens { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, bool> RefreshTokens { get; } = new(StringComparer.Ordinal);
    public ConcurrentQueue<string> GrantsDeleted { get; } = new();
    public int Refreshes => _refreshes;
    private int _refreshes;
    private long _issueNumber = 1000, _commentId = 5_000_000, _hookId = 400_000;

    public ConcurrentDictionary<long, JsonObject> Issues { get; } = new();
    public ConcurrentDictionary<long, JsonObject> Comments { get; } = new();
    public ConcurrentDictionary<long, JsonObject> Hooks { get; } = new();
    /// <summary>Each hook's secret (GitHub never shows it again), by hook id.</summary>
    public ConcurrentDictionary<long, string> HookSecrets { get; } = new();
    private readonly ConcurrentQueue<(string Path, int Status, Dictionary<string, string> Headers, JsonObject Body)> _failures = new();
    private static readonly DateTime Epoch = new(2026, 11, 1, 9, 0, 0, DateTimeKind.Utc);

    private GitHubFake(FakeProvider provider) => Provider = provider;

    public static GitHubFake Start()
    {
        GitHubFake? gh = null;
        var repo = "/repos/{owner}/{repo}";
        var provider = FakeProvider.StartAsync((app, fake) =>
        {
            app.Use(async (http, next) =>
            {
                try { await next(http); }
                catch (Exception ex) { fake.Violation("the fake failed: " + ex.ToString()[..Math.Min(1500, ex.ToString().Length)]); throw; }
            });
            app.MapPost("/login/oauth/access_token", (Delegate)((HttpContext http) => gh!.TokenAsync(http, fake)));
            app.MapGet(repo, (Delegate)((HttpContext http) => gh!.Api(http, fake, () => Results.Json(Repository()))));
            app.MapGet(repo + "/issues", (Delegate)((HttpContext http) => gh!.Api(http, fake, () => gh.ListIssues(http, fake))));
            app.MapPost(repo + "/issues", (Delegate)((HttpContext http) => gh!.ApiAsync(http, fake, body => gh.CreateIssue(body, fake))));
            app.MapGet(repo + "/issues/comments", (Delegate)((HttpContext http) => gh!.Api(http, fake, () => gh.ListComments(http, fake))));
            app.MapGet(repo + "/issues/{number:long}", (Delegate)((HttpContext http) => gh!.Api(http, fake,
                () => gh.Issues.TryGetValue(RouteId(http, "number"), out var issue) ? Results.Json(issue) : NotFound())));
            app.MapGet(repo + "/hooks", (Delegate)((HttpContext http) => gh!.Api(http, fake, () => gh.ListHooks(http, fake))));
            app.MapPost(repo + "/hooks", (Delegate)((HttpContext http) => gh!.ApiAsync(http, fake, body => gh.SaveHook(null, body, fake))));
            app.MapPatch(repo + "/hooks/{id:long}", (Delegate)((HttpContext http) => gh!.ApiAsync(http, fake, body => gh.SaveHook(RouteId(http, "id"), body, fake))));
            app.MapDelete(repo + "/hooks/{id:long}", (Delegate)((HttpContext http) => gh!.Api(http, fake,
                () => gh.Hooks.TryRemove(RouteId(http, "id"), out _) ? Results.StatusCode(204) : NotFound())));
            app.MapDelete("/applications/{clientId}/grant", (Delegate)((HttpContext http) => gh!.DeleteGrantAsync(http, http.Request.RouteValues["clientId"]?.ToString() ?? "", fake)));
        }).GetAwaiter().GetResult();
        gh = new GitHubFake(provider);
        // An issue no ticket opened, with comments the sync must leave out.
        var other = gh.AddIssue("Flaky build on main", "Seen twice this week.", "octocat");
        for (var i = 0; i < 3; i++) gh.AddComment(other, "octocat", $"Still flaky ({i})", Epoch.AddMinutes(i));
        return gh;
    }

    private static long RouteId(HttpContext http, string name) => long.Parse(http.Request.RouteValues[name]?.ToString() ?? "0", CultureInfo.InvariantCulture);

    public static IResult Error(int status, string message, JsonArray? errors = null, string doc = "https://docs.github.com/rest")
    {
        var body = new JsonObject { ["message"] = message, ["documentation_url"] = doc };
        if (errors is not null) body["errors"] = errors;
        if (status is 401 or 404) body["status"] = status.ToString(CultureInfo.InvariantCulture);
        return Results.Json(body, statusCode: status);
    }

    private static IResult NotFound() => Error(404, "Not Found", doc: "https://docs.github.com/rest");

    /// <summary>The next API call whose path starts with <paramref name="path"/> fails with this status, headers and GitHub error.</summary>
    public void FailNext(string path, int status, string message, Dictionary<string, string>? headers = null) =>
        _failures.Enqueue((path, status, headers ?? [], new JsonObject { ["message"] = message, ["documentation_url"] = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api" }));

    public (string Access, string Refresh) IssueTokens()
    {
        var (access, refresh) = ($"ghu_{Guid.NewGuid():N}", $"ghr_{Guid.NewGuid():N}");
        AccessTokens[access] = true;
        RefreshTokens[refresh] = true;
        return (access, refresh);
    }

    public void Expire(string accessToken) => AccessTokens.TryRemove(accessToken, out _);

    public static string RepoPath => $"/repos/{Owner}/{Repo}";

    /// <summary>Every API route: the documented headers and a token it issued, then any scripted failure.</summary>
    private IResult Api(HttpContext http, FakeProvider fake, Func<IResult> answer)
    {
        try { return Check(http, fake) ?? answer(); }
        catch (Exception ex) { fake.Violation("the fake failed: " + ex); throw; }
    }

    private async Task<IResult> ApiAsync(HttpContext http, FakeProvider fake, Func<JsonObject, IResult> answer)
    {
        try { return await ApiBodyAsync(http, fake, answer); }
        catch (Exception ex) { fake.Violation("the fake failed: " + ex); throw; }
    }

    private async Task<IResult> ApiBodyAsync(HttpContext http, FakeProvider fake, Func<JsonObject, IResult> answer)
    {
        fake.Require((http.Request.ContentType ?? "").StartsWith("application/json", StringComparison.Ordinal), "GitHub takes JSON bodies");
        JsonObject? body;
        try { body = JsonNode.Parse(await new StreamReader(http.Request.Body, Encoding.UTF8).ReadToEndAsync()) as JsonObject; }
        catch (System.Text.Json.JsonException) { body = null; }
        if (Check(http, fake) is { } refusal) return refusal;
        if (body is null) { fake.Violation("the body is not a JSON object"); return Error(400, "Problems parsing JSON"); }
        return answer(body);
    }

    private IResult? Check(HttpContext http, FakeProvider fake)
    {
        var headers = http.Request.Headers;
        fake.Require(headers.Accept.ToString().Contains("application/vnd.github+json", StringComparison.Ordinal), "GitHub recommends Accept: application/vnd.github+json");
        fake.Require(headers["X-GitHub-Api-Version"].ToString() == "2022-11-28", "X-GitHub-Api-Version: 2022-11-28 on every call");
        fake.Require(headers.UserAgent.ToString().Length > 0, "GitHub requires a User-Agent header");
        var auth = headers.Authorization.ToString();
        fake.Require(auth.StartsWith("Bearer ", StringComparison.Ordinal), "the token goes as Authorization: Bearer");
        if (!auth.StartsWith("Bearer ", StringComparison.Ordinal) || !AccessTokens.ContainsKey(auth["Bearer ".Length..])) return Error(401, "Bad credentials");
        var path = http.Request.Path.Value ?? "";
        fake.Require(path.StartsWith(RepoPath + "/", StringComparison.Ordinal) || path == RepoPath || path.StartsWith("/repos/acme/", StringComparison.Ordinal),
            "calls stay within the configured repository");
        if (!path.StartsWith(RepoPath, StringComparison.Ordinal)) return NotFound();
        if (_failures.TryPeek(out var failure) && path.StartsWith(failure.Path, StringComparison.Ordinal) && _failures.TryDequeue(out failure))
        {
            foreach (var (name, value) in failure.Headers) http.Response.Headers[name] = value;
            return Results.Json(failure.Body, statusCode: failure.Status);
        }
        return null;
    }

    private static int PerPage(HttpContext http, FakeProvider fake)
    {
        var text = http.Request.Query["per_page"].ToString();
        var perPage = text.Length == 0 ? 30 : int.Parse(text, CultureInfo.InvariantCulture);
        fake.Require(perPage is >= 1 and <= 100, "per_page is at most 100");
        return Math.Clamp(perPage, 1, 100);
    }

    private static int Page(HttpContext http, FakeProvider fake)
    {
        var text = http.Request.Query["page"].ToString();
        var page = text.Length == 0 ? 1 : int.Parse(text, CultureInfo.InvariantCulture);
        fake.Require(page >= 1, "page starts at 1");
        return Math.Max(1, page);
    }

    /// <summary>A page of <paramref name="all"/> with GitHub's Link header (rel next/last, and prev/first past the first page).</summary>
    private static IResult Paged(HttpContext http, List<JsonObject> all, int perPage, int page)
    {
        var last = Math.Max(1, (all.Count + perPage - 1) / perPage);
        string Url(int p)
        {
            var query = http.Request.Query.Where(q => q.Key != "page").Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value.ToString())}").Append($"page={p}");
            return $"https://api.github.com{http.Request.Path}?{string.Join('&', query)}";
        }
        var links = new List<string>();
        if (page < last) { links.Add($"<{Url(page + 1)}>; rel=\"next\""); links.Add($"<{Url(last)}>; rel=\"last\""); }
        if (page > 1) { links.Add($"<{Url(page - 1)}>; rel=\"prev\""); links.Add($"<{Url(1)}>; rel=\"first\""); }
        if (links.Count > 0) http.Response.Headers["Link"] = string.Join(", ", links);
        return Results.Json(new JsonArray(all.Skip((page - 1) * perPage).Take(perPage).Select(o => (JsonNode)o.DeepClone()).ToArray()));
    }

    private static JsonObject Repository() => new()
    {
        ["id"] = 1296269, ["node_id"] = "MDEwOlJlcG9zaXRvcnkxMjk2MjY5", ["name"] = Repo, ["full_name"] = $"{Owner}/{Repo}", ["private"] = true,
        ["owner"] = new JsonObject { ["login"] = Owner, ["id"] = 1, ["type"] = "Organization" }, ["has_issues"] = true,
        ["html_url"] = $"https://github.com/{Owner}/{Repo}", ["default_branch"] = "main",
    };

    private static string Time(DateTime at) => at.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    public long AddIssue(string title, string? body, string login, string[]? labels = null)
    {
        var number = Interlocked.Increment(ref _issueNumber);
        var now = Time(DateTime.UtcNow);
        Issues[number] = new JsonObject
        {
            ["id"] = 90_000_000 + number, ["node_id"] = $"I_kwDO{number}", ["number"] = number, ["title"] = title, ["body"] = body, ["state"] = "open",
            ["state_reason"] = null, ["url"] = $"https://api.github.com{RepoPath}/issues/{number}", ["html_url"] = $"https://github.com/{Owner}/{Repo}/issues/{number}",
            ["comments_url"] = $"https://api.github.com{RepoPath}/issues/{number}/comments", ["user"] = new JsonObject { ["login"] = login, ["id"] = 583231, ["type"] = "User" },
            ["labels"] = new JsonArray((labels ?? []).Select(l => (JsonNode)new JsonObject { ["name"] = l, ["color"] = "f29513" }).ToArray()),
            ["comments"] = 0, ["created_at"] = now, ["updated_at"] = now, ["closed_at"] = null, ["author_association"] = "MEMBER",
        };
        return number;
    }

    public JsonObject AddComment(long issue, string login, string body, DateTime updatedAt)
    {
        var id = Interlocked.Increment(ref _commentId);
        var comment = new JsonObject
        {
            ["id"] = id, ["node_id"] = $"IC_kwDO{id}", ["url"] = $"https://api.github.com{RepoPath}/issues/comments/{id}",
            ["html_url"] = $"https://github.com/{Owner}/{Repo}/issues/{issue}#issuecomment-{id}", ["body"] = body,
            ["user"] = new JsonObject { ["login"] = login, ["id"] = 1_000 + login.Length, ["type"] = "User" },
            ["created_at"] = Time(updatedAt), ["updated_at"] = Time(updatedAt), ["issue_url"] = $"https://api.github.com{RepoPath}/issues/{issue}",
            ["author_association"] = "CONTRIBUTOR",
        };
        Comments[id] = comment;
        return comment;
    }

    public void EditComment(long id, string body, DateTime updatedAt)
    {
        Comments[id]["body"] = body;
        Comments[id]["updated_at"] = Time(updatedAt);
    }

    private IResult ListIssues(HttpContext http, FakeProvider fake)
    {
        var q = http.Request.Query;
        fake.Require(q["state"].Count == 0 || q["state"] is { } s && (s == "open" || s == "closed" || s == "all"), "state is open, closed or all");
        fake.Require(q["sort"].Count == 0 || q["sort"] is { } so && (so == "created" || so == "updated" || so == "comments"), "sort is created, updated or comments");
        fake.Require(q["direction"].Count == 0 || q["direction"] is { } d && (d == "asc" || d == "desc"), "direction is asc or desc");
        var state = q["state"].Count == 0 ? "open" : q["state"].ToString();
        var all = Issues.Values.Where(i => state == "all" || i["state"]!.GetValue<string>() == state)
            .OrderBy(i => i["number"]!.GetValue<long>()).ToList();
        if (q["direction"].ToString() != "asc") all.Reverse();
        return Paged(http, all, PerPage(http, fake), Page(http, fake));
    }

    private IResult CreateIssue(JsonObject body, FakeProvider fake)
    {
        var title = body["title"] is JsonValue t && t.TryGetValue<string>(out var text) ? text : null;
        if (!fake.Require(!string.IsNullOrWhiteSpace(title), "create an issue: title is required"))
            return Error(422, "Validation Failed", [new JsonObject { ["resource"] = "Issue", ["field"] = "title", ["code"] = "missing_field" }],
                "https://docs.github.com/rest/issues/issues#create-an-issue");
        var labels = (body["labels"] as JsonArray ?? []).Select(l => l!.GetValue<string>()).ToArray();
        if (labels.FirstOrDefault(l => !RepoLabels.Contains(l)) is { } unknown)
            return Error(422, "Validation Failed", [new JsonObject { ["value"] = unknown, ["resource"] = "Label", ["field"] = "name", ["code"] = "invalid" }],
                "https://docs.github.com/rest/issues/issues#create-an-issue");
        var number = AddIssue(title!, body["body"]?.GetValue<string>(), "crm-bot", labels);
        return Results.Json(Issues[number], statusCode: 201);
    }

    /// <summary>Comments updated at or after <c>since</c>, in the requested order (ties by id, GitHub's default order).</summary>
    private IResult ListComments(HttpContext http, FakeProvider fake)
    {
        var q = http.Request.Query;
        var sort = q["sort"].Count == 0 ? "created" : q["sort"].ToString();
        fake.Require(sort is "created" or "updated", "sort is created or updated");
        fake.Require(q["direction"].Count == 0 || q["direction"] is { } d && (d == "asc" || d == "desc"), "direction is asc or desc");
        IEnumerable<JsonObject> all = Comments.Values;
        if (q["since"].ToString() is { Length: > 0 } sinceText)
        {
            fake.Require(System.Text.RegularExpressions.Regex.IsMatch(sinceText, "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$"), "since is ISO 8601: YYYY-MM-DDTHH:MM:SSZ");
            var since = DateTime.Parse(sinceText, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
            all = all.Where(c => DateTime.Parse(c["updated_at"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal) >= since);
        }
        var ordered = all.OrderBy(c => c[sort == "updated" ? "updated_at" : "created_at"]!.GetValue<string>(), StringComparer.Ordinal)
            .ThenBy(c => c["id"]!.GetValue<long>()).ToList();
        if (q["direction"].ToString() == "desc") ordered.Reverse();
        return Paged(http, ordered, PerPage(http, fake), Page(http, fake));
    }

    private IResult ListHooks(HttpContext http, FakeProvider fake) =>
        Paged(http, Hooks.Values.OrderBy(h => h["id"]!.GetValue<long>()).ToList(), PerPage(http, fake), Page(http, fake));

    private IResult SaveHook(long? id, JsonObject body, FakeProvider fake)
    {
        var config = body["config"] as JsonObject;
        var url = config?["url"]?.GetValue<string>() ?? "";
        var errors = new JsonArray();
        if (id is null && body["name"]?.GetValue<string>() != "web") errors.Add(new JsonObject { ["resource"] = "Hook", ["field"] = "name", ["code"] = "invalid" });
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != "https") errors.Add(new JsonObject { ["resource"] = "Hook", ["field"] = "url", ["code"] = "custom", ["message"] = "url is not a valid URL" });
        fake.Require(config?["content_type"]?.GetValue<string>() == "json", "the connector reads JSON deliveries: content_type json");
        fake.Require(config?["secret"]?.GetValue<string>() is { Length: >= 16 }, "a webhook secret of high entropy");
        fake.Require(config?["insecure_ssl"] is null || config["insecure_ssl"]!.GetValue<string>() == "0", "TLS verification stays on");
        var events = (body["events"] as JsonArray ?? []).Select(e => e!.GetValue<string>()).ToArray();
        fake.Require(events.Length > 0 && events.All(e => e is "issues" or "issue_comment"), "events are known webhook events");
        if (Hooks.Values.Any(h => h["config"]!["url"]!.GetValue<string>() == url && h["id"]!.GetValue<long>() != id))
            errors.Add(new JsonObject { ["resource"] = "Hook", ["code"] = "custom", ["message"] = "Hook already exists on this repository" });
        fake.Require(errors.Count == 0, "hook: " + errors.ToJsonString());
        if (errors.Count > 0) return Error(422, "Validation Failed", errors, "https://docs.github.com/rest/repos/webhooks#create-a-repository-webhook");
        if (id is not null && !Hooks.ContainsKey(id.Value)) return NotFound();
        var hookId = id ?? Interlocked.Increment(ref _hookId);
        var now = Time(DateTime.UtcNow);
        var hook = new JsonObject
        {
            ["type"] = "Repository", ["id"] = hookId, ["name"] = "web", ["active"] = body["active"]?.GetValue<bool>() ?? true,
            ["events"] = new JsonArray(events.Select(e => (JsonNode)JsonValue.Create(e)).ToArray()),
            ["config"] = new JsonObject { ["content_type"] = "json", ["insecure_ssl"] = "0", ["url"] = url, ["secret"] = "********" },
            ["updated_at"] = now, ["created_at"] = now, ["url"] = $"https://api.github.com{RepoPath}/hooks/{hookId}",
            ["test_url"] = $"https://api.github.com{RepoPath}/hooks/{hookId}/test", ["ping_url"] = $"https://api.github.com{RepoPath}/hooks/{hookId}/pings",
            ["deliveries_url"] = $"https://api.github.com{RepoPath}/hooks/{hookId}/deliveries",
            ["last_response"] = new JsonObject { ["code"] = null, ["status"] = "unused", ["message"] = null },
        };
        Hooks[hookId] = hook;
        if (config?["secret"]?.GetValue<string>() is { } secret) HookSecrets[hookId] = secret;
        return Results.Json(hook, statusCode: id is null ? 201 : 200);
    }

    private async Task<IResult> TokenAsync(HttpContext http, FakeProvider fake)
    {
        fake.Require(http.Request.Headers.Accept.ToString().Contains("application/json", StringComparison.Ordinal), "Accept: application/json for a JSON token answer");
        var form = await http.Request.ReadFormAsync();
        fake.Require(form["client_id"] == ClientId && form["client_secret"] == ClientSecret, "the token endpoint takes client_id and client_secret");
        fake.Require(form["grant_type"] == "refresh_token", "only refresh_token grants are expected here");
        if (!RefreshTokens.TryRemove(form["refresh_token"].ToString(), out _))
            return Results.Json(new JsonObject
            {
                ["error"] = "bad_refresh_token", ["error_description"] = "The refresh token passed is incorrect or expired.",
                ["error_uri"] = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors",
            });
        Interlocked.Increment(ref _refreshes);
        var (access, refresh) = IssueTokens();
        return Results.Json(new JsonObject
        {
            ["access_token"] = access, ["expires_in"] = 28800, ["refresh_token"] = refresh, ["refresh_token_expires_in"] = 15811200, ["scope"] = "", ["token_type"] = "bearer",
        });
    }

    private async Task<IResult> DeleteGrantAsync(HttpContext http, string clientId, FakeProvider fake)
    {
        fake.Require(http.Request.Headers["X-GitHub-Api-Version"].ToString() == "2022-11-28", "X-GitHub-Api-Version: 2022-11-28 on every call");
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ClientId}:{ClientSecret}"));
        if (!fake.Require(clientId == ClientId && http.Request.Headers.Authorization.ToString() == expected, "deleting a grant takes the app's basic authentication"))
            return Error(404, "Not Found");
        var body = JsonNode.Parse(await new StreamReader(http.Request.Body, Encoding.UTF8).ReadToEndAsync()) as JsonObject;
        var token = body?["access_token"]?.GetValue<string>() ?? "";
        if (!fake.Require(token.Length > 0, "access_token is required")) return Error(422, "Validation Failed");
        GrantsDeleted.Enqueue(token);
        AccessTokens.TryRemove(token, out _);
        return Results.StatusCode(204);
    }

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

public abstract class GitHubNode : ProviderFakeNode<GitHubFake>
{
    public const string PublicBaseUrl = "https://switchboard.example.com";

    protected override Task<GitHubFake> StartFakeAsync() => Task.FromResult(GitHubFake.Start());

    protected override IEnumerable<(string Key, string Value)> Settings(GitHubFake github)
    {
        const string Prefix = "Switchboard:Integrations:Providers:github:";
        return
        [
            (Prefix + "BaseUrls:api", github.Provider.BaseUrl), (Prefix + "TokenUrl", github.Provider.BaseUrl + "/login/oauth/access_token"),
            (Prefix + "ClientId", GitHubFake.ClientId), (Prefix + "ClientSecret", GitHubFake.ClientSecret),
            ("Switchboard:PublicBaseUrl", PublicBaseUrl),
            ("Switchboard:Integrations:SchedulerPollSeconds", "0.2"), ("Switchboard:Integrations:SyncLeaseSeconds", "5"),
        ];
    }
}

public sealed class GitHubSqliteNode : GitHubNode { protected override SwitchboardFactory Create() => new SqliteSwitchboard(); }
public sealed class GitHubPostgresNode : GitHubNode { protected override SwitchboardFactory Create() => new PostgresSwitchboard(); }
