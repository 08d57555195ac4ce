using System.Text.Json;
using System.Text.Json.Nodes;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Pipeline;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Pagination;
using Switchboard.Platform.Storage;
using Switchboard.Platform.Validation;

namespace Switchboard.Integrations.Syncs;

/// <summary>
/// The CRM resource a sync model writes (<see cref="Catalog.ProviderSync.LocalResource"/>), through the CRM's own write
/// path: the resource's input type and validator, its <c>Apply</c>, invariants and references, and
/// <see cref="CrmOperations"/>' insert, change and remove, which record the <c>.created</c> / <c>.updated</c> /
/// <c>.deleted</c> events in the outbox of the same unit of work. A synced change is a CRM change like any other:
/// webhooks and rules see it.
/// </summary>
public interface ISyncLocalResource
{
    string Name { get; }

    /// <summary>The CRM entity type the resource stores.</summary>
    Type EntityType { get; }

    /// <summary>The fields a sync maps when the provider's model names none: the resource's own, minus ids, metadata and times.</summary>
    IReadOnlyList<string> DefaultFields { get; }

    /// <summary>The records with these ids, tracked, by id (the caller's organization only, by the tenant filter).</summary>
    Task<Dictionary<string, CrmRecord>> FindAsync(SwitchboardDbContext db, IReadOnlyCollection<string> ids, CancellationToken cancellationToken);

    /// <summary>Creates a record from <paramref name="fields"/> (CRM names); an error text when the CRM refuses the values.</summary>
    Task<(CrmRecord? Record, string? Error)> CreateAsync(CrmWriter writer, IServiceProvider services, string organizationId, JsonObject fields, CancellationToken cancellationToken);

    /// <summary>Writes <paramref name="fields"/> onto a tracked record; answers whether it changed, or the CRM's refusal (the record is left as it was).</summary>
    Task<(bool Changed, string? Error)> UpdateAsync(CrmWriter writer, IServiceProvider services, CrmRecord record, JsonObject fields, CancellationToken cancellationToken);

    void Delete(CrmWriter writer, CrmRecord record);

    /// <summary>The record's values of <paramref name="fields"/>, as the API represents them.</summary>
    JsonObject Read(CrmRecord record, IEnumerable<string> fields, JsonSerializerOptions json);

    /// <summary>
    /// Up to <paramref name="limit"/> records to push, after <paramref name="after"/> in (<c>updatedAt</c>, id) order: those
    /// without a link for the installation's model, or changed since the sync last wrote or read them (<c>updatedAt</c> later
    /// than the link's <c>LocalUpdatedAt</c>), with their links; and the cursor of the last record looked at (null when none
    /// was). No records means none is left.
    /// </summary>
    Task<(List<(CrmRecord Record, IntegrationRecordLink? Link)> Changed, string? Cursor)> ChangedAsync(SwitchboardDbContext db, string installationId,
        string model, string? after, int limit, CancellationToken cancellationToken);

    /// <summary>The push cursor just past <paramref name="record"/>.</summary>
    static string CursorOf(CrmRecord record) => Cursor(record.UpdatedAt, record.Id);

    internal static string Cursor(DateTime updatedAt, string id) => $"{updatedAt.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture)}:{id}";
}

