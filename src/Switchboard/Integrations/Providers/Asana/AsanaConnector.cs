using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Pipeline;
using Switchboard.Crm.Tasks;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Syncs;
using Switchboard.Platform;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Providers.Asana;

/// <summary>
/// Asana (<see cref="AsanaDefinition"/>): the connection test reads <c>GET /users/me</c>; <c>create_task</c> pushes a
/// CRM task through the tasks sync's own mapping and links it; <c>register_webhook</c> establishes the project's webhook
/// (<c>POST /webhooks</c>, https://developers.asana.com/reference/createwebhook) whose handshake this connector answers
/// while the registration is in flight; deliveries signed <c>X-Hook-Signature</c> start the tasks sync at once;
/// uninstalling deletes the webhooks delivering to this installation (<see cref="RemoveProviderStateAsync"/>), then revokes
/// the refresh token (<c>POST /-/oauth_revoke</c>).
/// </summary>
public sealed class AsanaConnector(TimeProvider time) : Connector
{
    /// <summary>How long after register_webhook starts a handshake is accepted (Asana calls back while the POST is in flight).</summary>
    public static readonly TimeSpan HandshakeWindow = TimeSpan.FromMinutes(2);
    public const string SignatureHeader = "X-Hook-Signature", SecretHeader = "X-Hook-Secret";

    public override ProviderDefinition Definition { get; } = AsanaDefinition.Create();

    private readonly AsanaTasksSync _tasks = new(time);

    public override ISyncModel? Sync(string model) => model == AsanaDefinition.Tasks ? _tasks : null;

