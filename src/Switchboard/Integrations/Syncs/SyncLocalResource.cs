using System.Text.Json;
using System.Text.Json.Nodes;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Pipeline;
using Switchboard.Platform.Auth;
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
    /// Records to push (after <paramref name="afterId"/>, by id): those without a link for the installation's model, or
    /// changed since the sync last wrote or read them (<c>updatedAt</c> later than the link's <c>LocalUpdatedAt</c>).
    /// </summary>
    Task<List<(CrmRecord Record, IntegrationRecordLink? Link)>> ChangedAsync(SwitchboardDbContext db, string installationId, string model, string? afterId, int limit,
        CancellationToken cancellationToken);
}

/// <summary>A <see cref="ISyncLocalResource"/> over a CRM <see cref="ResourceDefinition{TEntity,TInput,TResponse}"/>.</summary>
public sealed class SyncLocalResource<TEntity, TInput, TResponse>(ResourceDefinition<TEntity, TInput, TResponse> def) : ISyncLocalResource
    where TEntity : CrmRecord, new() where TInput : CrmInput where TResponse : class
{
    private static readonly HashSet<string> NotSynced = ["id", "metadata", "createdAt", "updatedAt"];

    public string Name => def.Path;

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

    public async Task<List<(CrmRecord Record, IntegrationRecordLink? Link)>> ChangedAsync(SwitchboardDbContext db, string installationId, string model, string? afterId,
        int limit, CancellationToken cancellationToken)
    {
        var links = db.Set<IntegrationRecordLink>().Where(l => l.InstallationId == installationId && l.Model == model);
        var query = from e in db.Set<TEntity>().AsNoTracking()
                    join l in links on e.Id equals l.LocalId into linked
                    from l in linked.DefaultIfEmpty()
                    where l == null || l.LocalUpdatedAt == null || e.UpdatedAt > l.LocalUpdatedAt
                    select new { e, l };
        if (afterId is not null) query = query.Where(x => string.Compare(x.e.Id, afterId) > 0);
        var rows = await query.OrderBy(x => x.e.Id).Take(limit).ToListAsync(cancellationToken);
        return rows.Select(x => ((CrmRecord)x.e, (IntegrationRecordLink?)x.l)).ToList();
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
    }.ToDictionary(r => r.Name, StringComparer.Ordinal);

    public static ISyncLocalResource? Find(string name) => All.GetValueOrDefault(name);
}