/// <summary>A <see cref="ISyncLocalResource"/> over a CRM <see cref="ResourceDefinition{TEntity,TInput,TResponse}"/>.</summary>
public sealed class SyncLocalResource<TEntity, TInput, TResponse>(ResourceDefinition<TEntity, TInput, TResponse> def) : ISyncLocalResource
    where TEntity : CrmRecord, new() where TInput : CrmInput where TResponse : class
{
    private static readonly HashSet<string> NotSynced = ["id", "metadata", "createdAt", "updatedAt"];

    public string Name => def.Path;

    public Type EntityType => typeof(TEntity);

    public IReadOnlyList<string> DefaultFields { get; } = typeof(TResponse).GetProperties()
        .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)).Where(n => !NotSynced.Contains(n)).ToArray();

    public async Task<Dictionary<string, CrmRecord>> FindAsync(SwitchboardDbContext db, IReadOnlyCollection<string> ids, CancellationToken cancellationToken) =>
        ids.Count == 0 ? [] : await db.Set<TEntity>().Where(e => ids.Contains(e.Id)).ToDictionaryAsync(e => e.Id, e => (CrmRecord)e, cancellationToken);

    public async Task<(CrmRecord? Record, string? Error)> CreateAsync(CrmWriter writer, IServiceProvider services, string organizationId, JsonObject fields,
        CancellationToken cancellationToken)
    {
        var (input, invalid) = await InputAsync(writer, services, fields, BodyUse.Create, cancellationToken);
        if (input is null) return (null, invalid);
        var entity = new TEntity();
        def.Initialize?.Invoke(entity, writer.Now);
        def.Apply(entity, input);
        var problem = await def.InsertAsync(writer, entity, new Caller(CallerKind.OAuthClient, organizationId, []), cancellationToken);
        return problem is null ? (entity, null) : (null, Describe(problem));
    }

    public async Task<(bool Changed, string? Error)> UpdateAsync(CrmWriter writer, IServiceProvider services, CrmRecord record, JsonObject fields,
        CancellationToken cancellationToken)
    {
        var (input, invalid) = await InputAsync(writer, services, fields, BodyUse.Update, cancellationToken);
        if (input is null) return (false, invalid);
        var entity = (TEntity)record;
        var (changed, problem) = await def.ChangeAsync(writer, entity, e => def.Apply(e, input), cancellationToken);
        if (problem is null) return (changed, null);
        // ChangeAsync applied the values before the invariants refused them: put the tracked record back as it was.
        var entry = writer.Db.Entry(entity);
        entry.CurrentValues.SetValues(entry.OriginalValues);
        entry.State = EntityState.Unchanged;
        return (false, Describe(problem));
    }

    public void Delete(CrmWriter writer, CrmRecord record) => def.Remove(writer, (TEntity)record);

    public JsonObject Read(CrmRecord record, IEnumerable<string> fields, JsonSerializerOptions json)
    {
        var all = JsonSerializer.SerializeToNode(def.Map((TEntity)record), json)!.AsObject();
        var picked = new JsonObject();
        foreach (var field in fields) picked[field] = all[field]?.DeepClone();
        return picked;
    }

    /// <summary>Records looked at per query of the push scan.</summary>
    private const int ScanBatch = 1000;

    public async Task<(List<(CrmRecord Record, IntegrationRecordLink? Link)> Changed, string? Cursor)> ChangedAsync(SwitchboardDbContext db,
        string installationId, string model, string? after, int limit, CancellationToken cancellationToken)
    {
        // The organization's records are scanned in (updatedAt, id) order on its (organization_id, updated_at, id) index, a
        // batch at a time, and their links fetched by local id; the changed ones are then loaded whole. Each query's cost is
        // bounded by its batch. One query joining records to links was left to the planner, which (with the statistics of
        // an organization whose first sync was running) nested a scan of every link inside a scan of every record.
        var changed = new List<(CrmRecord, IntegrationRecordLink?)>();
        var cursor = ParseCursor(after);
        string? scanned = null;
        while (changed.Count < limit)
        {
            var query = db.Set<TEntity>().AsNoTracking();
            if (cursor is { } from) query = Keyset.After(query, e => e.UpdatedAt, e => e.Id, descending: false, from.At, from.Id);
            var keys = await query.OrderBy(e => e.UpdatedAt).ThenBy(e => e.Id).Select(e => new { e.Id, e.UpdatedAt }).Take(ScanBatch)
                .ToListAsync(cancellationToken);
            if (keys.Count == 0) break;
            var ids = keys.Select(k => k.Id).ToList();
            var links = await db.Set<IntegrationRecordLink>().AsNoTracking()
                .Where(l => l.InstallationId == installationId && l.Model == model && ids.Contains(l.LocalId))
                .ToDictionaryAsync(l => l.LocalId, StringComparer.Ordinal, cancellationToken);
            var wanted = new List<string>();
            foreach (var key in keys)
            {
                if (wanted.Count + changed.Count == limit) break;
                cursor = (key.UpdatedAt, key.Id);
                var link = links.GetValueOrDefault(key.Id);
                if (link is null || link.LocalUpdatedAt is null || key.UpdatedAt > link.LocalUpdatedAt) wanted.Add(key.Id);
            }
            scanned = ISyncLocalResource.Cursor(cursor!.Value.At, cursor.Value.Id);
            if (wanted.Count > 0)
            {
                var records = await db.Set<TEntity>().AsNoTracking().Where(e => wanted.Contains(e.Id)).ToDictionaryAsync(e => e.Id, cancellationToken);
                // In scan order; a record deleted between the two queries is not pushed.
                foreach (var id in wanted)
                    if (records.TryGetValue(id, out var record)) changed.Add((record, links.GetValueOrDefault(id)));
            }
            if (keys.Count < ScanBatch) break;
        }
        return (changed, scanned);
    }

    /// <summary>A cursor of <see cref="ISyncLocalResource.CursorOf"/>; null (from the start) for none or one of an earlier form.</summary>
    private static (DateTime At, string Id)? ParseCursor(string? cursor)
    {
        var colon = cursor?.IndexOf(':') ?? -1;
        return colon > 0 && long.TryParse(cursor.AsSpan(0, colon), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ticks)
               && ticks <= DateTime.MaxValue.Ticks
            ? (new DateTime(ticks, DateTimeKind.Utc), cursor![(colon + 1)..])
            : null;
    }

    /// <summary>The resource's input type made from the fields, as the API would bind a request body, and its validator's verdict.</summary>
    private static async Task<(TInput? Input, string? Error)> InputAsync(CrmWriter writer, IServiceProvider services, JsonObject fields, BodyUse use,
        CancellationToken cancellationToken)
    {
        TInput? input;
        try { input = fields.Deserialize<TInput>(writer.Json); }
        catch (JsonException ex) { return (null, ex.Message); }
        if (input is null) return (null, "No fields.");
        var validator = services.GetService<IValidator<TInput>>();
        if (validator is not null && await validator.CheckAsync(input, use, cancellationToken) is { } problem) return (null, Describe(problem));
        return (input, null);
    }

    private static string Describe(ProblemHttpResult problem)
    {
        var details = problem.ProblemDetails;
        return details.Extensions.TryGetValue("errors", out var errors) && errors is IDictionary<string, string[]> byField
            ? string.Join("; ", byField.Select(f => $"{f.Key}: {string.Join(" ", f.Value)}"))
            : details.Detail ?? details.Title ?? "Refused.";
    }
}

