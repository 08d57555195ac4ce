using System.Runtime.InteropServices;
using Microsoft.EntityFrameworkCore;
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
            record.ApiKeyId, record.UserId, record.Method, record.Route, record.Status);
        ref var sums = ref CollectionsMarshal.GetValueRefOrAddDefault(_hours, key, out _);
        (sums ??= new HourSums()).Add(record);
    }

    /// <summary>Adds the sums into their rows, inside the caller's transaction.</summary>
    public async Task WriteAsync(SwitchboardDbContext db, CancellationToken cancellationToken)
    {
        foreach (var (k, s) in _hours)
        {
            var h = s.Histogram;
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO api_usage_hourly (organization_id, hour, api_key_id, user_id, method, route, status, requests, latency_micros,
                    request_bytes, response_bytes, l0, l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12, l13)
                VALUES ({k.OrganizationId}, {k.Hour}, {k.ApiKeyId}, {k.UserId}, {k.Method}, {k.Route}, {k.Status}, {s.Requests}, {s.LatencyMicros},
                    {s.RequestBytes}, {s.ResponseBytes}, {h[0]}, {h[1]}, {h[2]}, {h[3]}, {h[4]}, {h[5]}, {h[6]}, {h[7]}, {h[8]}, {h[9]}, {h[10]}, {h[11]}, {h[12]}, {h[13]})
                ON CONFLICT (organization_id, hour, api_key_id, user_id, method, route, status) DO UPDATE SET
                    requests = api_usage_hourly.requests + excluded.requests,
                    latency_micros = api_usage_hourly.latency_micros + excluded.latency_micros,
                    request_bytes = api_usage_hourly.request_bytes + excluded.request_bytes,
                    response_bytes = api_usage_hourly.response_bytes + excluded.response_bytes,
                    l0 = api_usage_hourly.l0 + excluded.l0, l1 = api_usage_hourly.l1 + excluded.l1, l2 = api_usage_hourly.l2 + excluded.l2,
                    l3 = api_usage_hourly.l3 + excluded.l3, l4 = api_usage_hourly.l4 + excluded.l4, l5 = api_usage_hourly.l5 + excluded.l5,
                    l6 = api_usage_hourly.l6 + excluded.l6, l7 = api_usage_hourly.l7 + excluded.l7, l8 = api_usage_hourly.l8 + excluded.l8,
                    l9 = api_usage_hourly.l9 + excluded.l9, l10 = api_usage_hourly.l10 + excluded.l10, l11 = api_usage_hourly.l11 + excluded.l11,
                    l12 = api_usage_hourly.l12 + excluded.l12, l13 = api_usage_hourly.l13 + excluded.l13
                """, cancellationToken);
        }
    }

    private readonly record struct HourKey(string OrganizationId, DateTime Hour, string ApiKeyId, string UserId, string Method, string Route, int Status);

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
