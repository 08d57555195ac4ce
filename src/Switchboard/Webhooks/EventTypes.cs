using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using Switchboard.Crm.Activities;
using Switchboard.Crm.Calls;
using Switchboard.Crm.Chat;
using Switchboard.Crm.Contacts;
using Switchboard.Crm.Deals;
using Switchboard.Crm.Leads;
using Switchboard.Crm.Payments;
using Switchboard.Crm.Tasks;
using Switchboard.Crm.Tickets;

namespace Switchboard.Webhooks;

public sealed record QuotaEventData(string OrganizationId, string Level, long Limit, long Used, string Day, DateTime ResetsAt);
public sealed record WebhookOperationalData(string EndpointId, string Url, string? Reason, string? DeliveryId, string? EventId, string? EventType);
public sealed record WebhookTestData(string EndpointId, string Message);

public sealed record EventTypeInfo(string Type, string Description, JsonNode Schema);

/// <summary>Every event type the platform emits, with the JSON Schema of its <c>data</c>.</summary>
public static class EventTypes
{
    private static readonly (string Type, string Description, Type Data)[] Types = Build();

    private static (string, string, Type)[] Build()
    {
        var list = new List<(string, string, Type)>();
        void Crud(string singular, Type data, params (string Suffix, string Description)[] more)
        {
            list.Add(($"{singular}.created", $"A {singular.Replace('_', ' ')} was created.", data));
            list.Add(($"{singular}.updated", $"A {singular.Replace('_', ' ')} changed; previousAttributes holds the old values of the changed fields.", data));
            list.Add(($"{singular}.deleted", $"A {singular.Replace('_', ' ')} was deleted; data is its last state.", data));
            foreach (var (suffix, description) in more) list.Add(($"{singular}.{suffix}", description, data));
        }
        Crud("contact", typeof(ContactResponse));
        Crud("lead", typeof(LeadResponse), ("converted", "A lead was converted into a contact and a deal."));
        Crud("deal", typeof(DealResponse), ("stage_changed", "A deal moved to another stage."), ("won", "A deal was won."), ("lost", "A deal was lost."));
        Crud("activity", typeof(ActivityResponse));
        Crud("task", typeof(TaskResponse), ("completed", "A task was completed."));
        Crud("ticket", typeof(TicketResponse), ("status_changed", "A ticket changed status."));
        Crud("call", typeof(CallResponse), ("started", "A live call began."), ("ended", "A call ended (completed, missed or failed)."),
            ("transcript_added", "A call's transcript was attached."));
        Crud("chat_session", typeof(ChatSessionResponse));
        list.Add(("chat.message_received", "A visitor sent a chat message.", typeof(ChatMessageResponse)));
        list.Add(("chat.message_sent", "An agent or bot sent a chat message.", typeof(ChatMessageResponse)));
        Crud("payment", typeof(PaymentResponse), ("completed", "A payment completed."), ("failed", "A payment failed."), ("refunded", "A payment was refunded."));
        list.Add(("quota.warning", "The organization used 80% of its daily request quota.", typeof(QuotaEventData)));
        list.Add(("quota.exceeded", "The organization used all of its daily request quota.", typeof(QuotaEventData)));
        list.Add(("webhook.endpoint_disabled", "An endpoint was disabled (410 Gone, or failing for too long).", typeof(WebhookOperationalData)));
        list.Add(("webhook.delivery_exhausted", "A delivery used up its retries and is now dead.", typeof(WebhookOperationalData)));
        list.Add(("webhook.test", "A test delivery requested with POST /api/v1/webhooks/{id}/test.", typeof(WebhookTestData)));
        return list.ToArray();
    }

    public static IReadOnlyCollection<string> All => Types.Select(t => t.Type).ToArray();

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<JsonSerializerOptions, IReadOnlyList<EventTypeInfo>> Catalogs = new();

    /// <summary>
    /// Every type with the JSON Schema of its data, as the given serializer options write it. Built once per options
    /// instance (the schemas are fixed for the life of the process); callers get copies, so nothing shared is mutated.
    /// </summary>
    public static IReadOnlyList<EventTypeInfo> Catalog(JsonSerializerOptions json) =>
        Catalogs.GetValue(json, o => Types.Select(t => new EventTypeInfo(t.Type, t.Description, o.GetJsonSchemaAsNode(t.Data))).ToList())
            .Select(e => e with { Schema = e.Schema.DeepClone() }).ToList();

    /// <summary>A subscription pattern: a known type, <c>prefix.*</c> of a known prefix, or <c>*</c>.</summary>
    public static bool IsValidPattern(string pattern) =>
        pattern == "*" || Types.Any(t => t.Type == pattern)
        || (pattern.EndsWith(".*", StringComparison.Ordinal) && Types.Any(t => t.Type.StartsWith(pattern[..^1], StringComparison.Ordinal)));

    public static bool Matches(IEnumerable<string> patterns, string type) => patterns.Any(p =>
        p == "*" || p == type || (p.EndsWith(".*", StringComparison.Ordinal) && type.StartsWith(p[..^1], StringComparison.Ordinal)));
}
