using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Identity;
using Switchboard.Platform.Storage;

namespace Switchboard.Usage;

/// <summary>One API request as it was answered; kept for <see cref="Platform.UsageOptions.RawRetentionDays"/>.</summary>
public sealed class ApiRequestRecord : ITenantOwned
{
    /// <summary>Assigned by the database: the SQLite rowid, a PostgreSQL identity. Never shown to clients.</summary>
    public long Id { get; init; }
    public required string OrganizationId { get; init; }
    public string ApiKeyId { get; init; } = "";
    public string UserId { get; init; } = "";
    /// <summary>The OAuth app's client_id when an app made the request; empty otherwise.</summary>
    public string ClientId { get; init; } = "";
    public required string Method { get; init; }
    public required string Route { get; init; }
    public int Status { get; init; }
    public long LatencyMicros { get; init; }
    public long RequestBytes { get; init; }
    public long ResponseBytes { get; init; }
    /// <summary>The stored request id; a longer one is cut to <see cref="RequestIdMaxLength"/> characters.</summary>
    public string? RequestId { get; init; }
    public DateTime CreatedAt { get; init; }

    public const int RequestIdMaxLength = 128;
}

/// <summary>The credential a roll-up row counts: an API key, or an OAuth app (its client_id); empty for neither.</summary>
public interface IUsageCredential
{
    string ApiKeyId { get; }
    string ClientId { get; }
}

public static class UsageCredentialQueries
{
    /// <summary>The rows of one API key and/or one OAuth app; a null id does not filter.</summary>
    public static IQueryable<T> OfCredential<T>(this IQueryable<T> rows, string? apiKeyId, string? clientId) where T : IUsageCredential
    {
        if (apiKeyId is not null) rows = rows.Where(u => u.ApiKeyId == apiKeyId);
        if (clientId is not null) rows = rows.Where(u => u.ClientId == clientId);
        return rows;
    }
}

/// <summary>What every roll-up sums about its requests: how many, their latency (a sum and a histogram) and their bytes.</summary>
public abstract class UsageMeasures
{
    public long Requests { get; set; }
    public long LatencyMicros { get; set; }
    public long RequestBytes { get; set; }
    public long ResponseBytes { get; set; }
    /// <summary>Requests by latency: ≤1, ≤2, ≤5, ≤10, ≤20, ≤50, ≤100, ≤200, ≤500, ≤1000, ≤2000, ≤5000, ≤10000 ms, and more.</summary>
    public long L0 { get; set; }
    public long L1 { get; set; }
    public long L2 { get; set; }
    public long L3 { get; set; }
    public long L4 { get; set; }
    public long L5 { get; set; }
    public long L6 { get; set; }
    public long L7 { get; set; }
    public long L8 { get; set; }
    public long L9 { get; set; }
    public long L10 { get; set; }
    public long L11 { get; set; }
    public long L12 { get; set; }
    public long L13 { get; set; }
}

/// <summary>The endpoint and status a roll-up row counts; the usage summary's breakdowns group by them.</summary>
public interface IUsageEndpoint
{
    string Method { get; }
    string Route { get; }
    int Status { get; }
}

/// <summary>
/// A roll-up row: requests of one organization, credential, endpoint and status in a slot of time (an hour, a day), with
/// latency as a sum and a histogram. Every node adds into the same rows (<see cref="UsageRollup"/>).
/// </summary>
public abstract class UsageRollupRow : UsageMeasures, ITenantOwned, IUsageCredential, IUsageEndpoint
{
    public required string OrganizationId { get; init; }
    public string ApiKeyId { get; init; } = "";
    public string UserId { get; init; } = "";
    /// <summary>The OAuth app's client_id when an app made the requests; empty otherwise.</summary>
    public string ClientId { get; init; } = "";
    public required string Method { get; init; }
    public required string Route { get; init; }
    public int Status { get; init; }
}

/// <summary>
/// The requests of one organization, endpoint and status in a slot of time, whatever credential made them: the
/// organization's breakdown by endpoint and status is read from these, a row per endpoint and status instead of one per
/// credential, endpoint and status (a fifth of the rows with five keys). A filter by key or app reads <see cref="UsageRollupRow"/>s.
/// </summary>
public abstract class UsageEndpointRow : UsageMeasures, ITenantOwned, IUsageEndpoint
{
    public required string OrganizationId { get; init; }
    public required string Method { get; init; }
    public required string Route { get; init; }
    public int Status { get; init; }
}

