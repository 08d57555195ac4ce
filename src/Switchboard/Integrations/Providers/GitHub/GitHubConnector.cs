using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Tickets;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Providers.GitHub;

/// <summary>
/// GitHub (<see cref="GitHubDefinition"/>): the connection test reads the configured repository; <c>create_issue</c>
/// opens one issue per ticket; <c>subscribe_webhooks</c> creates the repository hook delivering to
/// <see cref="GitHubInbound"/>; the <c>comments</c> sync (<see cref="CommentsSync"/>) reads issue comments; uninstalling
/// deletes the hook and the app's grant.
/// </summary>
public sealed class GitHubConnector : Connector
{
    /// <summary>The token extra holding the repository hook's secret (generated here, kept encrypted with the tokens).</summary>
    public const string WebhookSecretExtra = "webhook_secret";

    public override ProviderDefinition Definition { get; } = GitHubDefinition.Create();

    private readonly CommentsSync _comments = new();

    /// <summary><c>GET /repos/{owner}/{repo}</c> (https://docs.github.com/en/rest/repos/repos#get-a-repository): proves the token and the configured repository.</summary>
    public override Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken) =>
        GitHubApi.SendAsync(context, HttpMethod.Get, GitHubApi.RepoPath(context), null, cancellationToken);

    public override async Task<ProviderResponse> RunActionAsync(ConnectorContext context, string action, JsonObject input, CancellationToken cancellationToken) => action switch
    {
        GitHubDefinition.CreateIssue => await CreateIssueAsync(context, input, cancellationToken),
        GitHubDefinition.SubscribeWebhooks => await SubscribeAsync(context, cancellationToken),
        _ => await base.RunActionAsync(context, action, input, cancellationToken),
    };

    public override ISyncModel? Sync(string model) => model == GitHubDefinition.Comments ? _comments : null;

    public override Task<InboundResult> ReceiveAsync(ConnectorContext context, string kind, InboundRequest request, CancellationToken cancellationToken) =>
        kind == GitHubDefinition.Events ? GitHubInbound.ReceiveAsync(context, request, cancellationToken) : Task.FromResult(InboundResult.NotFound);

    /// <summary>The hidden line an issue opened for a ticket carries, so a retry whose answer was lost finds the issue it made.</summary>
    public static string Marker(string ticketId) => $"<!-- switchboard-ticket:{ticketId} -->";

    /// <summary>
    /// Opens an issue for a ticket, safe to repeat (GitHub takes no idempotency key): the ticket's link in the id map
    /// answers the issue already opened; without one (an attempt whose answer was lost), the repository's newest issues are
    /// searched for the ticket's marker; only then is the issue created
    /// (<c>POST /repos/{owner}/{repo}/issues</c>, https://docs.github.com/en/rest/issues/issues#create-an-issue).
    /// </summary>
    private static async Task<ProviderResponse> CreateIssueAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var ticketId = GitHubApi.Text(input["ticketId"]);
        if (!Ids.LooksValid(ticketId, TicketResource.Definition.IdPrefix)) throw Invalid("create_issue needs the ticket's id (\"ticketId\": \"{{data.id}}\").");
        var title = GitHubApi.Text(input["title"])?.Trim();
        if (string.IsNullOrEmpty(title) || title.Length > 256) throw Invalid("create_issue needs a title of 1 to 256 characters.");
        var body = GitHubApi.Text(input["body"]) ?? "";
        if (body.Length > 60_000) throw Invalid("The issue body is longer than 60,000 characters.");
        var labels = Labels(input["labels"]) ?? Labels(context.Config["labels"]) ?? [];
        if (labels.Count > 10 || labels.Any(l => l.Length is 0 or > 50)) throw Invalid("At most 10 labels of 1 to 50 characters.");

        var db = context.Services.GetRequiredService<SwitchboardDbContext>();
        if (!await db.Set<Ticket>().IgnoreQueryFilters().AnyAsync(t => t.Id == ticketId && t.OrganizationId == context.Installation.OrganizationId, cancellationToken))
            throw Invalid($"No ticket {ticketId} in the installation's organization.");
        var repo = GitHubApi.RepoPath(context);
        if (await IssueNumberAsync(db, context.Installation.Id, ticketId!, cancellationToken) is { } linked)
        {
            var existing = await GitHubApi.SendAsync(context, HttpMethod.Get, $"{repo}/issues/{linked}", null, cancellationToken);
            return Answer(new JsonObject { ["issue"] = Brief(existing.Json() as JsonObject), ["created"] = false });
        }

        // "List repository issues" (https://docs.github.com/en/rest/issues/issues#list-repository-issues), newest first.
        var recent = await GitHubApi.SendAsync(context, HttpMethod.Get, $"{repo}/issues?state=all&sort=created&direction=desc&per_page={GitHubApi.PageSize}", null, cancellationToken);
        var marker = Marker(ticketId!);
        if ((recent.Json() as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(i => i["pull_request"] is null && (GitHubApi.Text(i["body"])?.Contains(marker, StringComparison.Ordinal) ?? false))
            is { } found)
        {
            await LinkAsync(context, db, ticketId!, found, cancellationToken);
            return Answer(new JsonObject { ["issue"] = Brief(found), ["created"] = false });
        }

        var request = new JsonObject { ["title"] = title, ["body"] = (body.Length == 0 ? "" : body + "\n\n") + marker };
        if (labels.Count > 0) request["labels"] = new JsonArray(labels.Select(l => (JsonNode)JsonValue.Create(l)).ToArray());
        var created = await GitHubApi.SendAsync(context, HttpMethod.Post, $"{repo}/issues", request, cancellationToken);
        var issue = created.Json() as JsonObject ?? throw new ProviderException("GitHub's answer to creating an issue is not JSON.", created.Status, null, retryable: false);
        await LinkAsync(context, db, ticketId!, issue, cancellationToken);
        return Answer(new JsonObject { ["issue"] = Brief(issue), ["created"] = true });
    }

    private static List<string>? Labels(JsonNode? node) =>
        node is JsonArray array ? array.Select(GitHubApi.Text).OfType<string>().Select(l => l.Trim()).ToList() : null;

    private static JsonObject Brief(JsonObject? issue) => new()
    {
        ["number"] = GitHubApi.Number(issue?["number"]), ["id"] = GitHubApi.Number(issue?["id"]), ["htmlUrl"] = GitHubApi.Text(issue?["html_url"]),
        ["state"] = GitHubApi.Text(issue?["state"]), ["title"] = GitHubApi.Text(issue?["title"]),
    };

    public static Task<string?> IssueNumberAsync(SwitchboardDbContext db, string installationId, string ticketId, CancellationToken cancellationToken) =>
        db.Set<IntegrationRecordLink>().IgnoreQueryFilters()
            .Where(l => l.InstallationId == installationId && l.Model == GitHubDefinition.IssuesModel && l.LocalId == ticketId).Select(l => (string?)l.RemoteId)
            .FirstOrDefaultAsync(cancellationToken);

    private static async Task LinkAsync(ConnectorContext context, SwitchboardDbContext db, string ticketId, JsonObject issue, CancellationToken cancellationToken)
    {
        var number = GitHubApi.Number(issue["number"])?.ToString(CultureInfo.InvariantCulture)
            ?? throw new ProviderException("GitHub's issue has no number.", null, null, retryable: false);
        var now = context.Time.GetUtcNow().UtcDateTime;
        db.Add(new IntegrationRecordLink
        {
            Id = Ids.New(IntegrationResources.RecordLinks, context.Time), OrganizationId = context.Installation.OrganizationId, InstallationId = context.Installation.Id,
            Model = GitHubDefinition.IssuesModel, LocalId = ticketId, RemoteId = number, LocalUpdatedAt = now, RemoteUpdatedAt = GitHubApi.Time(issue["updated_at"]) ?? now,
            UpdatedAt = now,
        });
        try { await db.SaveChangesAsync(cancellationToken); }
        catch (DbUpdateException)
        {
            // Another attempt linked the ticket at this moment: its link stands.
            db.ChangeTracker.Clear();
        }
    }

    /// <summary>
    /// Ensures one active repository hook (https://docs.github.com/en/rest/repos/webhooks) sends <c>issues</c> and
    /// <c>issue_comment</c> to this installation's inbound URL, signed with a secret generated here and kept encrypted with
    /// the tokens (stored before GitHub is told, so the first delivery, the <c>ping</c>, verifies). A hook already delivering
    /// here is kept when it is active with both events and the secret is known; otherwise it is updated
    /// (<c>PATCH /repos/{owner}/{repo}/hooks/{id}</c>) rather than duplicated (GitHub refuses a second hook with the same URL).
    /// </summary>
    private static async Task<ProviderResponse> SubscribeAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var callback = GitHubApi.CallbackUrl(context);
        var hooksPath = GitHubApi.RepoPath(context) + "/hooks";
        var secret = (await context.Http.TokensAsync(cancellationToken)).ExtraValue(WebhookSecretExtra);
        var existing = await FindHookAsync(context, hooksPath, callback, cancellationToken);
        if (existing is not null && secret is not null && existing["active"] is JsonValue a && a.TryGetValue<bool>(out var active) && active
            && GitHubDefinition.WebhookEvents.All((existing["events"] as JsonArray ?? []).Select(GitHubApi.Text).Contains))
            return Answer(new JsonObject { ["hook"] = HookBrief(existing), ["created"] = false });

        if (secret is null)
        {
            secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            await context.Services.GetRequiredService<ProviderTokenStore>().AddExtraAsync(context.Installation.Id,
                new Dictionary<string, string> { [WebhookSecretExtra] = secret }, cancellationToken);
        }
        var body = new JsonObject
        {
            ["active"] = true,
            ["events"] = new JsonArray(GitHubDefinition.WebhookEvents.Select(e => (JsonNode)JsonValue.Create(e)).ToArray()),
            ["config"] = new JsonObject { ["url"] = callback, ["content_type"] = "json", ["secret"] = secret, ["insecure_ssl"] = "0" },
        };
        ProviderResponse answer;
        if (existing is not null)
            answer = await GitHubApi.SendAsync(context, HttpMethod.Patch, $"{hooksPath}/{GitHubApi.Number(existing["id"])}", body, cancellationToken);
        else
        {
            body["name"] = "web";
            answer = await GitHubApi.SendAsync(context, HttpMethod.Post, hooksPath, body, cancellationToken);
        }
        return Answer(new JsonObject { ["hook"] = HookBrief(answer.Json() as JsonObject), ["created"] = existing is null });
    }

    /// <summary>The repository's hook delivering to <paramref name="callback"/>, page by page (<c>GET /repos/{owner}/{repo}/hooks</c>).</summary>
    private static async Task<JsonObject?> FindHookAsync(ConnectorContext context, string hooksPath, string callback, CancellationToken cancellationToken)
    {
        for (int? page = 1; page is not null;)
        {
            var response = await GitHubApi.SendAsync(context, HttpMethod.Get, $"{hooksPath}?per_page={GitHubApi.PageSize}&page={page}", null, cancellationToken);
            if ((response.Json() as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(h => GitHubApi.Text(h["config"]?["url"]) == callback) is { } hook) return hook;
            page = GitHubApi.NextPage(response) is { } next && next > page ? next : null;
        }
        return null;
    }

    private static JsonObject HookBrief(JsonObject? hook) => new()
    {
        ["id"] = GitHubApi.Number(hook?["id"]), ["active"] = hook?["active"]?.DeepClone(), ["events"] = hook?["events"]?.DeepClone(),
        ["url"] = GitHubApi.Text(hook?["config"]?["url"]),
    };

    /// <summary>
    /// GitHub answers token errors with HTTP 200 and <c>{"error","error_description","error_uri"}</c>
    /// (https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors):
    /// a dead refresh token is <c>bad_refresh_token</c>, a used code <c>bad_verification_code</c>.
    /// </summary>
    public override ProviderTokens ReadTokenResponse(ProviderResponse response, ProviderTokens? previous, DateTime now)
    {
        if (response.IsSuccess && response.Json() is JsonObject json && GitHubApi.Text(json["error"]) is { } error)
            throw new ProviderException($"GitHub's token endpoint refused the request ({error}).", response.Status,
                GitHubApi.Text(json["error_description"]) is { } description ? $"{error}: {description}" : error, retryable: false)
            {
                NeedsReauthorization = error is "bad_refresh_token" or "bad_verification_code" or "incorrect_client_credentials" or "unverified_user_email"
                    or "redirect_uri_mismatch",
            };
        return base.ReadTokenResponse(response, previous, now);
    }

    /// <summary>
    /// On uninstall: deletes this installation's repository hook, then the app's grant
    /// (<c>DELETE /applications/{client_id}/grant</c> with the client's basic authentication and the token,
    /// https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-authorization), which revokes every token of it.
    /// </summary>
    public override async Task RevokeAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        if (context.Installation.TokensEncrypted is null) return; // never connected
        var tokens = await context.Http.TokensAsync(cancellationToken);
        if (context.Options.PublicBaseUrl is { Length: > 0 } && tokens.ExtraValue(WebhookSecretExtra) is not null)
        {
            var hooksPath = GitHubApi.RepoPath(context) + "/hooks";
            if (await FindHookAsync(context, hooksPath, GitHubApi.CallbackUrl(context), cancellationToken) is { } hook)
            {
                var deleted = await GitHubApi.SendAsync(context, HttpMethod.Delete, $"{hooksPath}/{GitHubApi.Number(hook["id"])}", null, cancellationToken, throwOnError: false);
                if (!deleted.IsSuccess && deleted.Status != 404) throw GitHubApi.Error(deleted, context.Time);
            }
        }
        var settings = ProviderUrls.Settings(context.Options, Definition.Key);
        if (settings?.ClientId is not { Length: > 0 } clientId || settings.ClientSecret is not { Length: > 0 } clientSecret) return;
        var url = $"{context.BaseUrl()}/applications/{Uri.EscapeDataString(clientId)}/grant";
        var json = new JsonObject { ["access_token"] = tokens.AccessToken }.ToJsonString();
        var response = await context.Http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Delete, url) { Content = new StringContent(json, new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" }) };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(GitHubApi.MediaType));
            request.Headers.Add("X-GitHub-Api-Version", GitHubApi.ApiVersion);
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{clientSecret}")));
            return request;
        }, cancellationToken, authenticate: false);
        // 422 / 404: the grant is already gone.
        if (!response.IsSuccess && response.Status is not (404 or 422)) throw GitHubApi.Error(response, context.Time);
    }

    private static ProviderResponse Answer(JsonObject body)
    {
        using var answer = new HttpResponseMessage(System.Net.HttpStatusCode.OK);
        return new ProviderResponse(200, body.ToJsonString(), answer.Headers, 0);
    }

    private static ProviderException Invalid(string message) => new(message, null, "invalid_input", retryable: false);
}
