using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// Google's OAuth token and revocation endpoints and the Sheets API v4 on loopback, on <see cref="FakeProvider"/>. It
/// checks what Google documents and answers Google's shapes
/// (https://developers.google.com/workspace/sheets/api/reference/rest):
/// - every Sheets call carries <c>Authorization: Bearer</c> of a token granted the <c>spreadsheets</c> scope; an unknown or
///   expired one is 401 <c>UNAUTHENTICATED</c>;
/// - the range is one path segment, percent-encoded (no raw quote, space or <c>!</c>), in A1 notation: a tab's name quoted
///   when it is not plain letters and digits, a quote inside doubled; a tab that does not exist is 400
///   <c>INVALID_ARGUMENT</c> "Unable to parse range: …" (with the legacy <c>badRequest</c> reason, as Google sends it);
/// - <c>spreadsheets.get</c> with a <c>fields</c> mask (the connection test must not read cell data); 404 <c>NOT_FOUND</c>
///   for an unknown spreadsheet;
/// - <c>values.append</c>: POST <c>…/values/{range}:append</c> with <c>valueInputOption</c> RAW or USER_ENTERED and
///   <c>insertDataOption=INSERT_ROWS</c>; a <c>ValueRange</c> body (<c>range</c> equal to the path's, <c>majorDimension</c>
///   ROWS, <c>values</c> a list of rows of strings, numbers and booleans); answers an <c>AppendValuesResponse</c>;
/// - <c>values.clear</c>: an empty body; answers a <c>ClearValuesResponse</c>;
/// - <c>values.batchUpdate</c>: <c>valueInputOption</c> and <c>data</c> of <c>ValueRange</c>s in the body, each request
///   at most 2 MB (Google's recommended maximum payload, https://developers.google.com/workspace/sheets/api/limits);
///   answers a <c>BatchUpdateValuesResponse</c>;
/// - token endpoint: <c>grant_type=refresh_token</c> with client_secret_post; revoke: a form with <c>token</c>.
/// </summary>
public sealed class GoogleSheetsFake : IAsyncDisposable
{
    public const string ClientId = "switchboard-sheets.apps.googleusercontent.com", ClientSecret = "GOCSPX-sheets-secret";
    public const string Scope = "https://www.googleapis.com/auth/spreadsheets";
    public const int MaxPayloadBytes = 2_000_000;

    private sealed class Grant
    {
        public required string RefreshToken { get; init; }
        public string AccessToken { get; set; } = "";
        public bool Expired { get; set; }
        public bool Revoked { get; set; }
    }

    /// <summary>A tab's <c>sheetId</c> and grid size (<c>SheetProperties.gridProperties</c>): a new tab has 1,000 rows and 26 columns.</summary>
    public sealed class Grid
    {
        public required int SheetId { get; init; }
        public int RowCount { get; set; } = 1000;
        public int ColumnCount { get; set; } = 26;
    }

