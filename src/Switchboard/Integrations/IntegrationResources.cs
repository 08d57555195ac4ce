using System.Text.Json;
using Switchboard.Platform;
using Switchboard.Platform.Outbox;
using Switchboard.Platform.Resources;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations;

/// <summary>The data of the <c>integration.*</c> events about an installation.</summary>
public sealed record IntegrationEventData(string InstallationId, string Provider, string Name, string Status, string? Reason);

/// <summary>The data of <c>integration.sync_completed</c> and <c>integration.sync_failed</c>.</summary>
public sealed record IntegrationSyncEventData(string InstallationId, string Provider, string SyncRunId, string Model, string Status,
    int Added, int Updated, int Deleted, int Skipped, int Failed, string? Error);

/// <summary>
/// The data of <c>integration.provider_record_changed</c>: a record changed at the provider, as its webhook reported it
/// (QuickBooks' and Xero's name the entity, its id and the operation; the record itself is read from the provider).
/// <c>Entity</c> and <c>Operation</c> are the provider's words, lower case (<c>invoice</c>/<c>payment</c>/<c>contact</c>, …;
/// <c>create</c>/<c>update</c>, or QuickBooks' CloudEvents <c>created</c>/<c>updated</c>, …).
/// </summary>
public sealed record IntegrationProviderRecordData(string InstallationId, string Provider, string Account, string Entity, string EntityId, string Operation,
    DateTime? OccurredAt);

/// <summary>Installations, their rules, sync runs and the catalog's reviews, as <see cref="ResourceRegistry"/> knows them.</summary>
public static class IntegrationResources
{
    public const string AuthFailedEvent = "integration.auth_failed";
    public const string SyncCompletedEvent = "integration.sync_completed";
    public const string SyncFailedEvent = "integration.sync_failed";
    public const string ActionFailedEvent = "integration.action_failed";
    public const string ProviderRecordChangedEvent = "integration.provider_record_changed";

    public static readonly ApiResource Installations = new("integration")
    {
        IdPrefix = "ins", Scope = "integrations", ScopeSubject = "installed integrations, their rules and syncs", Collection = "integrations",
        IdFields = ["installationId"],
        Representations = [typeof(InstallationResponse)],
        Enumerations =
        [
            new("status", InstallationStatus.All) { Outputs = [typeof(InstallationResponse), typeof(InstallationHealthResponse), typeof(ConnectionTestResponse)] },
            new("category", Catalog.ProviderCategory.All) { Outputs = [typeof(ProviderInfo)] },
            new("kind", Catalog.ProviderAuthKind.All) { Outputs = [typeof(ProviderAuthInfo)] },
            new("direction", [Catalog.SyncDirection.Pull, Catalog.SyncDirection.Push, Catalog.SyncDirection.TwoWay]) { Outputs = [typeof(ProviderSyncInfo)] },
        ],
        Events =
        [
            new(AuthFailedEvent, "An installation's provider authorization failed (a refresh was refused); it needs to be connected again.", typeof(IntegrationEventData)),
            new(SyncCompletedEvent, "A sync run finished.", typeof(IntegrationSyncEventData)),
            new(SyncFailedEvent, "A sync run failed.", typeof(IntegrationSyncEventData)),
            new(ActionFailedEvent, "An integration action used up its retries and is now dead.", typeof(IntegrationEventData)),
            new(ProviderRecordChangedEvent, "A record changed at the provider, as its webhook reported (QuickBooks, Xero).", typeof(IntegrationProviderRecordData)),
        ],
    };

    /// <summary>An installation's rule: CRM events that run one of its provider's actions (a <see cref="Webhooks.WebhookEndpoint"/> of kind action).</summary>
    public static readonly ApiResource Rules = new("integration_rule") { IdPrefix = "rul", IdFields = ["ruleId"] };

    public static readonly ApiResource SyncRuns = new("integration_sync_run") { IdPrefix = "syr", IdFields = ["syncRunId"] };

    public static readonly ApiResource Reviews = new("provider_review") { IdPrefix = "rev", IdFields = ["reviewId"], Representations = [typeof(ReviewResponse)] };

    public static readonly ApiResource RecordLinks = new("integration_record_link") { IdPrefix = "lnk" };

    /// <summary>Adds an <c>integration.*</c> event to <paramref name="db"/>'s unit of work, to commit with the change it reports.</summary>
    public static OutboxEvent StageEvent(SwitchboardDbContext db, string type, string resourceId, object data, string organizationId, TimeProvider time)
    {
        var now = time.UtcNow();
        var evt = new OutboxEvent
        {
            Id = Ids.New(ResourceRegistry.Events, time), OrganizationId = organizationId, Type = type, ResourceType = Installations.Name,
            ResourceId = resourceId, Data = JsonSerializer.Serialize(data, data.GetType(), JsonSerializerOptions.Web), CreatedAt = now,
        };
        db.OutboxEvents.Add(evt);
        return evt;
    }
}
