using Switchboard.Integrations.Catalog;

using Switchboard.Integrations.Providers.Google;

namespace Switchboard.Integrations.Providers.GoogleSheets;

/// <summary>The catalog entry of Google Sheets: its OAuth endpoints and scope, configuration and actions.</summary>
public static class GoogleSheetsDefinition
{
    public const string AppendRow = "append_row", ExportList = "export_list";

    /// <summary>
    /// The one scope: <c>spreadsheets</c>. Google's scope guide (https://developers.google.com/workspace/sheets/api/scopes)
    /// recommends the non-sensitive <c>drive.file</c> where it works, but that scope reaches only files the app created or
    /// that the user opened with it through Google's Picker; the spreadsheet here is one the user already has and names by
    /// its id, which <c>drive.file</c> cannot open. <c>spreadsheets</c> is the narrowest scope that covers
    /// <c>spreadsheets.get</c>, <c>values.append</c>, <c>values.clear</c> and <c>values.batchUpdate</c> on such a file (each
    /// method's "Authorization scopes": drive, drive.file or spreadsheets), and gives no access to other Drive files.
    /// </summary>
    public const string Scope = "https://www.googleapis.com/auth/spreadsheets";

    public static ProviderDefinition Create() => new()
    {
        Key = GoogleSheetsConnector.Key,
        Name = "Google Sheets",
        Description = "Append a row to a Google Sheets spreadsheet for each new lead or payment, and export filtered CRM lists (contacts, leads, deals) to a tab.",
        Category = ProviderCategory.Documents,
        DocumentationUrl = "https://developers.google.com/workspace/sheets/api/reference/rest",
        Auth = new ProviderAuth(ProviderAuthKind.OAuth2)
        {
            AuthorizeUrl = GoogleOAuth.AuthorizeUrl,
            TokenUrl = GoogleOAuth.TokenUrl,
            RevokeUrl = GoogleOAuth.RevokeUrl,
            Scopes = [Scope],
            Pkce = true,
            ClientAuthentication = "post",
            // A refresh token is issued only with access_type=offline, and again on a reconnect only with prompt=consent
            // (https://developers.google.com/identity/protocols/oauth2/web-server#offline).
            AuthorizeParameters = GoogleOAuth.AuthorizeParameters(),
        },
        BaseUrls = new Dictionary<string, string> { ["api"] = "https://sheets.googleapis.com/v4" },
        ConfigSchema = """
            {
              "$schema": "https://json-schema.org/draft/2020-12/schema",
              "type": "object",
              "additionalProperties": false,
              "required": ["spreadsheetId"],
              "properties": {
                "spreadsheetId": { "type": "string", "pattern": "^[A-Za-z0-9_-]{1,200}$", "title": "Spreadsheet", "description": "The spreadsheet's id: the part of its URL between /d/ and /edit (docs.google.com/spreadsheets/d/<id>/edit). Share the spreadsheet with the Google account you connect." },
                "sheetName": { "type": "string", "minLength": 1, "maxLength": 100, "default": "Sheet1", "title": "Tab", "description": "The tab (sheet) rows are appended to and lists exported to, by its name as shown at the bottom of the spreadsheet; spaces and quotes are fine." },
                "valueInputOption": { "enum": ["RAW", "USER_ENTERED"], "default": "RAW", "title": "Value input", "description": "RAW stores values exactly as sent; USER_ENTERED lets Google parse them as if typed (dates, numbers, currencies). Either way, CRM text is never written as a formula." },
                "columns": { "type": "array", "items": { "type": "string", "minLength": 1, "maxLength": 200 }, "maxItems": 200, "title": "Columns", "description": "The fields written, in column order from A: append_row takes them from an object of values, export_list writes them (and their names as the header) when a rule names none. A dotted name reads a nested field (metadata.region)." }
              }
            }
            """,
        Actions =
        [
            new(AppendRow, "Appends one row after the tab's last row (values.append, INSERT_ROWS) and answers Google's AppendValuesResponse with the updated range.", """
                {
                  "type": "object",
                  "required": ["values"],
                  "properties": {
                    "values": { "type": ["array", "object", "string"], "description": "The row: a list of cells from column A ([\"{{data.name}}\", \"{{data.email}}\"]), or an object whose fields are picked by the installation's columns (\"{{data}}\", or {\"name\": \"{{data.name}}\"})." },
                    "sheet": { "type": "string", "minLength": 1, "maxLength": 100, "description": "Another tab than the installation's." }
                  }
                }
                """),
            new(ExportList, "Replaces a tab's contents with a CRM list filtered as the REST API filters it: the tab is cleared, then a header row and every record are written, in requests under Google's 2 MB guidance.", """
                {
                  "type": "object",
                  "required": ["resource"],
                  "properties": {
                    "resource": { "enum": ["contacts", "leads", "deals"], "description": "The list exported." },
                    "filters": { "type": "object", "additionalProperties": { "type": ["string", "number", "boolean"] }, "description": "The list's query parameters as GET /api/v1/{resource} takes them: {\"status\": \"qualified\", \"scoreMin\": 50, \"createdAfter\": \"2026-11-01T00:00:00Z\", \"q\": \"acme\"}." },
                    "sort": { "type": "string", "description": "The list's sort parameter (-score, name, -createdAt); the list's default when absent." },
                    "columns": { "type": "array", "items": { "type": "string", "minLength": 1 }, "minItems": 1, "maxItems": 200, "description": "The record's fields written, in order; the installation's columns, else every field of the record." },
                    "sheet": { "type": "string", "minLength": 1, "maxLength": 100, "description": "The tab replaced; the installation's when absent. Give an export its own tab: everything on it is cleared." }
                  }
                }
                """),
        ],
        // lead.created and payment.* (payment.created, .updated, .deleted, .completed, .failed, .refunded) for append_row;
        // integration.scheduled for an export_list rule with a schedule (a nightly export).
        Triggers = ["lead.created", "payment.created", "payment.completed", "payment.*", "integration.scheduled"],
    };
}