/// <summary>The CRM resources a sync model may name.</summary>
public static class SyncLocalResources
{
    private static readonly Dictionary<string, ISyncLocalResource> All = new ISyncLocalResource[]
    {
        new SyncLocalResource<Crm.Contacts.Contact, Crm.Contacts.ContactInput, Crm.Contacts.ContactResponse>(Crm.Contacts.ContactResource.Definition),
        new SyncLocalResource<Crm.Deals.Deal, Crm.Deals.DealInput, Crm.Deals.DealResponse>(Crm.Deals.DealResource.Definition),
        new SyncLocalResource<Crm.Activities.Activity, Crm.Activities.ActivityInput, Crm.Activities.ActivityResponse>(Crm.Activities.ActivityResource.Definition),
        new SyncLocalResource<Crm.Leads.Lead, Crm.Leads.LeadInput, Crm.Leads.LeadResponse>(Crm.Leads.LeadResource.Definition),
        new SyncLocalResource<Crm.Tasks.CrmTask, Crm.Tasks.TaskInput, Crm.Tasks.TaskResponse>(Crm.Tasks.TaskResource.Definition),
        new SyncLocalResource<Crm.Tickets.Ticket, Crm.Tickets.TicketInput, Crm.Tickets.TicketResponse>(Crm.Tickets.TicketResource.Definition),
    }.ToDictionary(r => r.Name, StringComparer.Ordinal);

    public static ISyncLocalResource? Find(string name) => All.GetValueOrDefault(name);
}
