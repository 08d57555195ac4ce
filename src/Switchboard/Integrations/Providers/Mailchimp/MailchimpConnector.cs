using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Providers.Mailchimp;

/// <summary>
/// Mailchimp (<see cref="MailchimpDefinition"/>): the connection test reads the configured audience; actions upsert and
/// tag members, trigger a journey step, send a campaign, and create the audience webhook handled by
/// <see cref="MailchimpInbound"/>, deleted again on uninstall (<see cref="RemoveProviderStateAsync"/>). Mailchimp's tokens do
/// not expire and Mailchimp documents no revocation endpoint: uninstalling forgets them.
/// </summary>
public sealed class MailchimpConnector : Connector
{
    public override ProviderDefinition Definition { get; } = MailchimpDefinition.Create();

    /// <summary><c>GET /lists/{list_id}</c> (https://mailchimp.com/developer/marketing/api/lists/get-list-info/): the token and the audience id.</summary>
    public override Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken) =>
        MailchimpApi.SendAsync(context, HttpMethod.Get, $"/lists/{Uri.EscapeDataString(context.Required("listId"))}?fields=id,name,stats.member_count", null, cancellationToken);

    /// <summary>
    /// Reads the account's data centre and API endpoint from the metadata endpoint (<c>GET login.mailchimp.com/oauth2/metadata</c>
    /// with <c>Authorization: OAuth &lt;token&gt;</c>, https://mailchimp.com/developer/marketing/guides/access-user-data-oauth-2/),
    /// refusing an endpoint that is not https://&lt;dc&gt;.api.mailchimp.com.
    /// </summary>
    public override async Task<IReadOnlyDictionary<string, string>?> CompleteConnectionAsync(ConnectorContext context,
        IReadOnlyDictionary<string, string> callbackQuery, CancellationToken cancellationToken)
    {
        var token = (await context.Http.TokensAsync(cancellationToken)).AccessToken;
        var url = context.BaseUrl("login") + "/oauth2/metadata";
        var response = await context.Http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Authorization = new AuthenticationHeaderValue("OAuth", token);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            return request;
        }, cancellationToken, authenticate: false);
        if (!response.IsSuccess) throw MailchimpApi.Error(response, context.Time);
        var json = response.Json() as JsonObject;
        var (dc, endpoint) = (MailchimpApi.Text(json?["dc"]), MailchimpApi.Text(json?["api_endpoint"]));
        if (dc is null || MailchimpApi.Documented(endpoint) is not { } root || !root.StartsWith($"https://{dc}.", StringComparison.Ordinal))
            throw new ProviderException("Mailchimp's metadata named no API endpoint on its data centre's *.api.mailchimp.com host.", response.Status,
                "unexpected_api_endpoint", retryable: false);
        return new Dictionary<string, string> { [MailchimpApi.DataCentreExtra] = dc, [MailchimpApi.ApiEndpointExtra] = root };
    }

    /// <summary>
    /// Mailchimp's token answer carries <c>"expires_in": 0</c> for tokens that never expire; read as RFC 6749 it would be a
    /// token expired on arrival, so the expiry is dropped and the token is used until Mailchimp refuses it.
    /// </summary>
    public override ProviderTokens ReadTokenResponse(ProviderResponse response, ProviderTokens? previous, DateTime now)
    {
        var tokens = base.ReadTokenResponse(response, previous, now);
        return tokens.ExpiresAt is { } expires && expires <= now ? tokens with { ExpiresAt = null } : tokens;
    }

    public override async Task<ProviderResponse> RunActionAsync(ConnectorContext context, string action, JsonObject input, CancellationToken cancellationToken) => action switch
    {
        MailchimpDefinition.UpsertMember => await UpsertMemberAsync(context, input, cancellationToken),
        MailchimpDefinition.TriggerJourney => await TriggerJourneyAsync(context, input, cancellationToken),
        MailchimpDefinition.SendCampaign => await SendCampaignAsync(context, input, cancellationToken),
        MailchimpDefinition.SubscribeWebhooks => await SubscribeAsync(context, cancellationToken),
        _ => await base.RunActionAsync(context, action, input, cancellationToken),
    };

    public override Task<InboundResult> ReceiveAsync(ConnectorContext context, string kind, InboundRequest request, CancellationToken cancellationToken) =>
        kind == MailchimpDefinition.Events ? MailchimpInbound.ReceiveAsync(context, request, cancellationToken) : Task.FromResult(InboundResult.NotFound);

    private static string Email(JsonObject input)
    {
        var email = MailchimpApi.Text(input["email"])?.Trim();
        if (email is null || email.Length > 320 || email.Any(char.IsWhiteSpace) || email.IndexOf('@') is <= 0 || email.LastIndexOf('@') != email.IndexOf('@')
            || email.IndexOf('@') == email.Length - 1)
            throw Invalid("The action needs a valid email (\"email\": \"{{data.email}}\").");
        return email;
    }

    private static string ListPath(ConnectorContext context) => $"/lists/{Uri.EscapeDataString(context.Required("listId"))}";

    /// <summary>
    /// "Add or update list member" (<c>PUT /lists/{list_id}/members/{subscriber_hash}</c>,
    /// https://mailchimp.com/developer/marketing/api/list-members/add-or-update-list-member/): <c>status_if_new</c> applies only
    /// to a new member, so an existing member's subscription is never changed; then the tag
    /// (<c>POST …/members/{hash}/tags</c>, https://mailchimp.com/developer/marketing/api/list-member-tags/add-or-remove-member-tags/).
    /// Both are idempotent by Mailchimp's design: repeating them changes nothing.
    /// </summary>
    private static async Task<ProviderResponse> UpsertMemberAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var email = Email(input);
        var tag = MailchimpApi.Text(input["tag"])?.Trim();
        if (tag is { Length: > 100 }) throw Invalid("A tag is at most 100 characters.");
        var merge = new JsonObject();
        if (MailchimpApi.Text(input["firstName"])?.Trim() is { Length: > 0 } first) merge["FNAME"] = first;
        if (MailchimpApi.Text(input["lastName"])?.Trim() is { Length: > 0 } last) merge["LNAME"] = last;
        var body = new JsonObject { ["email_address"] = email, ["status_if_new"] = context.Value("statusIfNew") ?? "pending" };
        if (merge.Count > 0) body["merge_fields"] = merge;
        var member = $"{ListPath(context)}/members/{MailchimpApi.SubscriberHash(email)}";
        var response = await MailchimpApi.SendAsync(context, HttpMethod.Put, member, body, cancellationToken);
        if (tag is { Length: > 0 })
            await MailchimpApi.SendAsync(context, HttpMethod.Post, member + "/tags",
                new JsonObject { ["tags"] = new JsonArray(new JsonObject { ["name"] = tag, ["status"] = "active" }) }, cancellationToken);
        var json = response.Json() as JsonObject;
        return Answer(new JsonObject
        {
            ["id"] = MailchimpApi.Text(json?["id"]), ["status"] = MailchimpApi.Text(json?["status"]), ["emailAddress"] = MailchimpApi.Text(json?["email_address"]),
            ["tag"] = tag is { Length: > 0 } ? tag : null,
        });
    }

    /// <summary>
    /// "Customer Journeys API trigger" (<c>POST /customer-journeys/journeys/{journey_id}/steps/{step_id}/actions/trigger</c>,
    /// https://mailchimp.com/developer/marketing/api/customer-journeys-trigger/customer-journeys-api-trigger-for-a-contact/),
    /// once per idempotency key: Mailchimp offers no key of its own, so the trigger is recorded in the id map and a repeat
    /// answers the one made.
    /// </summary>
    private static async Task<ProviderResponse> TriggerJourneyAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var email = Email(input);
        var (journey, step) = (MailchimpApi.Text(input["journeyId"]), MailchimpApi.Text(input["stepId"]));
        if (journey is null || step is null || !journey.All(char.IsAsciiDigit) || !step.All(char.IsAsciiDigit)) throw Invalid("trigger_journey needs numeric journeyId and stepId.");
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(MailchimpApi.Text(input["idempotencyKey"]) ?? $"{journey}/{step}/{email.ToLowerInvariant()}")))[..40];
        var db = context.Services.GetRequiredService<SwitchboardDbContext>();
        if (await db.Set<IntegrationRecordLink>().IgnoreQueryFilters().AnyAsync(l => l.InstallationId == context.Installation.Id
                && l.Model == MailchimpDefinition.JourneyModel && l.RemoteId == key, cancellationToken))
            return Answer(new JsonObject { ["journeyId"] = journey, ["stepId"] = step, ["triggered"] = false, ["alreadyTriggered"] = true });
        await MailchimpApi.SendAsync(context, HttpMethod.Post, $"/customer-journeys/journeys/{journey}/steps/{step}/actions/trigger",
            new JsonObject { ["email_address"] = email }, cancellationToken);
        var now = context.Time.GetUtcNow().UtcDateTime;
        db.Add(new IntegrationRecordLink
        {
            Id = Ids.New(IntegrationResources.RecordLinks, context.Time), OrganizationId = context.Installation.OrganizationId, InstallationId = context.Installation.Id,
            Model = MailchimpDefinition.JourneyModel, LocalId = key, RemoteId = key, RemoteUpdatedAt = now, UpdatedAt = now,
        });
        try { await db.SaveChangesAsync(cancellationToken); }
        catch (DbUpdateException) { db.ChangeTracker.Clear(); } // recorded by a parallel attempt
        return Answer(new JsonObject { ["journeyId"] = journey, ["stepId"] = step, ["triggered"] = true });
    }

    /// <summary>
    /// "Send campaign" (<c>POST /campaigns/{campaign_id}/actions/send</c>, https://mailchimp.com/developer/marketing/api/campaigns/send-campaign/),
    /// after reading the campaign (<c>GET /campaigns/{id}</c>): one Mailchimp already sent or is sending is not sent again.
    /// </summary>
    private static async Task<ProviderResponse> SendCampaignAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var id = MailchimpApi.Text(input["campaignId"]);
        if (id is null || id.Length > 20 || !id.All(char.IsAsciiLetterOrDigit)) throw Invalid("send_campaign needs a campaignId.");
        var campaign = (await MailchimpApi.SendAsync(context, HttpMethod.Get, $"/campaigns/{id}?fields=id,status,settings.title", null, cancellationToken)).Json() as JsonObject;
        var status = MailchimpApi.Text(campaign?["status"]);
        if (status is "sent" or "sending")
            return Answer(new JsonObject { ["campaignId"] = id, ["status"] = status, ["sent"] = false, ["alreadySent"] = true });
        await MailchimpApi.SendAsync(context, HttpMethod.Post, $"/campaigns/{id}/actions/send", null, cancellationToken);
        return Answer(new JsonObject { ["campaignId"] = id, ["status"] = "sending", ["sent"] = true });
    }

    /// <summary>
    /// Ensures one audience webhook (https://mailchimp.com/developer/marketing/api/list-webhooks/) delivers unsubscribes,
    /// profile updates, cleaned addresses and email changes made by users or admins (not by the API: the connector's own
    /// writes do not echo back) to the inbound URL. Mailchimp signs nothing; the documented protection is a secret in the
    /// URL, generated here and kept encrypted with the tokens. Mailchimp validates the URL with a GET when the webhook is made.
    /// </summary>
    private static async Task<ProviderResponse> SubscribeAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var callback = MailchimpApi.CallbackUrl(context);
        var secret = (await context.Http.TokensAsync(cancellationToken)).ExtraValue(MailchimpApi.WebhookSecretExtra);
        var hooks = (await MailchimpApi.SendAsync(context, HttpMethod.Get, ListPath(context) + "/webhooks", null, cancellationToken)).Json() as JsonObject;
        var mine = (hooks?["webhooks"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(h => MailchimpApi.Text(h["url"])?.StartsWith(callback + "?", StringComparison.Ordinal) ?? false).ToList();
        if (secret is not null && mine.FirstOrDefault(h => MailchimpApi.Text(h["url"]) == $"{callback}?secret={secret}") is { } kept)
            return Answer(new JsonObject { ["webhookId"] = MailchimpApi.Text(kept["id"]), ["created"] = false });
        foreach (var stale in mine) // made with a secret no longer held
            await MailchimpApi.SendAsync(context, HttpMethod.Delete, $"{ListPath(context)}/webhooks/{Uri.EscapeDataString(MailchimpApi.Text(stale["id"]) ?? "")}", null,
                cancellationToken, throwOnError: false);
        if (secret is null)
        {
            secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            await context.Services.GetRequiredService<ProviderTokenStore>().AddExtraAsync(context.Installation.Id,
                new Dictionary<string, string> { [MailchimpApi.WebhookSecretExtra] = secret }, cancellationToken);
        }
        var created = await MailchimpApi.SendAsync(context, HttpMethod.Post, ListPath(context) + "/webhooks", new JsonObject
        {
            ["url"] = $"{callback}?secret={secret}",
            ["events"] = new JsonObject { ["subscribe"] = false, ["unsubscribe"] = true, ["profile"] = true, ["cleaned"] = true, ["upemail"] = true, ["campaign"] = false },
            ["sources"] = new JsonObject { ["user"] = true, ["admin"] = true, ["api"] = false },
        }, cancellationToken);
        return Answer(new JsonObject { ["webhookId"] = MailchimpApi.Text((created.Json() as JsonObject)?["id"]), ["created"] = true });
    }

    /// <summary>
    /// Deletes the audience webhooks delivering to this installation: the connector keeps the URL's secret but not the
    /// webhook's id, so the audience's webhooks are listed (<c>GET /lists/{list_id}/webhooks</c>, as <c>subscribe_webhooks</c>
    /// does) and each whose URL is this installation's inbound URL (whatever its secret) deleted
    /// (<c>DELETE /lists/{list_id}/webhooks/{webhook_id}</c>, https://mailchimp.com/developer/marketing/api/list-webhooks/delete-webhook/);
    /// one already gone (404) is not a failure.
    /// </summary>
    public override async Task RemoveProviderStateAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        if (context.Installation.TokensEncrypted is null || context.Options.PublicBaseUrl is not { Length: > 0 } || context.Value("listId") is not { Length: > 0 }) return;
        var callback = MailchimpApi.CallbackUrl(context);
        var hooks = (await MailchimpApi.SendAsync(context, HttpMethod.Get, ListPath(context) + "/webhooks", null, cancellationToken)).Json() as JsonObject;
        foreach (var id in (hooks?["webhooks"] as JsonArray ?? []).OfType<JsonObject>()
                     .Where(h => MailchimpApi.Text(h["url"])?.StartsWith(callback + "?", StringComparison.Ordinal) ?? false)
                     .Select(h => MailchimpApi.Text(h["id"])).OfType<string>())
        {
            var response = await MailchimpApi.SendAsync(context, HttpMethod.Delete, $"{ListPath(context)}/webhooks/{Uri.EscapeDataString(id)}", null, cancellationToken,
                throwOnError: false);
            if (!response.IsSuccess && response.Status != 404) throw MailchimpApi.Error(response, context.Time);
        }
    }

    private static ProviderResponse Answer(JsonObject body)
    {
        using var answer = new HttpResponseMessage(System.Net.HttpStatusCode.OK);
        return new ProviderResponse(200, body.ToJsonString(), answer.Headers, 0);
    }

    private static ProviderException Invalid(string message) => new(message, null, "invalid_input", retryable: false);
}
