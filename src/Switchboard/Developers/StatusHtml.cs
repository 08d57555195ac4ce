using System.Globalization;
using System.Text;

namespace Switchboard.Developers;

/// <summary>The status report as the body of the status page.</summary>
internal static class StatusHtml
{
    public static string Render(StatusReport report)
    {
        var html = new StringBuilder();
        html.Append("<h1>API status</h1>\n<p>").Append(State(report.Status)).Append(' ').Append(Encode(Summary(report.Status)))
            .Append("</p>\n<p class=\"hint\">Checked ").Append(Time(report.CheckedAt))
            .Append(" by the node that answered this page. The page reloads every 30 seconds; the same report as JSON is at ")
            .Append("<a href=\"/developers/status.json\"><code>/developers/status.json</code></a>.</p>\n");

        html.Append("<h2 id=\"node\">This node</h2>\n<table>\n");
        Row(html, "State", State(report.Node.Status));
        Row(html, "Version", Encode(report.Node.Version));
        Row(html, "Started", Time(report.Node.StartedAt));
        Row(html, "Uptime", Encode(Duration(report.Node.UptimeSeconds)));
        html.Append("</table>\n");

        html.Append("<h2 id=\"database\">Database</h2>\n<table>\n");
        Row(html, "State", State(report.Database.Status));
        Row(html, "Provider", Encode(report.Database.Provider));
        Row(html, "Latency of a trivial query", report.Database.LatencyMs is { } ms ? Encode(ms.ToString("0.##", CultureInfo.InvariantCulture) + " ms") : "—");
        html.Append("</table>\n");

        var w = report.Webhooks;
        html.Append("<h2 id=\"webhooks\">Webhook workers</h2>\n<p>").Append(State(w.Status))
            .Append(" The dispatcher turns committed events into deliveries; the delivery worker sends them. Both run on every node.</p>\n")
            .Append("<table>\n<tr><th></th><th>Dispatcher</th><th>Delivery worker</th></tr>\n");
        Pair(html, "State", State(w.Dispatcher.Status), State(w.Delivery.Status));
        Pair(html, "Last pass", Time(w.Dispatcher.LastPassAt), Time(w.Delivery.LastPassAt));
        Pair(html, "Last found work", Time(w.Dispatcher.LastWorkAt), Time(w.Delivery.LastWorkAt));
        Pair(html, "Last failure", Time(w.Dispatcher.LastFailureAt), Time(w.Delivery.LastFailureAt));
        Pair(html, "Handled since start", Count(w.Dispatcher.ItemsHandled) + " events", Count(w.Delivery.ItemsHandled) + " deliveries");
        html.Append("</table>\n");
        if (w.Backlog is { } b)
        {
            html.Append("<h3 id=\"backlog\">Backlog (all nodes)</h3>\n<table>\n");
            Row(html, "Events waiting to be dispatched", Count(b.UndispatchedEvents) + Age(b.OldestUndispatchedSeconds, "oldest"));
            Row(html, "Deliveries due now", Count(b.DueDeliveries) + Age(b.OldestDueSeconds, "longest due"));
            Row(html, "Deliveries waiting for a later attempt", Count(b.ScheduledDeliveries));
            html.Append("</table>\n");
        }
        else html.Append("<p class=\"hint\">The backlog is unknown while the database does not answer.</p>\n");
        return html.ToString();
    }

    private static string Summary(string status) => status switch
    {
        "operational" => "All systems operational.",
        "degraded" => "The API answers, but webhook delivery on this node is impaired.",
        "down" => "This node cannot reach its database; API requests fail until it is back.",
        _ => status,
    };

    private static void Row(StringBuilder html, string label, string valueHtml) =>
        html.Append("<tr><th>").Append(Encode(label)).Append("</th><td>").Append(valueHtml).Append("</td></tr>\n");

    private static void Pair(StringBuilder html, string label, string first, string second) =>
        html.Append("<tr><th>").Append(Encode(label)).Append("</th><td>").Append(first).Append("</td><td>").Append(second).Append("</td></tr>\n");

    private static string State(string status) => $"<span class=\"state {Encode(status)}\">{Encode(status)}</span>";

    private static string Time(DateTime? at) =>
        at is { } t ? $"<time datetime=\"{t.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}\">{t.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC</time>" : "never";

    private static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Age(double? seconds, string label) => seconds is { } s ? $" ({label}: {Encode(Duration((long)s))})" : "";

    private static string Duration(long seconds)
    {
        var span = TimeSpan.FromSeconds(seconds);
        return span.TotalDays >= 1 ? $"{(int)span.TotalDays} d {span.Hours} h"
            : span.TotalHours >= 1 ? $"{span.Hours} h {span.Minutes} min"
            : span.TotalMinutes >= 1 ? $"{span.Minutes} min {span.Seconds} s"
            : $"{span.Seconds} s";
    }

    private static string Encode(string text) => PortalLayout.Encode(text);
}
