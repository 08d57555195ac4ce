using System.Net.Mail;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.SendGrid;

/// <summary>
/// The request bodies of the SendGrid connector, from a rule's input (template variables already filled) and the
/// installation's configuration, checked against what SendGrid documents before any call.
/// <list type="bullet">
/// <item>Mail Send (<c>POST /v3/mail/send</c>): <c>personalizations</c> (one, to one recipient, with
/// <c>dynamic_template_data</c> for a dynamic template and <c>custom_args</c> naming the event), <c>from</c> (a verified
/// sender), and either <c>template_id</c> (a dynamic template, <c>d-</c> and 32 hex digits: its Handlebars escapes the
/// values it puts in HTML) or <c>subject</c> and <c>content</c> (plain text only: a body written from CRM values is never
/// sent as HTML, where a value could inject markup); at most 10 <c>categories</c> of up to 255 characters.</item>
/// <item>Add or Update a Contact (<c>PUT /v3/marketing/contacts</c>): one contact with its <c>email</c> (at most 254
/// characters), <c>first_name</c> and <c>last_name</c> (at most 50 each), the lead's source in a text custom field
/// (<c>custom_fields</c> keyed by the field's id) and <c>list_ids</c>: the installation's lists, the list of the lead's
/// source, and the rule's.</item>
/// </list>
/// </summary>
public static partial class SendGridRequests
{
    [GeneratedRegex("^d-[0-9a-f]{32}$")]
    public static partial Regex DynamicTemplateId();

    public static JsonObject Mail(ConnectorContext context, JsonObject input, string? eventId)
    {
        var to = Email(SendGridApi.Text(input["to"]), "input.to");
        var from = Email(SendGridApi.Text(input["fromEmail"]) ?? context.Value("fromEmail")
            ?? throw Invalid("No sender: give fromEmail in the installation's configuration or the rule's input (a verified sender of your SendGrid account)."), "fromEmail");
        var personalization = new JsonObject { ["to"] = new JsonArray(Address(to, SendGridApi.Text(input["toName"]))) };
        var customArgs = new JsonObject { ["switchboard_installation"] = context.Installation.Id };
        if (eventId is not null) customArgs["switchboard_event"] = eventId;
        personalization["custom_args"] = customArgs;

        var mail = new JsonObject
        {
            ["personalizations"] = new JsonArray(personalization),
            ["from"] = Address(from, SendGridApi.Text(input["fromName"]) ?? context.Value("fromName")),
        };
        if (context.Value("replyToEmail") is { } replyTo) mail["reply_to"] = Address(Email(replyTo, "replyToEmail"), null);

        if (SendGridApi.Text(input["templateId"]) is { } templateId)
        {
            if (!DynamicTemplateId().IsMatch(templateId)) throw Invalid($"input.templateId must be a dynamic template id (d- and 32 hex digits); it was '{templateId}'.");
            mail["template_id"] = templateId;
            if (input["dynamicTemplateData"] is JsonObject data) personalization["dynamic_template_data"] = data.DeepClone();
            else if (input["dynamicTemplateData"] is not null) throw Invalid("input.dynamicTemplateData must be an object.");
            if (SendGridApi.Text(input["subject"]) is { } templateSubject) personalization["subject"] = templateSubject;
        }
        else
        {
            var subject = SendGridApi.Text(input["subject"]) ?? throw Invalid("input.subject is required without a templateId (it may hold template variables, e.g. \"Welcome, {{data.name}}\").");
            var text = SendGridApi.Text(input["text"]) ?? throw Invalid("input.text is required without a templateId.");
            mail["subject"] = subject;
            mail["content"] = new JsonArray(new JsonObject { ["type"] = "text/plain", ["value"] = text });
        }

        var categories = new List<string>();
        foreach (var source in new[] { context.Config["categories"] as JsonArray, input["categories"] as JsonArray })
            foreach (var category in source ?? [])
                if (SendGridApi.Text(category) is { } name && !categories.Contains(name, StringComparer.Ordinal)) categories.Add(name.Length <= 255 ? name : name[..255]);
        if (categories.Count > 10) throw Invalid($"SendGrid takes at most 10 categories per message; the configuration and the rule give {categories.Count}.");
        if (categories.Count > 0) mail["categories"] = new JsonArray(categories.Select(c => (JsonNode)c).ToArray());
        return mail;
    }

    /// <summary>The contact upsert for a lead or a contact record (<c>{{data}}</c>), tagged with its source.</summary>
    public static JsonObject Contact(ConnectorContext context, JsonObject input)
    {
        var record = input["contact"] as JsonObject ?? throw Invalid("input.contact must be an object (the lead or contact: \"{{data}}\").");
        var email = Email(SendGridApi.Text(record["email"]), "the record's email");
        if (email.Length > 254) throw Invalid("SendGrid takes emails of at most 254 characters.");
        var (first, last) = Names(record);
        var contact = new JsonObject { ["email"] = email };
        if (first is not null) contact["first_name"] = Cut(first, 50);
        if (last is not null) contact["last_name"] = Cut(last, 50);

        var source = SendGridApi.Text(input["source"]) ?? SendGridApi.Text(record["source"]);
        if (source is not null && context.Value("sourceFieldId") is { } fieldId)
            contact["custom_fields"] = new JsonObject { [fieldId] = Cut(source, 1000) };

        var lists = new List<string>();
        void Add(JsonNode? id)
        {
            if (SendGridApi.Text(id) is not { } list) return;
            if (!Guid.TryParse(list, out _)) throw Invalid($"The list id '{list}' is not a SendGrid list id (a UUID).");
            if (!lists.Contains(list, StringComparer.OrdinalIgnoreCase)) lists.Add(list);
        }
        foreach (var id in context.Config["listIds"] as JsonArray ?? []) Add(id);
        if (source is not null && context.Config["listsBySource"] is JsonObject bySource && bySource[source] is { } sourceList) Add(sourceList);
        foreach (var id in input["listIds"] as JsonArray ?? []) Add(id);

        var body = new JsonObject();
        if (lists.Count > 0) body["list_ids"] = new JsonArray(lists.Select(l => (JsonNode)l).ToArray());
        body["contacts"] = new JsonArray(contact);
        return body;
    }

    /// <summary>A contact's first and last name, or a lead's one name split at its first space.</summary>
    private static (string? First, string? Last) Names(JsonObject record)
    {
        var first = SendGridApi.Text(record["firstName"]);
        var last = SendGridApi.Text(record["lastName"]);
        if (first is not null || last is not null) return (first, last);
        if (SendGridApi.Text(record["name"]) is not { } name) return (null, null);
        var space = name.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? (name, null) : (name[..space], name[(space + 1)..].Trim() is { Length: > 0 } rest ? rest : null);
    }

    private static JsonObject Address(string email, string? name)
    {
        var address = new JsonObject { ["email"] = email };
        if (name is not null) address["name"] = Cut(name, 200);
        return address;
    }

    /// <summary>An email address as SendGrid's <c>format: email</c> wants it: one address, no display name.</summary>
    private static string Email(string? value, string what)
    {
        if (value is null) throw Invalid($"{what} is required (an email address).");
        return MailAddress.TryCreate(value, out var parsed) && parsed.Address == value && value.Contains('.', StringComparison.Ordinal)
            ? value : throw Invalid($"{what} is not an email address: '{value}'.");
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..max];

    private static ProviderException Invalid(string message) => new(message, null, "invalid_input", retryable: false);
}
