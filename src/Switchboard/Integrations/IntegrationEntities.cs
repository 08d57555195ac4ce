using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Identity;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations;

public static class InstallationStatus
{
    public const string PendingAuth = "pending_auth", Active = "active", Error = "error", NeedsReauth = "needs_reauth", Disabled = "disabled";
    public static readonly IReadOnlyList<string> All = [PendingAuth, Active, Error, NeedsReauth, Disabled];
}

/// <summary>
/// One organization's install of one provider. Its configuration (the schema's plain fields) is stored as JSON; the
/// fields the provider's schema marks <c>writeOnly</c> (API keys, webhook URLs, signing secrets) and the OAuth tokens
/// are encrypted with the <see cref="Platform.Security.SecretProtector"/> under purposes bound to the installation's id
/// (<see cref="IntegrationSecrets"/>), and never returned.
/// </summary>
public sealed class IntegrationInstallation : ITenantOwned
{
    public required string Id { get; init; }
    public required string OrganizationId { get; init; }
    public required string ProviderKey { get; init; }
    public required string Name { get; set; }
    /// <summary>The configuration's non-secret fields, as a JSON object.</summary>
    public string Config { get; set; } = "{}";
    /// <summary>The configuration's secret fields, as an encrypted JSON object.</summary>
    public string? CredentialsEncrypted { get; set; }
    /// <summary>The provider's OAuth tokens (<see cref="Connectors.ProviderTokens"/>), encrypted.</summary>
    public string? TokensEncrypted { get; set; }
    /// <summary>When the access token expires (a plain copy, for the background refresher's query).</summary>
    public DateTime? TokenExpiresAt { get; set; }
    /// <summary>Bumped at every token write: a node that waited on another's refresh re-reads until it changes.</summary>
    public int TokenVersion { get; set; }
    /// <summary>While in the future, one node is refreshing the tokens and the others wait (a lease, so a dead node only delays).</summary>
    public DateTime? RefreshLeaseUntil { get; set; }
    public string Status { get; set; } = InstallationStatus.PendingAuth;
    public string? StatusReason { get; set; }
    /// <summary>
    /// The provider's own id of the account the installation is connected to (QuickBooks' realm id, Xero's tenant id):
    /// set when a connection completes, from the connector's answer under <see cref="Connectors.Connector.ProviderAccountExtra"/>.
    /// A plain copy, so a provider's app-wide webhook (one URL for every company) finds the installations it names.
    /// </summary>
    public string? ProviderAccountId { get; set; }
    public string? InstalledByUserId { get; init; }
    /// <summary>At most this many actions per second for this installation, across all nodes; null is the provider's default.</summary>
    public int? MaxActionsPerSecond { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? LastSuccessAt { get; set; }
    public DateTime? LastFailureAt { get; set; }
    public string? LastError { get; set; }
    public int ConsecutiveFailures { get; set; }
}

public static class SyncRunStatus
{
    public const string Queued = "queued", Running = "running", Succeeded = "succeeded", Failed = "failed", Cancelled = "cancelled";
}

/// <summary>
/// One run of one sync model of an installation: durable, so a run whose node dies is resumed by another from
/// <see cref="Checkpoint"/> once its lease runs out, and its counts survive.
/// </summary>
public sealed class IntegrationSyncRun : ITenantOwned
{
    public required string Id { get; init; }
    public required string OrganizationId { get; init; }
    public required string InstallationId { get; init; }
    public required string Model { get; init; }
    /// <summary><c>manual</c> or <c>scheduled</c>.</summary>
    public required string Trigger { get; init; }
    public string Status { get; set; } = SyncRunStatus.Queued;
    public int Added { get; set; }
    public int Updated { get; set; }
    public int Deleted { get; set; }
    public int Skipped { get; set; }
    public int Failed { get; set; }
    /// <summary>The first errors met, as a JSON array of strings.</summary>
    public string? Errors { get; set; }
    /// <summary>The cursor the run started from (the previous run's high-water mark).</summary>
    public string? StartCursor { get; set; }
    /// <summary>How far the run has got: committed with each page's records, so a resumed run goes on from here.</summary>
    public string? Checkpoint { get; set; }
    /// <summary>A node's lease on the run; renewed after every page.</summary>
    public DateTime? LeasedUntil { get; set; }
    public int Attempts { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
}

/// <summary>Per installation and sync model: where the next incremental run starts, and when the next scheduled run is due.</summary>
public sealed class IntegrationSyncState : ITenantOwned
{
    public required string InstallationId { get; init; }
    public required string Model { get; init; }
    public required string OrganizationId { get; init; }
    /// <summary>The high-water mark of the last successful run (the provider's modified-since time or cursor).</summary>
    public string? Cursor { get; set; }
    public int IntervalSeconds { get; set; }
    public DateTime? NextRunAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>
/// The local↔remote id map of one installation and model: which CRM record a provider's record is, and what each side
/// looked like when the sync last wrote it (times and a fingerprint of the synced fields), so a later run tells a real
/// change from the echo of its own write and resolves a conflict by modification time.
/// </summary>
public sealed class IntegrationRecordLink : ITenantOwned
{
    public required string Id { get; init; }
    public required string OrganizationId { get; init; }
    public required string InstallationId { get; init; }
    public required string Model { get; init; }
    public required string LocalId { get; set; }
    public required string RemoteId { get; set; }
    /// <summary>The local record's <c>updatedAt</c> when the sync last read or wrote it.</summary>
    public DateTime? LocalUpdatedAt { get; set; }
    /// <summary>The remote record's modification time when the sync last read or wrote it.</summary>
    public DateTime? RemoteUpdatedAt { get; set; }
    /// <summary>SHA-256 (hex) of the synced fields as last written to either side.</summary>
    public string? Fingerprint { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>
/// A user's rating of a provider: one per user and provider, 1 to 5 stars and a text. Reviews are the marketplace's,
/// shown to every organization of this deployment without the author's name, email or organization.
/// </summary>
public sealed class ProviderReview
{
    public required string Id { get; init; }
    public required string ProviderKey { get; init; }
    public required string UserId { get; init; }
    public required string OrganizationId { get; init; }
    public int Rating { get; set; }
    public string? Text { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }
}

internal sealed class IntegrationInstallationConfiguration : IEntityTypeConfiguration<IntegrationInstallation>
{
    public void Configure(EntityTypeBuilder<IntegrationInstallation> b)
    {
        b.ToTable("integration_installations");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.ProviderKey).HasMaxLength(60);
        b.Property(x => x.Name).HasMaxLength(200);
        b.Property(x => x.Config).HasMaxLength(20_000);
        b.Property(x => x.CredentialsEncrypted).HasMaxLength(20_000);
        b.Property(x => x.TokensEncrypted).HasMaxLength(20_000);
        b.Property(x => x.Status).HasMaxLength(20);
        b.Property(x => x.StatusReason).HasMaxLength(1000);
        b.Property(x => x.ProviderAccountId).HasMaxLength(100);
        b.Property(x => x.InstalledByUserId).HasMaxLength(40);
        b.Property(x => x.LastError).HasMaxLength(1000);
        b.HasIndex(x => new { x.OrganizationId, x.Id });
        // The background refresher's query: tokens close to expiry.
        b.HasIndex(x => x.TokenExpiresAt).HasFilter("token_expires_at IS NOT NULL");
        // A provider's app-wide webhook: the installations connected to the account an event names, in every organization.
        b.HasIndex(x => new { x.ProviderKey, x.ProviderAccountId }).HasFilter("provider_account_id IS NOT NULL");
        b.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class IntegrationSyncRunConfiguration : IEntityTypeConfiguration<IntegrationSyncRun>
{
    public void Configure(EntityTypeBuilder<IntegrationSyncRun> b)
    {
        b.ToTable("integration_sync_runs");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.InstallationId).HasMaxLength(40);
        b.Property(x => x.Model).HasMaxLength(40);
        b.Property(x => x.Trigger).HasMaxLength(20);
        b.Property(x => x.Status).HasMaxLength(20);
        b.Property(x => x.Errors).HasMaxLength(20_000);
        b.Property(x => x.StartCursor).HasMaxLength(4000);
        b.Property(x => x.Checkpoint).HasMaxLength(4000);
        b.HasIndex(x => new { x.InstallationId, x.Id });
        // The runner's queue: runs not finished, in creation order.
        b.HasIndex(x => x.CreatedAt).HasFilter("status IN ('queued', 'running')");
        b.HasOne<IntegrationInstallation>().WithMany().HasForeignKey(x => x.InstallationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class IntegrationSyncStateConfiguration : IEntityTypeConfiguration<IntegrationSyncState>
{
    public void Configure(EntityTypeBuilder<IntegrationSyncState> b)
    {
        b.ToTable("integration_sync_states");
        b.HasKey(x => new { x.InstallationId, x.Model });
        b.Property(x => x.InstallationId).HasMaxLength(40);
        b.Property(x => x.Model).HasMaxLength(40);
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.Cursor).HasMaxLength(4000);
        b.HasIndex(x => x.NextRunAt).HasFilter("next_run_at IS NOT NULL");
        b.HasOne<IntegrationInstallation>().WithMany().HasForeignKey(x => x.InstallationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class IntegrationRecordLinkConfiguration : IEntityTypeConfiguration<IntegrationRecordLink>
{
    public void Configure(EntityTypeBuilder<IntegrationRecordLink> b)
    {
        b.ToTable("integration_record_links");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.InstallationId).HasMaxLength(40);
        b.Property(x => x.Model).HasMaxLength(40);
        b.Property(x => x.LocalId).HasMaxLength(40);
        b.Property(x => x.RemoteId).HasMaxLength(200);
        b.Property(x => x.Fingerprint).HasMaxLength(64);
        // One link per record on each side: a resumed run that meets a record again updates its link, never adds one.
        b.HasIndex(x => new { x.InstallationId, x.Model, x.RemoteId }).IsUnique();
        b.HasIndex(x => new { x.InstallationId, x.Model, x.LocalId }).IsUnique();
        b.HasOne<IntegrationInstallation>().WithMany().HasForeignKey(x => x.InstallationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ProviderReviewConfiguration : IEntityTypeConfiguration<ProviderReview>
{
    public void Configure(EntityTypeBuilder<ProviderReview> b)
    {
        b.ToTable("provider_reviews");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.ProviderKey).HasMaxLength(60);
        b.Property(x => x.UserId).HasMaxLength(40);
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.Text).HasMaxLength(2000);
        b.HasIndex(x => new { x.ProviderKey, x.UserId }).IsUnique();
        b.HasIndex(x => new { x.ProviderKey, x.Id });
        b.HasOne<User>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
