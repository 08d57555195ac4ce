using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Syncs;
using Switchboard.Platform;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Providers.HubSpot;

/// <summary>
/// HubSpot (https://developers.hubspot.com/docs/api/overview): OAuth 2.0 with HubSpot's v1 token endpoint
/// (client_secret_post; access tokens last 30 minutes, refreshed by <see cref="ProviderTokenStore"/>); two-way syncs
/// of contacts and deals (<see cref="HubSpotObjectSync"/>); the actions log_call, add_note (engagements on the
/// contact's timeline) and create_deal; and HubSpot's webhooks (v3 signature) starting an incremental sync of the
/// object type that changed. Errors are HubSpot's (<see cref="HubSpotErrors"/>), 429s with the wait its headers give.
/// </summary>
public sealed class HubSpotConnector(TimeProvider time) : Connector
{
    /// <summary>HubSpot-defined association type ids (https://developers.hubspot.com/docs/api/crm/associations).</summary>
    public const int CallToContact = 194, NoteToContact = 202, DealToContact = 3;

    public override ProviderDefinition Definition { get; } = HubSpotDefinition.Create();

    private readonly HubSpotObjectSync _contacts = new("contacts", "lastmodifieddate", HubSpotFields.Contact, time);
    private readonly HubSpotObjectSync _deals = new("deals", "hs_lastmodifieddate", HubSpotFields.Deal, time);

    public override ISyncModel? Sync(string model) => model switch
    {
        HubSpotDefinition.Contacts => _contacts,
        HubSpotDefinition.Deals => _deals,
        _ => null,
    };

