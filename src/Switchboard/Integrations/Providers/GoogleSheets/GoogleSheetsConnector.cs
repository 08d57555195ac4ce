using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Primitives;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Providers.Google;

namespace Switchboard.Integrations.Providers.GoogleSheets;

/// <summary>
/// Google Sheets (API v4, https://developers.google.com/workspace/sheets/api/reference/rest): a row appended for each new
/// lead or payment (<c>append_row</c>, <c>spreadsheets.values.append</c>), and a CRM list exported to a tab
/// (<c>export_list</c>: the tab's grid read, grown by <c>spreadsheets.batchUpdate</c> <c>appendDimension</c> where the list
/// needs more rows or columns, <c>values.clear</c>, then <c>values.batchUpdate</c> in requests under Google's recommended
/// 2 MB, https://developers.google.com/workspace/sheets/api/limits). OAuth 2.0 as a Google web server app, like Google Calendar;
/// Google's errors read by <see cref="GoogleErrors"/>: 429 and the rate-limit reasons retried after Google's
/// <c>Retry-After</c> (or the queue's backoff), 400 <c>INVALID_ARGUMENT</c> (a range Google cannot parse, a tab that does
/// not exist) final, with Google's message.
/// </summary>
public sealed class GoogleSheetsConnector(TimeProvider time) : Connector
{
    public const string Key = "google_sheets";

    /// <summary>The most one request body carries: Google recommends a 2 MB maximum payload (usage limits, above).</summary>
    public const int MaxRequestBytes = 2_000_000;

    public override ProviderDefinition Definition { get; } = GoogleSheetsDefinition.Create();

