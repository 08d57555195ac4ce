using Switchboard.Platform.Resources;

namespace Switchboard.Webhooks;

/// <summary>The data of <c>webhook.endpoint_disabled</c> and <c>webhook.delivery_exhausted</c>.</summary>
public sealed record WebhookOperationalData(string EndpointId, string Url, string? Reason, string? DeliveryId, string? EventId, string? EventType);

/// <summary>The data of <c>webhook.test</c>.</summary>
public sealed record WebhookTestData(string EndpointId, string Message);

/// <summary>Webhook endpoints and their deliveries as <see cref="ResourceRegistry"/> knows them.</summary>
public static class WebhookResources
{
    public static readonly ApiResource Endpoints = new("webhook")
    {
        IdPrefix = "wh", Scope = "webhooks", ScopeSubject = "webhook endpoints and deliveries", Collection = "webhooks",
        IdFields = ["endpointId"],
        Representations = [typeof(WebhookResponse)],
        Formats = [new("url", FieldFormat.Url) { Inputs = [typeof(WebhookInput)], Outputs = [typeof(WebhookResponse)] }],
        Events =
        [
            new("webhook.endpoint_disabled", "An endpoint was disabled (410 Gone, or failing for too long).", typeof(WebhookOperationalData)),
            new("webhook.delivery_exhausted", "A delivery used up its retries and is now dead.", typeof(WebhookOperationalData)),
            new("webhook.test", "A test delivery requested with POST /api/v1/webhooks/{id}/test.", typeof(WebhookTestData)),
        ],
    };

    public static readonly ApiResource Deliveries = new("delivery")
    {
        IdPrefix = "dlv", Collection = "deliveries",
        Representations = [typeof(DeliveryResponse)],
    };

    /// <summary>Links to the embeddable webhook portal (<see cref="PortalLinks"/>); no scope of their own: minting one takes <c>admin</c>.</summary>
    public static readonly ApiResource PortalLinks = new("webhook_portal_link")
    {
        IdPrefix = "wpl", Collection = "webhooks/portal-links",
        Representations = [typeof(PortalLinkResponse)],
    };
}