/// <summary>Requests per organization, hour, endpoint and status (<see cref="UsageEndpointRow"/>).</summary>
public sealed class UsageEndpointHour : UsageEndpointRow
{
    public DateTime Hour { get; init; }
}

/// <summary>Requests per organization, day (UTC), endpoint and status (<see cref="UsageEndpointRow"/>).</summary>
public sealed class UsageEndpointDay : UsageEndpointRow
{
    public DateTime Day { get; init; }
}

/// <summary>
/// Requests per organization, hour, credential, endpoint and status: the finest roll-up, which the CSV export lists and
/// the usage summary reads for the hours of a period outside whole days. Every node adds into the same rows.
/// </summary>
public sealed class UsageHour : UsageRollupRow
{
    /// <summary>The hour a moment falls in (UTC): the roll-ups' key and the API's period bounds.</summary>
    public static DateTime HourOf(DateTime t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerHour, DateTimeKind.Utc);

    public DateTime Hour { get; init; }
}

/// <summary>
/// The same roll-up per day (UTC): the sum of the day's <see cref="UsageHour"/> rows, written by the same flush. A month
/// of usage is then read from thirty rows per credential, endpoint and status instead of 720: the usage summary of a
/// period reads whole days here and only the hours at its ends from <see cref="UsageHour"/>.
/// </summary>
public sealed class UsageDay : UsageRollupRow
{
    public DateTime Day { get; init; }
}

/// <summary>
/// The requests of one organization, hour and credential, whatever their endpoint and status: how many failed (4xx and
/// 5xx), their latency and bytes. The usage chart's bars, a period's totals and latency percentiles and its top keys
/// and apps are read from a row per hour and key or app instead of a row per hour, key, endpoint and status.
/// </summary>
public sealed class UsageHourTotal : UsageMeasures, ITenantOwned, IUsageCredential
{
    public required string OrganizationId { get; init; }
    public DateTime Hour { get; init; }
    public string ApiKeyId { get; init; } = "";
    public string ClientId { get; init; } = "";
    public long Failed { get; set; }
}

public static class LatencyHistogram
{
    /// <summary>Upper bounds (ms) of buckets L0..L12; L13 is everything slower.</summary>
    public static readonly double[] UpperBoundsMs = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

    /// <summary>How many buckets a histogram has: one per upper bound, and one for everything slower (L0..L13).</summary>
    public static int Buckets => UpperBoundsMs.Length + 1;

    public static int BucketOf(long micros)
    {
        var ms = micros / 1000.0;
        for (var i = 0; i < UpperBoundsMs.Length; i++) if (ms <= UpperBoundsMs[i]) return i;
        return UpperBoundsMs.Length;
    }

    /// <summary>
    /// The <paramref name="q"/> quantile, interpolated linearly inside its bucket. Its error is at most the bucket's
    /// width (e.g. a true p95 of 3 ms reads between 2 and 5 ms).
    /// </summary>
    public static double? Quantile(IReadOnlyList<long> buckets, double q)
    {
        var total = buckets.Sum();
        if (total == 0) return null;
        var rank = q * total;
        long cumulative = 0;
        for (var i = 0; i < buckets.Count; i++)
        {
            if (buckets[i] == 0) { continue; }
            if (cumulative + buckets[i] >= rank)
            {
                var low = i == 0 ? 0 : UpperBoundsMs[i - 1];
                var high = i < UpperBoundsMs.Length ? UpperBoundsMs[i] : UpperBoundsMs[^1] * 2;
                return Math.Round(low + (high - low) * ((rank - cumulative) / buckets[i]), 2);
            }
            cumulative += buckets[i];
        }
        return UpperBoundsMs[^1];
    }
}

