using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Chat;
using Switchboard.Crm.Pipeline;
using Switchboard.Integrations.Actions;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform;
using Switchboard.Platform.Auth;

namespace Switchboard.Integrations.Providers.Calendly;

/// <summary>
/// Calendly (<see cref="CalendlyDefinition"/>): the connection test reads <c>GET /users/me</c>; the action
/// <c>subscribe_webhooks</c> creates the webhook subscription (<c>POST /webhook_subscriptions</c>) that delivers bookings
/// to the installation's inbound URL (<see cref="CalendlyInbound"/>); <c>offer_booking_link</c> replies in a chat with the
/// booking link; uninstalling deletes the subscriptions and, for an OAuth connection, revokes the token.
/// </summary>
public sealed class CalendlyConnector : Connector
{
    /// <summary>The id map's model recording the booking-link replies made for an event, so a retried run replies once.</summary>
    public const string OffersModel = "booking_offers";

    public override ProviderDefinition Definition { get; } = CalendlyDefinition.Create();

    /// <summary>A personal access token is a connection of its own: such an install needs no OAuth.</summary>
    public override bool NeedsConnection(JsonObject config, JsonObject credentials) =>
        !(credentials["personalAccessToken"] is JsonValue v && v.TryGetValue<string>(out var token) && token.Length > 0);

