using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Providers.Accounting;
using Switchboard.Platform;

namespace Switchboard.Integrations.Providers.QuickBooks;

/// <summary>
/// QuickBooks Online's webhooks (https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks): one endpoint per
/// app, for every company connected to it, registered in the developer portal; kind <c>events</c> on the provider's
/// route (<c>POST /api/v1/integrations/providers/quickbooks/inbound/events</c>). Verified first as "Validating the
/// notification" describes (https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks/managing-webhooks-notifications):
/// <c>intuit-signature</c> is the base64 HMAC-SHA256 of the raw body keyed with the app's verifier token
/// (<see cref="ProviderSettings.WebhookVerifierToken"/>). Two payloads are read: the original one,
/// <c>{"eventNotifications":[{"realmId", "dataChangeEvent":{"entities":[{"name","id","operation","lastUpdated"}]}}]}</c>,
/// and the CloudEvents array Intuit moved every app to in 2026
/// (https://blogs.a.intuit.com/2025/11/12/upcoming-change-to-webhooks-payload-structure: <c>type</c>
/// <c>qbo.&lt;entity&gt;.&lt;operation&gt;.v1</c>, <c>intuitentityid</c>, <c>intuitaccountid</c> — the realm — and <c>time</c>).
/// </summary>
public static class QuickBooksInbound
{
    public const string Kind = "events", SignatureHeader = "intuit-signature";

    /// <summary>The provider-level step: verified with the app's verifier token, then the realms the notification names.</summary>
    public static AppInbound Read(SwitchboardOptions options, InboundRequest request) =>
        AccountingWebhooks.Read(ProviderUrls.Settings(options, QuickBooksDefinition.Key)?.WebhookVerifierToken, SignatureHeader, request,
            InboundResult.Unauthorized, "Expected a QuickBooks webhook notification.", Changes);

    /// <summary>An installation's step: verified again, then its realm's changes.</summary>
    public static Task<InboundResult> ReceiveAsync(ConnectorContext context, InboundRequest request, CancellationToken cancellationToken) =>
        AccountingWebhooks.ReceiveAsync(context, request, Read, Changes, cancellationToken);

    /// <summary>The changes a notification names, in either payload; null when the body is neither.</summary>
    public static List<AccountingWebhooks.Change>? Changes(byte[] body)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(body); }
        catch (System.Text.Json.JsonException) { return null; }
        var changes = new List<AccountingWebhooks.Change>();
        if (root is JsonObject legacy && legacy["eventNotifications"] is JsonArray notifications)
        {
            foreach (var notification in notifications.OfType<JsonObject>())
            {
                if (QuickBooksApi.Text(notification["realmId"]) is not { } realm || !QuickBooksApi.IsRealmId(realm)) continue;
                foreach (var entity in (notification["dataChangeEvent"]?["entities"] as JsonArray ?? []).OfType<JsonObject>())
                    if (QuickBooksApi.Text(entity["name"]) is { } name && QuickBooksApi.Text(entity["id"]) is { } id && QuickBooksApi.Text(entity["operation"]) is { } operation)
                        changes.Add(new(realm, name, id, operation, AccountingWebhooks.Time(QuickBooksApi.Text(entity["lastUpdated"]))));
            }
            return changes;
        }
        if (root is JsonArray cloudEvents)
        {
            foreach (var e in cloudEvents.OfType<JsonObject>())
            {
                if (QuickBooksApi.Text(e["intuitaccountid"]) is not { } realm || !QuickBooksApi.IsRealmId(realm)) continue;
                // qbo.invoice.updated.v1: the entity and the operation.
                var type = (QuickBooksApi.Text(e["type"]) ?? "").Split('.');
                if (type.Length < 3 || QuickBooksApi.Text(e["intuitentityid"]) is not { } id) continue;
                changes.Add(new(realm, type[1], id, type[2], AccountingWebhooks.Time(QuickBooksApi.Text(e["time"]))));
            }
            return changes;
        }
        return null;
    }
}