    /// <summary>
    /// <c>spreadsheets.get</c> with <c>fields=spreadsheetId,properties.title,sheets.properties</c>: no cell data, so it is
    /// cheap, and it proves the token, that the connected account can open the spreadsheet and that the configured tab
    /// exists. A 404 names the spreadsheet id: the usual cause is a wrong id or a spreadsheet not shared with the account.
    /// </summary>
    public override async Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var settings = SheetsSettings.For(context);
        var url = settings.SpreadsheetUrl(context) + "?fields=" + Uri.EscapeDataString("spreadsheetId,properties.title,sheets.properties");
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), cancellationToken);
        if (response.Status == 404)
        {
            var google = GoogleErrors.From(response, time, Definition.Name);
            throw new ProviderException($"Google Sheets has no spreadsheet '{settings.SpreadsheetId}' that the connected account can open: check the installation's "
                + "spreadsheetId, and that the spreadsheet is shared with that account.", 404, google.ProviderError, retryable: false);
        }
        if (!response.IsSuccess) throw GoogleErrors.From(response, time, Definition.Name);
        var tabs = (response.Json()?["sheets"] as JsonArray ?? []).Select(s => s?["properties"]?["title"]?.GetValue<string>()).OfType<string>().ToList();
        if (!tabs.Contains(settings.SheetName, StringComparer.Ordinal))
            throw new ProviderException($"The spreadsheet has no tab '{settings.SheetName}'; its tabs are: {string.Join(", ", tabs.Select(t => $"'{t}'"))}.",
                null, null, retryable: false);
        return response;
    }

    public override async Task<ProviderResponse> RunActionAsync(ConnectorContext context, string action, JsonObject input, CancellationToken cancellationToken) =>
        action switch
        {
            GoogleSheetsDefinition.AppendRow => await AppendAsync(context, input, cancellationToken),
            GoogleSheetsDefinition.ExportList => await ExportAsync(context, input, cancellationToken),
            _ => await base.RunActionAsync(context, action, input, cancellationToken),
        };

    /// <summary>
    /// <c>values.append</c> of one row at <c>'Tab'!A1</c> with <c>insertDataOption=INSERT_ROWS</c>: Google finds the table
    /// there and inserts a new row after its last, so rows appended side by side never overwrite each other. Google takes no
    /// idempotency key: a retry after an answer lost on the way back can append the row twice (put the event's
    /// <c>{{id}}</c> in a column to tell).
    /// </summary>
    private async Task<ProviderResponse> AppendAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var settings = SheetsSettings.For(context, Text(input, "sheet"));
        var userEntered = settings.ValueInputOption == SheetsSettings.UserEntered;
        var row = Row(input["values"], settings, userEntered);
        var range = A1Notation.FirstColumn(settings.SheetName, 1);
        var url = settings.ValuesUrl(context, range) + ":append?valueInputOption=" + settings.ValueInputOption + "&insertDataOption=INSERT_ROWS";
        var body = new JsonObject { ["range"] = range, ["majorDimension"] = "ROWS", ["values"] = new JsonArray(row) };
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) }, cancellationToken);
        return response.IsSuccess ? response : throw GoogleErrors.From(response, time, Definition.Name);
    }

    /// <summary>The row of an append: a list of cells, or an object whose fields the installation's columns pick in order.</summary>
    private static JsonArray Row(JsonNode? values, SheetsSettings settings, bool userEntered)
    {
        switch (values)
        {
            case JsonArray { Count: > 0 } cells:
                if (cells.Count > 18_278) throw Invalid("A row has at most 18,278 cells (columns A to ZZZ).");
                return new JsonArray(cells.Select(c => SheetCells.Cell(c, userEntered)).ToArray());
            case JsonObject fields:
                if (settings.Columns.Count == 0)
                    throw Invalid("values is an object, but the installation names no columns to pick its fields: set the installation's columns, or give values as a list.");
                if (!settings.Columns.Any(c => fields.ContainsKey(c.Split('.')[0])))
                    throw Invalid($"values has none of the installation's columns ({string.Join(", ", settings.Columns)}); it has: {string.Join(", ", fields.Select(f => f.Key))}.");
                return new JsonArray(settings.Columns.Select(c => SheetCells.Cell(SheetCells.Field(fields, c), userEntered)).ToArray());
            default:
                throw Invalid("values must be a non-empty list of cells, or an object of fields picked by the installation's columns.");
        }
    }

    /// <summary>
    /// Replaces a tab with a CRM list: its parameters checked first (a bad filter changes nothing at Google), the tab's grid
    /// read (<see cref="GridAsync"/>) and grown by columns when the export is wider, then <c>values.clear</c> of the whole tab, then <c>values.batchUpdate</c> from <c>'Tab'!A1</c> down, the header row first,
    /// each request's rows kept under <see cref="MaxRequestBytes"/> and placed at the row where the last one stopped, the tab grown by rows first
    /// when a request would end below its last row. The
    /// whole export is repeatable: a retried run clears and writes the same rows again. Answers a summary: the cleared
    /// range, rows written, requests made.
    /// </summary>
    private async Task<ProviderResponse> ExportAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var settings = SheetsSettings.For(context, Text(input, "sheet"));
        var userEntered = settings.ValueInputOption == SheetsSettings.UserEntered;
        var resource = Text(input, "resource") ?? throw Invalid("export_list needs the resource to export: contacts, leads or deals.");
        var list = CrmListReader.For(context, resource, Parameters(input));
        var columns = input["columns"] is JsonArray named
            ? named.Select(c => c is JsonValue v && v.TryGetValue<string>(out var name) ? name : throw Invalid("columns must be field names.")).ToList()
            : settings.Columns.Count > 0 ? settings.Columns.ToList() : list.Fields.ToList();
        if (columns.Count == 0) throw Invalid("export_list needs at least one column.");

        var grid = await GridAsync(context, settings, cancellationToken);
        // Columns first: the header row is as wide as the export, and every row after it.
        if (columns.Count > grid.ColumnCount) await AppendDimensionAsync(context, settings, grid, "COLUMNS", columns.Count - grid.ColumnCount, cancellationToken);

        var clearUrl = settings.ValuesUrl(context, A1Notation.Sheet(settings.SheetName)) + ":clear";
        // values.clear: "The request body must be empty."
        var cleared = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, clearUrl), cancellationToken);
        if (!cleared.IsSuccess) throw GoogleErrors.From(cleared, time, Definition.Name);

        var batchUrl = settings.SpreadsheetUrl(context) + "/values:batchUpdate";
        var chunk = new List<JsonArray> { new(columns.Select(c => (JsonNode)JsonValue.Create(c)!).ToArray()) };
        var chunkBytes = Bytes(chunk[0]);
        var nextRow = 1;
        var (rows, requests) = (0, 0);
        ProviderResponse? last = null;

        async Task FlushAsync()
        {
            var lastRow = nextRow + chunk.Count - 1;
            if (lastRow > grid.RowCount) await AppendDimensionAsync(context, settings, grid, "ROWS", lastRow - grid.RowCount, cancellationToken);
            var body = new JsonObject
            {
                ["valueInputOption"] = settings.ValueInputOption,
                ["data"] = new JsonArray(new JsonObject
                {
                    ["range"] = A1Notation.FirstColumn(settings.SheetName, nextRow), ["majorDimension"] = "ROWS",
                    ["values"] = new JsonArray(chunk.Cast<JsonNode>().ToArray()),
                }),
            };
            var text = body.ToJsonString();
            last = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, batchUrl)
            {
                Content = new StringContent(text, Encoding.UTF8, "application/json"),
            }, cancellationToken);
            if (!last.IsSuccess) throw GoogleErrors.From(last, time, Definition.Name);
            requests++;
            nextRow += chunk.Count;
            chunk = [];
            chunkBytes = 0;
        }

        await foreach (var record in list.ReadAsync(cancellationToken))
        {
            var row = new JsonArray(columns.Select(c => SheetCells.Cell(SheetCells.Field(record, c), userEntered)).ToArray());
            var size = Bytes(row);
            // The envelope (valueInputOption, the range, brackets) stays well under this margin.
            if (chunk.Count > 0 && chunkBytes + size + 1 > MaxRequestBytes - EnvelopeMargin) await FlushAsync();
            chunk.Add(row);
            chunkBytes += size + 1;
            rows++;
        }
        if (chunk.Count > 0) await FlushAsync();

        var summary = new JsonObject
        {
            ["spreadsheetId"] = settings.SpreadsheetId, ["clearedRange"] = cleared.Json()?["clearedRange"]?.DeepClone(), ["resource"] = resource,
            ["rows"] = rows, ["columns"] = columns.Count, ["requests"] = requests,
            ["updatedRange"] = last?.Json()?["responses"]?[0]?["updatedRange"]?.DeepClone(),
        };
        return last! with { Body = summary.ToJsonString() };
    }

    private const int EnvelopeMargin = 4_096;

    /// <summary>A tab's id and the size of its grid, as <c>spreadsheets.get</c> gives them (<c>SheetProperties.gridProperties</c>).</summary>
    private sealed class Grid(int sheetId, int rowCount, int columnCount)
    {
        public int SheetId { get; } = sheetId;
        public int RowCount { get; set; } = rowCount;
        public int ColumnCount { get; set; } = columnCount;
    }

    /// <summary>
    /// The tab's grid, read before an export writes: <c>values.update</c> and <c>values.batchUpdate</c> never grow a tab, and a
    /// write past its last row or column is refused whole with 400 <c>INVALID_ARGUMENT</c> "Range ('Sheet1'!A1001) exceeds grid
    /// limits. Max rows: 1000, max columns: 26" (a new tab has 1,000 rows and 26 columns; reported at
    /// https://github.com/home-assistant/core/issues/104198, https://github.com/burnash/gspread/issues/371). Only
    /// <c>values.append</c> inserts rows. <c>spreadsheets.get</c> with <c>fields=sheets.properties</c> reads no cell data.
    /// </summary>
    private async Task<Grid> GridAsync(ConnectorContext context, SheetsSettings settings, CancellationToken cancellationToken)
    {
        var url = settings.SpreadsheetUrl(context) + "?fields=" + Uri.EscapeDataString("sheets.properties");
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), cancellationToken);
        if (!response.IsSuccess) throw GoogleErrors.From(response, time, Definition.Name);
        var sheets = (response.Json()?["sheets"] as JsonArray ?? []).Select(s => s?["properties"]).OfType<JsonObject>().ToList();
        var tab = sheets.FirstOrDefault(p => p["title"]?.GetValue<string>() == settings.SheetName)
            ?? throw new ProviderException($"The spreadsheet has no tab '{settings.SheetName}'; its tabs are: "
                + string.Join(", ", sheets.Select(p => $"'{p["title"]?.GetValue<string>()}'")) + ".", null, null, retryable: false);
        // A tab that is not a grid (a chart sheet, a connected data source) has no gridProperties and takes no values.
        if (tab["gridProperties"] is not JsonObject size || tab["sheetId"] is not JsonValue id)
            throw new ProviderException($"The tab '{settings.SheetName}' is not a grid of cells (sheetType {tab["sheetType"]}); export to a plain tab.", null, null, retryable: false);
        return new Grid(id.GetValue<int>(), size["rowCount"]?.GetValue<int>() ?? 0, size["columnCount"]?.GetValue<int>() ?? 0);
    }

    /// <summary>
    /// Grows the tab by <paramref name="length"/> rows or columns at its end: <c>spreadsheets.batchUpdate</c> with an
    /// <c>AppendDimensionRequest</c> {sheetId, dimension, length}
    /// (https://developers.google.com/workspace/sheets/api/reference/rest/v4/spreadsheets/request#AppendDimensionRequest,
    /// https://developers.google.com/workspace/sheets/api/guides/batchupdate). Exactly what the next write needs, no more:
    /// a spreadsheet holds at most 10 million cells, and Google's 400 for that limit is passed on with its message.
    /// </summary>
    private async Task AppendDimensionAsync(ConnectorContext context, SheetsSettings settings, Grid grid, string dimension, int length, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["requests"] = new JsonArray(new JsonObject
            {
                ["appendDimension"] = new JsonObject { ["sheetId"] = grid.SheetId, ["dimension"] = dimension, ["length"] = length },
            }),
        };
        var text = body.ToJsonString();
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, settings.SpreadsheetUrl(context) + ":batchUpdate")
        {
            Content = new StringContent(text, Encoding.UTF8, "application/json"),
        }, cancellationToken);
        if (!response.IsSuccess) throw GoogleErrors.From(response, time, Definition.Name);
        if (dimension == "ROWS") grid.RowCount += length;
        else grid.ColumnCount += length;
    }

    private static int Bytes(JsonNode row) => Encoding.UTF8.GetByteCount(row.ToJsonString());

    /// <summary>The export's list parameters as a query string would give them: its filters, and its sort.</summary>
    private static List<KeyValuePair<string, StringValues>> Parameters(JsonObject input)
    {
        var parameters = new List<KeyValuePair<string, StringValues>>();
        if (input["filters"] is JsonObject filters)
            foreach (var (name, value) in filters)
            {
                if (name is "limit" or "cursor" or "offset" or "fields" or "sort")
                    throw Invalid($"filters.{name} is not a filter: an export reads every page of the list (give sort on its own).");
                parameters.Add(new(name, value switch
                {
                    JsonValue v when v.TryGetValue<string>(out var s) => s,
                    JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
                    JsonValue v => v.ToJsonString(),
                    _ => throw Invalid($"filters.{name} must be a string, number or boolean."),
                }));
            }
        else if (input["filters"] is not null) throw Invalid("filters must be an object of the list's query parameters.");
        if (Text(input, "sort") is { } sort) parameters.Add(new("sort", sort));
        return parameters;
    }

    private static string? Text(JsonObject input, string name) =>
        input[name] is JsonValue v && v.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;

    private static ProviderException Invalid(string message) => new(message, null, null, retryable: false);

    /// <summary>Revokes the grant at Google on uninstall (<see cref="GoogleOAuth.RevokeAsync"/>).</summary>
    public override Task RevokeAsync(ConnectorContext context, CancellationToken cancellationToken) =>
        GoogleOAuth.RevokeAsync(context, Definition, cancellationToken);
}
