using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Gmail;

/// <summary>An installation's Gmail configuration, read once per call with the schema's defaults filled in.</summary>
public sealed record GmailSettings(IReadOnlyList<string> LabelIds, int InitialSyncDays, string? FromName)
{
    public const int DefaultInitialSyncDays = 30;
    public static readonly IReadOnlyList<string> DefaultLabels = ["INBOX", "SENT"];

    public static GmailSettings For(ConnectorContext context)
    {
        var labels = context.Config["labelIds"] is JsonArray list
            ? list.OfType<JsonValue>().Select(v => v.TryGetValue<string>(out var s) ? s.Trim() : null).OfType<string>().Where(s => s.Length > 0)
                .Distinct(StringComparer.Ordinal).ToList()
            : [];
        var days = context.Value("initialSyncDays") is { } d && int.TryParse(d, out var n) && n is >= 1 and <= 3650 ? n : DefaultInitialSyncDays;
        return new GmailSettings(labels.Count > 0 ? labels : DefaultLabels, days, context.Value("fromName") is { Length: > 0 } name ? name.Trim() : null);
    }

    /// <summary>The mailbox of the connected user: <c>{api}/users/me</c> (<c>me</c> is Gmail's name for the token's user).</summary>
    public static string Mailbox(ConnectorContext context) => $"{context.BaseUrl()}/users/me";
}
