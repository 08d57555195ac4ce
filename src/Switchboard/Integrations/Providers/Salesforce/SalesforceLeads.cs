using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Switchboard.Crm.Leads;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Salesforce;

/// <summary>
/// The installation's lead settings: the status map (CRM lead status → a value of the org's LeadStatus picklist) and
/// the custom field map (CRM lead field → Salesforce field API name), with the schema's defaults filled in.
/// </summary>
public sealed partial class SalesforceLeadSettings
{
    /// <summary>The LeadStatus values of a new org (https://help.salesforce.com/s/articleView?id=sf.customize_leadstatus.htm).</summary>
    public static readonly IReadOnlyDictionary<string, string> DefaultStatuses = new Dictionary<string, string>
    {
        [LeadStatus.New] = "Open - Not Contacted", [LeadStatus.Contacted] = "Working - Contacted",
        [LeadStatus.Qualified] = "Closed - Converted", [LeadStatus.Unqualified] = "Closed - Not Converted",
    };

    /// <summary>The CRM lead fields the custom map may name (name, email, phone, company and status are always synced).</summary>
    public static readonly IReadOnlyList<string> MappableFields = ["source", "score", "notes"];

    /// <summary>A custom field's API name (<c>Score__c</c>) or a standard Lead field a custom map may use.</summary>
    [GeneratedRegex(@"^(?:[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*__c|LeadSource|Description|Rating|Industry|Title|Website)$")]
    public static partial Regex FieldName();

    public Dictionary<string, string> ToSalesforceStatus { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> ToCrmStatus { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> CustomFields { get; } = new(StringComparer.Ordinal);

    public static SalesforceLeadSettings For(ConnectorContext context)
    {
        var settings = new SalesforceLeadSettings();
        foreach (var (crm, sf) in DefaultStatuses) settings.ToSalesforceStatus[crm] = sf;
        if (context.Config["statusMapping"] is JsonObject statuses)
            foreach (var (crm, value) in statuses)
                if (value is JsonValue v && v.TryGetValue<string>(out var sf) && sf.Length > 0) settings.ToSalesforceStatus[crm] = sf;
        foreach (var (crm, sf) in settings.ToSalesforceStatus) settings.ToCrmStatus.TryAdd(sf, crm);
        // A converted CRM lead is closed-converted in Salesforce; the CRM converts leads only through its own endpoint.
        settings.ToSalesforceStatus.TryAdd(LeadStatus.Converted, settings.ToSalesforceStatus[LeadStatus.Qualified]);
        if (context.Config["fieldMapping"] is JsonObject fields)
            foreach (var (crm, value) in fields)
                // The schema already refused anything else; checked again because the names go into SOQL.
                if (MappableFields.Contains(crm) && value is JsonValue v && v.TryGetValue<string>(out var name) && FieldName().IsMatch(name))
                    settings.CustomFields[crm] = name;
        return settings;
    }

    /// <summary>The Lead fields a pull reads, in SOQL.</summary>
    public IEnumerable<string> SelectFields() =>
        ["Id", "FirstName", "LastName", "Email", "Phone", "Company", "Status", "SystemModstamp", "IsDeleted", .. CustomFields.Values.Distinct()];

    /// <summary>A Salesforce Lead (a query row or a retrieved record) in CRM lead names.</summary>
    public SyncRecord Read(JsonObject lead)
    {
        var fields = new JsonObject
        {
            ["name"] = string.Join(' ', new[] { Text(lead, "FirstName"), Text(lead, "LastName") }.Where(p => p is not null)),
            ["email"] = Text(lead, "Email"),
            ["phone"] = Phone(Text(lead, "Phone")),
            ["company"] = Text(lead, "Company"),
        };
        if (Text(lead, "Status") is { } status && ToCrmStatus.TryGetValue(status, out var crm)) fields["status"] = crm;
        foreach (var (field, name) in CustomFields)
            fields[field] = field == "score"
                ? lead[name] is JsonValue n && n.TryGetValue<double>(out var score) ? JsonValue.Create((int)Math.Round(score)) : null
                : Text(lead, name) is { } text ? JsonValue.Create(text) : null;
        var id = Text(lead, "Id") ?? throw new ProviderException("A Salesforce lead has no Id.", null, null, retryable: false);
        var modified = SalesforceApi.ParseTime(Text(lead, "SystemModstamp")) ?? throw new ProviderException($"The Salesforce lead {id} has no SystemModstamp.", null, null, retryable: false);
        return new SyncRecord(id, modified, fields, Deleted: lead["IsDeleted"] is JsonValue d && d.TryGetValue<bool>(out var deleted) && deleted);
    }

    /// <summary>
    /// A CRM lead as Salesforce Lead fields. The CRM keeps one name; Salesforce requires LastName (and Company), so the
    /// last word is the last name and the rest the first name, which <see cref="Read"/> joins back unchanged.
    /// </summary>
    public JsonObject Write(JsonObject fields, bool create)
    {
        var lead = new JsonObject();
        if (fields.TryGetPropertyValue("name", out var nameNode))
        {
            var name = (nameNode as JsonValue)?.TryGetValue<string>(out var n) == true ? string.Join(' ', n.Split(' ', StringSplitOptions.RemoveEmptyEntries)) : "";
            if (name.Length == 0) throw new ProviderException("Salesforce requires a lead's last name: the CRM lead has no name.", null, null, retryable: false);
            var space = name.LastIndexOf(' ');
            lead["FirstName"] = space < 0 ? null : name[..space];
            lead["LastName"] = space < 0 ? name : name[(space + 1)..];
        }
        if (fields.TryGetPropertyValue("email", out var email)) lead["Email"] = Str(email);
        if (fields.TryGetPropertyValue("phone", out var phone)) lead["Phone"] = Str(phone);
        if (fields.TryGetPropertyValue("company", out var company))
        {
            if (Str(company) is not { Length: > 0 } c) throw new ProviderException("Salesforce requires a lead's company: the CRM lead has none.", null, null, retryable: false);
            lead["Company"] = c;
        }
        if (fields.TryGetPropertyValue("status", out var status) && Str(status) is { } s && ToSalesforceStatus.TryGetValue(s, out var sfStatus)) lead["Status"] = sfStatus;
        foreach (var (field, name) in CustomFields)
            if (fields.TryGetPropertyValue(field, out var value))
                lead[name] = field == "score" ? value is JsonValue v && int.TryParse(v.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var score) ? JsonValue.Create(score) : null : Str(value);
        if (create && (lead["LastName"] is null || lead["Company"] is null))
            throw new ProviderException("Salesforce requires a lead's last name and company.", null, null, retryable: false);
        return lead;
    }

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    private static string? Text(JsonObject json, string name) => SalesforceApi.Text(json, name);

    /// <summary>Salesforce keeps phone numbers as typed; the CRM keeps E.164. Separators are dropped; a number still not E.164 is left out.</summary>
    private static JsonValue? Phone(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var digits = new string(value.Where(c => char.IsAsciiDigit(c) || c == '+').ToArray());
        return Platform.Validation.PhoneNumber.IsValid(digits) ? JsonValue.Create(digits) : null;
    }

    internal static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);
}
