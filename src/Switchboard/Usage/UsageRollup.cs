using System.Runtime.InteropServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Switchboard.Platform.Storage;

namespace Switchboard.Usage;

/// <summary>
/// A flush's roll-ups, summed as the batch is taken: one row per organization, hour, credential, route and status
/// (<see cref="UsageHour"/>), the same per day (<see cref="UsageDay"/>), the same per hour and per day without the
/// credential (<see cref="UsageEndpointHour"/>, <see cref="UsageEndpointDay"/>), and the requests and failures per
/// organization, hour and credential (<see cref="UsageHourTotal"/>). Each is added into its table by an additive upsert
/// (every node adds its counts into the same rows), in the flush's transaction, so they always agree.
/// </summary>
internal sealed class UsageRollup
{
    private readonly Dictionary<RowKey, Sums> _hours = [];
    private readonly Dictionary<RowKey, Sums> _days = [];
    private readonly Dictionary<EndpointKey, Sums> _endpointHours = [];
    private readonly Dictionary<EndpointKey, Sums> _endpointDays = [];
    private readonly Dictionary<TotalKey, Sums> _totals = [];

    public void Clear()
    {
        _hours.Clear();
        _days.Clear();
        _endpointHours.Clear();
        _endpointDays.Clear();
        _totals.Clear();
    }

    public void Add(in UsageRecord record)
    {
        var hour = UsageHour.HourOf(record.At);
        var key = new RowKey(record.OrganizationId, hour, record.ApiKeyId, record.UserId, record.ClientId, record.Method, record.Route, record.Status);
        var bucket = LatencyHistogram.BucketOf(record.LatencyMicros); // once for the five roll-ups
        ref var sums = ref CollectionsMarshal.GetValueRefOrAddDefault(_hours, key, out _);
        (sums ??= new Sums()).Add(record, bucket);
        ref var day = ref CollectionsMarshal.GetValueRefOrAddDefault(_days, key with { Slot = hour.Date }, out _);
        (day ??= new Sums()).Add(record, bucket);
        var endpoint = new EndpointKey(record.OrganizationId, hour, record.Method, record.Route, record.Status);
        ref var endpointHour = ref CollectionsMarshal.GetValueRefOrAddDefault(_endpointHours, endpoint, out _);
        (endpointHour ??= new Sums()).Add(record, bucket);
        ref var endpointDay = ref CollectionsMarshal.GetValueRefOrAddDefault(_endpointDays, endpoint with { Slot = hour.Date }, out _);
        (endpointDay ??= new Sums()).Add(record, bucket);
        ref var total = ref CollectionsMarshal.GetValueRefOrAddDefault(_totals, new TotalKey(record.OrganizationId, hour, record.ApiKeyId, record.ClientId), out _);
        (total ??= new Sums()).Add(record, bucket);
    }

    /// <summary>Adds the sums into their rows, inside the caller's transaction.</summary>
    public async Task WriteAsync(SwitchboardDbContext db, CancellationToken cancellationToken)
    {
        var hours = Upsert.For(db.Model, typeof(UsageHour));
        foreach (var (k, s) in _hours)
            await db.Database.ExecuteSqlRawAsync(hours.Sql, hours.Values(s.Fill(new UsageHour { OrganizationId = k.OrganizationId, Hour = k.Slot, ApiKeyId = k.ApiKeyId,
                UserId = k.UserId, ClientId = k.ClientId, Method = k.Method, Route = k.Route, Status = k.Status })), cancellationToken);
        var days = Upsert.For(db.Model, typeof(UsageDay));
        foreach (var (k, s) in _days)
            await db.Database.ExecuteSqlRawAsync(days.Sql, days.Values(s.Fill(new UsageDay { OrganizationId = k.OrganizationId, Day = k.Slot, ApiKeyId = k.ApiKeyId,
                UserId = k.UserId, ClientId = k.ClientId, Method = k.Method, Route = k.Route, Status = k.Status })), cancellationToken);
        var endpointHours = Upsert.For(db.Model, typeof(UsageEndpointHour));
        foreach (var (k, s) in _endpointHours)
            await db.Database.ExecuteSqlRawAsync(endpointHours.Sql, endpointHours.Values(s.Fill(new UsageEndpointHour { OrganizationId = k.OrganizationId, Hour = k.Slot,
                Method = k.Method, Route = k.Route, Status = k.Status })), cancellationToken);
        var endpointDays = Upsert.For(db.Model, typeof(UsageEndpointDay));
        foreach (var (k, s) in _endpointDays)
            await db.Database.ExecuteSqlRawAsync(endpointDays.Sql, endpointDays.Values(s.Fill(new UsageEndpointDay { OrganizationId = k.OrganizationId, Day = k.Slot,
                Method = k.Method, Route = k.Route, Status = k.Status })), cancellationToken);
        var totals = Upsert.For(db.Model, typeof(UsageHourTotal));
        foreach (var (k, s) in _totals)
            await db.Database.ExecuteSqlRawAsync(totals.Sql, totals.Values(s.Fill(new UsageHourTotal { OrganizationId = k.OrganizationId, Hour = k.Hour, ApiKeyId = k.ApiKeyId,
                ClientId = k.ClientId, Failed = s.Failed })), cancellationToken);
    }

