using System.Text;

namespace Switchboard.Docs;

/// <summary>
/// The /api/redoc page: Swashbuckle's own template without its Google Fonts stylesheet, so the reading view loads
/// nothing from outside the node (ReDoc's bundle is already served locally) and works offline; ReDoc falls back to the
/// system's sans-serif fonts. Swashbuckle fills in the %(…) tokens, as in its own template.
/// </summary>
public static class ReDocPage
{
    private const string Html = """
        <!DOCTYPE html>
        <html>
        <head>
            <title>%(DocumentTitle)</title>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <link href="index.css" rel="stylesheet" type="text/css">
            %(HeadContent)
        </head>
        <body>
            <div id="redoc-container"></div>
            <script src="redoc.standalone.js"></script>
            <script src="index.js"></script>
        </body>
        </html>
        """;

    public static Stream Index() => new MemoryStream(Encoding.UTF8.GetBytes(Html), writable: false);
}
