using System.Runtime.InteropServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Switchboard.Platform.Storage;

namespace Switchboard.Usage;

/// <summary>
/// A flush's hourly roll-up, summed as the batch is taken: one row per organization, hour, credential, route and
/// status, added into <see cref="UsageHour"/>'s rows by an additive upsert (every node adds its counts into the same row).
/// </summary>
internal sealed class UsageRollup
{
    private readonly Dictionary<HourKey, HourSums> _hours = [];

    public void Clear() => _hours.Clear();

    public void Add(in UsageRecord record)
    {
        var key = new HourKey(record.OrganizationId, UsageHour.HourOf(record.At),
            record.ApiKeyId, record.UserId, record.ClientId, record.Method, record.Route, record.Status);
        ref var sums = ref CollectionsMarshal.GetValueRefOrAddDefault(_hours, key, out _);
        (sums ??= new HourSums()).Add(record);
    }

    /// <summary>Adds the sums into their rows, inside the caller's transaction.</summary>
    public async Task WriteAsync(SwitchboardDbContext db, CancellationToken cancellationToken)
    {
        var upsert = Upsert.For(db.Model);
        foreach (var (k, s) in _hours)
        {
            var h = s.Histogram;
            var row = new UsageHour
            {
                OrganizationId = k.OrganizationId, Hour = k.Hour, ApiKeyId = k.ApiKeyId, UserId = k.UserId, ClientId = k.ClientId, Method = k.Method, Route = k.Route,
                Status = k.Status, Requests = s.Requests, LatencyMicros = s.LatencyMicros, RequestBytes = s.RequestBytes, ResponseBytes = s.ResponseBytes,
                L0 = h[0], L1 = h[1], L2 = h[2], L3 = h[3], L4 = h[4], L5 = h[5], L6 = h[6], L7 = h[7], L8 = h[8], L9 = h[9], L10 = h[10], L11 = h[11],
                L12 = h[12], L13 = h[13],
            };
            await db.Database.ExecuteSqlRawAsync(upsert.Sql, upsert.Values(row), cancellationToken);
        }
    }

    /// <summary>
    /// The additive upsert of a <see cref="UsageHour"/> row, from the EF model: every column inserted; on a key conflict,
    /// every column outside the key added to the stored value. The same SQL on SQLite and PostgreSQL.
    /// </summary>
    private sealed class Upsert
    {
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IModel, Upsert> Cache = new();
        private readonly IReadOnlyList<IProperty> _properties;

        private Upsert(IModel model)
        {
            var rows = EntityRows.For(model, typeof(UsageHour));
            _properties = rows.Properties;
            var key = model.FindEntityType(typeof(UsageHour))!.FindPrimaryKey()!.Properties;
            var sums = _properties.Where(p => !key.Contains(p)).Select(p => rows.Column(p.Name));
            Sql = $"{rows.Insert(i => "{" + (i - 1) + "}")} ON CONFLICT ({rows.ColumnsOf([.. key.Select(p => p.Name)])}) DO UPDATE SET "
                + string.Join(", ", sums.Select(c => $"{c} = {rows.Table}.{c} + excluded.{c}"));
        }

        public static Upsert For(IModel model) => Cache.GetValue(model, static m => new Upsert(m));

        public string Sql { get; }

        public object[] Values(UsageHour row) => [.. _properties.Select(p => p.GetGetter().GetClrValueUsingContainingEntity(row)!)];
    }

    private readonly record struct HourKey(string OrganizationId, DateTime Hour, string ApiKeyId, string UserId, string ClientId, string Method, string Route, int Status);

    private sealed class HourSums
    {
        public readonly long[] Histogram = new long[LatencyHistogram.Buckets];
        public long Requests, LatencyMicros, RequestBytes, ResponseBytes;

        public void Add(in UsageRecord r)
        {
            Histogram[LatencyHistogram.BucketOf(r.LatencyMicros)]++;
            Requests++;
            LatencyMicros += r.LatencyMicros;
            RequestBytes += r.RequestBytes;
            ResponseBytes += r.ResponseBytes;
        }
    }
}
