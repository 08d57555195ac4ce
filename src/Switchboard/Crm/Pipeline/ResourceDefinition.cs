using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Switchboard.Platform.Resources;
using Switchboard.Platform.Storage;
using Switchboard.Platform.Versioning;

namespace Switchboard.Crm.Pipeline;

/// <summary>
/// Everything that makes one CRM resource what it is; the pipeline (<see cref="CrmEndpoints"/>, <see cref="CrmWriter"/>)
/// does the rest the same way for all: tenancy, scopes, paging, sorting, filtering, field selection, ETags,
/// idempotency and change events. Its public facts (<see cref="Describe"/>: id prefix, scope, event types, enumerations, formats)
/// feed <see cref="ResourceRegistry"/>, from which the scope list, the event catalog and the OpenAPI document read them.
/// </summary>
public sealed class ResourceDefinition<TEntity, TInput, TResponse> : IRecordLifecycle<TEntity>, IResourceShape
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
    /// <summary>What its scope reaches, in plain words (<see cref="ApiResource.ScopeSubject"/>); by default its name with spaces.</summary>
    public string? ScopeSubject { get; init; }
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
    /// <summary>
    /// Events beyond created/updated/deleted that a change amounts to, in the order they are recorded (and listed in the
    /// event catalog). Only these can be recorded: a state event is declared here or it does not exist.
    /// </summary>
    public IReadOnlyList<StateEvent<TResponse>>? StateEvents { get; init; }
    /// <summary>What state events are named after (<c>deal</c> → <c>deal.won</c>); the singular unless set.</summary>
    public string? EventPrefix { get; init; }
    /// <summary>Its enumerated fields, checked on <typeparamref name="TInput"/> and documented on both it and <typeparamref name="TResponse"/>.</summary>
    public IReadOnlyList<Enumeration> Enumerations { get; init; } = [];
    /// <summary>Its string fields that hold an email address, a phone number, a currency or a URL; documented like <see cref="Enumerations"/>.</summary>
    public IReadOnlyList<FormattedField> Formats { get; init; } = [];
    /// <summary>Fields of other records that hold one of its ids, where not just <c>&lt;singular&gt;Id</c> (examples give them the right prefix).</summary>
    public IReadOnlyList<string>? IdFields { get; init; }

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

    public string ReadScope => Platform.Auth.Scopes.Read(ScopeResource);
    public string WriteScope => Platform.Auth.Scopes.Write(ScopeResource);
    public string Location(string id) => $"{Version.PathPrefix}{Path}/{id}";

    /// <summary>What a change means, whichever version's endpoint made it.</summary>
    internal IRecordLifecycle<TEntity> Lifecycle => Canonical ?? this;

    /// <summary>Field errors of the canonical rules, named as this version names the fields.</summary>
    internal IDictionary<string, string[]> WireNames(IDictionary<string, string[]> errors) =>
        FieldNames.Count == 0 ? errors : errors.ToDictionary(e => ResourceVersioning.Rename(e.Key, FieldNames), e => e.Value);

    string IRecordLifecycle<TEntity>.Singular => Singular;
    ChangeEventNames? IRecordLifecycle<TEntity>.ChangeEvents => ChangeEvents;

    /// <summary>The names of its change events, composed once (null when it records none).</summary>
    private ChangeEventNames? ChangeEvents => RecordChangeEvents ? field ??= new(Singular) : null;
    object IRecordLifecycle<TEntity>.Snapshot(TEntity entity) => Map(entity);
    void IRecordLifecycle<TEntity>.OnChange(TEntity entity, object? before, DateTime now) => OnChange?.Invoke(entity, (TResponse?)before, now);
    IDictionary<string, string[]>? IRecordLifecycle<TEntity>.CheckInvariants(object? before, TEntity entity) => Invariants?.Invoke((TResponse?)before, entity);

    IEnumerable<string> IRecordLifecycle<TEntity>.StateEvents(object? before, object after)
    {
        if (StateEvents is not { Count: > 0 } declared) return [];
        // A change that amounts to nothing allocates nothing.
        var types = StateEventTypes;
        List<string>? happened = null;
        for (var i = 0; i < declared.Count; i++)
            if (declared[i].When((TResponse?)before, (TResponse)after)) (happened ??= []).Add(types[i]);
        return happened ?? (IEnumerable<string>)[];
    }

    /// <summary>The full names of <see cref="StateEvents"/> (<c>deal.won</c>), composed once: when the registry describes the definition, or on first use.</summary>
    private string[] StateEventTypes => field ??= (StateEvents ?? []).Select(e => $"{EventPrefix ?? Singular}.{e.Name}").ToArray();

    Type IResourceShape.Input => typeof(TInput);
    Type IResourceShape.Response => typeof(TResponse);

    /// <summary>
    /// The facts <see cref="ResourceRegistry"/> derives its tables from (called once, when the registry is built): this
    /// canonical definition's, with its enumerations and formats also on the types of the <paramref name="versions"/>
    /// that reshape it (<see cref="ResourceVersioning.Reshape"/>), under their names for the fields.
    /// </summary>
    public ApiResource Describe(params IReadOnlyList<IResourceShape> versions)
    {
        if (Canonical is not null) throw new InvalidOperationException($"{Path} in {Version.Name} is a shape of a canonical definition; describe that one.");
        IResourceShape[] shapes = [this, .. versions];
        var name = Singular.Replace('_', ' ');
        IEnumerable<EventType> changes = ChangeEvents is { } events
            ?
            [
                new(events.Created, $"A {name} was created.", typeof(TResponse)),
                new(events.Updated, $"A {name} changed; previousAttributes holds the old values of the changed fields.", typeof(TResponse)),
                new(events.Deleted, $"A {name} was deleted; data is its last state.", typeof(TResponse)),
            ]
            : [];
        return new ApiResource(Singular)
        {
            IdPrefix = IdPrefix,
            Scope = ScopeResource,
            ScopeSubject = ScopeSubject,
            Collection = Path[(Path.LastIndexOf('/') + 1)..],
            IdFields = IdFields ?? [ApiResource.CamelCase(Singular) + "Id"],
            Representations = [typeof(TResponse)],
            Events = [.. changes, .. (StateEvents ?? []).Select((e, i) => new EventType(StateEventTypes[i], e.Description, typeof(TResponse)))],
            Enumerations = shapes.SelectMany(s => Enumerations.Select(e => s == this
                ? e with { Inputs = [s.Input, .. e.Inputs], Outputs = [s.Response, .. e.Outputs] }
                : e with { Field = ResourceVersioning.Rename(e.Field, s.FieldNames), Inputs = [s.Input], Outputs = [s.Response] })).ToArray(),
            Formats = shapes.SelectMany(s => Formats.Select(f => s == this
                ? f with { Inputs = [s.Input, .. f.Inputs], Outputs = [s.Response, .. f.Outputs] }
                : f with { Field = ResourceVersioning.Rename(f.Field, s.FieldNames), Inputs = [s.Input], Outputs = [s.Response] })).ToArray(),
        };
    }
}