internal sealed class ApiRequestRecordConfiguration : IEntityTypeConfiguration<ApiRequestRecord>
{
    public void Configure(EntityTypeBuilder<ApiRequestRecord> b)
    {
        b.ToTable("api_requests");
        // An integer key, so that a row is one B-tree append: on SQLite the rowid itself, without AUTOINCREMENT (which
        // would update sqlite_sequence once per statement, here once per row); on PostgreSQL an identity column.
        b.Property(x => x.Id).ValueGeneratedOnAdd().HasAnnotation("Sqlite:ValueGenerationStrategy", SqliteValueGenerationStrategy.None);
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.ApiKeyId).HasMaxLength(40);
        b.Property(x => x.UserId).HasMaxLength(40);
        b.Property(x => x.ClientId).HasMaxLength(64).HasDefaultValue("").ValueGeneratedNever(); // the default serves rows from before the column; every insert sends its value
        b.Property(x => x.Method).HasMaxLength(10);
        b.Property(x => x.Route).HasMaxLength(200);
        b.Property(x => x.RequestId).HasMaxLength(ApiRequestRecord.RequestIdMaxLength);
        b.HasIndex(x => x.CreatedAt); // the pruner's; nothing else reads raw rows (the usage API reads the roll-ups)
    }
}

internal sealed class UsageHourConfiguration : IEntityTypeConfiguration<UsageHour>
{
    public void Configure(EntityTypeBuilder<UsageHour> b)
    {
        b.ToTable("api_usage_hourly");
        b.HasKey(x => new { x.OrganizationId, x.Hour, x.ApiKeyId, x.UserId, x.ClientId, x.Method, x.Route, x.Status });
        UsageRollupColumns.Configure(b);
        b.Property(x => x.ClientId).HasDefaultValue("").ValueGeneratedNever(); // the default serves rows from before the column; every insert sends its value
        b.HasIndex(x => x.Hour);
    }
}

internal sealed class UsageDayConfiguration : IEntityTypeConfiguration<UsageDay>
{
    public void Configure(EntityTypeBuilder<UsageDay> b)
    {
        b.ToTable("api_usage_daily");
        b.HasKey(x => new { x.OrganizationId, x.Day, x.ApiKeyId, x.UserId, x.ClientId, x.Method, x.Route, x.Status });
        UsageRollupColumns.Configure(b);
        b.HasIndex(x => x.Day); // the pruner's
    }
}

internal sealed class UsageHourTotalConfiguration : IEntityTypeConfiguration<UsageHourTotal>
{
    public void Configure(EntityTypeBuilder<UsageHourTotal> b)
    {
        b.ToTable("api_usage_hourly_totals");
        b.HasKey(x => new { x.OrganizationId, x.Hour, x.ApiKeyId, x.ClientId });
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.ApiKeyId).HasMaxLength(40);
        b.Property(x => x.ClientId).HasMaxLength(64);
        b.HasIndex(x => x.Hour); // the pruner's
        b.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class UsageEndpointHourConfiguration : IEntityTypeConfiguration<UsageEndpointHour>
{
    public void Configure(EntityTypeBuilder<UsageEndpointHour> b)
    {
        b.ToTable("api_usage_hourly_endpoints");
        b.HasKey(x => new { x.OrganizationId, x.Hour, x.Method, x.Route, x.Status });
        UsageRollupColumns.ConfigureEndpoint(b);
        b.HasIndex(x => x.Hour); // the pruner's
    }
}

internal sealed class UsageEndpointDayConfiguration : IEntityTypeConfiguration<UsageEndpointDay>
{
    public void Configure(EntityTypeBuilder<UsageEndpointDay> b)
    {
        b.ToTable("api_usage_daily_endpoints");
        b.HasKey(x => new { x.OrganizationId, x.Day, x.Method, x.Route, x.Status });
        UsageRollupColumns.ConfigureEndpoint(b);
        b.HasIndex(x => x.Day); // the pruner's
    }
}

/// <summary>The columns the roll-up tables share, mapped the same way in each.</summary>
internal static class UsageRollupColumns
{
    public static void Configure<T>(EntityTypeBuilder<T> b) where T : UsageRollupRow
    {
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.ApiKeyId).HasMaxLength(40);
        b.Property(x => x.UserId).HasMaxLength(40);
        b.Property(x => x.ClientId).HasMaxLength(64);
        b.Property(x => x.Method).HasMaxLength(10);
        b.Property(x => x.Route).HasMaxLength(200);
        b.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }

    public static void ConfigureEndpoint<T>(EntityTypeBuilder<T> b) where T : UsageEndpointRow
    {
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.Method).HasMaxLength(10);
        b.Property(x => x.Route).HasMaxLength(200);
        b.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}
