using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Providers.Accounting;
using Switchboard.Platform;

namespace Switchboard.Integrations.Providers.Xero;

/// <summary>
/// Xero's webhooks (https://developer.xero.com/documentation/webhooks/overview): configured per app, for every
/// organisation connected to it; kind <c>events</c> on the provider's route
/// (<c>POST /api/v1/integrations/providers/xero/inbound/events</c>). Verified first as "Configuring your server" describes
/// (https://developer.xero.com/documentation/webhooks/configuring-your-server): <c>x-xero-signature</c> is the base64
/// HMAC-SHA256 of the raw body keyed with the app's webhook key (<see cref="ProviderSettings.WebhookKey"/>); a correctly
/// signed payload is answered 200 and an incorrectly signed one 401, both without a body — which is also all Xero's
/// "intent to receive" validation (signed payloads with no events, and altered ones) asks. Each event names its
/// organisation (<c>tenantId</c>, <c>tenantType</c> ORGANISATION), the record (<c>resourceId</c>), its category
/// (CONTACT, INVOICE) and type (CREATE, UPDATE), and <c>eventDateUtc</c>.
/// </summary>
public static class XeroInbound
{
    public const string Kind = "events", SignatureHeader = "x-xero-signature";

    /// <summary>Xero's refusal: 401 and no body.</summary>
    private static readonly InboundResult Unsigned = new(401, "", "text/plain");

    public static AppInbound Read(SwitchboardOptions options, InboundRequest request) =>
        AccountingWebhooks.Read(ProviderUrls.Settings(options, XeroDefinition.Key)?.WebhookKey, SignatureHeader, request, Unsigned,
            "Expected a Xero webhook payload.", Changes);

    public static Task<InboundResult> ReceiveAsync(ConnectorContext context, InboundRequest request, CancellationToken cancellationToken) =>
        AccountingWebhooks.ReceiveAsync(context, request, Read, Changes, cancellationToken);

    /// <summary>The organisations' changes a payload names (tenant ids lower case, as the connection keeps them); null when it is not Xero's.</summary>
    public static List<AccountingWebhooks.Change>? Changes(byte[] body)
    {
        JsonObject? root;
        try { root = JsonNode.Parse(body) as JsonObject; }
        catch (System.Text.Json.JsonException) { return null; }
        if (root is null) return null;
        if (root["events"] is not JsonArray events) return []; // the intent-to-receive payloads carry none
        var changes = new List<AccountingWebhooks.Change>();
        foreach (var e in events.OfType<JsonObject>())
        {
            if (XeroErrors.Text(e["tenantType"]) is not "ORGANISATION" || XeroErrors.Text(e["tenantId"]) is not { } tenant || !XeroApi.IsTenantId(tenant)) continue;
            if (XeroErrors.Text(e["eventCategory"]) is { } category && XeroErrors.Text(e["resourceId"]) is { } id && XeroErrors.Text(e["eventType"]) is { } type)
                changes.Add(new(tenant.ToLowerInvariant(), category, id, type, AccountingWebhooks.Time(XeroErrors.Text(e["eventDateUtc"]))));
        }
        return changes;
    }
}
