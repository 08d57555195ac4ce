using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.GoogleSheets;

/// <summary>
/// CRM values as the cells of a <c>ValueRange</c> (https://developers.google.com/workspace/sheets/api/reference/rest/v4/spreadsheets.values#ValueRange):
/// strings, numbers and booleans as they are, null as an empty string (a null cell would leave the cell as it was),
/// objects and arrays (a record's metadata) as their JSON text.
/// </summary>
public static class SheetCells
{
    /// <summary>Google's limit on one cell (https://support.google.com/docs/answer/37603: 50,000 characters).</summary>
    public const int MaxCellCharacters = 50_000;

    /// <summary>
    /// One cell. With <c>USER_ENTERED</c> Google parses what is written as if typed into the sheet, so a CRM value such as
    /// <c>=IMPORTXML(…)</c> would become a formula that runs in the sheet of whoever opens it: text starting with
    /// <c>=</c>, <c>+</c>, <c>-</c> or <c>@</c> that is not a number is written with Google's leading apostrophe, which keeps it
    /// text (OWASP, "CSV injection"). <c>RAW</c> stores every string as it is and needs none.
    /// </summary>
    public static JsonNode Cell(JsonNode? value, bool userEntered)
    {
        switch (value)
        {
            case null:
                return JsonValue.Create("");
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                var text = v.GetValue<string>();
                if (text.Length > MaxCellCharacters)
                    throw new ProviderException($"A value of {text.Length:N0} characters is longer than a Google Sheets cell takes ({MaxCellCharacters:N0}).", null, null, retryable: false);
                return JsonValue.Create(userEntered && LooksLikeFormula(text) ? "'" + text : text);
            case JsonValue v when v.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                return v.DeepClone();
            default:
                return JsonValue.Create(value.ToJsonString());
        }
    }

    private static bool LooksLikeFormula(string text) =>
        text.Length > 0 && text[0] is '=' or '+' or '-' or '@'
        && !decimal.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _);

    /// <summary>A field of a record by its name, or a dotted path into a nested object (<c>metadata.region</c>).</summary>
    public static JsonNode? Field(JsonObject record, string path)
    {
        JsonNode? node = record;
        foreach (var part in path.Split('.'))
        {
            if (node is not JsonObject o || !o.TryGetPropertyValue(part, out node)) return null;
        }
        return node;
    }
}
