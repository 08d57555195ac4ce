using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Deals;
using Switchboard.Crm.Pipeline;
using Switchboard.Crm.Tasks;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Providers.Trello;

/// <summary>
/// Trello (<see cref="TrelloDefinition"/>), REST API 1 (https://developer.atlassian.com/cloud/trello/rest/). Every call
/// carries <c>Authorization: OAuth oauth_consumer_key="{key}", oauth_token="{token}"</c>, which Trello's authorization
/// guide (https://developer.atlassian.com/cloud/trello/guides/rest-api/authorization/) prefers to key and token query
/// parameters (they would land in logs). Cards of deals go to their stage's list, cards of tasks to the task list; a card
/// moved to a stage's list (a delivery of the board's webhook, <c>updateCard</c> with <c>listAfter</c>) moves its deal to
/// that stage through the CRM's write path, unless the deal is there already (the card moved because the deal did).
/// Uninstalling deletes the webhooks delivering to the installation (<see cref="RemoveProviderStateAsync"/>); the token
/// is the user's, pasted into the configuration, and stays theirs to revoke.
/// </summary>
public sealed class TrelloConnector(TimeProvider time) : Connector
{
    public const string SignatureHeader = "X-Trello-Webhook";

    public override ProviderDefinition Definition { get; } = TrelloDefinition.Create();

