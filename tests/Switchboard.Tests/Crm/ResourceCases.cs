using System.Text.Json.Nodes;

namespace Switchboard.Tests.Crm;

/// <summary>
/// One CRM resource as the generic suites exercise it. Bodies may hold "{contactId}", replaced by a contact of the
/// caller's organization.
/// </summary>
public sealed record ResourceCase(
    string Path, string Prefix, string Singular, string Scope, string Create, string Patch, string PatchedField, string Invalid, string[] InvalidFields,
    string WrongType, string UnknownEnum);

public static class ResourceCases
{
    public static readonly IReadOnlyDictionary<string, ResourceCase> All = new Dictionary<string, ResourceCase>
    {
        ["contacts"] = new("contacts", "con", "contact", "contacts",
            """{"firstName":"Ada","lastName":"Lovelace","email":"ada@example.com","phone":"+441632960001","company":"Analytical Engines"}""",
            """{"jobTitle":"Mathematician"}""", "jobTitle",
            """{"email":"not-an-email","phone":"0800-CALL-NOW","firstName":""}""", ["email", "phone"],
            """{"firstName":42}""", """{"firstName":"A","email":["x"]}"""),
        ["leads"] = new("leads", "lead", "lead", "leads",
            """{"name":"Grace Hopper","email":"grace@example.com","source":"website","score":70}""",
            """{"status":"qualified"}""", "status",
            """{"score":101,"email":"nope"}""", ["name", "score", "email"],
            """{"name":"G","score":"high"}""", """{"name":"G","status":"hot"}"""),
        ["deals"] = new("deals", "deal", "deal", "deals",
            """{"name":"Engines for the Navy","amount":12500.75,"currency":"EUR","stage":"proposal","contactId":"{contactId}","expectedCloseDate":"2027-03-31"}""",
            """{"amount":13000}""", "amount",
            """{"amount":-5,"currency":"eur","probability":120}""", ["name", "amount", "currency", "probability"],
            """{"name":"D","amount":"lots"}""", """{"name":"D","stage":"closed_won"}"""),
        ["activities"] = new("activities", "act", "activity", "activities",
            """{"type":"meeting","subject":"Kick-off","notes":"Went well","contactId":"{contactId}","occurredAt":"2026-11-01T10:00:00Z"}""",
            """{"subject":"Kick-off meeting"}""", "subject",
            """{"type":"carrier_pigeon"}""", ["type", "subject"],
            """{"type":"note","subject":{"a":1}}""", """{"type":"fax","subject":"S"}"""),
        ["tasks"] = new("tasks", "task", "task", "tasks",
            """{"title":"Send the proposal","dueAt":"2026-12-01T09:00:00Z","contactId":"{contactId}"}""",
            """{"title":"Send the revised proposal"}""", "title",
            """{"status":"done","contactId":"nope"}""", ["title", "status", "contactId"],
            """{"title":"T","dueAt":"tomorrow"}""", """{"title":"T","status":"blocked"}"""),
        ["tickets"] = new("tickets", "tkt", "ticket", "tickets",
            """{"subject":"Cannot log in","description":"Since Monday","priority":"high","contactId":"{contactId}"}""",
            """{"status":"pending"}""", "status",
            """{"priority":"critical"}""", ["subject", "priority"],
            """{"subject":true}""", """{"subject":"S","status":"reopened"}"""),
        ["calls"] = new("calls", "call", "call", "calls",
            """{"direction":"inbound","fromNumber":"+14155550100","toNumber":"+14155550199","status":"in_progress","contactId":"{contactId}"}""",
            """{"outcome":"interested"}""", "outcome",
            """{"direction":"sideways","fromNumber":"555-0100","durationSeconds":-1}""", ["direction", "fromNumber", "toNumber", "durationSeconds"],
            """{"direction":"inbound","fromNumber":"+14155550100","toNumber":"+14155550199","durationSeconds":"long"}""",
            """{"direction":"inbound","fromNumber":"+14155550100","toNumber":"+14155550199","status":"busy"}"""),
        ["chat_sessions"] = new("chat/sessions", "chs", "chat_session", "chat",
            """{"channel":"web","visitorName":"Visitor","visitorEmail":"v@example.com","contactId":"{contactId}"}""",
            """{"subject":"Pricing question"}""", "subject",
            """{"channel":"pigeon","visitorEmail":"x"}""", ["channel", "visitorEmail"],
            """{"subject":123}""", """{"status":"archived"}"""),
        ["payments"] = new("payments", "pay", "payment", "payments",
            """{"amount":499.99,"currency":"USD","method":"card","contactId":"{contactId}","description":"Invoice 42"}""",
            """{"description":"Invoice 42 (paid late)"}""", "description",
            """{"amount":0,"currency":"usd"}""", ["amount", "currency"],
            """{"amount":"ten","currency":"USD"}""", """{"amount":1,"currency":"USD","status":"chargeback"}"""),
    };

    public static IEnumerable<object[]> Names => All.Keys.Select(k => new object[] { k });

    public static string Fill(string body, string contactId) => body.Replace("{contactId}", contactId, StringComparison.Ordinal);

    public static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();
}
