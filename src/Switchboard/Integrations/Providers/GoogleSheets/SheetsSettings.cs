using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.GoogleSheets;

/// <summary>An installation's Google Sheets configuration, read once per call with the schema's defaults filled in.</summary>
public sealed partial record SheetsSettings(string SpreadsheetId, string SheetName, string ValueInputOption, IReadOnlyList<string> Columns)
{
    public const string DefaultSheet = "Sheet1", Raw = "RAW", UserEntered = "USER_ENTERED";

    public static SheetsSettings For(ConnectorContext context, string? sheetOverride = null)
    {
        var id = context.Required("spreadsheetId");
        // Google: a spreadsheet id is letters, numbers, hyphens and underscores
        // (https://developers.google.com/workspace/sheets/api/guides/concepts). Anything else never reaches the URL.
        if (!SpreadsheetIdPattern().IsMatch(id))
            throw new ProviderException($"'{id}' is not a Google spreadsheet id (the part of the spreadsheet's URL after /d/).", null, null, retryable: false);
        var sheet = sheetOverride is { Length: > 0 } s ? s : context.Value("sheetName") is { Length: > 0 } n ? n : DefaultSheet;
        if (sheet.Length > 100) throw new ProviderException("A Google Sheets tab name has at most 100 characters.", null, null, retryable: false);
        var option = context.Value("valueInputOption") is UserEntered ? UserEntered : Raw;
        var columns = context.Config["columns"] is JsonArray list
            ? list.Select(c => c is JsonValue v && v.TryGetValue<string>(out var name) ? name : null).OfType<string>().ToList()
            : [];
        return new SheetsSettings(id, sheet, option, columns);
    }

    /// <summary><c>{api}/spreadsheets/{spreadsheetId}</c>.</summary>
    public string SpreadsheetUrl(ConnectorContext context) => $"{context.BaseUrl()}/spreadsheets/{Uri.EscapeDataString(SpreadsheetId)}";

    /// <summary><c>{api}/spreadsheets/{spreadsheetId}/values/{range}</c>, the A1 range escaped as one path segment.</summary>
    public string ValuesUrl(ConnectorContext context, string range) => $"{SpreadsheetUrl(context)}/values/{Uri.EscapeDataString(range)}";

    [GeneratedRegex("^[A-Za-z0-9_-]{1,200}$")]
    private static partial Regex SpreadsheetIdPattern();
}