    /// <summary>The board (<c>GET /1/boards/{id}</c>): proves the key, the token and the board id.</summary>
    public override Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken) =>
        SendAsync(context, HttpMethod.Get, $"/boards/{Board(context)}?fields=name,closed", null, cancellationToken);

    public override async Task<ProviderResponse> RunActionAsync(ConnectorContext context, string action, JsonObject input, CancellationToken cancellationToken) => action switch
    {
        TrelloDefinition.CreateCard => await CreateCardAsync(context, input, cancellationToken),
        TrelloDefinition.MoveCard => await MoveCardAsync(context, input, cancellationToken),
        TrelloDefinition.EnsureStageLists => await EnsureListsAsync(context, cancellationToken),
        TrelloDefinition.RegisterWebhook => await RegisterWebhookAsync(context, cancellationToken),
        _ => await base.RunActionAsync(context, action, input, cancellationToken),
    };

    private static string Board(ConnectorContext context) => context.Required("boardId");

    /// <summary>The marker a card's description ends with, found again by an attempt whose answer was lost.</summary>
    public static string Marker(string localId) => $"[crm:{localId}]";

    private async Task<ProviderResponse> CreateCardAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var (dealId, taskId) = (Text(input["dealId"]), Text(input["taskId"]));
        if ((dealId is null) == (taskId is null)) throw Invalid("create_card needs a dealId or a taskId (one of them).");
        var writer = context.Services.GetRequiredService<CrmWriter>();
        var db = writer.Db;
        var organization = context.Installation.OrganizationId;
        string localId, name, description, listName;
        DateTime localUpdated;
        if (dealId is not null)
        {
            if (!Ids.LooksValid(dealId, DealResource.Definition.IdPrefix)) throw Invalid($"'{dealId}' is not a deal id.");
            var deal = await db.Set<Deal>().IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(d => d.Id == dealId && d.OrganizationId == organization, cancellationToken)
                ?? throw Invalid($"No deal {dealId} in the installation's organization.");
            (localId, name, localUpdated, listName) = (deal.Id, deal.Name, deal.UpdatedAt, deal.Stage);
            description = deal.AmountMicros > 0 ? $"Amount: {(deal.AmountMicros / 1_000_000m).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)} {deal.Currency}" : "";
        }
        else
        {
            if (!Ids.LooksValid(taskId!, TaskResource.Definition.IdPrefix)) throw Invalid($"'{taskId}' is not a task id.");
            var task = await db.Set<CrmTask>().IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(t => t.Id == taskId && t.OrganizationId == organization, cancellationToken)
                ?? throw Invalid($"No task {taskId} in the installation's organization.");
            (localId, name, localUpdated, listName, description) = (task.Id, task.Title, task.UpdatedAt, "", task.Description ?? "");
        }
        var linked = await db.Set<IntegrationRecordLink>().IgnoreQueryFilters().AsNoTracking()
            .Where(l => l.InstallationId == context.Installation.Id && l.Model == TrelloDefinition.Cards && l.LocalId == localId)
            .Select(l => l.RemoteId).FirstOrDefaultAsync(cancellationToken);
        if (linked is not null) return Answer(new JsonObject { ["id"] = linked, ["created"] = false });

        var lists = await ListsAsync(context, cancellationToken);
        var listId = dealId is not null ? StageList(context, lists, listName) : lists.FirstOrDefault(l => l.Name == TaskListName(context)).Id;
        if (listId is null)
            throw new ProviderException($"The board has no list for {(dealId is null ? "tasks" : $"the stage '{listName}'")}; run ensure_stage_lists or map stageLists.",
                null, "no_list", retryable: false);
        var marker = Marker(localId);
        var cards = (await SendAsync(context, HttpMethod.Get, $"/boards/{Board(context)}/cards?fields=name,desc,idList", null, cancellationToken)).Json() as JsonArray ?? [];
        var card = cards.OfType<JsonObject>().FirstOrDefault(c => Text(c["desc"])?.EndsWith(marker, StringComparison.Ordinal) == true);
        var created = card is null;
        card ??= (await SendAsync(context, HttpMethod.Post, "/cards", new JsonObject
        {
            ["idList"] = listId, ["name"] = name.Length <= 16384 ? name : name[..16384], ["desc"] = (description.Length == 0 ? "" : description + "\n\n") + marker, ["pos"] = "top",
        }, cancellationToken)).Json() as JsonObject ?? throw new ProviderException("Trello answered the card without JSON.", null, null, retryable: false);
        var cardId = Text(card["id"]) ?? throw new ProviderException("Trello answered a card without an id.", null, null, retryable: false);
        db.Add(new IntegrationRecordLink
        {
            Id = Ids.New(IntegrationResources.RecordLinks, time), OrganizationId = organization, InstallationId = context.Installation.Id,
            Model = TrelloDefinition.Cards, LocalId = localId, RemoteId = cardId, LocalUpdatedAt = localUpdated, UpdatedAt = time.GetUtcNow().UtcDateTime,
        });
        await db.SaveChangesAsync(cancellationToken);
        return Answer(new JsonObject { ["id"] = cardId, ["idList"] = Text(card["idList"]), ["created"] = created });
    }

    /// <summary>The deal's card to its stage's list (<c>PUT /1/cards/{id}</c> with <c>idList</c>).</summary>
    private static async Task<ProviderResponse> MoveCardAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var dealId = Text(input["dealId"]) ?? throw Invalid("move_card needs a dealId.");
        var db = context.Services.GetRequiredService<SwitchboardDbContext>();
        var deal = await db.Set<Deal>().IgnoreQueryFilters().AsNoTracking()
            .FirstOrDefaultAsync(d => d.Id == dealId && d.OrganizationId == context.Installation.OrganizationId, cancellationToken)
            ?? throw Invalid($"No deal {dealId} in the installation's organization.");
        var cardId = await db.Set<IntegrationRecordLink>().IgnoreQueryFilters().AsNoTracking()
            .Where(l => l.InstallationId == context.Installation.Id && l.Model == TrelloDefinition.Cards && l.LocalId == dealId)
            .Select(l => l.RemoteId).FirstOrDefaultAsync(cancellationToken) ?? throw Invalid($"The deal {dealId} has no card (create_card first).");
        var listId = StageList(context, await ListsAsync(context, cancellationToken), deal.Stage)
            ?? throw new ProviderException($"The board has no list for the stage '{deal.Stage}'.", null, "no_list", retryable: false);
        return await SendAsync(context, HttpMethod.Put, $"/cards/{Uri.EscapeDataString(cardId)}", new JsonObject { ["idList"] = listId }, cancellationToken);
    }

    private static async Task<ProviderResponse> EnsureListsAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var lists = await ListsAsync(context, cancellationToken);
        var made = new JsonArray();
        var wanted = TrelloDefinition.StageListNames.Where(s => StageList(context, lists, s.Key) is null).Select(s => s.Value).ToList();
        if (!lists.Any(l => l.Name == TaskListName(context))) wanted.Add(TaskListName(context));
        foreach (var name in wanted)
        {
            var list = (await SendAsync(context, HttpMethod.Post, "/lists", new JsonObject { ["name"] = name, ["idBoard"] = Board(context), ["pos"] = "bottom" }, cancellationToken)).Json();
            made.Add(new JsonObject { ["id"] = Text(list?["id"]), ["name"] = name });
        }
        return Answer(new JsonObject { ["created"] = made });
    }

    /// <summary>
    /// One webhook on the board delivering to this installation (<c>POST /1/webhooks</c>,
    /// https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/): the token's webhooks are read first
    /// (<c>GET /1/tokens/{token}/webhooks</c>) and one with this callback and board kept.
    /// </summary>
    private static async Task<ProviderResponse> RegisterWebhookAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var callback = CallbackUrl(context);
        var existing = (await SendAsync(context, HttpMethod.Get, $"/tokens/{Uri.EscapeDataString(context.Required("apiToken"))}/webhooks", null, cancellationToken)).Json() as JsonArray ?? [];
        if (existing.OfType<JsonObject>().FirstOrDefault(w => Text(w["callbackURL"]) == callback && Text(w["idModel"]) == Board(context)) is { } hook)
            return Answer(new JsonObject { ["id"] = Text(hook["id"]), ["created"] = false });
        var made = (await SendAsync(context, HttpMethod.Post, "/webhooks", new JsonObject
        {
            ["callbackURL"] = callback, ["idModel"] = Board(context), ["description"] = $"Switchboard {context.Installation.Id}",
        }, cancellationToken)).Json();
        return Answer(new JsonObject { ["id"] = Text(made?["id"]), ["created"] = true });
    }

    /// <summary>
    /// Deletes the token's webhooks whose callback is this installation's URL: the connector keeps no webhook id, so the
    /// token's webhooks are listed (<c>GET /1/tokens/{token}/webhooks</c>, as <c>register_webhook</c> does) and each of
    /// ours deleted (<c>DELETE /1/webhooks/{id}</c>, https://developer.atlassian.com/cloud/trello/rest/api-group-webhooks/#api-webhooks-id-delete);
    /// one already gone (404) is not a failure. Should this fail, the inbound URL's 410 makes Trello delete the webhook
    /// at its next delivery (https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/).
    /// </summary>
    public override async Task RemoveProviderStateAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        if (context.Options.PublicBaseUrl is not { Length: > 0 } || context.Value("apiToken") is not { Length: > 0 } token) return;
        var callback = CallbackUrl(context);
        var hooks = (await SendAsync(context, HttpMethod.Get, $"/tokens/{Uri.EscapeDataString(token)}/webhooks", null, cancellationToken)).Json() as JsonArray ?? [];
        foreach (var id in hooks.OfType<JsonObject>().Where(w => Text(w["callbackURL"]) == callback).Select(w => Text(w["id"])).OfType<string>())
        {
            try { await SendAsync(context, HttpMethod.Delete, $"/webhooks/{Uri.EscapeDataString(id)}", null, cancellationToken); }
            catch (ProviderException ex) when (ex.Status == 404) { } // deleted since the list
        }
    }

    private static string CallbackUrl(ConnectorContext context) =>
        (context.Options.PublicBaseUrl is { Length: > 0 } publicBase ? publicBase.TrimEnd('/')
            : throw new ProviderException("Trello needs this node's public URL to deliver to: set Switchboard:PublicBaseUrl.", null, "public_url_not_set", retryable: false))
        + $"/api/v1/integrations/{context.Installation.Id}/inbound/{TrelloDefinition.Events}";

    /// <summary>
    /// HEAD: Trello's check of the callback URL, answered 200. POST: a delivery, verified first by
    /// <c>X-Trello-Webhook</c> = base64(HMAC-SHA1(app secret, body + callback URL)) (Trello's webhooks guide, "Webhook
    /// signatures"), compared in constant time. A card moved to a stage's list moves its deal there.
    /// </summary>
    public override async Task<InboundResult> ReceiveAsync(ConnectorContext context, string kind, InboundRequest request, CancellationToken cancellationToken)
    {
        if (kind != TrelloDefinition.Events) return InboundResult.NotFound;
        if (request.Method == "HEAD") return InboundResult.Ok;
        var secret = ProviderUrls.Settings(context.Options, TrelloDefinition.Key)?.ClientSecret;
        if (request.Method != "POST" || string.IsNullOrEmpty(secret) || context.Options.PublicBaseUrl is not { Length: > 0 }
            || !Verified(secret, request.Body, CallbackUrl(context), request.Header(SignatureHeader)))
            return InboundResult.Unauthorized;
        JsonObject? delivery;
        try { delivery = JsonNode.Parse(request.Body) as JsonObject; }
        catch (System.Text.Json.JsonException) { delivery = null; }
        var action = delivery?["action"] as JsonObject;
        if (action is null) return new InboundResult(400, """{"message":"Expected a Trello webhook delivery with an action."}""");
        var data = action["data"] as JsonObject;
        if (Text(action["type"]) != "updateCard" || data?["listAfter"] is not JsonObject listAfter || Text(data["card"]?["id"]) is not { } cardId
            || context.Installation.Status != InstallationStatus.Active)
            return InboundResult.Ok;

        var writer = context.Services.GetRequiredService<CrmWriter>();
        var db = writer.Db;
        var dealId = await db.Set<IntegrationRecordLink>().IgnoreQueryFilters().AsNoTracking()
            .Where(l => l.InstallationId == context.Installation.Id && l.Model == TrelloDefinition.Cards && l.RemoteId == cardId)
            .Select(l => l.LocalId).FirstOrDefaultAsync(cancellationToken);
        var stage = StageOf(context, Text(listAfter["id"]), Text(listAfter["name"]));
        if (dealId is null || stage is null || !dealId.StartsWith(DealResource.Definition.IdPrefix + "_", StringComparison.Ordinal)) return InboundResult.Ok;
        var deal = await db.Set<Deal>().FirstOrDefaultAsync(d => d.Id == dealId, cancellationToken);
        // The deal is there already: the card moved because the deal did (move_card), or this is a redelivery.
        if (deal is null || deal.Stage == stage) return InboundResult.Ok;
        var (changed, problem) = await DealResource.Definition.ChangeAsync(writer, deal, d => d.Stage = stage, cancellationToken);
        if (problem is not null) return new InboundResult(200, """{"message":"The CRM refused the stage; the deal was left as it was."}""");
        if (changed) await CrmOperations.SaveAsync(writer, new DefaultHttpContext { RequestServices = context.Services }, "deal", 200, null, null, cancellationToken);
        return InboundResult.Ok;
    }

    public static bool Verified(string secret, byte[] body, string callbackUrl, string? signature)
    {
        if (string.IsNullOrEmpty(signature)) return false;
        byte[] given;
        try { given = Convert.FromBase64String(signature); }
        catch (FormatException) { return false; }
        var content = new byte[body.Length + Encoding.UTF8.GetByteCount(callbackUrl)];
        body.CopyTo(content, 0);
        Encoding.UTF8.GetBytes(callbackUrl, content.AsSpan(body.Length));
#pragma warning disable CA5350 // Trello signs with HMAC-SHA1; verifying its scheme is not choosing it.
        return CryptographicOperations.FixedTimeEquals(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), content), given);
