using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Switchboard.Crm.Contacts;
using Switchboard.Crm.Deals;
using Switchboard.Crm.Leads;
using Switchboard.Crm.Pipeline;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Providers.GoogleSheets;

/// <summary>
/// A CRM list as the REST API lists it, for <c>export_list</c>: the resource's own filters, text search and sort, read
/// by the list endpoint's code (<see cref="CrmEndpoints"/>' <c>Query</c>) from the same parameters
/// (<c>status=qualified</c>, <c>scoreMin=50</c>, <c>createdAfter=…</c>, <c>q=…</c>, <c>sort=-score</c>), and every page of it
/// by keyset in that order. Records are the API's representation (the list's JSON), of the installation's organization
/// only: the tenant filter of the caller's scope, and the organization named again in the query.
/// </summary>
public sealed class CrmListReader
{
    public static readonly IReadOnlyList<string> Resources = ["contacts", "leads", "deals"];

    /// <summary>Rows read from the database at a time.</summary>
    public const int PageSize = 500;

    private readonly Func<CancellationToken, IAsyncEnumerable<JsonObject>> _read;

    /// <summary>The record's fields in the order the API writes them: the export's columns when none are named.</summary>
    public IReadOnlyList<string> Fields { get; }

    private CrmListReader(Func<CancellationToken, IAsyncEnumerable<JsonObject>> read, IReadOnlyList<string> fields) => (_read, Fields) = (read, fields);

    public IAsyncEnumerable<JsonObject> ReadAsync(CancellationToken cancellationToken) => _read(cancellationToken);

    /// <summary>
    /// The list of <paramref name="resource"/> narrowed by <paramref name="parameters"/>, or a non-retryable
    /// <see cref="ProviderException"/> naming each parameter the list does not take, as the list endpoint's 400 would.
    /// </summary>
    public static CrmListReader For(ConnectorContext context, string resource, IReadOnlyList<KeyValuePair<string, StringValues>> parameters)
    {
        var tenant = context.Services.GetRequiredService<TenantScope>();
        if (tenant.OrganizationId != context.Installation.OrganizationId)
            throw new InvalidOperationException("A CRM export reads the installation's own organization only; the scope acts for another.");
        var db = context.Services.GetRequiredService<SwitchboardDbContext>();
        var json = context.Services.GetRequiredService<IOptions<global::Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        var organization = context.Installation.OrganizationId;
        return resource switch
        {
            "contacts" => Create(ContactResource.Definition, db, organization, parameters, json),
            "leads" => Create(LeadResource.Definition, db, organization, parameters, json),
            "deals" => Create(DealResource.Definition, db, organization, parameters, json),
            _ => throw new ProviderException($"'{resource}' is not a list export_list exports; it exports {string.Join(", ", Resources)}.", null, null, retryable: false),
        };
    }

    private static CrmListReader Create<TEntity, TInput, TResponse>(ResourceDefinition<TEntity, TInput, TResponse> def, SwitchboardDbContext db,
        string organization, IReadOnlyList<KeyValuePair<string, StringValues>> parameters, JsonSerializerOptions json)
        where TEntity : CrmRecord, new() where TInput : CrmInput where TResponse : class
    {
        var list = def.Query(db.Set<TEntity>().AsNoTracking().Where(r => r.OrganizationId == organization), parameters);
        if (list.Errors.Count > 0)
            throw new ProviderException($"The export's list parameters are not ones the {def.Plural} list takes: "
                + string.Join(" ", list.Errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")), null, null, retryable: false);
        var fields = typeof(TResponse).GetProperties().Select(p => json.PropertyNamingPolicy?.ConvertName(p.Name) ?? p.Name).ToList();
        return new CrmListReader(cancellationToken => Pages(def, list, json, cancellationToken), fields);
    }

    private static async IAsyncEnumerable<JsonObject> Pages<TEntity, TInput, TResponse>(ResourceDefinition<TEntity, TInput, TResponse> def,
        CrmListQuery<TEntity> list, JsonSerializerOptions json, [EnumeratorCancellation] CancellationToken cancellationToken)
        where TEntity : CrmRecord, new() where TInput : CrmInput where TResponse : class
    {
        var sort = list.Sort!;
        string? lastValue = null, lastId = null;
        while (true)
        {
            // Keyset paging in the list's own order (ties broken by id), as the API's cursors page it: each page a short query.
            var rows = lastId is null ? list.Rows : sort.After(list.Rows, list.Descending, lastValue!, lastId)!;
            var page = await sort.Order(rows, list.Descending).Take(PageSize).ToListAsync(cancellationToken);
            foreach (var entity in page) yield return JsonSerializer.SerializeToNode(def.Map(entity), json)!.AsObject();
            if (page.Count < PageSize) yield break;
            (lastValue, lastId) = (sort.ValueOf(page[^1]), page[^1].Id);
        }
    }
}
