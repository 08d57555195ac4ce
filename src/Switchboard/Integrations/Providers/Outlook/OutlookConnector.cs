using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Providers.Microsoft;

namespace Switchboard.Integrations.Providers.Outlook;

/// <summary>
/// Microsoft Outlook through Microsoft Graph v1.0: <c>send_email</c> from the connected mailbox, events from CRM tasks
/// and meetings (<c>create_event</c>, <c>update_event</c>, <c>delete_event</c>), and two pull syncs to CRM activities:
/// <see cref="MessagesSync"/> (mail by message delta) and <see cref="EventsSync"/> (the calendar by calendar view delta).
/// OAuth 2.0 authorization code flow of the Microsoft identity platform with PKCE
/// (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow); its token answers are RFC 6749's
/// (a refresh answers a new refresh token, which the default <see cref="Connector.ReadTokenResponse"/> keeps), so the
/// connector does not override it. Errors are Graph's (<see cref="GraphErrors"/>).
/// </summary>
public sealed class OutlookConnector(TimeProvider time, ILogger<OutlookConnector> logger) : Connector
{
    public const string Key = "outlook", Name = "Microsoft Outlook";

    public override ProviderDefinition Definition { get; } = OutlookDefinition.Create();

    private readonly MessagesSync _messages = new(time, logger);
    private readonly EventsSync _events = new(time, logger);

    public override ISyncModel? Sync(string model) => model switch
    {
        "messages" => _messages,
        "events" => _events,
        _ => null,
    };

