using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Switchboard.Platform.Storage;
using Switchboard.Platform.Versioning;

namespace Switchboard.Crm.Pipeline;

/// <summary>
/// Everything that makes one CRM resource what it is; the pipeline (<see cref="CrmEndpoints"/>, <see cref="CrmWriter"/>)
/// does the rest the same way for all: tenancy, scopes, paging, sorting, filtering, field selection, ETags,
/// idempotency and change events.
/// </summary>
public sealed class ResourceDefinition<TEntity, TInput, TResponse> : IRecordLifecycle<TEntity>
    where TEntity : CrmRecord, new() where TInput : CrmInput where TResponse : class
{
    /// <summary>The API version whose routes serve this definition (<c>/api/{version}/{path}</c>).</summary>
    public ApiVersion Version { get; init; } = ApiVersions.V1;
    /// <summary>Path under /api/{version}, e.g. <c>contacts</c> or <c>chat/sessions</c>.</summary>
    public required string Path { get; init; }
    /// <summary>Id prefix, e.g. <c>con</c>.</summary>
    public required string IdPrefix { get; init; }
    /// <summary>The resource of its scopes (<c>contacts</c> → <c>contacts:read</c>, <c>contacts:write</c>).</summary>
    public required string ScopeResource { get; init; }
    /// <summary>Event and operation name: <c>contact</c> → <c>contact.created</c>, <c>getContact</c>.</summary>
    public required string Singular { get; init; }
    public required string Plural { get; init; }
    public required string Tag { get; init; }

    /// <summary>Copies the fields present in the input onto the entity.</summary>
    public required Action<TEntity, TInput> Apply { get; init; }
    public required Func<TEntity, TResponse> Map { get; init; }

    /// <summary>Sets defaults that depend on the time of creation (the input is applied after).</summary>
    public Action<TEntity, DateTime>? Initialize { get; init; }
    /// <summary>Rules about the whole record after a change, given the record before it (null on create): field → messages.</summary>
    public Func<TResponse?, TEntity, IDictionary<string, string[]>?>? Invariants { get; init; }
    /// <summary>The list order when the caller names none.</summary>
    public string DefaultSort { get; init; } = "-createdAt";
    /// <summary>Keeps derived fields right after a change (e.g. <c>completedAt</c> when a task completes).</summary>
    public Action<TEntity, TResponse?, DateTime>? OnChange { get; init; }
    /// <summary>Events beyond created/updated/deleted that a change amounts to, from the record before (null on create) and after.</summary>
    public Func<TResponse?, TResponse, IEnumerable<string>>? StateEvents { get; init; }

    public IReadOnlyList<IFilter<TEntity>> Filters { get; init; } = [];
    public IReadOnlyList<ISort<TEntity>> Sorts { get; init; } = [];
    /// <summary>Fields that <c>q</c> searches (case-insensitive substring).</summary>
    public IReadOnlyList<Expression<Func<TEntity, string?>>> SearchFields { get; init; } = [];
    public IReadOnlyList<Reference<TEntity>> References { get; init; } = [];

    /// <summary>Whether changes record <c>.created</c>/<c>.updated</c>/<c>.deleted</c>; when false only <see cref="StateEvents"/> are recorded.</summary>
    public bool RecordChangeEvents { get; init; } = true;
    public bool AllowUpdate { get; init; } = true;
    public bool AllowDelete { get; init; } = true;

    /// <summary>
    /// Set when this definition is another API version's shape of the same records (see <see cref="ResourceVersioning"/>):
    /// the definition whose representation events carry and whose rules (invariants, derived fields, state events) apply.
    /// </summary>
    public IRecordLifecycle<TEntity>? Canonical { get; init; }
    /// <summary>This version's name for a field of the canonical representation, where it differs (<c>firstName</c> → <c>name.first</c>).</summary>
    public IReadOnlyDictionary<string, string> FieldNames { get; init; } = new Dictionary<string, string>();

    public string ReadScope => ScopeResource + ":read";
    public string WriteScope => ScopeResource + ":write";
    public string Location(string id) => $"{Version.PathPrefix}{Path}/{id}";

    /// <summary>What a change means, whichever version's endpoint made it.</summary>
    internal IRecordLifecycle<TEntity> Lifecycle => Canonical ?? this;

    /// <summary>Field errors of the canonical rules, named as this version names the fields.</summary>
    internal IDictionary<string, string[]> WireNames(IDictionary<string, string[]> errors) =>
        FieldNames.Count == 0 ? errors : errors.ToDictionary(e => ResourceVersioning.Rename(e.Key, FieldNames), e => e.Value);

    string IRecordLifecycle<TEntity>.Singular => Singular;
    bool IRecordLifecycle<TEntity>.RecordChangeEvents => RecordChangeEvents;
    object IRecordLifecycle<TEntity>.Snapshot(TEntity entity) => Map(entity);
    void IRecordLifecycle<TEntity>.OnChange(TEntity entity, object? before, DateTime now) => OnChange?.Invoke(entity, (TResponse?)before, now);
    IDictionary<string, string[]>? IRecordLifecycle<TEntity>.CheckInvariants(object? before, TEntity entity) => Invariants?.Invoke((TResponse?)before, entity);
    IEnumerable<string> IRecordLifecycle<TEntity>.StateEvents(object? before, object after) => StateEvents?.Invoke((TResponse?)before, (TResponse)after) ?? [];
}

/// <summary>
/// What a change to a record means, whichever API version's endpoint made it: the representation change events carry,
/// the rules about the whole record, the derived fields and the state events. Change events are versionless
/// (docs/versioning.md): a webhook receiver gets the same payload for a change made through /api/v1 or /api/v2.
/// </summary>
public interface IRecordLifecycle<in TEntity>
{
    string Singular { get; }
    bool RecordChangeEvents { get; }
    /// <summary>The record as events carry it (and as <c>previousAttributes</c> compares it).</summary>
    object Snapshot(TEntity entity);
    void OnChange(TEntity entity, object? before, DateTime now);
    /// <summary>Field errors keyed by the canonical field names.</summary>
    IDictionary<string, string[]>? CheckInvariants(object? before, TEntity entity);
    IEnumerable<string> StateEvents(object? before, object after);
}

/// <summary>A field holding the id of another record, which must exist in the same organization.</summary>
public sealed class Reference<TEntity>(string fieldName, Func<TEntity, string?> read, string prefix, Func<SwitchboardDbContext, string, CancellationToken, Task<bool>> exists)
{
    public string Field => fieldName;
    public string Prefix => prefix;
    public string? Read(TEntity entity) => read(entity);
    public Task<bool> ExistsAsync(SwitchboardDbContext db, string id, CancellationToken cancellationToken) => exists(db, id, cancellationToken);
}

public static class Reference
{
    /// <summary><paramref name="field"/> names a <typeparamref name="TTarget"/> of the caller's organization (the tenant filter applies).</summary>
    public static Reference<TEntity> To<TEntity, TTarget>(string field, Func<TEntity, string?> read, string prefix) where TTarget : CrmRecord =>
        // A record added earlier in the same unit of work (lead conversion) counts as existing.
        new(field, read, prefix, (db, id, ct) => db.Set<TTarget>().Local.Any(t => t.Id == id) ? Task.FromResult(true) : db.Set<TTarget>().AnyAsync(t => t.Id == id, ct));
}
