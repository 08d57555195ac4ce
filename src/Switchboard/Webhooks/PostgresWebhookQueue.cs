using Npgsql;
using NpgsqlTypes;
using Switchboard.Platform;
using Switchboard.Platform.Outbox;
using Switchboard.Platform.Storage;

namespace Switchboard.Webhooks;

/// <summary>
/// The webhook engine's hot queue work on PostgreSQL, in as few round trips as the work allows, on the relaxed data
/// source (<c>synchronous_commit = off</c>: a commit lost in a database crash means an event dispatched again or a
/// delivery sent again, never one lost). <see cref="SqliteWebhookQueue"/> does the same work with more statements; the
/// webhook tests run on both. Several nodes share one queue: claims and leases skip the rows another node holds.
/// </summary>
public sealed class PostgresWebhookQueue(NpgsqlDataSource dataSource, IServiceScopeFactory scopes, DeliveryBookkeeping bookkeeping, TimeProvider time)
    : IWebhookQueue
{
    // One statement claims the batch and reads its organizations' active endpoints. The CTE is evaluated once, so the
    // endpoints read are exactly those of the claimed events' organizations; SKIP LOCKED lets several nodes claim side
    // by side. Endpoint rows carry only what fan-out needs (an action rule's filter in the data column, null for webhooks).
    private const string Claim =
        "WITH ev AS (SELECT id, organization_id, type, data, previous_attributes, created_at, trace_parent, trace_state FROM outbox_events " +
        "WHERE dispatched_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) " +
        "SELECT TRUE, id, organization_id, type, data, previous_attributes, created_at, trace_parent, trace_state FROM ev " +
        "UNION ALL SELECT FALSE, w.id, w.organization_id, w.events, w.filter, NULL, NULL, NULL, NULL FROM webhook_endpoints w " +
        "WHERE w.is_active AND w.organization_id IN (SELECT organization_id FROM ev)";

    /// <summary>
    /// The queue statements look rows up by arrays of ids. Npgsql keeps them prepared, and after five executions
    /// PostgreSQL may switch a prepared statement to a generic plan, made once and kept until the table is next
    /// analyzed: planned while a table is small, that plan is a sequential scan (or a hash join over one), and it stays
    /// one as the table grows. Measured: <c>UPDATE outbox_events ... WHERE id = ANY($1)</c> scanning every event ever
    /// written (9,000 rows and counting) on each dispatch. Forcing custom plans fixed that but cost a planning per
    /// execution (~0.1 ms of PostgreSQL CPU per event); ruling out sequential scans, hash and merge joins for these
    /// transactions makes every plan, generic or not, the index lookups they are meant to be, planned once.
    /// </summary>
    private const string IndexPlans =
        "SELECT set_config('enable_seqscan', 'off', true), set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)";

    // The deliveries are born leased to this node ($8): it sends them at once, handed over in memory, and no node leases
    // them meanwhile. Should this node die first, the lease runs out and any node takes them, as with any lease.
    private const string InsertDeliveries =
        "INSERT INTO webhook_deliveries (id, organization_id, endpoint_id, event_id, event_type, payload, status, attempts, " +
        "next_attempt_at, locked_until, created_at, updated_at, trace_parent, trace_state) " +
        "SELECT d.id, d.organization_id, d.endpoint_id, d.event_id, d.event_type, d.payload, 'pending', 0, $7, $8::timestamptz, $7, $7, " +
        "d.trace_parent, d.trace_state " +
        "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $9::text[], $10::text[]) " +
        "AS d(id, organization_id, endpoint_id, event_id, event_type, payload, trace_parent, trace_state)";

    private const string MarkDispatched = "UPDATE outbox_events SET dispatched_at = $2 WHERE id = ANY($1)";

    /// <summary>
    /// Fans out one batch of undispatched events to deliveries, one per active endpoint of the event's organization
    /// subscribed to its type, and marks the events dispatched, in one transaction of two round trips. With
    /// <paramref name="leasedUntil"/>, the deliveries are created leased until then and answered, for this node to send
    /// them at once; without, they are created unleased and none are answered.
    /// </summary>
    public async Task<(int Events, List<WebhookDelivery> Deliveries)> DispatchAsync(int batch, DateTime now, DateTime? leasedUntil,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var (events, endpoints) = await ClaimAsync(connection, batch, cancellationToken);
            await using var write = new NpgsqlBatch(connection);
            var deliveries = WebhookDeliveries.FanOut(events, endpoints, now, leasedUntil);
            if (deliveries.Count > 0)
                write.BatchCommands.Add(Command(InsertDeliveries, Column(deliveries, d => d.Id), Column(deliveries, d => d.OrganizationId),
                    Column(deliveries, d => d.EndpointId), Column(deliveries, d => d.EventId), Column(deliveries, d => d.EventType),
                    Column(deliveries, d => d.Payload), now, (object?)leasedUntil ?? DBNull.Value,
                    NullableColumn(deliveries, d => d.TraceParent), NullableColumn(deliveries, d => d.TraceState)));
            if (events.Count > 0) write.BatchCommands.Add(Command(MarkDispatched, events.Select(e => e.Id).ToArray(), now));
            write.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
            await write.ExecuteNonQueryAsync(cancellationToken);
            return (events.Count, leasedUntil is null ? [] : deliveries);
        }
        catch when (connection.State == System.Data.ConnectionState.Open)
        {
            await RollBackAsync(connection);
            throw;
        }
    }

    private static async Task<(List<OutboxEvent> Events, List<WebhookDeliveries.Subscription> Endpoints)> ClaimAsync(
        NpgsqlConnection connection, int batch, CancellationToken cancellationToken)
    {
        var events = new List<OutboxEvent>();
        var endpoints = new List<WebhookDeliveries.Subscription>();
        await using var claim = new NpgsqlBatch(connection);
        claim.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
        claim.BatchCommands.Add(new NpgsqlBatchCommand(IndexPlans));
        claim.BatchCommands.Add(Command(Claim, batch));
        await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken); // past the settings' row, to the claim's
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.GetBoolean(0))
                events.Add(new OutboxEvent
                {
                    Id = reader.GetString(1), OrganizationId = reader.GetString(2), Type = reader.GetString(3), Data = reader.GetString(4),
                    PreviousAttributes = reader.IsDBNull(5) ? null : reader.GetString(5), CreatedAt = reader.GetDateTime(6),
                    TraceParent = reader.IsDBNull(7) ? null : reader.GetString(7), TraceState = reader.IsDBNull(8) ? null : reader.GetString(8),
                });
            else
                endpoints.Add(new(reader.GetString(1), reader.GetString(2), StringListColumn.Split(reader.GetString(3)), reader.IsDBNull(4) ? null : reader.GetString(4)));
        }
        return (events, endpoints);
    }

    private static string[] Column(List<WebhookDelivery> deliveries, Func<WebhookDelivery, string> value) => deliveries.Select(value).ToArray();

    private static string?[] NullableColumn(List<WebhookDelivery> deliveries, Func<WebhookDelivery, string?> value) => deliveries.Select(value).ToArray();

    /// <summary>
    /// Leases up to <paramref name="count"/> due deliveries until <paramref name="until"/> (<see cref="WebhookDeliveries.LeaseSql"/>),
    /// read without EF Core's query pipeline (<see cref="EntityRows"/>).
    /// </summary>
    public async Task<List<WebhookDelivery>> LeaseAsync(int count, DateTime now, DateTime until, CancellationToken cancellationToken)
    {
        var rows = EntityRows.For(Model, typeof(WebhookDelivery));
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            WebhookDeliveries.LeaseSql(until: "$1", now: "$2", count: "$3", skipLocked: true, returning: rows.Columns), connection);
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = until });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = count });
        return await ReadAllAsync(command.ExecuteReaderAsync(cancellationToken), rows.Materialize<WebhookDelivery>(), cancellationToken);
    }

    /// <summary>The endpoints of <paramref name="ids"/> (any organization's: the deliveries leased name them).</summary>
    public async Task<List<WebhookEndpoint>> EndpointsAsync(string[] ids, CancellationToken cancellationToken)
    {
        var rows = EntityRows.For(Model, typeof(WebhookEndpoint));
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(IndexPlans)); // one implicit transaction with the read below
        batch.BatchCommands.Add(Command($"SELECT {rows.Columns} FROM {rows.Table} WHERE id = ANY($1)", (object)ids));
        return await ReadAllAsync(batch.ExecuteReaderAsync(cancellationToken), rows.Materialize<WebhookEndpoint>(), cancellationToken, skipResults: 1);
    }

    private static async Task<List<T>> ReadAllAsync<T>(Task<NpgsqlDataReader> reading, Func<System.Data.Common.DbDataReader, T> materialize,
        CancellationToken cancellationToken, int skipResults = 0)
    {
        await using var reader = await reading;
        for (var i = 0; i < skipResults; i++) await reader.NextResultAsync(cancellationToken);
        var list = new List<T>();
        while (await reader.ReadAsync(cancellationToken)) list.Add(materialize(reader));
        return list;
    }

    // Statements see the earlier statements' changes in the same transaction, so the attempt row takes the attempt
    // number the first statement just counted. Deliveries deleted meanwhile (with their endpoint) match no row and
    // get no attempt row. The endpoint's last success only moves forward (another node may have recorded a later one).
    private const string MarkSucceeded =
        "UPDATE webhook_deliveries d SET status = 'succeeded', attempts = d.attempts + 1, completed_at = u.at, updated_at = u.at, " +
        "last_status_code = u.code, last_error = NULL, locked_until = NULL " +
        "FROM unnest($1::text[], $2::timestamptz[], $3::int[]) AS u(id, at, code) WHERE d.id = u.id";

    private const string InsertAttempts =
        "INSERT INTO webhook_attempts (id, organization_id, delivery_id, endpoint_id, attempt, attempted_at, status_code, latency_ms, response_body) " +
        "SELECT u.attempt_id, d.organization_id, d.id, d.endpoint_id, d.attempts, u.at, u.code, u.latency, u.body " +
        "FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::int[], $5::bigint[], $6::text[]) AS u(id, attempt_id, at, code, latency, body) " +
        "JOIN webhook_deliveries d ON d.id = u.id";

    private const string EndpointsSucceeded =
        "UPDATE webhook_endpoints e SET last_success_at = GREATEST(e.last_success_at, u.at), failing_since = NULL " +
        "FROM (SELECT id, max(at) AS at FROM unnest($1::text[], $2::timestamptz[]) AS x(id, at) GROUP BY id) u WHERE e.id = u.id";

    // An action rule's success is its installation's too; sent only when the batch holds actions, so webhooks pay nothing.
    private const string InstallationsSucceeded =
        "UPDATE integration_installations i SET last_success_at = GREATEST(i.last_success_at, u.at), consecutive_failures = 0 " +
        "FROM (SELECT id, max(at) AS at FROM unnest($1::text[], $2::timestamptz[]) AS x(id, at) GROUP BY id) u WHERE i.id = u.id";

    /// <summary>
    /// Records a batch. The usual one, every delivery accepted, in one round trip (<see cref="RecordSuccessesAsync"/>);
    /// any other (a failure, a deferral) through the full bookkeeping, committed relaxed like the rest of the queue's work.
    /// </summary>
    public Task RecordAsync(IReadOnlyList<DeliveryOutcome> outcomes, CancellationToken cancellationToken) =>
        outcomes.All(o => o.Accepted) ? RecordSuccessesAsync(outcomes, cancellationToken)
            : bookkeeping.RecordAsync(outcomes, RelaxedCommit, cancellationToken);

    /// <summary>
    /// The bookkeeping's transactions go through EF Core's (durable) connections: this makes them commit without waiting
    /// for the WAL flush, as the relaxed data source's do. Safe for at-least-once: a commit lost in a database crash
    /// leaves the delivery pending, so it is sent again, never lost.
    /// </summary>
    private const string RelaxedCommit = "SET LOCAL synchronous_commit = off";

    public Task PruneAsync(DateTime cutoff, CancellationToken cancellationToken) => bookkeeping.PruneAsync(cutoff, cancellationToken);

    /// <summary>
    /// Records a batch of accepted deliveries (done, attempt logged, endpoint healthy) in one transaction sent as one
    /// batch: one round trip.
    /// </summary>
    private async Task RecordSuccessesAsync(IReadOnlyList<DeliveryOutcome> successes, CancellationToken cancellationToken)
    {
        var ids = new string[successes.Count];
        var attemptIds = new string[successes.Count];
        var endpointIds = new string[successes.Count];
        var at = new DateTime[successes.Count];
        var codes = new int[successes.Count];
        var latencies = new long[successes.Count];
        var bodies = new string?[successes.Count];
        for (var i = 0; i < successes.Count; i++)
        {
            var s = successes[i];
            (ids[i], attemptIds[i], endpointIds[i], at[i], codes[i], latencies[i], bodies[i]) =
                (s.Delivery.Id, Ids.New("att", time), s.Delivery.EndpointId, s.At, s.Status!.Value, s.LatencyMs, s.Body);
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand(IndexPlans));
        batch.BatchCommands.Add(Command(MarkSucceeded, ids, at, codes));
        batch.BatchCommands.Add(Command(InsertAttempts, ids, attemptIds, at, codes, latencies, bodies));
        batch.BatchCommands.Add(Command(EndpointsSucceeded, endpointIds, at));
        if (successes.Any(s => s.Endpoint?.Kind == EndpointKind.Action && s.Endpoint.InstallationId is not null))
        {
            var actions = successes.Where(s => s.Endpoint?.Kind == EndpointKind.Action && s.Endpoint.InstallationId is not null).ToList();
            batch.BatchCommands.Add(Command(InstallationsSucceeded, actions.Select(a => a.Endpoint!.InstallationId!).ToArray(), actions.Select(a => a.At).ToArray()));
        }
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        catch when (connection.State == System.Data.ConnectionState.Open)
        {
            await RollBackAsync(connection);
            throw;
        }
    }

    /// <summary>The EF model, for the reads that materialize entities without EF Core's query pipeline (<see cref="EntityRows"/>).</summary>
    private Microsoft.EntityFrameworkCore.Metadata.IModel Model => _model ??= ReadModel();
    private Microsoft.EntityFrameworkCore.Metadata.IModel? _model;

    private Microsoft.EntityFrameworkCore.Metadata.IModel ReadModel()
    {
        using var scope = scopes.CreateScope();
        return scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>().Model;
    }

    /// <summary>A failed statement leaves the transaction aborted: it is ended before the connection goes back to the pool.</summary>
    private static async Task RollBackAsync(NpgsqlConnection connection)
    {
        try
        {
            await using var rollback = new NpgsqlCommand("ROLLBACK", connection);
            await rollback.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException) { /* the connection is broken; the pool discards it */ }
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
            command.Parameters.Add(value is string?[] texts
                ? new NpgsqlParameter { Value = texts, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text }
                : new NpgsqlParameter { Value = value });
        return command;
    }
}