#pragma warning restore CA5350
    }

    private static string TaskListName(ConnectorContext context) => context.Value("taskListName") ?? "Tasks";

    private static async Task<List<(string Id, string Name)>> ListsAsync(ConnectorContext context, CancellationToken cancellationToken) =>
        ((await SendAsync(context, HttpMethod.Get, $"/boards/{Board(context)}/lists?fields=name,closed&filter=open", null, cancellationToken)).Json() as JsonArray ?? [])
        .OfType<JsonObject>().Select(l => (Text(l["id"]) ?? "", Text(l["name"]) ?? "")).Where(l => l.Item1.Length > 0).ToList();

    /// <summary>The stage's list: the configuration's, else the board's list named after the stage.</summary>
    private static string? StageList(ConnectorContext context, List<(string Id, string Name)> lists, string stage) =>
        context.Config["stageLists"]?[stage] is JsonValue v && v.TryGetValue<string>(out var configured) ? configured
        : TrelloDefinition.StageListNames.TryGetValue(stage, out var name) ? lists.FirstOrDefault(l => string.Equals(l.Name, name, StringComparison.OrdinalIgnoreCase)).Id
        : null;

    private static string? StageOf(ConnectorContext context, string? listId, string? listName)
    {
        if (context.Config["stageLists"] is JsonObject mapped)
            foreach (var (stage, value) in mapped)
                if (value is JsonValue v && v.TryGetValue<string>(out var id) && id == listId) return stage;
        return TrelloDefinition.StageListNames.FirstOrDefault(s => string.Equals(s.Value, listName, StringComparison.OrdinalIgnoreCase)
            && (context.Config["stageLists"]?[s.Key] is null)).Key;
    }

    /// <summary>A call with Trello's OAuth header (key and token), JSON in and out; Trello's errors are often plain text.</summary>
    private static async Task<ProviderResponse> SendAsync(ConnectorContext context, HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        var key = ProviderUrls.Settings(context.Options, TrelloDefinition.Key)?.ClientId
            ?? throw new ProviderException("No Trello API key is configured (Switchboard:Integrations:Providers:trello:ClientId).", null, null, retryable: false);
        var token = context.Required("apiToken");
        var url = context.BaseUrl().TrimEnd('/') + path;
        var response = await context.Http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(method, url);
            request.Headers.TryAddWithoutValidation("Authorization", $"OAuth oauth_consumer_key=\"{key}\", oauth_token=\"{token}\"");
            request.Headers.Accept.ParseAdd("application/json");
            if (body is not null) request.Content = JsonContent.Create(body);
            return request;
        }, cancellationToken, authenticate: false);
        if (response.IsSuccess) return response;
        var error = (response.Json() as JsonObject)?["message"] is JsonValue m && m.TryGetValue<string>(out var message) ? message : ProviderException.Truncate(response.Body?.Trim());
        throw response.Status switch
        {
            // https://developer.atlassian.com/cloud/trello/guides/rest-api/rate-limits/: 100 requests per 10 s per token.
            429 => new ProviderException("Trello's rate limit was reached.", 429, error, retryable: true, ProviderClient.RetryAfter(response, context.Time) ?? TimeSpan.FromSeconds(10)),
            401 => new ProviderException("Trello refused the token; authorize Switchboard again and update the installation's token.", 401, error, retryable: false)
                { NeedsReauthorization = true },
            _ => ProviderException.From(response, "Trello", error),
        };
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    private static ProviderResponse Answer(JsonObject body)
    {
        using var answer = new HttpResponseMessage(System.Net.HttpStatusCode.OK);
        return new ProviderResponse(200, body.ToJsonString(), answer.Headers, 0);
    }

    private static ProviderException Invalid(string message) => new(message, null, "invalid_input", retryable: false);
}
