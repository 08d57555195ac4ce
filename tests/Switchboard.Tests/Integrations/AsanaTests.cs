using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Integrations;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// The Asana connector against <see cref="AsanaFake"/>: a task created once from a CRM task; the two-way tasks sync
/// over pages, its pushes not coming back as changes, completion both ways, a conflict going to the configured winner;
/// an expired token refreshed once, a 429 waited out, Asana's refusals surfaced, the token revoked on uninstall; the
/// webhook's handshake answered only while registering, a forged delivery refused and a signed one starting a sync.
/// </summary>
public abstract class AsanaTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    private AsanaFake Fake => node switch
    {
        AsanaSqliteNode s => s.Asana,
        AsanaPostgresNode p => p.Asana,
        _ => throw new InvalidOperationException(),
    };

    private async Task<(ApiClient Owner, string Installation)> InstallAsync(AsanaFake.Workspace ws, JsonObject? extraConfig = null)
    {
        var owner = node.Client();
        var organization = (await owner.SignupAsync())["organization"]!["id"]!.GetValue<string>();
        var id = Switchboard.Platform.Ids.New(IntegrationResources.Installations, node.Clock);
        var now = node.Clock.GetUtcNow().UtcDateTime;
        var config = new JsonObject { ["workspaceGid"] = ws.Gid, ["projectGid"] = ws.ProjectGid };
        foreach (var (k, v) in extraConfig ?? []) config[k] = v?.DeepClone();
        await node.WithDbAsync(async db =>
        {
            db.Add(new IntegrationInstallation
            {
                Id = id, OrganizationId = organization, ProviderKey = "asana", Name = "Asana", Config = config.ToJsonString(),
                Status = InstallationStatus.PendingAuth, CreatedAt = now, UpdatedAt = now,
            });
            return await db.SaveChangesAsync();
        });
        await node.Services.GetRequiredService<ProviderTokenStore>().StoreAsync(id,
            new ProviderTokens(ws.AccessToken, ws.RefreshToken, now.AddMinutes(60), null, "bearer"), CancellationToken.None);
        return (owner, id);
    }

    private async Task<T> WithConnectorAsync<T>(string installationId, Func<Connector, ConnectorContext, Task<T>> use)
    {
        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var installation = await db.Set<IntegrationInstallation>().IgnoreQueryFilters().SingleAsync(i => i.Id == installationId);
        var (connector, context) = scope.ServiceProvider.GetRequiredService<ConnectorContexts>().For(installation, scope.ServiceProvider);
        return await use(connector, context);
    }

    private Task<ProviderResponse> ActAsync(string installation, string action, JsonObject input) =>
        WithConnectorAsync(installation, (connector, context) => connector.RunActionAsync(context, action, input, CancellationToken.None));

    private static async Task<string> TaskAsync(ApiClient owner, string title, string? dueAt = null)
    {
        var response = await owner.PostAsync("/api/v1/tasks", new { title, description = "Call back about the renewal", dueAt });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await ApiClient.ReadAsync(response))["id"]!.GetValue<string>();
    }

    private JsonObject RemoteOf(AsanaFake.Workspace ws, string installation, string localId) =>
        ws.Tasks[node.WithDbAsync(db => db.Set<IntegrationRecordLink>().IgnoreQueryFilters()
            .SingleAsync(l => l.InstallationId == installation && l.LocalId == localId)).GetAwaiter().GetResult().RemoteId];

    [Fact]
    public async Task TasksAreCreatedOnceAndSyncBothWaysWithoutEchoes()
    {
        var ws = Fake.NewWorkspace();
        var (owner, installation) = await InstallAsync(ws);
        using var _ = owner;
        var fromRule = await TaskAsync(owner, "Renewal call", "2026-12-10T00:00:00Z");
        var made = JsonNode.Parse((await ActAsync(installation, "create_task", new JsonObject { ["taskId"] = fromRule })).Body)!;
        made["created"]!.GetValue<bool>().ShouldBeTrue();
        var remote = ws.Tasks[made["gid"]!.GetValue<string>()];
        (remote["name"]!.GetValue<string>(), remote["due_on"]!.GetValue<string>(), remote["notes"]!.GetValue<string>()).ShouldBe(("Renewal call", "2026-12-10", "Call back about the renewal"));
        JsonNode.Parse((await ActAsync(installation, "create_task", new JsonObject { ["taskId"] = fromRule })).Body)!["created"]!.GetValue<bool>().ShouldBeFalse();
        ws.Tasks.Count.ShouldBe(1);
        var calls = Fake.Provider.Requests.Count;
        (await Should.ThrowAsync<ProviderException>(() => ActAsync(installation, "create_task", new JsonObject { ["taskId"] = "task_01JBZZZZZZZZZZZZZZZZZZZZZZ" }))).Retryable.ShouldBeFalse();
        Fake.Provider.Requests.Count.ShouldBe(calls, "an unknown task is refused before any call");

        for (var i = 0; i < 130; i++) Fake.AddTask(ws, $"Asana task {i}", completed: i == 3, dueOn: i == 4 ? "2026-12-24" : null);
        var local = await TaskAsync(owner, "Made in the CRM");
        var first = await owner.SyncAsync(installation, "tasks");
        (first.Count("added"), first.Count("failed")).ShouldBe((131, 0), "130 pulled, one pushed");
        Fake.Provider.Requests.ShouldContain(r => r.Path == "/api/1.0/tasks" && r.Query.Contains("offset=", StringComparison.Ordinal));
        ws.Tasks.Values.Count(t => t["name"]!.GetValue<string>() == "Made in the CRM").ShouldBe(1);

        // The pushed task comes back on the next pull (modified_since is a minute early): not a change.
        var echo = await owner.SyncAsync(installation, "tasks");
        (echo.Count("added"), echo.Count("updated")).ShouldBe((0, 0));

        // Completed in Asana → done in the CRM; completed in the CRM → completed in Asana.
        ws.Change(made["gid"]!.GetValue<string>(), t => t["completed"] = true);
        (await owner.PostAsync($"/api/v1/tasks/{local}/complete", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var both = await owner.SyncAsync(installation, "tasks");
        both.Count("updated").ShouldBe(2);
        (await owner.GetJsonAsync($"/api/v1/tasks/{fromRule}"))["status"]!.GetValue<string>().ShouldBe("completed");
        RemoteOf(ws, installation, local)["completed"]!.GetValue<bool>().ShouldBeTrue();
        var quiet = await owner.SyncAsync(installation, "tasks");
        (quiet.Count("added"), quiet.Count("updated")).ShouldBe((0, 0));
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AConflictGoesToTheConfiguredWinnerPerField()
    {
        var ws = Fake.NewWorkspace();
        var (owner, installation) = await InstallAsync(ws, new JsonObject { ["conflictWinner"] = new JsonObject { ["title"] = "local", ["*"] = "remote" } });
        using var _ = owner;
        var task = await TaskAsync(owner, "Quote follow-up");
        await owner.SyncAsync(installation, "tasks");
        var gid = RemoteOf(ws, installation, task)["gid"]!.GetValue<string>();

        (await owner.PatchAsync($"/api/v1/tasks/{task}", new { title = "Quote follow-up (CRM)", description = "Edited in the CRM" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        ws.Change(gid, t => { t["name"] = "Quote follow-up (Asana)"; t["notes"] = "Edited in Asana"; t["completed"] = true; });
        await owner.SyncAsync(installation, "tasks");
        var merged = await owner.GetJsonAsync($"/api/v1/tasks/{task}");
        (merged["title"]!.GetValue<string>(), merged["description"]!.GetValue<string>(), merged["status"]!.GetValue<string>())
            .ShouldBe(("Quote follow-up (CRM)", "Edited in Asana", "completed"), "title: local wins; the rest: remote");
        var remote = ws.Tasks[gid];
        (remote["name"]!.GetValue<string>(), remote["notes"]!.GetValue<string>(), remote["completed"]!.GetValue<bool>())
            .ShouldBe(("Quote follow-up (CRM)", "Edited in Asana", true), "the merged record is pushed");
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AnExpiredTokenIsRefreshedOnceLimitsAreWaitedOutRefusalsExplainedAndUninstallRevokes()
    {
        var ws = Fake.NewWorkspace();
        var (owner, installation) = await InstallAsync(ws);
        using var _ = owner;
        Task<ProviderResponse> TestAsync() => WithConnectorAsync(installation, (c, ctx) => c.TestAsync(ctx, CancellationToken.None));
        Fake.Expire(ws);
        (await TestAsync()).Status.ShouldBe(200);
        ws.Refreshes.ShouldBe(1);

        ws.Failures.Enqueue((429, "9", "You have made too many requests recently. Please, be chill."));
        var limited = await Should.ThrowAsync<ProviderException>(TestAsync);
        (limited.Retryable, limited.RetryAfter).ShouldBe((true, TimeSpan.FromSeconds(9)));
        ws.Failures.Enqueue((402, null, "Premium access is required to use this feature."));
        var task = await TaskAsync(owner, "Refused");
        var refused = await Should.ThrowAsync<ProviderException>(() => ActAsync(installation, "create_task", new JsonObject { ["taskId"] = task }));
        (refused.Retryable, refused.Status, refused.ProviderError).ShouldBe((false, 402, "Premium access is required to use this feature."));

        await WithConnectorAsync(installation, async (c, ctx) => { await c.RevokeAsync(ctx, CancellationToken.None); return 0; });
        Fake.Revoked.ShouldContain(ws.RefreshToken);
        Fake.Provider.AssertNoViolations();
    }

    private async Task<HttpStatusCode> PostInboundAsync(string installation, string body, Action<HttpRequestMessage> headers)
    {
        using var anonymous = node.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/integrations/{installation}/inbound/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        headers(request);
        return (await anonymous.Http.SendAsync(request)).StatusCode;
    }

    [Fact]
    public async Task TheHandshakeIsAnsweredOnlyWhileRegisteringAndOnlySignedDeliveriesStartASync()
    {
        var ws = Fake.NewWorkspace();
        var (owner, installation) = await InstallAsync(ws);
        using var _ = owner;
        var anonymous = node.Client();
        Fake.Deliver = (_, request) => anonymous.Http.SendAsync(request);

        // Before any registration, a handshake from anyone is refused: no secret can be planted.
        (await PostInboundAsync(installation, "", r => r.Headers.Add("X-Hook-Secret", "planted"))).ShouldBe(HttpStatusCode.Unauthorized);
        var first = JsonNode.Parse((await ActAsync(installation, "register_webhook", [])).Body)!;
        first["created"]!.GetValue<bool>().ShouldBeTrue();
        var (gid, secret) = ws.Secrets.ShouldHaveSingleItem();
        ws.Webhooks[gid]["target"]!.GetValue<string>().ShouldBe($"{JiraNode.PublicBaseUrl}/api/v1/integrations/{installation}/inbound/events");
        JsonNode.Parse((await ActAsync(installation, "register_webhook", [])).Body)!["created"]!.GetValue<bool>().ShouldBeFalse();
        ws.Webhooks.Count.ShouldBe(1);
        (await PostInboundAsync(installation, "", r => r.Headers.Add("X-Hook-Secret", "planted-later"))).ShouldBe(HttpStatusCode.Unauthorized, "the window closed with Asana's handshake");

        Task<int> RunsAsync() => node.WithDbAsync(db => db.Set<IntegrationSyncRun>().IgnoreQueryFilters().CountAsync(r => r.InstallationId == installation));
        var body = """{"events":[{"user":{"gid":"4673218951","resource_type":"user"},"created_at":"2026-12-04T10:00:00.000Z","action":"changed","resource":{"gid":"1200000000000001","resource_type":"task"},"parent":null,"change":{"field":"completed","action":"changed"}}]}""";
        string Sign(string key) => Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(body)));
        (await PostInboundAsync(installation, body, r => r.Headers.Add("X-Hook-Signature", Sign("planted")))).ShouldBe(HttpStatusCode.Unauthorized);
        (await PostInboundAsync(installation, body.Replace("changed", "deleted", StringComparison.Ordinal), r => r.Headers.Add("X-Hook-Signature", Sign(secret)))).ShouldBe(HttpStatusCode.Unauthorized);
        (await PostInboundAsync(installation, body, _ => { })).ShouldBe(HttpStatusCode.Unauthorized);
        (await RunsAsync()).ShouldBe(0);

        (await PostInboundAsync(installation, """{"events":[]}""", r => r.Headers.Add("X-Hook-Signature", Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes("""{"events":[]}""")))))).ShouldBe(HttpStatusCode.OK);
        (await RunsAsync()).ShouldBe(0, "a heartbeat starts nothing");
        (await PostInboundAsync(installation, body, r => r.Headers.Add("X-Hook-Signature", Sign(secret)))).ShouldBe(HttpStatusCode.OK);
        var run = await node.WithDbAsync(db => db.Set<IntegrationSyncRun>().IgnoreQueryFilters().SingleAsync(r => r.InstallationId == installation));
        (run.Model, run.Trigger).ShouldBe(("tasks", "webhook"));
        (await owner.WaitForRunAsync(installation, run.Id))["status"]!.GetValue<string>().ShouldBe("succeeded");
        anonymous.Dispose();
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task UninstallDeletesTheWebhooksToThisInstallationRevokesEvenWhenAsanaFailsTheDeleteAndTheInboundUrlIsGone()
    {
        using var anonymous = node.Client();
        Fake.Deliver = (_, request) => anonymous.Http.SendAsync(request);
        var ws = Fake.NewWorkspace();
        var (owner, installation) = await InstallAsync(ws);
        using var _ = owner;
        JsonNode.Parse((await ActAsync(installation, "register_webhook", [])).Body)!["created"]!.GetValue<bool>().ShouldBeTrue();
        var gid = ws.Webhooks.Keys.ShouldHaveSingleItem();

        await UninstallTestKit.UninstallAsync(node, owner, installation);
        var delete = Fake.Provider.Requests.Where(r => r.Method == "DELETE" && r.Path == "/api/1.0/webhooks/" + gid).ShouldHaveSingleItem();
        delete.Headers["authorization"].ShouldBe("Bearer " + ws.AccessToken);
        ws.Webhooks.ShouldBeEmpty();
        Fake.Revoked.ShouldContain(ws.RefreshToken);
        await UninstallTestKit.ShouldBeGoneAsync(node, installation);

        // Asana failing the delete: logged, and the tokens are still revoked and the installation uninstalled.
        var other = Fake.NewWorkspace();
        var (otherOwner, failing) = await InstallAsync(other);
        using var __ = otherOwner;
        JsonNode.Parse((await ActAsync(failing, "register_webhook", [])).Body)!["created"]!.GetValue<bool>().ShouldBeTrue();
        var kept = other.Webhooks.Keys.ShouldHaveSingleItem();
        Fake.FailWebhookDeletes = 1;
        await UninstallTestKit.UninstallAsync(node, otherOwner, failing);
        Fake.Provider.Requests.ShouldContain(r => r.Method == "DELETE" && r.Path == "/api/1.0/webhooks/" + kept);
        other.Webhooks.Keys.ShouldBe([kept]);
        Fake.Revoked.ShouldContain(other.RefreshToken);
        await UninstallTestKit.ShouldBeGoneAsync(node, failing);
        Fake.Provider.AssertNoViolations();
    }
}

public sealed class AsanaTestsOnSqlite(AsanaSqliteNode node) : AsanaTests<AsanaSqliteNode>(node);
public sealed class AsanaTestsOnPostgres(AsanaPostgresNode node) : AsanaTests<AsanaPostgresNode>(node);
