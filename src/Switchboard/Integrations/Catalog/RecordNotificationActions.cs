namespace Switchboard.Integrations.Catalog;

/// <summary>
/// The <c>notify_lead</c>, <c>notify_ticket</c> and <c>notify_payment</c> actions of a connector that posts CRM records
/// as notifications: each takes the record from the event's data (<c>{"lead": "{{data}}"}</c>) and the connector's own
/// presentation inputs (a title, a link back to the record, …), declared once here for every such connector.
/// </summary>
public static class RecordNotificationActions
{
    /// <param name="presentationInputs">The connector's further input properties, as JSON Schema <c>properties</c> members.</param>
    public static ProviderAction[] For(string presentationInputs, string leadDescription, string ticketDescription, string paymentDescription) =>
    [
        Action("notify_lead", leadDescription, presentationInputs, "lead", "name", "string"),
        Action("notify_ticket", ticketDescription, presentationInputs, "ticket", "subject", "string"),
        Action("notify_payment", paymentDescription, presentationInputs, "payment", "amount", "number"),
    ];

    private static ProviderAction Action(string name, string description, string presentationInputs, string record, string field, string type) =>
        new(name, description, $$"""
            {
              "type": "object",
              "properties": {
                {{presentationInputs}},
                "{{record}}": { "type": "object", "required": ["id"], "properties": { "id": { "type": "string" }, "{{field}}": { "type": "{{type}}" } } }
              },
              "required": ["{{record}}"],
              "additionalProperties": false
            }
            """);
}