    public override async Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var url = context.BaseUrl().TrimEnd('/') + "/users/me?opt_fields=name,email";
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), cancellationToken);
        return response.IsSuccess ? response : throw AsanaApi.Error(response, context.Time);
    }

    public override async Task<ProviderResponse> RunActionAsync(ConnectorContext context, string action, JsonObject input, CancellationToken cancellationToken) => action switch
    {
        AsanaDefinition.CreateTask => await CreateTaskAsync(context, input, cancellationToken),
        AsanaDefinition.RegisterWebhook => await RegisterWebhookAsync(context, cancellationToken),
        _ => await base.RunActionAsync(context, action, input, cancellationToken),
    };

    /// <summary>
    /// Once per CRM task: the tasks sync's id map is read first (the action's earlier attempt, or a sync that already
    /// pushed the task), then the task is pushed as the sync would push it and linked with what Asana answered, so the
    /// next pull does not count it as a change and the next push updates it instead of adding another.
    /// </summary>
    private async Task<ProviderResponse> CreateTaskAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var taskId = AsanaApi.Text(input["taskId"]) ?? throw Invalid("create_task needs a taskId (\"{{data.id}}\" on task.created).");
        if (!Ids.LooksValid(taskId, TaskResource.Definition.IdPrefix)) throw Invalid($"'{taskId}' is not a task id.");
        var writer = context.Services.GetRequiredService<CrmWriter>();
        var db = writer.Db;
        var organization = context.Installation.OrganizationId;
        var task = await db.Set<CrmTask>().IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(t => t.Id == taskId && t.OrganizationId == organization, cancellationToken)
            ?? throw Invalid($"No task {taskId} in the installation's organization.");
        var linked = await db.Set<IntegrationRecordLink>().IgnoreQueryFilters().AsNoTracking()
            .Where(l => l.InstallationId == context.Installation.Id && l.Model == AsanaDefinition.Tasks && l.LocalId == taskId)
            .Select(l => l.RemoteId).FirstOrDefaultAsync(cancellationToken);
        if (linked is not null) return Answer(new JsonObject { ["gid"] = linked, ["created"] = false });

        var local = SyncLocalResources.Find("tasks")!;
        var pushed = await _tasks.PushAsync(context, null, local.Read(task, _tasks.Fields, writer.Json), cancellationToken);
        db.Add(new IntegrationRecordLink
        {
            Id = Ids.New(IntegrationResources.RecordLinks, time), OrganizationId = organization, InstallationId = context.Installation.Id,
            Model = AsanaDefinition.Tasks, LocalId = taskId, RemoteId = pushed.RemoteId, LocalUpdatedAt = task.UpdatedAt,
            RemoteUpdatedAt = pushed.ModifiedAt, Fingerprint = SyncFingerprint.Of(pushed.Fields), UpdatedAt = time.GetUtcNow().UtcDateTime,
        });
        await db.SaveChangesAsync(cancellationToken);
        return Answer(new JsonObject { ["gid"] = pushed.RemoteId, ["created"] = true });
    }

    /// <summary>
    /// The project's webhook to this installation: an active one already delivering here is kept; an inactive one is
    /// deleted and made again. The handshake is accepted only inside the window opened here (<see cref="HandshakeWindow"/>),
    /// once: a stranger's handshake outside it is refused, and one that got in first makes Asana's own fail, which fails
    /// this action rather than leaving a secret Asana does not sign with.
    /// </summary>
    private async Task<ProviderResponse> RegisterWebhookAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var target = (context.Options.PublicBaseUrl is { Length: > 0 } publicBase ? publicBase.TrimEnd('/')
            : throw new ProviderException("Asana needs this node's public URL to deliver to: set Switchboard:PublicBaseUrl.", null, "public_url_not_set", retryable: false))
            + $"/api/v1/integrations/{context.Installation.Id}/inbound/{AsanaDefinition.Events}";
        var (workspace, project) = (context.Required("workspaceGid"), context.Required("projectGid"));
        var existing = await AsanaApi.SendAsync(context, HttpMethod.Get,
            $"/webhooks?workspace={Uri.EscapeDataString(workspace)}&resource={Uri.EscapeDataString(project)}&limit=100&opt_fields=target,active,resource", null, cancellationToken);
        foreach (var hook in (existing["data"] as JsonArray ?? []).OfType<JsonObject>().Where(h => AsanaApi.Text(h["target"]) == target))
        {
            if (hook["active"] is JsonValue a && a.TryGetValue<bool>(out var active) && active
                && (await context.Http.TokensAsync(cancellationToken)).ExtraValue(AsanaApi.HookSecretExtra) is { Length: > 0 })
                return Answer(new JsonObject { ["gid"] = hook["gid"]?.DeepClone(), ["created"] = false });
            await AsanaApi.SendAsync(context, HttpMethod.Delete, "/webhooks/" + Uri.EscapeDataString(AsanaApi.Text(hook["gid"]) ?? ""), null, cancellationToken);
        }
        var tokens = context.Services.GetRequiredService<ProviderTokenStore>();
        await tokens.AddExtraAsync(context.Installation.Id, new Dictionary<string, string>
        {
            [AsanaApi.HookPendingExtra] = (time.GetUtcNow() + HandshakeWindow).ToString("O", CultureInfo.InvariantCulture),
            [AsanaApi.HookSecretExtra] = "",
        }, cancellationToken);
        var created = await AsanaApi.SendAsync(context, HttpMethod.Post, "/webhooks?opt_fields=target,active,resource", new JsonObject
        {
            ["resource"] = project,
            ["target"] = target,
            ["filters"] = new JsonArray(new JsonObject { ["resource_type"] = "task" }),
        }, cancellationToken);
        return Answer(new JsonObject { ["gid"] = created["data"]?["gid"]?.DeepClone(), ["created"] = true });
    }

    /// <summary>
    /// The handshake (<c>X-Hook-Secret</c>, no signature: answered with the same header and the secret kept, encrypted,
    /// with the tokens) inside register_webhook's window; every other request must carry <c>X-Hook-Signature</c>, the hex
    /// HMAC-SHA256 of the raw body keyed with that secret (https://developers.asana.com/docs/webhooks-guide#security),
    /// compared in constant time. Asana signs no timestamp, so a delivery is only a cue: it queues the tasks sync, which
    /// reads the changes through the API; a replayed one costs a sync and changes nothing by itself.
    /// </summary>
    public override async Task<InboundResult> ReceiveAsync(ConnectorContext context, string kind, InboundRequest request, CancellationToken cancellationToken)
    {
        if (kind != AsanaDefinition.Events) return InboundResult.NotFound;
        if (request.Method != "POST") return InboundResult.Unauthorized;
        var tokens = await context.Http.TokensAsync(cancellationToken);
        if (request.Header(SecretHeader) is { Length: > 0 and <= 200 } handshake && request.Header(SignatureHeader) is null)
        {
            if (!DateTimeOffset.TryParse(tokens.ExtraValue(AsanaApi.HookPendingExtra), CultureInfo.InvariantCulture, DateTimeStyles.None, out var until)
                || until < time.GetUtcNow())
                return InboundResult.Unauthorized;
            await context.Services.GetRequiredService<ProviderTokenStore>().AddExtraAsync(context.Installation.Id, new Dictionary<string, string>
            {
                [AsanaApi.HookSecretExtra] = handshake, [AsanaApi.HookPendingExtra] = "",
            }, cancellationToken);
            return new InboundResult(200) { Headers = new Dictionary<string, string> { [SecretHeader] = handshake } };
        }
        var secret = tokens.ExtraValue(AsanaApi.HookSecretExtra);
        if (string.IsNullOrEmpty(secret) || !Verified(secret, request.Body, request.Header(SignatureHeader))) return InboundResult.Unauthorized;
        JsonObject? delivery;
        try { delivery = JsonNode.Parse(request.Body) as JsonObject; }
        catch (System.Text.Json.JsonException) { delivery = null; }
        if (delivery?["events"] is not JsonArray events) return new InboundResult(400, """{"message":"Expected an Asana delivery with events."}""");
        // An empty list is Asana's heartbeat.
        if (!events.OfType<JsonObject>().Any(e => AsanaApi.Text(e["resource"]?["resource_type"]) == "task") || context.Installation.Status != InstallationStatus.Active)
            return InboundResult.Ok;
        var db = context.Services.GetRequiredService<SwitchboardDbContext>();
        var outcome = await context.Services.GetRequiredService<SyncQueue>().QueueAsync(db, context.Installation, [AsanaDefinition.Tasks], SyncTrigger.Webhook, cancellationToken);
        if (outcome.Busy.Count > 0)
        {
            var now = time.GetUtcNow().UtcDateTime;
            await db.Set<IntegrationSyncState>().IgnoreQueryFilters().Where(s => s.InstallationId == context.Installation.Id && s.Model == AsanaDefinition.Tasks)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.NextRunAt, now), cancellationToken);
        }
        return InboundResult.Ok;
    }

    public static bool Verified(string secret, byte[] body, string? signature)
    {
        if (signature is not { Length: 64 }) return false;
        byte[] given;
        try { given = Convert.FromHexString(signature); }
        catch (FormatException) { return false; }
        return CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret), body), given);
    }

    /// <summary>
    /// Deletes the webhooks delivering to this installation's inbound URL. The connector keeps no webhook gid (the
    /// secret of the handshake only), so the workspace's webhooks of this app and user are listed
    /// (<c>GET /webhooks?workspace=…</c>, paged by <c>offset</c>, https://developers.asana.com/reference/getwebhooks) and each
    /// whose <c>target</c> is this installation's URL deleted (<c>DELETE /webhooks/{webhook_gid}</c>,
    /// https://developers.asana.com/reference/deletewebhook); one already gone (404) is not a failure.
    /// </summary>
    public override async Task RemoveProviderStateAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        if (context.Installation.TokensEncrypted is null || context.Options.PublicBaseUrl is not { Length: > 0 } publicBase
            || context.Value("workspaceGid") is not { Length: > 0 } workspace) return;
        var target = publicBase.TrimEnd('/') + $"/api/v1/integrations/{context.Installation.Id}/inbound/{AsanaDefinition.Events}";
        List<string> mine = [];
        string? offset = null;
        do
        {
            var page = await AsanaApi.SendAsync(context, HttpMethod.Get, $"/webhooks?workspace={Uri.EscapeDataString(workspace)}&limit=100&opt_fields=target"
                + (offset is null ? "" : "&offset=" + Uri.EscapeDataString(offset)), null, cancellationToken);
            mine.AddRange((page["data"] as JsonArray ?? []).OfType<JsonObject>().Where(h => AsanaApi.Text(h["target"]) == target)
                .Select(h => AsanaApi.Text(h["gid"])).OfType<string>());
            offset = AsanaApi.Text(page["next_page"]?["offset"]);
        } while (offset is not null);
        foreach (var gid in mine)
        {
            try { await AsanaApi.SendAsync(context, HttpMethod.Delete, "/webhooks/" + Uri.EscapeDataString(gid), null, cancellationToken); }
            catch (ProviderException ex) when (ex.Status == 404) { } // deleted since the list
        }
    }

    /// <summary>Revokes the refresh token (https://developers.asana.com/docs/oauth#token-deauthorization-endpoint): form with client id, secret and token.</summary>
    public override async Task RevokeAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        if (context.Installation.TokensEncrypted is null || ProviderUrls.RevokeUrl(context.Options, Definition) is not { } revokeUrl) return;
        var settings = ProviderUrls.Settings(context.Options, Definition.Key);
        var tokens = await context.Http.TokensAsync(cancellationToken);
        var form = new Dictionary<string, string> { ["token"] = tokens.RefreshToken ?? tokens.AccessToken };
        if (settings?.ClientId is { } clientId) form["client_id"] = clientId;
        if (settings?.ClientSecret is { } clientSecret) form["client_secret"] = clientSecret;
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, revokeUrl) { Content = new FormUrlEncodedContent(form) },
            cancellationToken, authenticate: false);
        if (!response.IsSuccess) throw AsanaApi.Error(response, context.Time);
    }

    private static ProviderResponse Answer(JsonObject body)
    {
        using var answer = new HttpResponseMessage(System.Net.HttpStatusCode.OK);
        return new ProviderResponse(200, body.ToJsonString(), answer.Headers, 0);
    }

    private static ProviderException Invalid(string message) => new(message, null, "invalid_input", retryable: false);
}
