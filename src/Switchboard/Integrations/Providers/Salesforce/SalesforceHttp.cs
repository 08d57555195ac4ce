using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Salesforce;

/// <summary>
/// The connector's calls to the org: every answer's <c>Sforce-Limit-Info</c> is read (and logged when more than 90% of
/// the org's daily API requests are used), refusals become <see cref="SalesforceApi.Error"/>. Writes go through sObject
/// Collections (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections.htm):
/// up to 200 records a request, <c>allOrNone: false</c> so one refused record does not undo the others.
/// </summary>
public sealed class SalesforceHttp(TimeProvider time, ILogger logger)
{
    /// <summary>The most records one sObject Collections request takes.</summary>
    public const int CollectionLimit = 200;

    public TimeProvider Time => time;

    public async Task<ProviderResponse> SendAsync(ConnectorContext context, Func<HttpRequestMessage> build, CancellationToken cancellationToken)
    {
        var response = await context.Http.SendAsync(build, cancellationToken);
        if (SalesforceApi.Usage(response) is { } usage && SalesforceApi.IsNearLimit(usage))
            logger.LogWarning("Salesforce installation {Installation} is near its org's API request limit: {Used}/{Limit}.", context.Installation.Id, usage.Used, usage.Limit);
        return response.IsSuccess ? response : throw SalesforceApi.Error(response, time);
    }

    public Task<ProviderResponse> GetAsync(ConnectorContext context, string url, CancellationToken cancellationToken, string? queryOptions = null) =>
        SendAsync(context, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, url);
            // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_queryoptions.htm
            if (queryOptions is not null) request.Headers.TryAddWithoutValidation("Sforce-Query-Options", queryOptions);
            return request;
        }, cancellationToken);

    /// <summary>A SOQL query's first page (<c>/query</c>, or <c>/queryAll</c> to include deleted records).</summary>
    public async Task<JsonObject> QueryAsync(ConnectorContext context, string soql, CancellationToken cancellationToken, bool all = false)
    {
        var root = await SalesforceApi.RootAsync(context, cancellationToken);
        var response = await GetAsync(context, $"{root}/{(all ? "queryAll" : "query")}?q={Uri.EscapeDataString(soql)}", cancellationToken);
        return response.Json() as JsonObject ?? throw new ProviderException("Salesforce's query answer is not JSON.", response.Status, null, retryable: true);
    }

    /// <summary>
    /// Creates (POST) or updates (PATCH, each record with its <c>id</c>) up to 200 records of <paramref name="type"/> in one
    /// request; answers each record's id, or its errors, in the order given.
    /// </summary>
    public async Task<(ProviderResponse Response, IReadOnlyList<(string? Id, string? Error)> Results)> SaveAsync(ConnectorContext context, string type,
        IReadOnlyList<JsonObject> records, bool update, CancellationToken cancellationToken)
    {
        if (records.Count is 0 or > CollectionLimit) throw new ArgumentOutOfRangeException(nameof(records), "sObject Collections take 1 to 200 records.");
        var root = await SalesforceApi.RootAsync(context, cancellationToken);
        var body = new JsonObject
        {
            ["allOrNone"] = false,
            ["records"] = new JsonArray([.. records.Select(r =>
            {
                var record = r.DeepClone().AsObject();
                record["attributes"] = new JsonObject { ["type"] = type };
                return (JsonNode)record;
            })]),
        };
        var response = await SendAsync(context, () => new HttpRequestMessage(update ? HttpMethod.Patch : HttpMethod.Post, $"{root}/composite/sobjects")
            { Content = JsonContent.Create(body) }, cancellationToken);
        var results = (response.Json() as JsonArray ?? throw new ProviderException("Salesforce's collection answer is not a JSON array.", response.Status, null, retryable: false))
            .Select(r => r as JsonObject).ToList();
        if (results.Count != records.Count)
            throw new ProviderException($"Salesforce answered {results.Count} results for {records.Count} records.", response.Status, null, retryable: false);
        return (response, results.Select(r => r?["success"] is JsonValue s && s.TryGetValue<bool>(out var ok) && ok
            ? (SalesforceApi.Text(r, "id"), (string?)null)
            : (null, string.Join("; ", (r?["errors"] as JsonArray ?? []).OfType<JsonObject>()
                .Select(e => $"{SalesforceApi.Text(e, "statusCode")}: {SalesforceApi.Text(e, "message")}")))).ToList());
    }

    /// <summary>Records of <paramref name="type"/> by id with the named fields (sObject Collections retrieve, GET).</summary>
    public async Task<List<JsonObject>> RetrieveAsync(ConnectorContext context, string type, IEnumerable<string> ids, IEnumerable<string> fields, CancellationToken cancellationToken)
    {
        var root = await SalesforceApi.RootAsync(context, cancellationToken);
        var url = $"{root}/composite/sobjects/{type}?ids={Uri.EscapeDataString(string.Join(',', ids))}&fields={Uri.EscapeDataString(string.Join(',', fields))}";
        var response = await GetAsync(context, url, cancellationToken);
        return (response.Json() as JsonArray ?? []).OfType<JsonObject>().ToList();
    }

    /// <summary>Salesforce record ids: 15 or 18 characters, letters and digits (checked before one goes into SOQL).</summary>
    public static bool IsId(string? id) => id is { Length: 15 or 18 } && id.All(char.IsAsciiLetterOrDigit);
}