/// <summary>
/// An event a change amounts to beyond created/updated/deleted: <paramref name="Name"/> after the resource's
/// (<c>won</c> → <c>deal.won</c>), what it means (the event catalog says it), and whether a change from the record
/// before (null on create) to the record after is one.
/// </summary>
public sealed record StateEvent<TResponse>(string Name, string Description, Func<TResponse?, TResponse, bool> When);

/// <summary>A definition's request and response types and its names for renamed fields: where its enumerations and formats are documented.</summary>
public interface IResourceShape
{
    Type Input { get; }
    Type Response { get; }
    IReadOnlyDictionary<string, string> FieldNames { get; }
}

/// <summary>
/// What a change to a record means, whichever API version's endpoint made it: the representation change events carry,
/// the rules about the whole record, the derived fields and the state events. Change events are versionless
/// (docs/versioning.md): a webhook receiver gets the same payload for a change made through /api/v1 or /api/v2.
/// </summary>
public interface IRecordLifecycle<in TEntity>
{
    string Singular { get; }
    /// <summary>The names of its change events; null when it records none.</summary>
    ChangeEventNames? ChangeEvents { get; }
    /// <summary>The record as events carry it (and as <c>previousAttributes</c> compares it).</summary>
    object Snapshot(TEntity entity);
    void OnChange(TEntity entity, object? before, DateTime now);
    /// <summary>Field errors keyed by the canonical field names.</summary>
    IDictionary<string, string[]>? CheckInvariants(object? before, TEntity entity);
    IEnumerable<string> StateEvents(object? before, object after);
}

/// <summary>The change events of a record (<c>contact.created</c>, <c>contact.updated</c>, <c>contact.deleted</c>), named once per resource.</summary>
public sealed class ChangeEventNames(string singular)
{
    public string Created { get; } = singular + ".created";
    public string Updated { get; } = singular + ".updated";
    public string Deleted { get; } = singular + ".deleted";
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