    public override async Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken) =>
        (await CalendlyApi.MeAsync(context, cancellationToken)).Response;

    public override async Task<ProviderResponse> RunActionAsync(ConnectorContext context, string action, JsonObject input, CancellationToken cancellationToken) => action switch
    {
        CalendlyDefinition.SubscribeWebhooks => await SubscribeAsync(context, cancellationToken),
        CalendlyDefinition.OfferBookingLink => await OfferBookingLinkAsync(context, input, cancellationToken),
        _ => await base.RunActionAsync(context, action, input, cancellationToken),
    };

    /// <summary>
    /// Ensures one active subscription to both invitee events delivers to this installation's inbound URL: an existing one
    /// is kept (Calendly refuses a second subscription with the same URL), a disabled or partial one replaced. With a
    /// personal access token the installation's signing key is given to Calendly (<c>signing_key</c>); an OAuth app's
    /// subscriptions are signed with the app's own key, which Calendly does not take here.
    /// </summary>
    private static async Task<ProviderResponse> SubscribeAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var callback = CalendlyApi.CallbackUrl(context);
        var (_, user) = await CalendlyApi.MeAsync(context, cancellationToken);
        foreach (var existing in await CalendlyApi.SubscriptionsAsync(context, user, callback, cancellationToken))
        {
            var events = (existing["events"] as JsonArray ?? []).Select(e => CalendlyApi.Text(e)).ToHashSet();
            if (CalendlyApi.Text(existing["state"]) == "active" && CalendlyDefinition.WebhookEvents.All(events.Contains))
                return Answer(new JsonObject { ["subscription"] = existing.DeepClone(), ["created"] = false, ["schedulingUrl"] = BookingLink(context, user) });
            await DeleteAsync(context, existing, cancellationToken);
        }
        var scope = CalendlyApi.Scope(context);
        var body = new JsonObject
        {
            ["url"] = callback,
            ["events"] = new JsonArray(CalendlyDefinition.WebhookEvents.Select(e => (JsonNode)JsonValue.Create(e)).ToArray()),
            ["organization"] = CalendlyApi.Required(user, "current_organization"),
            ["scope"] = scope,
        };
        if (scope == "user") body["user"] = CalendlyApi.Required(user, "uri");
        if (CalendlyApi.UsesPersonalToken(context)) body["signing_key"] = context.Required("webhookSigningKey");
        var created = await CalendlyApi.SendAsync(context, HttpMethod.Post, "/webhook_subscriptions", body, cancellationToken);
        return Answer(new JsonObject
        {
            ["subscription"] = ((created.Json() as JsonObject)?["resource"])?.DeepClone(), ["created"] = true, ["schedulingUrl"] = BookingLink(context, user),
        });
    }

    private static async Task DeleteAsync(ConnectorContext context, JsonObject subscription, CancellationToken cancellationToken)
    {
        try
        {
            await CalendlyApi.SendAsync(context, HttpMethod.Delete, "/webhook_subscriptions/" + Uri.EscapeDataString(CalendlyApi.Uuid(CalendlyApi.Required(subscription, "uri"))),
                null, cancellationToken);
        }
        catch (ProviderException ex) when (ex.Status == 404) { } // already gone
    }

    private static string? BookingLink(ConnectorContext context, JsonObject? user) => context.Value("schedulingUrl") ?? (user is null ? null : CalendlyApi.Text(user["scheduling_url"]));

    /// <summary>
    /// A bot message in the chat session with the booking link (the installation's, or the connected user's scheduling
    /// page), through the chat's own write path (<c>chat.message_sent</c>). Once per event: a retried run finds its reply.
    /// </summary>
    private static async Task<ProviderResponse> OfferBookingLinkAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var sessionId = CalendlyApi.Text(input["sessionId"]) ?? throw Invalid("offer_booking_link needs a sessionId (\"{{data.sessionId}}\" on chat.message_received).");
        var link = context.Value("schedulingUrl") ?? CalendlyApi.Text((await CalendlyApi.MeAsync(context, cancellationToken)).User["scheduling_url"])
            ?? throw new ProviderException("Calendly named no scheduling_url for the connected user; set the installation's schedulingUrl.", null, "no_scheduling_url", retryable: false);
        var writer = context.Services.GetRequiredService<CrmWriter>();
        var db = writer.Db;
        var eventId = EventId(context);
        if (eventId is not null && await db.Set<IntegrationRecordLink>().IgnoreQueryFilters().AsNoTracking()
                .Where(l => l.InstallationId == context.Installation.Id && l.Model == OffersModel && l.RemoteId == eventId).Select(l => l.LocalId)
                .FirstOrDefaultAsync(cancellationToken) is { } earlier)
            return Answer(new JsonObject { ["schedulingUrl"] = link, ["messageId"] = earlier, ["alreadySent"] = true });

        var session = Ids.LooksValid(sessionId, ChatResources.Sessions.IdPrefix)
            ? await db.Set<ChatSession>().IgnoreQueryFilters().FirstOrDefaultAsync(s => s.Id == sessionId && s.OrganizationId == context.Installation.OrganizationId, cancellationToken)
            : null;
        if (session is null) throw Invalid($"No chat session {sessionId} in the installation's organization.");
        if (session.Status == ChatSessionStatus.Closed) throw Invalid($"The chat session {sessionId} is closed.");
        var text = (CalendlyApi.Text(input["text"]) ?? "You can book a time with us here:").Trim();
        var message = new ChatMessage
        {
            SessionId = session.Id, Author = ChatAuthor.Bot, AuthorName = "Calendly", Body = $"{text} {link}",
            Metadata = new Dictionary<string, string> { ["schedulingUrl"] = link, ["integrationId"] = context.Installation.Id },
        };
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await ChatApi.AddAsync(writer, new Caller(CallerKind.OAuthClient, session.OrganizationId, []), session, message, cancellationToken) is not null)
            throw Invalid($"The chat session {sessionId} does not take the reply.");
        if (eventId is not null)
            db.Add(new IntegrationRecordLink
            {
                Id = Ids.New(IntegrationResources.RecordLinks, context.Time), OrganizationId = session.OrganizationId, InstallationId = context.Installation.Id,
                Model = OffersModel, LocalId = message.Id, RemoteId = eventId, UpdatedAt = writer.Now,
            });
        await writer.SaveAsync(new DefaultHttpContext { RequestServices = context.Services }, 200, null, null, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return Answer(new JsonObject { ["schedulingUrl"] = link, ["messageId"] = message.Id, ["sessionId"] = session.Id });
    }

    private static string? EventId(ConnectorContext context)
    {
        if (context.Services.GetService<ActionInvocation>()?.Payload is not { } payload) return null;
        try { return CalendlyApi.Text((JsonNode.Parse(payload) as JsonObject)?["id"]); }
        catch (System.Text.Json.JsonException) { return null; }
    }

    public override Task<InboundResult> ReceiveAsync(ConnectorContext context, string kind, InboundRequest request, CancellationToken cancellationToken) =>
        kind == CalendlyDefinition.Events && request.Method == HttpMethods.Post
            ? CalendlyInbound.ReceiveAsync(context, request, cancellationToken)
            : Task.FromResult(kind == CalendlyDefinition.Events ? InboundResult.Unauthorized : InboundResult.NotFound);

    /// <summary>
    /// On uninstall, first: deletes the subscriptions delivering to this installation, so Calendly stops calling a URL
    /// that is gone. A failure here does not keep <see cref="RevokeAsync"/> from running.
    /// </summary>
    public override async Task RemoveProviderStateAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        if (!CalendlyApi.UsesPersonalToken(context) && context.Installation.TokensEncrypted is null) return; // never connected
        if (context.Options.PublicBaseUrl is not { Length: > 0 }) return;
        var (_, user) = await CalendlyApi.MeAsync(context, cancellationToken);
        foreach (var subscription in await CalendlyApi.SubscriptionsAsync(context, user, CalendlyApi.CallbackUrl(context), cancellationToken))
            await DeleteAsync(context, subscription, cancellationToken);
    }

    /// <summary>On uninstall, after the subscriptions: revokes an OAuth token (RFC 7009 form: client id, secret and token) at Calendly's revocation endpoint.</summary>
    public override async Task RevokeAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        if (CalendlyApi.UsesPersonalToken(context) || context.Installation.TokensEncrypted is null) return; // a personal token, or never connected
        if (ProviderUrls.RevokeUrl(context.Options, Definition) is not { } revokeUrl) return;
        var settings = ProviderUrls.Settings(context.Options, Definition.Key);
        var tokens = await context.Http.TokensAsync(cancellationToken);
        var form = new Dictionary<string, string> { ["token"] = tokens.RefreshToken ?? tokens.AccessToken };
        if (settings?.ClientId is { } clientId) form["client_id"] = clientId;
        if (settings?.ClientSecret is { } clientSecret) form["client_secret"] = clientSecret;
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, revokeUrl) { Content = new FormUrlEncodedContent(form) },
            cancellationToken, authenticate: false);
        if (!response.IsSuccess) throw CalendlyApi.Error(response, context.Time, oauth: true);
    }

    private static ProviderResponse Answer(JsonObject body)
    {
        using var answer = new HttpResponseMessage(System.Net.HttpStatusCode.OK);
        return new ProviderResponse(200, body.ToJsonString(), answer.Headers, 0);
    }

    private static ProviderException Invalid(string message) => new(message, null, "invalid_input", retryable: false);
}
