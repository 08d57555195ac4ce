using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Syncs;
using Switchboard.Platform;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Providers.Pipedrive;

/// <summary>
/// Pipedrive: API v1 on the company's <c>api_domain</c> (<see cref="PipedriveApi"/>), the two-way deals sync
/// (<see cref="PipedriveDealSync"/>), actions for persons, deals, stages, notes and activities (each looks up what a
/// previous attempt made before creating), and webhooks: <c>subscribe_webhooks</c> registers one for deal changes with
/// HTTP Basic credentials it generates and keeps with the tokens; a delivery is verified against them in constant time
/// and queues an incremental deals sync.
/// </summary>
public sealed class PipedriveConnector(TimeProvider time) : Connector
{
    public const string WebhookUser = "webhook_user", WebhookPassword = "webhook_password";

    public override ProviderDefinition Definition { get; } = PipedriveDefinition.Create();

    private readonly PipedriveDealSync _deals = new(time);

    public override ISyncModel? Sync(string model) => model == PipedriveDefinition.Deals ? _deals : null;

    /// <summary>The connected user (<c>GET /users/me</c>), which every app may read.</summary>
    public override async Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken) =>
        Answer(await PipedriveApi.SendAsync(context, HttpMethod.Get, "/users/me", null, time, cancellationToken));

    public override async Task<ProviderResponse> RunActionAsync(ConnectorContext context, string action, JsonObject input, CancellationToken cancellationToken) => action switch
    {
        PipedriveDefinition.CreatePerson => Answer(await PersonAsync(context, input, cancellationToken)),
        PipedriveDefinition.CreateDeal => Answer(await DealAsync(context, input, cancellationToken)),
        PipedriveDefinition.UpdateDealStage => Answer(await StageAsync(context, input, cancellationToken)),
        PipedriveDefinition.AddNote => Answer(await NoteAsync(context, input, cancellationToken)),
        PipedriveDefinition.AddActivity => Answer(await ActivityAsync(context, input, cancellationToken)),
        PipedriveDefinition.SubscribeWebhooks => Answer(await SubscribeAsync(context, cancellationToken)),
        _ => await base.RunActionAsync(context, action, input, cancellationToken),
    };

    private Task<JsonObject> Send(ConnectorContext context, HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken) =>
        PipedriveApi.SendAsync(context, method, path, body, time, cancellationToken);

    /// <summary>The person with the email (exact search on the email field), or null.</summary>
    private async Task<long?> PersonIdAsync(ConnectorContext context, string email, CancellationToken cancellationToken)
    {
        var found = await Send(context, HttpMethod.Get, $"/persons/search?term={Uri.EscapeDataString(email)}&fields=email&exact_match=true&limit=1", null, cancellationToken);
        return (found["data"]?["items"] as JsonArray)?.Select(i => PipedriveApi.Long(i?["item"]?["id"])).FirstOrDefault(id => id is not null);
    }

    private async Task<JsonObject> PersonAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var name = Text(input, "name") ?? throw Refused("create_person needs a name.");
        var email = Email(input, "email") ?? throw Refused("create_person needs an email (it is how a repeated attempt finds the person it made).");
        if (await PersonIdAsync(context, email, cancellationToken) is { } existing)
            return new JsonObject { ["success"] = true, ["data"] = new JsonObject { ["id"] = existing }, ["created"] = false };
        var person = new JsonObject { ["name"] = name, ["email"] = new JsonArray(new JsonObject { ["value"] = email, ["primary"] = true, ["label"] = "work" }) };
        if (Text(input, "phone") is { } phone) person["phone"] = new JsonArray(new JsonObject { ["value"] = phone, ["primary"] = true, ["label"] = "work" });
        return await Send(context, HttpMethod.Post, "/persons", person, cancellationToken);
    }

    private async Task<JsonObject> DealAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var title = Text(input, "title") ?? throw Refused("create_deal needs a title.");
        var fields = new JsonObject { ["name"] = title };
        if (PipedriveApi.Number(input["value"]) is { } value) fields["amount"] = value >= 0 ? value : throw Refused("value must not be negative.");
        if (Text(input, "currency") is { } currency) fields["currency"] = currency.Length == 3 && currency.All(char.IsAsciiLetterUpper) ? currency : throw Refused("currency is an ISO 4217 code.");
        if (Text(input, "expectedCloseDate") is { } close)
            fields["expectedCloseDate"] = DateOnly.TryParseExact(close, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _) ? close : throw Refused($"expectedCloseDate '{close}' is not a date.");
        fields["stage"] = Text(input, "stage") ?? Crm.Deals.DealStage.Lead;
        JsonObject deal;
        try { deal = PipedriveDealSync.Write(fields, PipedriveStages.For(context)); }
        catch (ProviderException ex) { throw Refused(ex.Message); }

        long? personId = null;
        if (Email(input, "personEmail") is { } email)
            personId = await PersonIdAsync(context, email, cancellationToken) ?? throw Refused($"No Pipedrive person has the email {email} (create_person first).");
        // Safe to repeat: a deal of this person (or any, without one) with the same title, found by an exact title search.
        var found = await Send(context, HttpMethod.Get, $"/deals/search?term={Uri.EscapeDataString(title)}&fields=title&exact_match=true"
            + (personId is null ? "" : $"&person_id={personId}") + "&limit=1", null, cancellationToken);
        if ((found["data"]?["items"] as JsonArray)?.Select(i => PipedriveApi.Long(i?["item"]?["id"])).FirstOrDefault(id => id is not null) is { } existing)
            return new JsonObject { ["success"] = true, ["data"] = new JsonObject { ["id"] = existing }, ["created"] = false };
        if (personId is not null) deal["person_id"] = personId;
        return await Send(context, HttpMethod.Post, "/deals", deal, cancellationToken);
    }

    private async Task<JsonObject> StageAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var stage = Text(input, "stage") ?? throw Refused("update_deal_stage needs a stage.");
        if (stage is not ("lead" or "qualification" or "proposal" or "negotiation" or "won" or "lost")) throw Refused($"'{stage}' is not a CRM deal stage.");
        JsonObject deal;
        try { deal = PipedriveDealSync.Write(new JsonObject { ["stage"] = stage }, PipedriveStages.For(context)); }
        catch (ProviderException ex) { throw Refused(ex.Message); }
        var id = await DealIdAsync(context, input, cancellationToken);
        return await Send(context, HttpMethod.Put, $"/deals/{id}", deal, cancellationToken); // setting the same stage again changes nothing
    }

    private async Task<JsonObject> NoteAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var content = Text(input, "content") ?? throw Refused("add_note needs content.");
        var id = await DealIdAsync(context, input, cancellationToken);
        var notes = await Send(context, HttpMethod.Get, $"/notes?deal_id={id}&start=0&limit=500", null, cancellationToken);
        if ((notes["data"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(n => PipedriveApi.Text(n, "content") == content) is { } same)
            return new JsonObject { ["success"] = true, ["data"] = same.DeepClone(), ["created"] = false };
        return await Send(context, HttpMethod.Post, "/notes", new JsonObject { ["content"] = content, ["deal_id"] = id }, cancellationToken);
    }

    private async Task<JsonObject> ActivityAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var subject = Text(input, "subject") ?? throw Refused("add_activity needs a subject.");
        var type = Text(input, "type") ?? "call";
        if (type.Length > 50 || !type.All(c => char.IsAsciiLetterLower(c) || c == '_')) throw Refused($"'{type}' is not an activity type key.");
        var due = Text(input, "dueDate");
        if (due is not null && !DateOnly.TryParseExact(due, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)) throw Refused($"dueDate '{due}' is not a date.");
        var id = await DealIdAsync(context, input, cancellationToken);
        var existing = await Send(context, HttpMethod.Get, $"/deals/{id}/activities?start=0&limit=500", null, cancellationToken);
        if ((existing["data"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(a => PipedriveApi.Text(a, "subject") == subject && PipedriveApi.Text(a, "type") == type
                && PipedriveApi.Text(a, "due_date") == due) is { } same)
            return new JsonObject { ["success"] = true, ["data"] = same.DeepClone(), ["created"] = false };
        var activity = new JsonObject { ["subject"] = subject, ["type"] = type, ["deal_id"] = id, ["done"] = input["done"] is JsonValue d && d.TryGetValue<bool>(out var done) && done ? 1 : 0 };
        if (due is not null) activity["due_date"] = due;
        if (Text(input, "note") is { } note) activity["note"] = note;
        return await Send(context, HttpMethod.Post, "/activities", activity, cancellationToken);
    }

    /// <summary>The Pipedrive deal id of the input: as given, or the one the deals sync linked to a CRM deal (<c>deal_…</c>).</summary>
    private static async Task<long> DealIdAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var given = PipedriveApi.Long(input["dealId"]) is { } n ? n.ToString(CultureInfo.InvariantCulture) : Text(input, "dealId") ?? throw Refused("The action needs a dealId.");
        if (long.TryParse(given, NumberStyles.None, CultureInfo.InvariantCulture, out var id)) return id;
        var db = context.Services.GetRequiredService<SwitchboardDbContext>();
        var remote = await db.Set<IntegrationRecordLink>().IgnoreQueryFilters()
            .Where(l => l.InstallationId == context.Installation.Id && l.Model == PipedriveDefinition.Deals && l.LocalId == given)
            .Select(l => l.RemoteId).FirstOrDefaultAsync(cancellationToken);
        return long.TryParse(remote, NumberStyles.None, CultureInfo.InvariantCulture, out id) ? id
            : throw Refused($"The CRM deal {given} is not linked to a Pipedrive deal yet (run the deals sync).");
    }

    /// <summary>
    /// One webhook for deal changes (<c>event_object: deal</c>, every action) delivering to this installation's inbound
    /// URL with HTTP Basic credentials (https://developers.pipedrive.com/docs/api/v1/Webhooks#addWebhook). Pipedrive
    /// signs nothing: the credentials are what authenticates a delivery, so they are generated here, kept encrypted with
    /// the tokens, and a webhook already delivering to the URL is replaced (its credentials are not readable back).
    /// </summary>
    private async Task<JsonObject> SubscribeAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var url = (context.Options.PublicBaseUrl is { Length: > 0 } publicBase ? publicBase.TrimEnd('/')
                : throw new ProviderException("Pipedrive needs this node's public URL to deliver to: set Switchboard:PublicBaseUrl.", null, "public_url_not_set", retryable: false))
            + $"/api/v1/integrations/{context.Installation.Id}/inbound/{PipedriveDefinition.Events}";
        var existing = await Send(context, HttpMethod.Get, "/webhooks", null, cancellationToken);
        foreach (var hook in (existing["data"] as JsonArray ?? []).OfType<JsonObject>().Where(h => PipedriveApi.Text(h, "subscription_url") == url))
            await Send(context, HttpMethod.Delete, $"/webhooks/{PipedriveApi.Long(hook["id"])}", null, cancellationToken);
        var user = "switchboard-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        // Kept before Pipedrive can deliver with them.
        await context.Services.GetRequiredService<ProviderTokenStore>().AddExtraAsync(context.Installation.Id,
            new Dictionary<string, string> { [WebhookUser] = user, [WebhookPassword] = password }, cancellationToken);
        var created = await Send(context, HttpMethod.Post, "/webhooks", new JsonObject
        {
            ["subscription_url"] = url, ["event_action"] = "*", ["event_object"] = "deal", ["http_auth_user"] = user, ["http_auth_password"] = password, ["version"] = "1.0",
        }, cancellationToken);
        // Pipedrive echoes the credentials; they are not answered on.
        if (created["data"] is JsonObject data) { data.Remove("http_auth_user"); data.Remove("http_auth_password"); }
        return created;
    }

    /// <summary>
    /// A webhook delivery: HTTP Basic with the credentials <c>subscribe_webhooks</c> generated, compared in constant time,
    /// before anything else. A deal change (v1 <c>meta.object</c>, v2 <c>meta.entity</c>) queues an incremental deals sync,
    /// or makes a running one's next run due at once.
    /// </summary>
    public override async Task<InboundResult> ReceiveAsync(ConnectorContext context, string kind, InboundRequest request, CancellationToken cancellationToken)
    {
        if (kind != PipedriveDefinition.Events) return InboundResult.NotFound;
        var tokens = await context.Http.TokensAsync(cancellationToken);
        if (!BasicMatches(request.Header("Authorization"), tokens.ExtraValue(WebhookUser), tokens.ExtraValue(WebhookPassword))) return InboundResult.Unauthorized;

        JsonObject? body;
        try { body = JsonNode.Parse(request.Body) as JsonObject; }
        catch (System.Text.Json.JsonException) { body = null; }
        if (body is null) return new InboundResult(400, """{"message":"Expected a JSON webhook payload."}""");
        var entity = PipedriveApi.Text(body["meta"] as JsonObject, "object") ?? PipedriveApi.Text(body["meta"] as JsonObject, "entity");
        if (entity != "deal" || context.Installation.Status != InstallationStatus.Active) return InboundResult.Ok;

        var db = context.Services.GetRequiredService<SwitchboardDbContext>();
        var outcome = await context.Services.GetRequiredService<SyncQueue>().QueueAsync(db, context.Installation, [PipedriveDefinition.Deals], SyncTrigger.Webhook, cancellationToken);
        if (outcome.Busy.Count > 0)
        {
            var now = time.UtcNow();
            await db.Set<IntegrationSyncState>().IgnoreQueryFilters().Where(s => s.InstallationId == context.Installation.Id && s.Model == PipedriveDefinition.Deals)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.NextRunAt, now), cancellationToken);
        }
        return InboundResult.Ok;
    }

    /// <summary>RFC 7617 Basic credentials equal to the expected ones, compared in constant time (over SHA-256 digests, so lengths do not leak).</summary>
    internal static bool BasicMatches(string? header, string? user, string? password)
    {
        if (string.IsNullOrEmpty(user) || string.IsNullOrEmpty(password) || header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return false;
        byte[] given;
        try { given = Convert.FromBase64String(header["Basic ".Length..].Trim()); }
        catch (FormatException) { return false; }
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(given), SHA256.HashData(Encoding.UTF8.GetBytes($"{user}:{password}")));
    }

    private static ProviderResponse Answer(JsonObject body)
    {
        using var answer = new HttpResponseMessage(System.Net.HttpStatusCode.OK);
        return new ProviderResponse(200, body.ToJsonString(), answer.Headers, 0);
    }

    private static ProviderException Refused(string message) => new(message, null, null, retryable: false);

    private static string? Text(JsonObject input, string name) => input[name] is JsonValue v && v.TryGetValue<string>(out var s) && s.Trim().Length > 0 ? s.Trim() : null;

    private static string? Email(JsonObject input, string name) => Text(input, name) is { } e && e.Contains('@', StringComparison.Ordinal) ? e.ToLowerInvariant() : null;
}
