using System.Globalization;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Syncs;

namespace Switchboard.Integrations.Providers.Salesforce;

/// <summary>
/// The two-way <c>leads</c> sync. Pulls are incremental by <c>SystemModstamp</c> through SOQL on <c>queryAll</c> (so
/// deleted leads come back with <c>IsDeleted = true</c>, https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_queryall.htm):
/// <c>WHERE SystemModstamp &gt;= :since ORDER BY SystemModstamp, Id</c>, paged by Salesforce's <c>nextRecordsUrl</c>
/// (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm). The filter is
/// <c>&gt;=</c> on whole seconds, SOQL's dateTime precision: a lead modified in the same second as the previous run's
/// last one comes again and the engine skips it as unchanged, where <c>&gt;</c> would miss it. The query locator is a
/// snapshot of the result set, so a lead modified while a run pages is neither skipped nor read twice by it; it is read by
/// the next run. A locator Salesforce no longer knows (<c>INVALID_QUERY_LOCATOR</c>, 15 minutes idle) restarts the
/// query from the run's <c>since</c>. Pushes write one lead (the engine's contract) through sObject Collections, the
/// same write path as the <c>create_lead</c> action's batches, and read it back for its SystemModstamp.
/// </summary>
public sealed class SalesforceLeadSync(SalesforceHttp http) : ISyncModel, ISyncFieldMap
{
    public IReadOnlyList<string> Fields { get; } = ["name", "email", "phone", "company", "status", .. SalesforceLeadSettings.MappableFields];

    public async Task<SyncPage> PullAsync(ConnectorContext context, string? since, string? pageCursor, CancellationToken cancellationToken)
    {
        var settings = SalesforceLeadSettings.For(context);
        JsonObject json;
        if (pageCursor is not null)
        {
            if (!pageCursor.StartsWith("/services/data/", StringComparison.Ordinal) || pageCursor.Contains("..", StringComparison.Ordinal))
                throw new ProviderException("The sync's page cursor is not a Salesforce nextRecordsUrl.", null, null, retryable: false);
            var root = await SalesforceApi.RootAsync(context, cancellationToken);
            var host = root[..^("/services/data/" + SalesforceApi.Version).Length];
            try
            {
                var response = await http.GetAsync(context, host + pageCursor, cancellationToken);
                json = response.Json() as JsonObject ?? throw new ProviderException("Salesforce's query answer is not JSON.", response.Status, null, retryable: true);
            }
            catch (ProviderException ex) when (ex.ProviderError?.StartsWith("INVALID_QUERY_LOCATOR", StringComparison.Ordinal) == true)
            {
                json = await FirstPageAsync(context, settings, since, cancellationToken);
            }
        }
        else json = await FirstPageAsync(context, settings, since, cancellationToken);

        var records = (json["records"] as JsonArray ?? []).OfType<JsonObject>().Select(settings.Read).ToList();
        var next = json["done"] is JsonValue d && d.TryGetValue<bool>(out var done) && !done ? SalesforceApi.Text(json, "nextRecordsUrl") : null;
        var mark = records.Count == 0 ? null : records.Max(r => r.ModifiedAt).ToString("O", CultureInfo.InvariantCulture);
        return new SyncPage(records, next, mark);
    }

    private Task<JsonObject> FirstPageAsync(ConnectorContext context, SalesforceLeadSettings settings, string? since, CancellationToken cancellationToken)
    {
        var where = DateTime.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at)
            ? $" WHERE SystemModstamp >= {SalesforceApi.DateTimeLiteral(at)}" : "";
        var soql = $"SELECT {string.Join(", ", settings.SelectFields())} FROM Lead{where} ORDER BY SystemModstamp, Id";
        return http.QueryAsync(context, soql, cancellationToken, all: true);
    }

    public async Task<SyncRecord> PushAsync(ConnectorContext context, string? remoteId, JsonObject fields, CancellationToken cancellationToken)
    {
        var settings = SalesforceLeadSettings.For(context);
        var lead = settings.Write(fields, create: remoteId is null);
        if (remoteId is not null)
        {
            if (!SalesforceHttp.IsId(remoteId)) throw new ProviderException($"'{remoteId}' is not a Salesforce id.", null, null, retryable: false);
            lead["id"] = remoteId;
        }
        var (response, results) = await http.SaveAsync(context, "Lead", [lead], update: remoteId is not null, cancellationToken);
        var (id, error) = results[0];
        if (id is null) throw new ProviderException($"Salesforce refused the lead: {error}", response.Status, error, retryable: false);
        var saved = (await http.RetrieveAsync(context, "Lead", [id], settings.SelectFields(), cancellationToken)).FirstOrDefault()
            ?? throw new ProviderException($"Salesforce did not answer the lead {id} it just saved.", null, null, retryable: true);
        return settings.Read(saved);
    }
}
