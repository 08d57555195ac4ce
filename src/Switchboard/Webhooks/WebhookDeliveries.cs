using System.Globalization;
using System.Text.Json.Nodes;
using Switchboard.Platform;
using Switchboard.Platform.Outbox;

namespace Switchboard.Webhooks;

/// <summary>
/// What both queues (<see cref="IWebhookQueue"/>) share, written once: the payload a receiver gets, fan-out of events to
/// deliveries, and the lease statement.
/// </summary>
public static class WebhookDeliveries
{
    /// <summary>The body a receiver gets (CONTRACT.md, "Webhook deliveries").</summary>
    public static string Payload(OutboxEvent evt)
    {
        var body = new JsonObject
        {
            ["id"] = evt.Id,
            ["type"] = evt.Type,
            ["timestamp"] = evt.CreatedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
            ["data"] = JsonNode.Parse(evt.Data),
        };
        if (evt.PreviousAttributes is not null) body["previousAttributes"] = JsonNode.Parse(evt.PreviousAttributes);
        return body.ToJsonString();
    }

    public static WebhookDelivery For(OutboxEvent evt, string endpointId, DateTime now, string? payload = null, DateTime? leasedUntil = null) => new()
    {
        Id = Ids.New(WebhookResources.Deliveries), OrganizationId = evt.OrganizationId, EndpointId = endpointId, EventId = evt.Id, EventType = evt.Type,
        Payload = payload ?? Payload(evt), NextAttemptAt = now, LockedUntil = leasedUntil, CreatedAt = now, UpdatedAt = now,
        TraceParent = evt.TraceParent, TraceState = evt.TraceState,
    };

    /// <summary>
    /// The lease, one statement on either database: up to <paramref name="count"/> deliveries that are pending, due, and
    /// not leased (or whose lease, a node's that died, ran out), leased until <paramref name="until"/>. The arguments are
    /// the caller's parameter names as written in its SQL (<c>$1</c>, <c>@now</c>); on PostgreSQL, SKIP LOCKED lets several nodes lease side by side
    /// without waiting on or taking each other's rows.
    /// </summary>
    public static string LeaseSql(string until, string now, string count, bool skipLocked, string returning) =>
        $"UPDATE webhook_deliveries SET locked_until = {until} WHERE id IN (SELECT id FROM webhook_deliveries " +
        $"WHERE status = 'pending' AND next_attempt_at <= {now} AND (locked_until IS NULL OR locked_until < {now}) " +
        $"ORDER BY next_attempt_at LIMIT {count}{(skipLocked ? " FOR UPDATE SKIP LOCKED" : "")}) RETURNING {returning}";

    /// <summary>
    /// What fan-out needs of an active endpoint: whose it is, the event types it subscribes to, and an action rule's
    /// filter on the event's data (<see cref="Integrations.Actions.EventFilter"/>; null, as for every webhook, is no filter).
    /// </summary>
    public readonly record struct Subscription(string EndpointId, string OrganizationId, string[] Events, string? Filter = null);

    /// <summary>
    /// One delivery per endpoint of the event's organization subscribed to its type (and, for a filtered rule, whose
    /// filter the event's data matches), for each event (the payload built once per event, its data parsed once per event
    /// and only when a filter asks); leased until <paramref name="leasedUntil"/> when given.
    /// </summary>
    public static List<WebhookDelivery> FanOut(IEnumerable<OutboxEvent> events, IReadOnlyList<Subscription> endpoints, DateTime now,
        DateTime? leasedUntil = null)
    {
        var deliveries = new List<WebhookDelivery>();
        foreach (var evt in events)
        {
            string? payload = null;
            JsonNode? data = null;
            var parsed = false;
            foreach (var endpoint in endpoints)
            {
                if (endpoint.OrganizationId != evt.OrganizationId || !EventTypes.Matches(endpoint.Events, evt.Type)) continue;
                if (endpoint.Filter is { } filter)
                {
                    if (!parsed) (data, parsed) = (ParseData(evt.Data), true);
                    if (Integrations.Actions.EventFilter.Cached(filter)?.Matches(data) != true) continue;
                }
                deliveries.Add(For(evt, endpoint.EndpointId, now, payload ??= Payload(evt), leasedUntil));
            }
        }
        return deliveries;
    }

    private static JsonNode? ParseData(string data)
    {
        try { return JsonNode.Parse(data); }
        catch (System.Text.Json.JsonException) { return null; }
    }
}
