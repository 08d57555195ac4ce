using System.Collections.Frozen;
using Switchboard.ApiKeys;
using Switchboard.Audit;
using Switchboard.Crm;
using Switchboard.Crm.Analytics;
using Switchboard.Identity;
using Switchboard.OAuth;
using Switchboard.RateLimiting;
using Switchboard.Usage;
using Switchboard.Webhooks;

namespace Switchboard.Platform.Resources;

/// <summary>
/// Every resource the API exposes, in the order the scope list and the event catalog show them, and the tables derived
/// from them: built once, at type initialization, and read-only after (nothing here runs per request).
/// </summary>
public static class ResourceRegistry
{
    /// <summary>What every event's outbox row is: <c>evt_…</c>.</summary>
    public static readonly ApiResource Events = new("event") { IdPrefix = "evt" };

    /// <summary>The id of a request (<c>X-Request-Id</c>, problem details, usage logs): <c>req_…</c>.</summary>
    public static readonly ApiResource Requests = new("request") { IdPrefix = "req" };

    public static readonly IReadOnlyList<ApiResource> All =
    [
        .. CrmApi.Resources,
        AnalyticsResource.Declaration,
        UsageResource.Declaration,
        QuotaEvents.Declaration,
        WebhookResources.Endpoints,
        WebhookResources.Deliveries,
        WebhookResources.PortalLinks,
        ApiKeyResource.Declaration,
        OAuthResources.Apps,
        OAuthResources.Authorizations,
        Integrations.IntegrationResources.Installations,
        Integrations.IntegrationResources.Rules,
        Integrations.IntegrationResources.SyncRuns,
        Integrations.IntegrationResources.Reviews,
        Integrations.IntegrationResources.RecordLinks,
        AuditLogResource.Declaration,
        IdentityResources.Members,
        IdentityResources.Invitations,
        IdentityResources.Organizations,
        Events,
        Requests,
    ];

    /// <summary>The resources of <c>&lt;resource&gt;:read</c>/<c>:write</c> scopes, each once, in declaration order.</summary>
    public static readonly IReadOnlyList<string> ScopeResources = All.Select(r => r.Scope).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>What each scope resource reaches, in plain words (<see cref="ApiResource.ScopeSubject"/>), by scope resource.</summary>
    public static readonly FrozenDictionary<string, string> ScopeSubjects = All.Where(r => r.Scope is not null)
        .GroupBy(r => r.Scope!, StringComparer.Ordinal)
        .ToFrozenDictionary(g => g.Key, g => g.Select(r => r.ScopeSubject).FirstOrDefault(s => s is not null) ?? g.Key.Replace('_', ' '), StringComparer.Ordinal);

    /// <summary>Scopes only an explicit grant (or <c>admin</c>) reaches.</summary>
    public static readonly FrozenSet<string> SensitiveScopes = All.Where(r => r is { SensitiveScope: true, Scope: not null }).Select(r => r.Scope!).ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Every webhook event type, in catalog order.</summary>
    public static readonly IReadOnlyList<EventType> EventTypes = All.SelectMany(r => r.Events).ToArray();

    /// <summary>Id prefix by the path segment of the records (<c>contacts</c> → <c>con</c>).</summary>
    public static readonly FrozenDictionary<string, string> PrefixByCollection =
        Unique(All.Where(r => r is { Collection: not null, IdPrefix: not null }).Select(r => (r.Collection!, r.IdPrefix!)), "collection");

    /// <summary>Id prefix by the name of a field that holds such an id (<c>contactId</c> → <c>con</c>).</summary>
    public static readonly FrozenDictionary<string, string> PrefixByIdField =
        Unique(All.Where(r => r.IdPrefix is not null).SelectMany(r => r.IdFields.Select(f => (f, r.IdPrefix!))), "id field");

    /// <summary>Id prefix of the records a type represents, by the type's name (<c>ContactResponse</c> → <c>con</c>), as schemas are named.</summary>
    public static readonly FrozenDictionary<string, string> PrefixByRepresentation =
        Unique(All.Where(r => r.IdPrefix is not null).SelectMany(r => r.Representations.Select(t => (t.Name, r.IdPrefix!))), "representation");

    /// <summary>The allowed values of enumerated fields, by the type that carries them and the field's JSON name.</summary>
    public static readonly FrozenDictionary<(Type Type, string Field), IReadOnlyList<string>> FieldValues = All
        .SelectMany(r => r.Enumerations)
        .SelectMany(e => e.Inputs.Select(t => (Key: (t, e.Field), Values: e.Settable ?? e.Values)).Concat(e.Outputs.Select(t => (Key: (t, e.Field), e.Values))))
        .ToFrozenDictionary(x => x.Key, x => x.Values);

    /// <summary>The format of string fields, by the type that carries them and the field's JSON name.</summary>
    public static readonly FrozenDictionary<(Type Type, string Field), FieldFormat> FieldFormats = All
        .SelectMany(r => r.Formats)
        .SelectMany(f => f.Inputs.Concat(f.Outputs).Select(t => (Key: (t, f.Field), f.Format)))
        .ToFrozenDictionary(x => x.Key, x => x.Format);

    /// <summary>The resource with this name (<c>contact</c>).</summary>
    public static ApiResource Named(string name) => All.Single(r => r.Name == name);

    private static FrozenDictionary<string, string> Unique(IEnumerable<(string Key, string Prefix)> pairs, string what)
    {
        var table = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, prefix) in pairs)
            if (!table.TryAdd(key, prefix) && table[key] != prefix)
                throw new InvalidOperationException($"The {what} {key} is declared with two id prefixes: {table[key]} and {prefix}.");
        return table.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
