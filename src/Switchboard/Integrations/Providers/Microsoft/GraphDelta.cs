using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Microsoft;

/// <summary>
/// One page of a Microsoft Graph delta query (https://learn.microsoft.com/graph/delta-query-overview): the first
/// request of a round carries the query's parameters; every later one is the <c>@odata.nextLink</c> or
/// <c>@odata.deltaLink</c> URL exactly as Graph gave it (its state token is opaque and already holds the parameters).
/// A page has either a next link (more pages of this round) or a delta link (the round is over: the start of the next).
/// </summary>
public sealed record GraphDeltaPage(IReadOnlyList<JsonObject> Items, string? NextLink, string? DeltaLink);

public static class GraphDelta
{
    /// <summary>
    /// Reads one page. <paramref name="prefer"/> are the request's <c>Prefer</c> preferences (RFC 7240), sent on every
    /// page: Graph does not keep <c>odata.maxpagesize</c> or <c>IdType</c> in its links. Answers null when Graph no
    /// longer takes the link's state token (410 Gone, or <c>syncStateNotFound</c> / <c>resyncRequired</c>): the caller
    /// starts a full round again, as the delta query overview's "synchronization reset" asks.
    /// </summary>
    public static async Task<GraphDeltaPage?> ReadAsync(ConnectorContext context, string url, IReadOnlyList<string> prefer, string providerName,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var response = await context.Http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, url);
            foreach (var preference in prefer) request.Headers.TryAddWithoutValidation("Prefer", preference);
            return request;
        }, cancellationToken);
        if (IsReset(response)) return null;
        if (!response.IsSuccess) throw GraphErrors.From(response, providerName, time);
        var json = response.Json() as JsonObject
            ?? throw new ProviderException($"{providerName} answered a delta page that is not JSON.", response.Status, null, retryable: true);
        var items = (json["value"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var next = Link(context, json, "@odata.nextLink", providerName);
        var delta = Link(context, json, "@odata.deltaLink", providerName);
        if (next is null && delta is null)
            throw new ProviderException($"{providerName} answered a delta page with neither @odata.nextLink nor @odata.deltaLink.", response.Status, null, retryable: true);
        return new GraphDeltaPage(items, next, delta);
    }

    /// <summary>Whether Graph refused the state token: the round must start over from a full synchronization.</summary>
    public static bool IsReset(ProviderResponse response) =>
        response.Status == 410
        || (response.Status == 400 && GraphErrors.Code(response) is { } code
            && (code.Equals("syncStateNotFound", StringComparison.OrdinalIgnoreCase) || code.Equals("resyncRequired", StringComparison.OrdinalIgnoreCase)
                || code.Equals("syncStateInvalid", StringComparison.OrdinalIgnoreCase)));

    /// <summary>
    /// Whether <paramref name="link"/> (a stored next or delta link) is one to send the installation's bearer token to:
    /// under the Graph base URL the installation is configured with. A link is provider data stored in the database; a
    /// token is never sent to a host it did not come from.
    /// </summary>
    public static bool IsOwnLink(ConnectorContext context, string link) =>
        link.StartsWith(context.BaseUrl() + "/", StringComparison.OrdinalIgnoreCase) && Uri.TryCreate(link, UriKind.Absolute, out _);

    private static string? Link(ConnectorContext context, JsonObject json, string name, string providerName)
    {
        if (json[name] is not JsonValue value || !value.TryGetValue<string>(out var link) || link.Length == 0) return null;
        return IsOwnLink(context, link) ? link
            : throw new ProviderException($"{providerName} answered a {name} outside its API ({ProviderException.Truncate(link)}).", null, null, retryable: false);
    }
}
