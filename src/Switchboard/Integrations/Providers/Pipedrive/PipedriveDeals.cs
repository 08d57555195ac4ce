using System.Globalization;
using System.Text.Json.Nodes;
using Switchboard.Crm.Deals;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Syncs;

namespace Switchboard.Integrations.Providers.Pipedrive;

/// <summary>The installation's stage map: CRM deal stage → Pipedrive stage id (won and lost are Pipedrive statuses, not stages).</summary>
public sealed class PipedriveStages
{
    /// <summary>The stages of a new company's default pipeline (Lead In, Contact Made, Proposal Made, Negotiations Started).</summary>
    public static readonly IReadOnlyDictionary<string, long> Defaults = new Dictionary<string, long>
    {
        [DealStage.Lead] = 1, [DealStage.Qualification] = 2, [DealStage.Proposal] = 4, [DealStage.Negotiation] = 5,
    };

    public Dictionary<string, long> ToPipedrive { get; } = new(StringComparer.Ordinal);
    public Dictionary<long, string> ToCrm { get; } = [];

    public static PipedriveStages For(ConnectorContext context)
    {
        var stages = new PipedriveStages();
        foreach (var (crm, id) in Defaults) stages.ToPipedrive[crm] = id;
        if (context.Config["stageMapping"] is JsonObject mapping)
            foreach (var (crm, value) in mapping)
                if (PipedriveApi.Long(value) is { } id) stages.ToPipedrive[crm] = id;
        foreach (var (crm, id) in stages.ToPipedrive) stages.ToCrm.TryAdd(id, crm);
        return stages;
    }

    /// <summary>A CRM stage as Pipedrive's deal fields: <c>status</c> won or lost, else open at the mapped <c>stage_id</c>.</summary>
    public void Write(string stage, JsonObject deal)
    {
        if (stage is DealStage.Won or DealStage.Lost) { deal["status"] = stage; return; }
        deal["status"] = "open";
        if (ToPipedrive.TryGetValue(stage, out var id)) deal["stage_id"] = id;
        else throw new ProviderException($"The CRM stage '{stage}' has no Pipedrive stage in the installation's stageMapping.", null, null, retryable: false);
    }
}

/// <summary>
/// The two-way <c>deals</c> sync through API v1 (https://developers.pipedrive.com/docs/api/v1/Deals, /Recents).
/// The first run lists every deal (<c>GET /deals?status=all_not_deleted&amp;sort=id ASC</c>, start/limit): by id, which
/// a change does not move, so offsets stay true while it pages; its high-water mark is the time the run started, so a
/// deal changed meanwhile comes with the next run. Later runs read what changed since the previous mark
/// (<c>GET /recents?items=deal&amp;since_timestamp=…</c>, start/limit), deleted deals included (<c>status: deleted</c>).
/// Pushes create (<c>POST /deals</c>) or update (<c>PUT /deals/{id}</c>) and answer the deal as Pipedrive returns it.
/// </summary>
public sealed class PipedriveDealSync(TimeProvider time) : ISyncModel, ISyncFieldMap
{
    public const int PageSize = 100;

    public IReadOnlyList<string> Fields { get; } = ["name", "amount", "currency", "stage", "expectedCloseDate"];

