using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Http;
using Switchboard.Platform.Idempotency;
using Switchboard.Platform.Outbox;
using Switchboard.Platform.Storage;

namespace Switchboard.Crm.Pipeline;

/// <summary>
/// Saves CRM changes with their change events. Events go into the outbox in the same transaction as the change, and
/// when the request holds an Idempotency-Key its response is recorded in that transaction too: a change, its events
/// and its replay commit together or not at all.
/// </summary>
public sealed class CrmWriter(SwitchboardDbContext db, TimeProvider time, IOptions<JsonOptions> json, Webhooks.WebhookSignals signals, PostgresDataSource postgres)
{
    private bool _recorded;
    private static readonly HashSet<string> Volatile = ["updatedAt"];
    public JsonSerializerOptions Json => json.Value.SerializerOptions;
    public SwitchboardDbContext Db => db;
    public DateTime Now { get; } = time.UtcNow();

    public string NewId(string prefix) => Ids.New(prefix, time);

    public JsonObject ToJson<T>(T value) => JsonSerializer.SerializeToNode(value, Json)!.AsObject();

    /// <summary>Adds an event to the unit of work. <paramref name="previous"/> is the record before an update.</summary>
    public OutboxEvent Record(string organizationId, string type, string resourceType, string resourceId, JsonObject data, JsonObject? previous = null)
    {
        var evt = new OutboxEvent
        {
            Id = Ids.New(Platform.Resources.ResourceRegistry.Events, time),
            OrganizationId = organizationId,
            Type = type,
            ResourceType = resourceType,
            ResourceId = resourceId,
            Data = data.ToJsonString(Json),
            PreviousAttributes = previous?.ToJsonString(Json),
            CreatedAt = Now,
        };
        db.OutboxEvents.Add(evt);
        _recorded = true;
        return evt;
    }

    /// <summary>The previous values of the fields that differ between two representations (Stripe's previous_attributes).</summary>
    public static JsonObject? Changes(JsonObject before, JsonObject after)
    {
        var changed = new JsonObject();
        foreach (var (name, old) in before)
        {
            if (Volatile.Contains(name)) continue;
            after.TryGetPropertyValue(name, out var now);
            if (!JsonNode.DeepEquals(old, now)) changed[name] = old?.DeepClone();
        }
        return changed.Count == 0 ? null : changed;
    }

    /// <summary>
    /// Commits the unit of work. With an Idempotency-Key, also records the response to be replayed, in the same transaction.
    /// </summary>
    public async Task SaveAsync(HttpContext http, int status, object? body, IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken)
    {
        var idempotency = http.Features.Get<IdempotencyFeature>();
        if (idempotency is null)
        {
            await SaveChangesAsync(cancellationToken);
            Committed();
            return;
        }
        var replayHeaders = new Dictionary<string, string>(headers ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (body is not null) replayHeaders["Content-Type"] = "application/json; charset=utf-8";
        var bytes = body is null ? [] : JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Json);
        if (db.Database.CurrentTransaction is not null)
        {
            // The caller runs its own transaction (and commits it); join it.
            await db.SaveChangesAsync(cancellationToken);
            await idempotency.CompleteWithinAsync(db, status, replayHeaders, bytes, cancellationToken);
            return;
        }
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await idempotency.CompleteWithinAsync(db, status, replayHeaders, bytes, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        Committed();
    }

    /// <summary>
    /// Saves the unit of work. On PostgreSQL, a unit of work that only inserts a few rows (a created record and its
    /// events) is sent without BEGIN and COMMIT, as one batch that PostgreSQL runs as one implicit transaction (see
    /// <see cref="PostgresGroupCommit"/>): one round trip and one commit instead of three round trips, and under load
    /// one commit for several requests' rows. The INSERTs are built by <see cref="PostgresInserts"/> (SQL made once per
    /// entity type) when it can store every entity as EF would; otherwise EF Core sends its commands as one batch
    /// (MinBatchSize 1) without a transaction of its own. Updates and deletes keep the explicit transaction: their
    /// optimistic-concurrency check happens after the batch ran, too late to undo an implicit transaction's events.
    /// </summary>
    private async Task SaveChangesAsync(CancellationToken cancellationToken)
    {
        if (postgres.GroupCommit is not { } group || db.Database.CurrentTransaction is not null)
        {
            await db.SaveChangesAsync(cancellationToken);
            return;
        }
        // Changes are detected once, for both the check below and SaveChanges (each would detect them again), and not at
        // all for a unit of work that only adds rows stored by PostgresInserts: an Added entry's values are read as it is
        // inserted. (Detecting them costs as much as the rest of the save for entities with JSON columns.)
        var tracker = db.ChangeTracker;
        var (autoDetect, autoTransaction) = (tracker.AutoDetectChangesEnabled, db.Database.AutoTransactionBehavior);
        tracker.AutoDetectChangesEnabled = false;
        try
        {
            var detected = false;
            if (!tracker.Entries().All(e => e.State == EntityState.Added))
            {
                tracker.DetectChanges();
                detected = true;
            }
            if (OnlyInserts(tracker) is { } added)
            {
                if (await PostgresInserts.TryInsertAsync(db, group, added)) return;
                db.Database.AutoTransactionBehavior = AutoTransactionBehavior.Never;
            }
            if (!detected) tracker.DetectChanges();
            await db.SaveChangesAsync(cancellationToken);
        }
        finally { (tracker.AutoDetectChangesEnabled, db.Database.AutoTransactionBehavior) = (autoDetect, autoTransaction); }
    }

    /// <summary>
    /// The pending entries when every pending change is an insert and there are few enough to fit one batch (changes
    /// already detected); otherwise null.
    /// </summary>
    private static List<Microsoft.EntityFrameworkCore.ChangeTracking.EntityEntry>? OnlyInserts(Microsoft.EntityFrameworkCore.ChangeTracking.ChangeTracker tracker)
    {
        List<Microsoft.EntityFrameworkCore.ChangeTracking.EntityEntry>? added = null;
        foreach (var entry in tracker.Entries())
        {
            if (entry.State == EntityState.Unchanged) continue;
            if (entry.State != EntityState.Added || (added ??= []).Count >= MaxImplicitBatch) return null;
            added.Add(entry);
        }
        return added;
    }

    /// <summary>Far below EF Core's batch size limit for PostgreSQL (1,000 commands), so the inserts are one batch.</summary>
    private const int MaxImplicitBatch = 100;

    /// <summary>Wakes the dispatcher once events are committed (in a caller's own transaction, at worst a poll later).</summary>
    private void Committed()
    {
        if (_recorded && db.Database.CurrentTransaction is null) signals.EventsCommitted();
    }

    /// <summary>Checks that every changed reference names a record of the caller's organization.</summary>
    public async Task<Dictionary<string, string[]>?> CheckReferencesAsync<TEntity>(
        IEnumerable<Reference<TEntity>> references, TEntity entity, Func<Reference<TEntity>, bool> changed, CancellationToken cancellationToken)
    {
        Dictionary<string, string[]>? errors = null;
        foreach (var reference in references)
        {
            if (!changed(reference) || reference.Read(entity) is not { } id) continue;
            if (!Ids.LooksValid(id, reference.Prefix) || !await reference.ExistsAsync(db, id, cancellationToken))
                (errors ??= [])[reference.Field] = [$"No {reference.Prefix}_ record with this id exists in your organization."];
        }
        return errors;
    }

    public static string ETagOf(CrmRecord record) => ETags.For(record.Id, record.Version, record.UpdatedAt);
}
