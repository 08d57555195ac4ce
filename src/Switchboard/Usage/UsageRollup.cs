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

    /// <summary>
    /// Adds the sums into their rows, inside the caller's transaction: one multi-row upsert per table (in chunks of at most
    /// <see cref="Upsert.MaxParameters"/> parameters), not one statement per row, so a flush costs a few round trips
    /// however many keys and routes were busy. Rows go in key order: two nodes adding into the same rows lock them in
    /// the same order, so their flushes cannot deadlock.
    /// </summary>
    public async Task WriteAsync(SwitchboardDbContext db, CancellationToken cancellationToken)
    {
        await Upsert.For(db.Model, typeof(UsageHour)).WriteAsync(db, _hours.OrderBy(e => e.Key, RowKey.Order).Select(e => e.Value.Fill(new UsageHour
        {
            OrganizationId = e.Key.OrganizationId, Hour = e.Key.Slot, ApiKeyId = e.Key.ApiKeyId, UserId = e.Key.UserId, ClientId = e.Key.ClientId,
            Method = e.Key.Method, Route = e.Key.Route, Status = e.Key.Status,
        })), cancellationToken);
        await Upsert.For(db.Model, typeof(UsageDay)).WriteAsync(db, _days.OrderBy(e => e.Key, RowKey.Order).Select(e => e.Value.Fill(new UsageDay
        {
            OrganizationId = e.Key.OrganizationId, Day = e.Key.Slot, ApiKeyId = e.Key.ApiKeyId, UserId = e.Key.UserId, ClientId = e.Key.ClientId,
            Method = e.Key.Method, Route = e.Key.Route, Status = e.Key.Status,
        })), cancellationToken);
        await Upsert.For(db.Model, typeof(UsageEndpointHour)).WriteAsync(db, _endpointHours.OrderBy(e => e.Key, EndpointKey.Order).Select(e => e.Value.Fill(
            new UsageEndpointHour { OrganizationId = e.Key.OrganizationId, Hour = e.Key.Slot, Method = e.Key.Method, Route = e.Key.Route, Status = e.Key.Status })),
            cancellationToken);
        await Upsert.For(db.Model, typeof(UsageEndpointDay)).WriteAsync(db, _endpointDays.OrderBy(e => e.Key, EndpointKey.Order).Select(e => e.Value.Fill(
            new UsageEndpointDay { OrganizationId = e.Key.OrganizationId, Day = e.Key.Slot, Method = e.Key.Method, Route = e.Key.Route, Status = e.Key.Status })),
            cancellationToken);
        await Upsert.For(db.Model, typeof(UsageHourTotal)).WriteAsync(db, _totals.OrderBy(e => e.Key, TotalKey.Order).Select(e => e.Value.Fill(
            new UsageHourTotal { OrganizationId = e.Key.OrganizationId, Hour = e.Key.Hour, ApiKeyId = e.Key.ApiKeyId, ClientId = e.Key.ClientId, Failed = e.Value.Failed })),
            cancellationToken);
    }

    /// <summary>
    /// The additive upsert of a roll-up entity's rows, from the EF model: every column inserted; on a key conflict, every
    /// column outside the key added to the stored value. The same SQL on SQLite and PostgreSQL.
    /// </summary>
    private sealed class Upsert
    {
        /// <summary>Parameters per statement: well under SQLite's 32,766 and PostgreSQL's 65,535.</summary>
        public const int MaxParameters = 10_000;

        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IModel, Dictionary<Type, Upsert>> Cache = new();
        private readonly IReadOnlyList<IProperty> _properties;
        private readonly EntityRows _rows;
        private readonly string _conflict;
        private readonly string _fullChunk;

        private Upsert(IModel model, Type entity)
        {
            _rows = EntityRows.For(model, entity);
            _properties = _rows.Properties;
            var key = model.FindEntityType(entity)!.FindPrimaryKey()!.Properties;
            var sums = _properties.Where(p => !key.Contains(p)).Select(p => _rows.Column(p.Name));
            _conflict = $" ON CONFLICT ({_rows.ColumnsOf([.. key.Select(p => p.Name)])}) DO UPDATE SET "
                + string.Join(", ", sums.Select(c => $"{c} = {_rows.Table}.{c} + excluded.{c}"));
            ChunkRows = Math.Max(1, MaxParameters / _properties.Count);
            _fullChunk = Sql(ChunkRows);
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

        public int ChunkRows { get; }

        private string Sql(int rows) => _rows.Insert(i => "{" + (i - 1) + "}", rows) + _conflict;

        public async Task WriteAsync(SwitchboardDbContext db, IEnumerable<object> rows, CancellationToken cancellationToken)
        {
            var values = new List<object>(ChunkRows * _properties.Count);
            var count = 0;
            foreach (var row in rows)
            {
                foreach (var p in _properties) values.Add(p.GetGetter().GetClrValueUsingContainingEntity(row)!);
                if (++count < ChunkRows) continue;
                await db.Database.ExecuteSqlRawAsync(_fullChunk, values, cancellationToken);
                (values, count) = (new List<object>(ChunkRows * _properties.Count), 0);
            }
            if (count > 0) await db.Database.ExecuteSqlRawAsync(Sql(count), values, cancellationToken);
        }
    }

    /// <summary>A roll-up row's key: <see cref="Slot"/> is the hour, or the day.</summary>
    private readonly record struct RowKey(string OrganizationId, DateTime Slot, string ApiKeyId, string UserId, string ClientId, string Method, string Route, int Status)
    {
        public static readonly IComparer<RowKey> Order = Comparer<RowKey>.Create(static (a, b) =>
        {
            var c = string.CompareOrdinal(a.OrganizationId, b.OrganizationId);
            if (c == 0) c = a.Slot.CompareTo(b.Slot);
            if (c == 0) c = string.CompareOrdinal(a.ApiKeyId, b.ApiKeyId);
            if (c == 0) c = string.CompareOrdinal(a.UserId, b.UserId);
            if (c == 0) c = string.CompareOrdinal(a.ClientId, b.ClientId);
            if (c == 0) c = string.CompareOrdinal(a.Method, b.Method);
            if (c == 0) c = string.CompareOrdinal(a.Route, b.Route);
            return c != 0 ? c : a.Status.CompareTo(b.Status);
        });
    }

    /// <summary>An endpoint roll-up row's key: <see cref="Slot"/> is the hour, or the day.</summary>
    private readonly record struct EndpointKey(string OrganizationId, DateTime Slot, string Method, string Route, int Status)
    {
        public static readonly IComparer<EndpointKey> Order = Comparer<EndpointKey>.Create(static (a, b) =>
        {
            var c = string.CompareOrdinal(a.OrganizationId, b.OrganizationId);
            if (c == 0) c = a.Slot.CompareTo(b.Slot);
            if (c == 0) c = string.CompareOrdinal(a.Method, b.Method);
            if (c == 0) c = string.CompareOrdinal(a.Route, b.Route);
            return c != 0 ? c : a.Status.CompareTo(b.Status);
        });
    }

    private readonly record struct TotalKey(string OrganizationId, DateTime Hour, string ApiKeyId, string ClientId)
    {
        public static readonly IComparer<TotalKey> Order = Comparer<TotalKey>.Create(static (a, b) =>
        {
            var c = string.CompareOrdinal(a.OrganizationId, b.OrganizationId);
            if (c == 0) c = a.Hour.CompareTo(b.Hour);
            if (c == 0) c = string.CompareOrdinal(a.ApiKeyId, b.ApiKeyId);
            return c != 0 ? c : string.CompareOrdinal(a.ClientId, b.ClientId);
        });
    }

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