    /// <summary>
    /// <c>GET /me?$select=id,mail,userPrincipalName</c> (https://learn.microsoft.com/graph/api/user-get): the cheapest call,
    /// allowed by User.Read, and it answers which mailbox the installation is connected to.
    /// </summary>
    public override async Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var url = $"{context.BaseUrl()}/me?$select=id,mail,userPrincipalName";
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), cancellationToken);
        return response.IsSuccess ? response : throw GraphErrors.From(response, Name, time);
    }

    public override async Task<ProviderResponse> RunActionAsync(ConnectorContext context, string action, JsonObject input, CancellationToken cancellationToken)
    {
        var response = action switch
        {
            OutlookDefinition.SendEmail => await SendMailAsync(context, input, cancellationToken),
            OutlookDefinition.CreateEvent => await CreateAsync(context, OutlookSettings.For(context), input, cancellationToken),
            OutlookDefinition.UpdateEvent => await UpdateAsync(context, OutlookSettings.For(context), input, cancellationToken),
            OutlookDefinition.DeleteEvent => await DeleteAsync(context, OutlookSettings.For(context), input, cancellationToken),
            _ => null,
        };
        if (response is null) return await base.RunActionAsync(context, action, input, cancellationToken);
        return response.IsSuccess ? response : throw GraphErrors.From(response, Name, time);
    }

    /// <summary>
    /// <c>POST /me/sendMail</c>: Graph answers 202 Accepted with no body. Graph offers no idempotency for a send, so a
    /// retry after a lost answer may send twice; the queue retries only what failed (a 429, a 5xx, a timeout).
    /// </summary>
    private static Task<ProviderResponse> SendMailAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var body = OutlookMail.SendMailBody(input);
        var url = $"{context.BaseUrl()}/me/sendMail";
        return context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) }, cancellationToken);
    }

    /// <summary>
    /// <c>POST /me/events</c> (or the configured calendar's). With an <c>idempotencyKey</c> the event carries the key's
    /// hash as its <c>transactionId</c> (Graph's own guard: a create retried with the same one makes no second event)
    /// and as the <see cref="OutlookEvents.KeyPropertyId"/> extended property, by which updates and deletes find it.
    /// </summary>
    private static Task<ProviderResponse> CreateAsync(ConnectorContext context, OutlookSettings settings, JsonObject input, CancellationToken cancellationToken)
    {
        var body = OutlookEvents.FromActionInput(input, settings, partial: false);
        if (OutlookEvents.Text(input, "idempotencyKey") is { } key)
        {
            var hashed = OutlookEvents.KeyOf(context.Installation.Id, key);
            body["transactionId"] = hashed;
            body["singleValueExtendedProperties"] = new JsonArray(new JsonObject { ["id"] = OutlookEvents.KeyPropertyId, ["value"] = hashed });
        }
        var url = settings.EventsUrl(context);
        return context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) }, cancellationToken);
    }

    /// <summary>
    /// <c>PATCH /me/events/{id}</c> of the fields given. An event addressed by its <c>idempotencyKey</c> that Outlook does
    /// not have (the task predates the installation) is created from the input when it holds a summary and a start.
    /// </summary>
    private async Task<ProviderResponse> UpdateAsync(ConnectorContext context, OutlookSettings settings, JsonObject input, CancellationToken cancellationToken)
    {
        var patch = OutlookEvents.FromActionInput(input, settings, partial: true);
        var (eventId, _) = await FindAsync(context, settings, input, cancellationToken);
        if (eventId is null)
        {
            if (OutlookEvents.Text(input, "summary") is not null && OutlookEvents.Text(input, "start") is not null)
                return await CreateAsync(context, settings, input, cancellationToken);
            throw new ProviderException($"Outlook has no event for the idempotencyKey '{OutlookEvents.Text(input, "idempotencyKey")}', and the input has no summary and start to create one.",
                404, "ErrorItemNotFound", retryable: false);
        }
        var url = $"{settings.EventsUrl(context)}/{Uri.EscapeDataString(eventId)}";
        return await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Patch, url) { Content = JsonContent.Create(patch) }, cancellationToken);
    }

    /// <summary>
    /// <c>DELETE /me/events/{id}</c> (204). Deleting by <c>idempotencyKey</c> an event Outlook does not have (never made, or
    /// already deleted by a previous attempt whose answer was lost) has the intended effect, so it succeeds; a 404 for an
    /// explicit <c>eventId</c> stays an error: it names a wrong id or calendar.
    /// </summary>
    private async Task<ProviderResponse> DeleteAsync(ConnectorContext context, OutlookSettings settings, JsonObject input, CancellationToken cancellationToken)
    {
        var (eventId, lookup) = await FindAsync(context, settings, input, cancellationToken);
        if (eventId is null) return Deleted(lookup!, null);
        var url = $"{settings.EventsUrl(context)}/{Uri.EscapeDataString(eventId)}";
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, url), cancellationToken);
        return response.Status == 404 && lookup is not null ? Deleted(response, eventId) : response;

        static ProviderResponse Deleted(ProviderResponse answer, string? id) =>
            answer with { Status = 200, Body = new JsonObject { ["id"] = id, ["deleted"] = true }.ToJsonString() };
    }

    /// <summary>
    /// The event an update or delete addresses: its <c>eventId</c>, or the one whose key property holds the hash of the
    /// <c>idempotencyKey</c> (<c>$filter=singleValueExtendedProperties/Any(…)</c>, as
    /// https://learn.microsoft.com/graph/api/singlevaluelegacyextendedproperty-get documents), null when there is none, and the lookup's answer (null for an explicit id).
    /// </summary>
    private async Task<(string? EventId, ProviderResponse? Lookup)> FindAsync(ConnectorContext context, OutlookSettings settings, JsonObject input, CancellationToken cancellationToken)
    {
        if (OutlookEvents.Text(input, "eventId") is { } eventId) return (eventId, null);
        var key = OutlookEvents.Text(input, "idempotencyKey")
            ?? throw OutlookEvents.Invalid("The action needs the Outlook event's 'eventId', or the 'idempotencyKey' it was created with.");
        var filter = $"singleValueExtendedProperties/Any(ep: ep/id eq '{OutlookEvents.KeyPropertyId}' and ep/value eq '{OutlookEvents.KeyOf(context.Installation.Id, key)}')";
        var url = $"{settings.EventsUrl(context)}?$filter={Uri.EscapeDataString(filter)}&$select=id&$top=1";
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), cancellationToken);
        if (!response.IsSuccess) throw GraphErrors.From(response, Name, time);
        var found = (response.Json() as JsonObject)?["value"] as JsonArray;
        return (found is { Count: > 0 } && found[0] is JsonObject first ? OutlookEvents.Text(first, "id") : null, response);
    }
}