    /// <summary>
    /// The additive upsert of a roll-up entity's row, from the EF model: every column inserted; on a key conflict, every
    /// column outside the key added to the stored value. The same SQL on SQLite and PostgreSQL.
    /// </summary>
    private sealed class Upsert
    {
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IModel, Dictionary<Type, Upsert>> Cache = new();
        private readonly IReadOnlyList<IProperty> _properties;

        private Upsert(IModel model, Type entity)
        {
            var rows = EntityRows.For(model, entity);
            _properties = rows.Properties;
            var key = model.FindEntityType(entity)!.FindPrimaryKey()!.Properties;
            var sums = _properties.Where(p => !key.Contains(p)).Select(p => rows.Column(p.Name));
            Sql = $"{rows.Insert(i => "{" + (i - 1) + "}")} ON CONFLICT ({rows.ColumnsOf([.. key.Select(p => p.Name)])}) DO UPDATE SET "
                + string.Join(", ", sums.Select(c => $"{c} = {rows.Table}.{c} + excluded.{c}"));
        }

        public static Upsert For(IModel model, Type entity)
        {
            var byType = Cache.GetValue(model, static _ => []);
            lock (byType)
            {
                if (!byType.TryGetValue(entity, out var upsert)) byType[entity] = upsert = new Upsert(model, entity);
                return upsert;
            }
        }

        public string Sql { get; }

        public object[] Values(object row) => [.. _properties.Select(p => p.GetGetter().GetClrValueUsingContainingEntity(row)!)];
    }

    /// <summary>A roll-up row's key: <see cref="Slot"/> is the hour, or the day.</summary>
    private readonly record struct RowKey(string OrganizationId, DateTime Slot, string ApiKeyId, string UserId, string ClientId, string Method, string Route, int Status);

    /// <summary>An endpoint roll-up row's key: <see cref="Slot"/> is the hour, or the day.</summary>
    private readonly record struct EndpointKey(string OrganizationId, DateTime Slot, string Method, string Route, int Status);

    private readonly record struct TotalKey(string OrganizationId, DateTime Hour, string ApiKeyId, string ClientId);

    private sealed class Sums
    {
        public readonly long[] Histogram = new long[LatencyHistogram.Buckets];
        public long Requests, Failed, LatencyMicros, RequestBytes, ResponseBytes;

        public void Add(in UsageRecord r, int bucket)
        {
            Histogram[bucket]++;
            Requests++;
            if (r.Status >= 400) Failed++;
            LatencyMicros += r.LatencyMicros;
            RequestBytes += r.RequestBytes;
            ResponseBytes += r.ResponseBytes;
        }

        public T Fill<T>(T row) where T : UsageMeasures
        {
            var h = Histogram;
            (row.Requests, row.LatencyMicros, row.RequestBytes, row.ResponseBytes) = (Requests, LatencyMicros, RequestBytes, ResponseBytes);
            (row.L0, row.L1, row.L2, row.L3, row.L4, row.L5, row.L6) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6]);
            (row.L7, row.L8, row.L9, row.L10, row.L11, row.L12, row.L13) = (h[7], h[8], h[9], h[10], h[11], h[12], h[13]);
            return row;
        }
    }
}
