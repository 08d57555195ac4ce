using System.Globalization;
using System.Text.Json.Nodes;
using Switchboard.Crm.Deals;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.HubSpot;

/// <summary>One synced field: its CRM name, its HubSpot property, and the conversions between the two representations.</summary>
public sealed record HubSpotProperty(string Field, string Property, Func<string?, HubSpotSettings, JsonNode?> ToCrm, Func<JsonNode?, HubSpotSettings, string?> ToHubSpot);

/// <summary>The installation's HubSpot settings: the deal pipeline and the stage mapping (CRM stage → HubSpot stage id).</summary>
public sealed class HubSpotSettings
{
    /// <summary>The stages of HubSpot's default sales pipeline (internal values), used where the installation maps none.</summary>
    public static readonly IReadOnlyDictionary<string, string> DefaultStages = new Dictionary<string, string>
    {
        [DealStage.Lead] = "appointmentscheduled", [DealStage.Qualification] = "qualifiedtobuy", [DealStage.Proposal] = "presentationscheduled",
        [DealStage.Negotiation] = "contractsent", [DealStage.Won] = "closedwon", [DealStage.Lost] = "closedlost",
    };

    public string Pipeline { get; private init; } = "default";
    public Dictionary<string, string> ToHubSpotStage { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> ToCrmStage { get; } = new(StringComparer.Ordinal);

    public static HubSpotSettings For(ConnectorContext context)
    {
        var settings = new HubSpotSettings { Pipeline = context.Config["pipeline"] is JsonValue p && p.TryGetValue<string>(out var pipeline) ? pipeline : "default" };
        foreach (var (crm, hubspot) in DefaultStages) settings.ToHubSpotStage[crm] = hubspot;
        if (context.Config["stageMapping"] is JsonObject mapping)
            foreach (var (crm, value) in mapping)
                if (value is JsonValue v && v.TryGetValue<string>(out var hubspot)) settings.ToHubSpotStage[crm] = hubspot;
        // Pulled stages map back; HubSpot's decisionmakerboughtin, between presentation and contract, is a negotiation here.
        settings.ToCrmStage["decisionmakerboughtin"] = DealStage.Negotiation;
        foreach (var (crm, hubspot) in settings.ToHubSpotStage) settings.ToCrmStage[hubspot] = crm;
        return settings;
    }
}

/// <summary>The property maps of the synced objects.</summary>
public static class HubSpotFields
{
    private static JsonValue? Text(string? value, HubSpotSettings _) => string.IsNullOrEmpty(value) ? null : JsonValue.Create(value);
    private static string? Text(JsonNode? value, HubSpotSettings _) => value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString();

    /// <summary>
    /// HubSpot keeps phone numbers as typed ("+1 (415) 555-0123"); the CRM keeps E.164. Separators are dropped; a number
    /// that is still not E.164 is left out (the CRM keeps its own) rather than failing the whole record.
    /// </summary>
    private static JsonValue? Phone(string? value, HubSpotSettings _)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var digits = new string(value.Where(c => char.IsAsciiDigit(c) || c == '+').ToArray());
        return Platform.Validation.PhoneNumber.IsValid(digits) ? JsonValue.Create(digits) : null;
    }

    private static JsonValue? Amount(string? value, HubSpotSettings _) =>
        decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) ? JsonValue.Create(amount) : null;

    private static string? Amount(JsonNode? value, HubSpotSettings _) => HubSpotConnector.Number(value)?.ToString(CultureInfo.InvariantCulture);

    private static JsonValue? Stage(string? value, HubSpotSettings settings) =>
        value is not null && settings.ToCrmStage.TryGetValue(value, out var stage) ? JsonValue.Create(stage) : null;

    private static string? Stage(JsonNode? value, HubSpotSettings settings) =>
        value is JsonValue v && v.TryGetValue<string>(out var stage) ? settings.ToHubSpotStage.GetValueOrDefault(stage, stage) : null;

    /// <summary>HubSpot's <c>closedate</c> is a date-time (midnight UTC for a date); the CRM's expected close date is a date.</summary>
    private static JsonValue? Date(string? value, HubSpotSettings _) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? JsonValue.Create(DateOnly.FromDateTime(at.UtcDateTime).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
            : long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
                ? JsonValue.Create(DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
                : null;

    private static string? Date(JsonNode? value, HubSpotSettings _) => value is JsonValue v && v.TryGetValue<string>(out var date) ? date + "T00:00:00.000Z" : null;

    public static readonly IReadOnlyList<HubSpotProperty> Contact =
    [
        new("firstName", "firstname", Text, Text), new("lastName", "lastname", Text, Text), new("email", "email", Text, Text),
        new("phone", "phone", Phone, Text), new("company", "company", Text, Text), new("jobTitle", "jobtitle", Text, Text),
    ];

    public static readonly IReadOnlyList<HubSpotProperty> Deal =
    [
        new("name", "dealname", Text, Text), new("amount", "amount", Amount, Amount), new("currency", "deal_currency_code", Text, Text),
        new("stage", "dealstage", Stage, Stage), new("expectedCloseDate", "closedate", Date, Date),
    ];
}