    public async Task<SyncPage> PullAsync(ConnectorContext context, string? since, string? pageCursor, CancellationToken cancellationToken)
    {
        var stages = PipedriveStages.For(context);
        // Cursor: "<started, epoch seconds>:<start>", the run's start time kept for the full listing's mark.
        var parts = (pageCursor ?? "").Split(':');
        var started = parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s
            : time.GetUtcNow().AddSeconds(-1).ToUnixTimeSeconds();
        var start = parts.Length == 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var st) ? st : 0;
        var sinceAt = DateTime.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at) ? at : (DateTime?)null;

        JsonObject answer;
        IEnumerable<JsonObject> deals;
        if (sinceAt is null)
        {
            answer = await PipedriveApi.SendAsync(context, HttpMethod.Get, $"/deals?status=all_not_deleted&sort={Uri.EscapeDataString("id ASC")}&start={start}&limit={PageSize}",
                null, time, cancellationToken);
            deals = (answer["data"] as JsonArray ?? []).OfType<JsonObject>();
        }
        else
        {
            answer = await PipedriveApi.SendAsync(context, HttpMethod.Get,
                $"/recents?items=deal&since_timestamp={Uri.EscapeDataString(PipedriveApi.FormatTime(sinceAt.Value))}&start={start}&limit={PageSize}", null, time, cancellationToken);
            deals = (answer["data"] as JsonArray ?? []).OfType<JsonObject>().Where(r => PipedriveApi.Text(r, "item") == "deal").Select(r => r["data"] as JsonObject).OfType<JsonObject>();
        }
        var records = deals.Select(d => Read(d, stages)).ToList();
        var next = PipedriveApi.NextStart(answer) is { } n ? $"{started}:{n}" : null;
        var mark = sinceAt is null ? DateTimeOffset.FromUnixTimeSeconds(started).UtcDateTime
            : records.Count == 0 ? (DateTime?)null : records.Max(r => r.ModifiedAt);
        return new SyncPage(records, next, mark?.ToString("O", CultureInfo.InvariantCulture));
    }

    public async Task<SyncRecord> PushAsync(ConnectorContext context, string? remoteId, JsonObject fields, CancellationToken cancellationToken)
    {
        var deal = Write(fields, PipedriveStages.For(context));
        if (remoteId is null && deal["title"] is null) throw new ProviderException("Pipedrive requires a deal's title: the CRM deal has no name.", null, null, retryable: false);
        if (remoteId is not null && !long.TryParse(remoteId, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            throw new ProviderException($"'{remoteId}' is not a Pipedrive deal id.", null, null, retryable: false);
        var answer = await PipedriveApi.SendAsync(context, remoteId is null ? HttpMethod.Post : HttpMethod.Put, remoteId is null ? "/deals" : $"/deals/{remoteId}",
            deal, time, cancellationToken);
        return Read(answer["data"] as JsonObject ?? throw new ProviderException("Pipedrive answered no deal.", null, null, retryable: false), PipedriveStages.For(context));
    }

    public static JsonObject Write(JsonObject fields, PipedriveStages stages)
    {
        var deal = new JsonObject();
        if (fields["name"] is JsonValue n && n.TryGetValue<string>(out var name) && name.Length > 0) deal["title"] = name;
        if (fields.TryGetPropertyValue("amount", out var amount)) deal["value"] = PipedriveApi.Number(amount) ?? 0m;
        if (fields["currency"] is JsonValue c && c.TryGetValue<string>(out var currency)) deal["currency"] = currency;
        if (fields["stage"] is JsonValue st && st.TryGetValue<string>(out var stage)) stages.Write(stage, deal);
        if (fields.TryGetPropertyValue("expectedCloseDate", out var close)) deal["expected_close_date"] = close?.DeepClone();
        return deal;
    }

    /// <summary>A Pipedrive deal in CRM deal names.</summary>
    public static SyncRecord Read(JsonObject deal, PipedriveStages stages)
    {
        var status = PipedriveApi.Text(deal, "status");
        var fields = new JsonObject
        {
            ["name"] = PipedriveApi.Text(deal, "title"),
            ["amount"] = PipedriveApi.Number(deal["value"]) ?? 0m,
            ["currency"] = PipedriveApi.Text(deal, "currency"),
            ["expectedCloseDate"] = PipedriveApi.Text(deal, "expected_close_date"),
        };
        if (status is "won" or "lost") fields["stage"] = status;
        else if (PipedriveApi.Long(deal["stage_id"]) is { } stageId && stages.ToCrm.TryGetValue(stageId, out var crm)) fields["stage"] = crm;
        var id = PipedriveApi.Long(deal["id"]) ?? throw new ProviderException("A Pipedrive deal has no id.", null, null, retryable: false);
        var modified = PipedriveApi.ParseTime(PipedriveApi.Text(deal, "update_time")) ?? PipedriveApi.ParseTime(PipedriveApi.Text(deal, "add_time"))
            ?? throw new ProviderException($"The Pipedrive deal {id} has no update_time.", null, null, retryable: false);
        return new SyncRecord(id.ToString(CultureInfo.InvariantCulture), modified, fields,
            Deleted: status == "deleted" || (deal["deleted"] is JsonValue d && d.TryGetValue<bool>(out var deleted) && deleted));
    }
}