    public sealed class Spreadsheet
    {
        public required string Id { get; init; }
        public required string Title { get; init; }
        public Lock Gate { get; } = new();
        /// <summary>Tab name → its rows (row 1 first); a cleared or never-written row is an empty list.</summary>
        public Dictionary<string, List<List<JsonNode?>>> Tabs { get; } = new(StringComparer.Ordinal);
        /// <summary>Tab name → its grid.</summary>
        public Dictionary<string, Grid> Grids { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>Google's limit on the cells of one spreadsheet (https://support.google.com/drive/answer/37603).</summary>
    public const long MaxCells = 10_000_000;

    private readonly ConcurrentDictionary<string, Grant> _byAccess = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Grant> _byRefresh = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Spreadsheet> _spreadsheets = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(int Code, string Status, string Message, string? RetryAfter)> _failures = new();
    private int _refreshes;

    public FakeProvider Provider { get; private set; } = null!;
    public int Refreshes => Volatile.Read(ref _refreshes);
    public string ApiBaseUrl => Provider.BaseUrl + "/v4";
    public string TokenUrl => Provider.BaseUrl + "/token";
    public string RevokeUrl => Provider.BaseUrl + "/revoke";
    /// <summary>The raw request target (path and query as sent, before decoding) of each Sheets call.</summary>
    public ConcurrentQueue<string> RawTargets { get; } = new();

    public static async Task<GoogleSheetsFake> StartAsync()
    {
        var google = new GoogleSheetsFake();
        google.Provider = await FakeProvider.StartAsync((app, fake) =>
        {
            app.MapPost("/token", (Func<HttpContext, Task<IResult>>)google.TokenAsync);
            app.MapPost("/revoke", (Func<HttpContext, Task<IResult>>)google.RevokeAsync);
            app.MapGet("/v4/spreadsheets/{id}", (Func<HttpContext, string, IResult>)google.Get);
            app.MapPost("/v4/spreadsheets/{target}", (Func<HttpContext, string, Task<IResult>>)google.SpreadsheetBatchUpdateAsync);
            app.MapPost("/v4/spreadsheets/{id}/values:batchUpdate", (Func<HttpContext, string, Task<IResult>>)google.BatchUpdateAsync);
            app.MapPost("/v4/spreadsheets/{id}/values/{*rest}", (Func<HttpContext, string, string, Task<IResult>>)google.ValuesAsync);
        });
        return google;
    }

    public static GoogleSheetsFake Start() => StartAsync().GetAwaiter().GetResult();

    /// <summary>A spreadsheet of the connected user with these tabs (empty).</summary>
    public Spreadsheet Create(params string[] tabs)
    {
        var sheet = new Spreadsheet { Id = "1" + Guid.NewGuid().ToString("N") + "_Bx-9", Title = "CRM exports" };
        foreach (var (tab, i) in tabs.Select((t, i) => (t, i)))
        {
            sheet.Tabs[tab] = [];
            sheet.Grids[tab] = new Grid { SheetId = i == 0 ? 0 : 1_000_000 + 7919 * i };
        }
        _spreadsheets[sheet.Id] = sheet;
        return sheet;
    }

    /// <summary>A tab's grid now (a copy): its rows and columns as <c>spreadsheets.get</c> reports them.</summary>
    public (int Rows, int Columns) GridOf(string spreadsheetId, string tab)
    {
        var sheet = _spreadsheets[spreadsheetId];
        lock (sheet.Gate) return (sheet.Grids[tab].RowCount, sheet.Grids[tab].ColumnCount);
    }

    /// <summary>Sizes a tab's grid, as a user deleting or inserting rows and columns in the sheet would.</summary>
    public void Resize(string spreadsheetId, string tab, int rows, int columns)
    {
        var sheet = _spreadsheets[spreadsheetId];
        lock (sheet.Gate) (sheet.Grids[tab].RowCount, sheet.Grids[tab].ColumnCount) = (rows, columns);
    }

    /// <summary>A tab's rows as the sheet shows them (trailing empty rows left out).</summary>
    public List<List<JsonNode?>> Rows(string spreadsheetId, string tab)
    {
        var sheet = _spreadsheets[spreadsheetId];
        lock (sheet.Gate)
        {
            var rows = sheet.Tabs[tab].Select(r => r.Select(c => c?.DeepClone()).ToList()).ToList();
            while (rows.Count > 0 && rows[^1].Count == 0) rows.RemoveAt(rows.Count - 1);
            return rows;
        }
    }

    /// <summary>Puts rows on a tab, as a user typing in the sheet would.</summary>
    public void Put(string spreadsheetId, string tab, params string[][] rows)
    {
        var sheet = _spreadsheets[spreadsheetId];
        lock (sheet.Gate) sheet.Tabs[tab].AddRange(rows.Select(r => r.Select(c => (JsonNode?)JsonValue.Create(c)).ToList()));
    }

    public (string AccessToken, string RefreshToken) IssueGrant()
    {
        var grant = new Grant { RefreshToken = "1//" + Guid.NewGuid().ToString("N") };
        _byRefresh[grant.RefreshToken] = grant;
        NewAccessToken(grant);
        return (grant.AccessToken, grant.RefreshToken);
    }

    public void ExpireAccessToken(string accessToken) => _byAccess[accessToken].Expired = true;
    public bool IsRevoked(string refreshToken) => _byRefresh[refreshToken].Revoked;

    /// <summary>Google answers the next Sheets call (after its auth check) with this error, in the Sheets API's shape.</summary>
    public void FailNext(int code, string status, string message, string? retryAfter = null) => _failures.Enqueue((code, status, message, retryAfter));

    private async Task<IResult> TokenAsync(HttpContext http)
    {
        if (!Provider.Require(http.Request.HasFormContentType, "the token endpoint takes application/x-www-form-urlencoded"))
            return Json(400, new JsonObject { ["error"] = "invalid_request" });
        var form = await http.Request.ReadFormAsync();
        Provider.Require(form["client_id"] == ClientId && form["client_secret"] == ClientSecret, "client_secret_post: client_id and client_secret in the form");
        if (!Provider.Require(form["grant_type"] == "refresh_token", $"grant_type '{form["grant_type"]}' (only refresh_token is exercised here)"))
            return Json(400, new JsonObject { ["error"] = "unsupported_grant_type" });
        if (!_byRefresh.TryGetValue(form["refresh_token"].ToString(), out var grant) || grant.Revoked)
            return Json(400, new JsonObject { ["error"] = "invalid_grant", ["error_description"] = "Token has been expired or revoked." });
        Interlocked.Increment(ref _refreshes);
        NewAccessToken(grant);
        return Json(200, new JsonObject { ["access_token"] = grant.AccessToken, ["expires_in"] = 3599, ["scope"] = Scope, ["token_type"] = "Bearer" });
    }

    private async Task<IResult> RevokeAsync(HttpContext http)
    {
        if (!Provider.Require(http.Request.HasFormContentType, "the revocation endpoint takes application/x-www-form-urlencoded"))
            return Json(400, new JsonObject { ["error"] = "invalid_request" });
        var token = (await http.Request.ReadFormAsync())["token"].ToString();
        var grant = _byRefresh.GetValueOrDefault(token) ?? _byAccess.GetValueOrDefault(token);
        if (grant is null || grant.Revoked) return Json(400, new JsonObject { ["error"] = "invalid_token", ["error_description"] = "Token expired or revoked" });
        grant.Revoked = true;
        return Json(200, new JsonObject());
    }

    private IResult Get(HttpContext http, string id)
    {
        if (Refused(http) is { } refused) return refused;
        Provider.Require(http.Request.Query["fields"].ToString().Length > 0, "the connection test reads spreadsheets.get with a fields mask, not the whole spreadsheet");
        Provider.Require(!http.Request.Query.ContainsKey("includeGridData"), "the connection test must not read cell data");
        if (!_spreadsheets.TryGetValue(id, out var sheet)) return NotFound();
        lock (sheet.Gate)
            return Json(200, new JsonObject
            {
                ["spreadsheetId"] = sheet.Id, ["properties"] = new JsonObject { ["title"] = sheet.Title },
                ["sheets"] = new JsonArray(sheet.Tabs.Keys.Select((tab, i) => (JsonNode)new JsonObject
                {
                    ["properties"] = new JsonObject
                    {
                        ["sheetId"] = sheet.Grids[tab].SheetId, ["title"] = tab, ["index"] = i, ["sheetType"] = "GRID",
                        ["gridProperties"] = new JsonObject { ["rowCount"] = sheet.Grids[tab].RowCount, ["columnCount"] = sheet.Grids[tab].ColumnCount },
                    },
                }).ToArray()),
            });
    }

    /// <summary><c>…/values/{range}:append</c> and <c>…/values/{range}:clear</c>.</summary>
    private async Task<IResult> ValuesAsync(HttpContext http, string id, string rest)
    {
        if (Refused(http) is { } refused) return refused;
        var raw = http.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var rawRange = raw.Split('?')[0];
        rawRange = rawRange[(rawRange.IndexOf("/values/", StringComparison.Ordinal) + "/values/".Length)..];
        var colon = rawRange.LastIndexOf(':');
        Provider.Require(colon > 0 && rawRange[..colon].All(c => char.IsAsciiLetterOrDigit(c) || c is '%' or '-' or '_' or '.' or '~'),
            $"the range must be percent-encoded as one path segment (got {rawRange})");
        var method = rest[(rest.LastIndexOf(':') + 1)..];
        var range = Uri.UnescapeDataString(rawRange[..colon]);
        if (!_spreadsheets.TryGetValue(id, out var sheet)) return NotFound();
        var (tab, _) = Parse(range, out var problem);
        if (problem is not null || !sheet.Tabs.TryGetValue(tab!, out var table)) return BadRange(range, problem);
        var body = await ReadBodyAsync(http);
        switch (method)
        {
            case "append":
            {
                var query = http.Request.Query;
                Provider.Require(query["valueInputOption"] is var o && o.Count == 1 && o[0] is "RAW" or "USER_ENTERED", $"valueInputOption={query["valueInputOption"]} (RAW or USER_ENTERED, required)");
                Provider.Require(query["insertDataOption"] == "INSERT_ROWS", "insertDataOption=INSERT_ROWS, so an append never overwrites rows");
                if (ValueRange(JsonNode.Parse(body) as JsonObject, range) is not { } rows) return Error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
                lock (sheet.Gate)
                {
                    var used = table.FindLastIndex(r => r.Count > 0) + 1;
                    var start = used + 1;
                    var width = rows.Max(r => r.Count);
                    var grid = sheet.Grids[tab!];
                    // values.append inserts the rows it needs (INSERT_ROWS) but never adds columns.
                    if (width > grid.ColumnCount) return OutsideGrid(range, grid, start, width);
                    grid.RowCount = Math.Max(grid.RowCount, used + rows.Count);
                    table.RemoveRange(used, table.Count - used);
                    table.AddRange(rows);
                    var answer = new JsonObject
                    {
                        ["spreadsheetId"] = id,
                        ["updates"] = new JsonObject
                        {
                            ["spreadsheetId"] = id, ["updatedRange"] = $"{Quoted(tab!)}!A{start}:{Column(width)}{start + rows.Count - 1}",
                            ["updatedRows"] = rows.Count, ["updatedColumns"] = width, ["updatedCells"] = rows.Sum(r => r.Count),
                        },
                    };
                    // tableRange is left out when no table was found (an empty tab).
                    if (used > 0) answer["tableRange"] = $"{Quoted(tab!)}!A1:{Column(width)}{used}";
                    return Json(200, answer);
                }
            }
            case "clear":
                Provider.Require(body.Length == 0, "values.clear: the request body must be empty");
                lock (sheet.Gate)
                {
                    // Google answers the whole grid as the cleared range; the grid keeps its size.
                    var grid = sheet.Grids[tab!];
                    table.Clear();
                    return Json(200, new JsonObject { ["spreadsheetId"] = id, ["clearedRange"] = $"{Quoted(tab!)}!A1:{Column(grid.ColumnCount)}{grid.RowCount}" });
                }
            default:
                Provider.Violation($"values/{{range}}:{method} is not a method this connector should call");
                return Error(404, "NOT_FOUND", "Method not found.");
        }
    }

    private async Task<IResult> BatchUpdateAsync(HttpContext http, string id)
    {
        if (Refused(http) is { } refused) return refused;
        var text = await ReadBodyAsync(http);
        Provider.Require(Encoding.UTF8.GetByteCount(text) <= MaxPayloadBytes, $"a values.batchUpdate of {Encoding.UTF8.GetByteCount(text):N0} bytes; Google recommends at most 2 MB");
        if (!_spreadsheets.TryGetValue(id, out var sheet)) return NotFound();
        if (JsonNode.Parse(text) is not JsonObject body) return Error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
        Provider.Require(body["valueInputOption"]?.GetValue<string>() is "RAW" or "USER_ENTERED", "values.batchUpdate needs valueInputOption RAW or USER_ENTERED");
        if (!Provider.Require(body["data"] is JsonArray { Count: > 0 }, "values.batchUpdate needs data: one or more ValueRanges"))
            return Error(400, "INVALID_ARGUMENT", "Invalid data: at least one ValueRange is required.");
        var responses = new JsonArray();
        var (totalRows, totalCells, width) = (0, 0, 0);
        lock (sheet.Gate)
        {
            // Checked whole before anything is written: Google applies a values.batchUpdate all or nothing.
            var writes = new List<(string Tab, int Row, List<List<JsonNode?>> Rows, List<List<JsonNode?>> Table)>();
            foreach (var item in body["data"]!.AsArray())
            {
                var range = item?["range"]?.GetValue<string>() ?? "";
                var (tab, row) = Parse(range, out var problem);
                if (problem is not null || !sheet.Tabs.TryGetValue(tab!, out var table) || row is null)
                    return BadRange(range, problem ?? (row is null ? "a start cell (A1) is expected" : null));
                if (ValueRange(item as JsonObject, range) is not { } rows) return Error(400, "INVALID_ARGUMENT", "Invalid data[0]: values must be a list of rows.");
                // values.update and values.batchUpdate never grow the grid: a write past its last row or column is refused.
                var grid = sheet.Grids[tab!];
                if (row.Value - 1 + rows.Count > grid.RowCount || rows.Max(r => r.Count) > grid.ColumnCount)
                    return OutsideGrid(range, grid, row.Value, rows.Max(r => r.Count));
                writes.Add((tab!, row.Value, rows, table));
            }
            foreach (var (tab, row, rows, table) in writes)
            {
                while (table.Count < row - 1 + rows.Count) table.Add([]);
                for (var i = 0; i < rows.Count; i++) table[row - 1 + i] = rows[i];
                var w = rows.Max(r => r.Count);
                width = Math.Max(width, w);
                totalRows += rows.Count;
                totalCells += rows.Sum(r => r.Count);
                responses.Add(new JsonObject
                {
                    ["spreadsheetId"] = id, ["updatedRange"] = $"{Quoted(tab)}!A{row}:{Column(w)}{row + rows.Count - 1}",
                    ["updatedRows"] = rows.Count, ["updatedColumns"] = w, ["updatedCells"] = rows.Sum(r => r.Count),
                });
            }
        }
        return Json(200, new JsonObject
        {
            ["spreadsheetId"] = id, ["totalUpdatedRows"] = totalRows, ["totalUpdatedColumns"] = width, ["totalUpdatedCells"] = totalCells,
            ["totalUpdatedSheets"] = 1, ["responses"] = responses,
        });
    }

    /// <summary>
    /// Google's 400 for a values write past the tab's grid, naming the first cell outside it and the grid's size:
    /// <c>Range ('Sheet1'!A1001) exceeds grid limits. Max rows: 1000, max columns: 26</c>, status <c>INVALID_ARGUMENT</c>
    /// (as reported at https://github.com/home-assistant/core/issues/104198 and https://github.com/nithinmurali/pygsheets/issues/124).
    /// </summary>
    private static IResult OutsideGrid(string range, Grid grid, int startRow, int width)
    {
        var bang = range.LastIndexOf('!');
        var sheetPart = bang < 0 ? range : range[..bang];
        var cell = width > grid.ColumnCount ? $"{Column(grid.ColumnCount + 1)}{startRow}" : $"A{Math.Max(startRow, grid.RowCount + 1)}";
        return Error(400, "INVALID_ARGUMENT", $"Range ({sheetPart}!{cell}) exceeds grid limits. Max rows: {grid.RowCount}, max columns: {grid.ColumnCount}");
    }

    /// <summary>
    /// <c>spreadsheets.batchUpdate</c>: POST <c>spreadsheets/{id}:batchUpdate</c> with <c>requests</c>, each a <c>Request</c>
    /// with exactly one kind set (https://developers.google.com/workspace/sheets/api/guides/batchupdate). The grid requests
    /// an export needs are taken: <c>appendDimension</c> {sheetId, dimension ROWS or COLUMNS, length ≥ 1}, and
    /// <c>updateSheetProperties</c> of <c>gridProperties.rowCount</c>/<c>columnCount</c> with a <c>fields</c> mask naming
    /// exactly those (a mask of <c>*</c> or <c>gridProperties</c> would reset the tab's title, frozen rows and the rest);
    /// anything else is a violation. All requests are checked before any applies; an unknown sheetId or a grid past
    /// 10 million cells is Google's 400. Answers <c>{spreadsheetId, replies: [{} …]}</c>.
    /// </summary>
    private async Task<IResult> SpreadsheetBatchUpdateAsync(HttpContext http, string target)
    {
        if (!Provider.Require(target.EndsWith(":batchUpdate", StringComparison.Ordinal), $"POST spreadsheets/{target}: only :batchUpdate is a POST here"))
            return Error(404, "NOT_FOUND", "Method not found.");
        if (Refused(http) is { } refused) return refused;
        var id = target[..^":batchUpdate".Length];
        if (!_spreadsheets.TryGetValue(id, out var sheet)) return NotFound();
        var text = await ReadBodyAsync(http);
        Provider.Require(http.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true, "spreadsheets.batchUpdate takes a JSON body");
        if (JsonNode.Parse(text) is not JsonObject { } body || body["requests"] is not JsonArray { Count: > 0 } requests)
        {
            Provider.Violation("spreadsheets.batchUpdate needs requests: one or more Request objects");
            return Error(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Must specify at least one request.");
        }
        lock (sheet.Gate)
        {
            var changes = new List<(Grid Grid, int Rows, int Columns)>();
            var grids = sheet.Grids.Values.ToDictionary(g => g.SheetId, g => (g.RowCount, g.ColumnCount));
            for (var i = 0; i < requests.Count; i++)
            {
                if (!Provider.Require(requests[i] is JsonObject { Count: 1 }, $"requests[{i}] must set exactly one kind of request"))
                    return Error(400, "INVALID_ARGUMENT", $"Invalid requests[{i}]: exactly one kind of request must be set.");
                var (kind, request) = requests[i]!.AsObject().Single();
                int sheetId, rows, columns;
                switch (kind)
                {
                    case "appendDimension":
                    {
                        var dimension = request?["dimension"]?.GetValue<string>();
                        var length = request?["length"] is JsonValue l && l.TryGetValue<int>(out var n) ? n : 0;
                        Provider.Require(request?["sheetId"] is JsonValue, $"requests[{i}].appendDimension.sheetId is required (the default, 0, is only the first tab)");
                        Provider.Require(dimension is "ROWS" or "COLUMNS", $"requests[{i}].appendDimension.dimension ROWS or COLUMNS (got {dimension})");
                        if (!Provider.Require(length >= 1, $"requests[{i}].appendDimension.length must be at least 1"))
                            return Error(400, "INVALID_ARGUMENT", $"Invalid requests[{i}].appendDimension: length must be greater than 0.");
                        sheetId = request?["sheetId"]?.GetValue<int>() ?? 0;
                        if (!grids.TryGetValue(sheetId, out var size)) return NoGrid(i, kind, sheetId);
                        (rows, columns) = dimension == "ROWS" ? (size.RowCount + length, size.ColumnCount) : (size.RowCount, size.ColumnCount + length);
                        break;
                    }
                    case "updateSheetProperties":
                    {
                        var fields = (request?["fields"]?.GetValue<string>() ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                        var gridProperties = request?["properties"]?["gridProperties"] as JsonObject;
                        Provider.Require(fields.Length > 0 && fields.All(f => f is "gridProperties.rowCount" or "gridProperties.columnCount"),
                            $"requests[{i}].updateSheetProperties.fields '{request?["fields"]}' must name exactly gridProperties.rowCount and/or gridProperties.columnCount");
                        if (!Provider.Require(request?["properties"]?["sheetId"] is JsonValue && gridProperties is not null, $"requests[{i}].updateSheetProperties needs properties.sheetId and properties.gridProperties"))
                            return Error(400, "INVALID_ARGUMENT", $"Invalid requests[{i}].updateSheetProperties: properties are required.");
                        sheetId = request!["properties"]!["sheetId"]!.GetValue<int>();
                        if (!grids.TryGetValue(sheetId, out var size)) return NoGrid(i, kind, sheetId);
                        rows = fields.Contains("gridProperties.rowCount") ? gridProperties!["rowCount"]?.GetValue<int>() ?? 0 : size.RowCount;
                        columns = fields.Contains("gridProperties.columnCount") ? gridProperties!["columnCount"]?.GetValue<int>() ?? 0 : size.ColumnCount;
                        break;
                    }
                    default:
                        Provider.Violation($"requests[{i}].{kind}: not a request this connector should send");
                        return Error(400, "INVALID_ARGUMENT", $"Invalid requests[{i}].{kind}: not supported here.");
                }
                grids[sheetId] = (rows, columns);
                if (grids.Values.Sum(g => (long)g.RowCount * g.ColumnCount) > MaxCells)
                    return Error(400, "INVALID_ARGUMENT", $"Invalid requests[{i}].{kind}: This action would increase the number of cells in the workbook above the limit of {MaxCells} cells.");
            }
            foreach (var grid in sheet.Grids.Values) (grid.RowCount, grid.ColumnCount) = grids[grid.SheetId];
        }
        return Json(200, new JsonObject { ["spreadsheetId"] = id, ["replies"] = new JsonArray(requests.Select(_ => (JsonNode)new JsonObject()).ToArray()) });
    }

    private static IResult NoGrid(int index, string kind, int sheetId) => Error(400, "INVALID_ARGUMENT", $"Invalid requests[{index}].{kind}: No grid with id: {sheetId}");

    /// <summary>A ValueRange body's rows, checked as Google checks them; null (and a violation) when it is malformed.</summary>
    private List<List<JsonNode?>>? ValueRange(JsonObject? body, string range)
    {
        if (!Provider.Require(body is not null, "a ValueRange body (JSON object)")) return null;
        if (body!["range"] is { } r) Provider.Require(r.GetValue<string>() == range, $"the ValueRange's range '{r}' must be the request's ('{range}')");
        Provider.Require(body["majorDimension"] is null || body["majorDimension"]!.GetValue<string>() == "ROWS", "majorDimension ROWS: a row per CRM record");
        if (!Provider.Require(body["values"] is JsonArray { Count: > 0 } rows && rows.All(x => x is JsonArray { Count: > 0 }), "values: a non-empty list of non-empty rows"))
            return null;
        var result = new List<List<JsonNode?>>();
        foreach (var row in body["values"]!.AsArray())
        {
            foreach (var cell in row!.AsArray())
                Provider.Require(cell is JsonValue v && v.GetValueKind() is System.Text.Json.JsonValueKind.String or System.Text.Json.JsonValueKind.Number
                    or System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False, $"a cell must be a string, number or boolean (got {cell?.ToJsonString() ?? "null"})");
            result.Add(row.AsArray().Select(c => c?.DeepClone()).ToList());
        }
        return result;
    }

    /// <summary>
    /// A1 notation: <c>'Tab name'!A5</c>, <c>Tab!A1</c> or a whole tab. A quoted name ends at a single quote; two quotes
    /// stand for one. An unquoted name that is not plain letters, digits and underscores is a violation: Google needs the
    /// quotes for spaces and punctuation.
    /// </summary>
    private (string? Tab, int? Row) Parse(string range, out string? problem)
    {
        problem = null;
        string tab;
        string rest;
        if (range.StartsWith('\''))
        {
            var name = new StringBuilder();
            var i = 1;
            while (true)
            {
                if (i >= range.Length) { problem = "an unterminated quoted sheet name"; return (null, null); }
                if (range[i] == '\'')
                {
                    if (i + 1 < range.Length && range[i + 1] == '\'') { name.Append('\''); i += 2; continue; }
                    i++;
                    break;
                }
                name.Append(range[i++]);
            }
            tab = name.ToString();
            rest = range[i..];
        }
        else
        {
            var bang = range.IndexOf('!');
            tab = bang < 0 ? range : range[..bang];
            rest = bang < 0 ? "" : range[bang..];
            Provider.Require(tab.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'), $"the sheet name in '{range}' needs single quotes (A1 notation)");
        }
        if (rest.Length == 0) return (tab, null);
        if (!rest.StartsWith('!') || rest.Length < 3 || rest[1] != 'A' || !int.TryParse(rest[2..], out var row) || row < 1)
        {
            problem = $"'{rest}' after the sheet name (expected !A<row>)";
            return (tab, null);
        }
        return (tab, row);
    }

    private IResult BadRange(string range, string? problem)
    {
        if (problem is not null) Provider.Violation($"range '{range}': {problem}");
        // Google's answer to a range naming no tab of the spreadsheet, legacy errors list included.
        return Json(400, new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["code"] = 400, ["message"] = $"Unable to parse range: {range}",
                ["errors"] = new JsonArray(new JsonObject { ["message"] = $"Unable to parse range: {range}", ["domain"] = "global", ["reason"] = "badRequest" }),
                ["status"] = "INVALID_ARGUMENT",
            },
        });
    }

    private IResult? Refused(HttpContext http)
    {
        RawTargets.Enqueue(http.Features.Get<IHttpRequestFeature>()!.RawTarget);
        var header = http.Request.Headers.Authorization.ToString();
        if (!Provider.Require(header.StartsWith("Bearer ", StringComparison.Ordinal), $"{http.Request.Method} {http.Request.Path} without a bearer token")
            || !_byAccess.TryGetValue(header["Bearer ".Length..], out var grant) || grant.Expired || grant.Revoked || grant.AccessToken != header["Bearer ".Length..])
        {
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"";
            return Error(401, "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.");
        }
        if (!_failures.TryDequeue(out var f)) return null;
        if (f.RetryAfter is not null) http.Response.Headers.RetryAfter = f.RetryAfter;
        var error = Error(f.Code, f.Status, f.Message);
        return error;
    }

    private static async Task<string> ReadBodyAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    private void NewAccessToken(Grant grant)
    {
        _byAccess.TryRemove(grant.AccessToken, out _);
        grant.AccessToken = "ya29." + Guid.NewGuid().ToString("N");
        grant.Expired = false;
        _byAccess[grant.AccessToken] = grant;
    }

    private static string Quoted(string tab) => tab.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') ? tab : "'" + tab.Replace("'", "''") + "'";

    private static string Column(int count)
    {
        var name = "";
        for (var n = count; n > 0; n = (n - 1) / 26) name = (char)('A' + (n - 1) % 26) + name;
        return name;
    }

    private static IResult NotFound() => Error(404, "NOT_FOUND", "Requested entity was not found.");

    /// <summary>
    /// The Sheets API's error body (https://cloud.google.com/apis/design/errors): code, message and the canonical status;
    /// a 429 carries a <c>google.rpc.ErrorInfo</c> with reason <c>RATE_LIMIT_EXCEEDED</c>, as Google sends it.
    /// </summary>
    public static IResult Error(int code, string status, string message)
    {
        var error = new JsonObject { ["code"] = code, ["message"] = message, ["status"] = status };
        if (code == 429)
            error["details"] = new JsonArray(new JsonObject
            {
                ["@type"] = "type.googleapis.com/google.rpc.ErrorInfo", ["reason"] = "RATE_LIMIT_EXCEEDED", ["domain"] = "googleapis.com",
                ["metadata"] = new JsonObject { ["quota_limit"] = "WriteRequestsPerMinutePerUser", ["service"] = "sheets.googleapis.com" },
            });
        return Json(code, new JsonObject { ["error"] = error });
    }

    // Google writes quotes and other characters as they are, not as \u escapes.
    private static readonly System.Text.Json.JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static IResult Json(int status, JsonObject body) => Results.Text(body.ToJsonString(Relaxed), "application/json; charset=UTF-8", statusCode: status);

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

/// <summary>A node whose google_sheets provider (OAuth client, token, revoke and API URLs) points at a <see cref="GoogleSheetsFake"/>.</summary>
public abstract class GoogleSheetsNode : ProviderFakeNode<GoogleSheetsFake>
{
    protected override Task<GoogleSheetsFake> StartFakeAsync() => GoogleSheetsFake.StartAsync();

    protected override IEnumerable<(string Key, string Value)> Settings(GoogleSheetsFake google)
    {
        const string Prefix = "Switchboard:Integrations:Providers:google_sheets:";
        return
        [
            (Prefix + "ClientId", GoogleSheetsFake.ClientId), (Prefix + "ClientSecret", GoogleSheetsFake.ClientSecret),
            (Prefix + "TokenUrl", google.TokenUrl), (Prefix + "RevokeUrl", google.RevokeUrl), (Prefix + "BaseUrls:api", google.ApiBaseUrl),
        ];
    }
}

public sealed class GoogleSheetsSqliteNode : GoogleSheetsNode { protected override SwitchboardFactory Create() => new SqliteSwitchboard(); }
public sealed class GoogleSheetsPostgresNode : GoogleSheetsNode { protected override SwitchboardFactory Create() => new PostgresSwitchboard(); }
