namespace Switchboard.Integrations.Providers.GoogleSheets;

/// <summary>
/// Ranges in Google's A1 notation (https://developers.google.com/workspace/sheets/api/guides/concepts#cell):
/// <c>'Tab name'!A1</c>. A tab's name is always written quoted: Google requires single quotes around a name with spaces,
/// punctuation or one that reads like a cell (<c>'My Custom Sheet'!A:A</c>, a tab named <c>A1</c> is <c>'A1'</c>), and a
/// quote within the name is doubled, as in a Sheets formula (<c>'Jon''s data'</c>). Quoting a plain name too is allowed and
/// keeps one rule for all. The range then goes into the request path escaped as one segment
/// (<see cref="Uri.EscapeDataString"/>: quotes, spaces, <c>!</c> and <c>:</c> as %XX).
/// </summary>
public static class A1Notation
{
    /// <summary>The whole tab: <c>'Tab'</c>.</summary>
    public static string Sheet(string sheetName) => "'" + sheetName.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>One cell of the tab, the top-left of what is written there: <c>'Tab'!A{row}</c>.</summary>
    public static string FirstColumn(string sheetName, int row) => $"{Sheet(sheetName)}!A{row}";
}
