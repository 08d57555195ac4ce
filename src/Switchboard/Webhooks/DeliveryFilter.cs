using Switchboard.Docs;
using Switchboard.Platform;
using Switchboard.Platform.Resources;

namespace Switchboard.Webhooks;

/// <summary>
/// Which deliveries of an endpoint a request means: the query of <c>GET /api/v1/webhooks/{id}/deliveries</c> (and of an
/// installation's action runs, the same queue) and the body of <c>POST /api/v1/webhooks/{id}/deliveries/retry</c>, parsed
/// and checked once so the list and the bulk retry select exactly the same rows. Every part is optional; together they narrow.
/// </summary>
public sealed record DeliveryFilter(
    string? Status = null, string? EventType = null, string? EventId = null, string? DeliveryId = null, DateTime? CreatedAfter = null, DateTime? CreatedBefore = null)
{
    public const string StatusField = "status", EventTypeField = "eventType", EventIdField = "eventId", DeliveryIdField = "deliveryId",
        CreatedAfterField = "createdAfter", CreatedBeforeField = "createdBefore";

    public static readonly IReadOnlyList<string> Statuses = [DeliveryStatus.Pending, DeliveryStatus.Succeeded, DeliveryStatus.Dead];

    /// <summary>The query parameters as the OpenAPI document describes them.</summary>
    public static readonly QueryParameterDoc[] QueryDocs =
    [
        new(StatusField, "Only deliveries in this state.", Enum: Statuses, Example: "dead"),
        new(EventTypeField, "Only deliveries of this event type, or of every type under a prefix (contact.*).", Example: "contact.created"),
        new(EventIdField, "Only deliveries of this event (a replay makes a second delivery of the same event).", Example: "evt_01JD4V2Q8M3ZC5X7T9W1E6R0YB"),
        new(DeliveryIdField, "Only this delivery.", Example: "dlv_01JD4V2Q8M3ZC5X7T9W1E6R0YB"),
        new(CreatedAfterField, "Only deliveries created after this time (ISO 8601).", Format: "date-time", Example: "2026-12-01T00:00:00Z"),
        new(CreatedBeforeField, "Only deliveries created before this time (ISO 8601).", Format: "date-time", Example: "2026-12-02T00:00:00Z"),
    ];

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsEmpty => this == new DeliveryFilter();

    /// <summary>The filter of a query string; the problems keyed by parameter name (empty when it reads).</summary>
    public static DeliveryFilter Parse(IQueryCollection query, out Dictionary<string, string[]> errors)
    {
        errors = [];
        string? Text(string name) => query[name].ToString() is { Length: > 0 } text ? text : null;
        DateTime? Time(string name, Dictionary<string, string[]> problems)
        {
            if (Text(name) is not { } text) return null;
            var (ok, at) = Crm.Pipeline.Filter.ParseTime(text);
            if (!ok) problems[name] = ["Must be an ISO 8601 timestamp, such as 2026-01-31T12:00:00Z."];
            return ok ? at : null;
        }
        var filter = new DeliveryFilter(Text(StatusField), Text(EventTypeField), Text(EventIdField), Text(DeliveryIdField), Time(CreatedAfterField, errors), Time(CreatedBeforeField, errors));
        foreach (var (field, messages) in filter.Check()) errors.TryAdd(field, messages);
        return filter;
    }

    /// <summary>What is wrong with the parts given, keyed by their names (the query's and the JSON body's alike).</summary>
    public Dictionary<string, string[]> Check()
    {
        var errors = new Dictionary<string, string[]>();
        if (Status is not null && !Statuses.Contains(Status)) errors[StatusField] = ["Must be pending, succeeded or dead."];
        if (EventType is not null && !IsEventTypeShape(EventType))
            errors[EventTypeField] = ["Must be an event type (contact.created) or a prefix of types (contact.*); GET /api/v1/webhooks/event-types lists them."];
        if (EventId is not null && !Ids.LooksValid(EventId, ResourceRegistry.Events)) errors[EventIdField] = ["Must be an event id (evt_…)."];
        if (DeliveryId is not null && !Ids.LooksValid(DeliveryId, WebhookResources.Deliveries)) errors[DeliveryIdField] = ["Must be a delivery id (dlv_…)."];
        if (CreatedAfter is { } after && CreatedBefore is { } before && after >= before) errors[CreatedBeforeField] = ["Must be later than createdAfter."];
        return errors;
    }

    /// <summary>Lower-case dotted words, optionally ending in <c>.*</c>: the shape of every type and prefix, known or not (deliveries outlive renamed types).</summary>
    private static bool IsEventTypeShape(string type)
    {
        var body = type.EndsWith(".*", StringComparison.Ordinal) ? type[..^2] : type;
        return type.Length <= 80 && body.Length > 0 && body.Split('.').All(part => part.Length > 0 && part.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'));
    }

    /// <summary>The deliveries of <paramref name="query"/> this filter selects.</summary>
    public IQueryable<WebhookDelivery> Apply(IQueryable<WebhookDelivery> query)
    {
        if (Status is { } status) query = query.Where(d => d.Status == status);
        if (EventType is { } type)
        {
            if (type.EndsWith(".*", StringComparison.Ordinal))
            {
                var prefix = type[..^1];
                query = query.Where(d => d.EventType.StartsWith(prefix));
            }
            else query = query.Where(d => d.EventType == type);
        }
        if (EventId is { } eventId) query = query.Where(d => d.EventId == eventId);
        if (DeliveryId is { } deliveryId) query = query.Where(d => d.Id == deliveryId);
        if (CreatedAfter is { } after) query = query.Where(d => d.CreatedAt > after);
        if (CreatedBefore is { } before) query = query.Where(d => d.CreatedAt < before);
        return query;
    }
}