    /// <summary>One contact, the cheapest read the contacts scope allows.</summary>
    public override async Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var url = $"{context.BaseUrl()}/crm/v3/objects/contacts?limit=1";
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), cancellationToken);
        return response.IsSuccess ? response : throw HubSpotErrors.From(response, time);
    }

    public override async Task<ProviderResponse> RunActionAsync(ConnectorContext context, string action, JsonObject input, CancellationToken cancellationToken)
    {
        var (path, body) = action switch
        {
            HubSpotDefinition.LogCall => ("calls", await CallAsync(context, input, cancellationToken)),
            HubSpotDefinition.AddNote => ("notes", await NoteAsync(context, input, cancellationToken)),
            HubSpotDefinition.CreateDeal => ("deals", await DealAsync(context, input, cancellationToken)),
            _ => (null, null),
        };
        if (path is null) return await base.RunActionAsync(context, action, input, cancellationToken);
        var url = $"{context.BaseUrl()}/crm/v3/objects/{path}";
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) }, cancellationToken);
        return response.IsSuccess ? response : throw HubSpotErrors.From(response, time);
    }

    private async Task<JsonObject> CallAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var properties = new JsonObject { ["hs_timestamp"] = Timestamp(input), ["hs_call_status"] = Text(input, "status") ?? "COMPLETED" };
        if (Text(input, "title") is { } title) properties["hs_call_title"] = title;
        if (Text(input, "body") is { } body) properties["hs_call_body"] = body;
        if (Text(input, "direction") is { } direction) properties["hs_call_direction"] = direction;
        if (Number(input["durationSeconds"]) is { } seconds)
            properties["hs_call_duration"] = ((long)(seconds * 1000)).ToString(CultureInfo.InvariantCulture); // milliseconds
        return Engagement(properties, await ContactIdAsync(context, input, cancellationToken), CallToContact);
    }

    private async Task<JsonObject> NoteAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var properties = new JsonObject
        {
            ["hs_timestamp"] = Timestamp(input),
            ["hs_note_body"] = Text(input, "body") ?? throw new ProviderException("add_note needs a body.", null, null, retryable: false),
        };
        return Engagement(properties, await ContactIdAsync(context, input, cancellationToken), NoteToContact);
    }

    private static async Task<JsonObject> DealAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var settings = HubSpotSettings.For(context);
        var properties = new JsonObject
        {
            ["dealname"] = Text(input, "name") ?? throw new ProviderException("create_deal needs a name.", null, null, retryable: false),
            ["pipeline"] = settings.Pipeline,
            ["dealstage"] = Text(input, "stage") is { } stage ? settings.ToHubSpotStage.GetValueOrDefault(stage, stage) : settings.ToHubSpotStage[Crm.Deals.DealStage.Qualification],
        };
        if (Number(input["amount"]) is { } amount) properties["amount"] = amount.ToString(CultureInfo.InvariantCulture);
        if (Text(input, "currency") is { } currency) properties["deal_currency_code"] = currency;
        if (Text(input, "closeDate") is { } close) properties["closedate"] = close.Length == 10 ? close + "T00:00:00.000Z" : close;
        return Text(input, "contactId") is null ? new JsonObject { ["properties"] = properties }
            : Engagement(properties, await ContactIdAsync(context, input, cancellationToken), DealToContact);
    }

    /// <summary>An object with its association to a contact (the v3 create-with-associations body).</summary>
    private static JsonObject Engagement(JsonObject properties, string contactId, int associationTypeId) => new()
    {
        ["properties"] = properties,
        ["associations"] = new JsonArray(new JsonObject
        {
            ["to"] = new JsonObject { ["id"] = contactId },
            ["types"] = new JsonArray(new JsonObject { ["associationCategory"] = "HUBSPOT_DEFINED", ["associationTypeId"] = associationTypeId }),
        }),
    };

    /// <summary>The HubSpot contact id of the input: as given, or the one the contacts sync linked to a CRM contact (<c>con_…</c>).</summary>
    private static async Task<string> ContactIdAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var id = Text(input, "contactId") ?? throw new ProviderException("The action needs a contactId.", null, null, retryable: false);
        if (!id.StartsWith("con_", StringComparison.Ordinal)) return id;
        var db = context.Services.GetRequiredService<SwitchboardDbContext>();
        return await db.Set<IntegrationRecordLink>().IgnoreQueryFilters()
                .Where(l => l.InstallationId == context.Installation.Id && l.Model == HubSpotDefinition.Contacts && l.LocalId == id)
                .Select(l => l.RemoteId).FirstOrDefaultAsync(cancellationToken)
            ?? throw new ProviderException($"The CRM contact {id} is not linked to a HubSpot contact yet (run the contacts sync).", null, null, retryable: false);
    }

    private string Timestamp(JsonObject input) =>
        Text(input, "timestamp") ?? time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    /// <summary>A JSON number however the node holds it (parsed, or made from a CLR number by a rule's template).</summary>
    internal static decimal? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number
            && decimal.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : null;

    private static string? Text(JsonObject input, string name) => input[name] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    /// <summary>
    /// HubSpot's webhook deliveries: a JSON array of change events (<c>contact.creation</c>, <c>deal.propertyChange</c>, …)
    /// signed with the app's client secret (<see cref="HubSpotSignature"/>). Verified first; then an incremental sync of
    /// each object type that changed is queued (or, when one is already running, made due at once).
    /// </summary>
    public override async Task<InboundResult> ReceiveAsync(ConnectorContext context, string kind, InboundRequest request, CancellationToken cancellationToken)
    {
        if (kind != "events") return InboundResult.NotFound;
        var secret = ProviderUrls.Settings(context.Options, HubSpotDefinition.Key)?.ClientSecret;
        if (string.IsNullOrEmpty(secret) || !Uris(context, kind, request).Any(uri => HubSpotSignature.Verify(secret, request.Method, uri, request.Body,
                request.Header(HubSpotSignature.TimestampHeader), request.Header(HubSpotSignature.SignatureHeader), time.GetUtcNow())))
            return InboundResult.Unauthorized;

        JsonArray? events;
        try { events = JsonNode.Parse(request.Body) as JsonArray; }
        catch (System.Text.Json.JsonException) { events = null; }
        if (events is null) return new InboundResult(400, """{"message":"Expected a JSON array of events."}""");
        var models = events.OfType<JsonObject>().Select(e => HubSpotErrors.Text(e, "subscriptionType")?.Split('.')[0] switch
        {
            "contact" => HubSpotDefinition.Contacts,
            "deal" => HubSpotDefinition.Deals,
            _ => null,
        }).OfType<string>().Distinct().ToList();
        if (models.Count == 0 || context.Installation.Status != InstallationStatus.Active) return InboundResult.Ok;

        var db = context.Services.GetRequiredService<SwitchboardDbContext>();
        var outcome = await context.Services.GetRequiredService<SyncQueue>().QueueAsync(db, context.Installation, models, SyncTrigger.Webhook, cancellationToken);
        if (outcome.Busy.Count > 0)
        {
            var (busy, now) = (outcome.Busy.ToList(), time.UtcNow());
            await db.Set<IntegrationSyncState>().IgnoreQueryFilters().Where(s => s.InstallationId == context.Installation.Id && busy.Contains(s.Model))
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.NextRunAt, now), cancellationToken);
        }
        return InboundResult.Ok;
    }

    /// <summary>
    /// The URL HubSpot called, as it signed it: the node's public base URL when configured, else the Host it was sent to
    /// (https, and http for a node behind a TLS-terminating proxy that does not say so).
    /// </summary>
    private static IEnumerable<string> Uris(ConnectorContext context, string kind, InboundRequest request)
    {
        var path = $"/api/v1/integrations/{context.Installation.Id}/inbound/{kind}";
        var query = request.Query.Count == 0 ? "" : "?" + string.Join('&', request.Query.Select(q => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(q.Value)}"));
        if (context.Options.PublicBaseUrl is { Length: > 0 } publicBase) { yield return publicBase.TrimEnd('/') + path + query; yield break; }
        if (request.Header("Host") is not { Length: > 0 } host) yield break;
        yield return $"https://{host}{path}{query}";
        yield return $"http://{host}{path}{query}";
    }

    /// <summary>HubSpot's token endpoint refuses a dead refresh token with 400 <c>BAD_REFRESH_TOKEN</c> (not RFC 6749's <c>invalid_grant</c>).</summary>
    public override ProviderTokens ReadTokenResponse(ProviderResponse response, ProviderTokens? previous, DateTime now)
    {
        if (!response.IsSuccess && response.Json() is JsonObject json
            && HubSpotErrors.Text(json, "status") is "BAD_REFRESH_TOKEN" or "BAD_AUTH_CODE" or "BAD_CLIENT_ID" or "BAD_REDIRECT_URI")
            throw new ProviderException($"HubSpot's token endpoint answered {response.Status}.", response.Status,
                $"{HubSpotErrors.Text(json, "status")}: {HubSpotErrors.Text(json, "message")}", retryable: false) { NeedsReauthorization = true };
        return base.ReadTokenResponse(response, previous, now);
    }

    /// <summary>Deletes the refresh token (DELETE /oauth/v1/refresh-tokens/{token}), which revokes the app's access to the account.</summary>
    public override async Task RevokeAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var tokens = await context.Http.TokensAsync(cancellationToken);
        if (tokens.RefreshToken is null) return;
        var url = $"{context.BaseUrl()}/oauth/v1/refresh-tokens/{Uri.EscapeDataString(tokens.RefreshToken)}";
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, url), cancellationToken, authenticate: false);
        if (!response.IsSuccess && response.Status != 404) throw HubSpotErrors.From(response, time);
    }
}
