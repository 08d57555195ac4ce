using System.Globalization;
using Switchboard.Platform.Http;
using Switchboard.Webhooks;

namespace Switchboard.Dashboard;

/// <summary>
/// The dashboard's form for a new webhook endpoint, as typed, and the body of <c>POST /api/v1/webhooks</c> it stands
/// for. Only what a form must read is checked here (the throttle is a whole number); the API's validator judges the rest
/// (the URL and its SSRF guard, the event types, lengths), and its messages are shown beside these fields, named as the
/// API names them.
/// </summary>
public sealed class WebhookForm
{
    public const string UrlField = "url", NameField = "name", DescriptionField = "description", EventsField = "events", MaxPerSecondField = "maxDeliveriesPerSecond";

    public string Url { get; init; } = "";
    public string Name { get; init; } = "";
    public string Description { get; init; } = "";
    /// <summary>Event types and wildcards (<c>contact.*</c>, <c>*</c>) ticked.</summary>
    public IReadOnlyList<string> Events { get; init; } = [];
    public string MaxDeliveriesPerSecond { get; init; } = "";

    public static WebhookForm From(IFormCollection form) => new()
    {
        Url = form[UrlField].ToString().Trim(),
        Name = form[NameField].ToString(),
        Description = form[DescriptionField].ToString(),
        Events = form[EventsField].Where(e => !string.IsNullOrEmpty(e)).Select(e => e!).Distinct(StringComparer.Ordinal).ToList(),
        MaxDeliveriesPerSecond = form[MaxPerSecondField].ToString().Trim(),
    };

    /// <summary>
    /// The API request these fields stand for, or the fields that cannot be read. Empty optional fields are left out, as a
    /// client of the API would leave them out; no event ticked is sent as none, for the API to refuse in its own words.
    /// </summary>
    public WebhookInput? ToInput(out Dictionary<string, string[]> errors)
    {
        errors = [];
        int? perSecond = null;
        if (MaxDeliveriesPerSecond.Length > 0)
        {
            if (int.TryParse(MaxDeliveriesPerSecond, NumberStyles.None, CultureInfo.InvariantCulture, out var value)) perSecond = value;
            else errors[MaxPerSecondField] = ["Enter a whole number of deliveries per second, or leave it empty for no limit."];
        }
        if (errors.Count > 0) return null;
        return new WebhookInput(Url, Events.ToArray(), Name.Trim().Length > 0 ? Name : default(Optional<string?>),
            Description.Trim().Length > 0 ? Description : default(Optional<string?>), default, default, default,
            perSecond is null ? default(Optional<int?>) : perSecond);
    }

    /// <summary>
    /// The picker's choices, from the event catalog (<c>GET /api/v1/webhooks/event-types</c>): every type, grouped under
    /// the prefix its wildcard covers (<c>contact.*</c>), in the catalog's order.
    /// </summary>
    public static IReadOnlyList<(string Prefix, IReadOnlyList<EventTypeInfo> Types)> Groups(IReadOnlyList<EventTypeInfo> catalog) =>
        catalog.GroupBy(e => e.Type[..(e.Type.IndexOf('.') is var dot and > 0 ? dot : e.Type.Length)])
            .Select(g => (g.Key + ".*", (IReadOnlyList<EventTypeInfo>)g.ToList())).ToList();
}
