using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Switchboard.Integrations.Actions;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Providers.WhatsApp;

/// <summary>
/// WhatsApp Business (Cloud API): <see cref="WhatsAppDefinition"/>. Stateless and made without services (the clock comes
/// with the context), so the developer portal writes its page from the definition. Outbound, one template message per recipient
/// (<c>POST /{version}/{phone-number-id}/messages</c> with <c>messaging_product: whatsapp</c>, <c>type: template</c>, the
/// template's name, language code and body parameters), the installation's access token as a bearer token. Inbound,
/// <see cref="WhatsAppInbound"/>.
/// </summary>
public sealed partial class WhatsAppConnector : Connector
{
    /// <summary>The id map's model recording which (event, recipient) pairs were sent, so a retried run does not message anyone twice.</summary>
    public const string SentModel = "sent_notifications";

    public override ProviderDefinition Definition { get; } = WhatsAppDefinition.Create();

    [GeneratedRegex(WhatsAppDefinition.E164Pattern)]
    private static partial Regex E164();

    /// <summary>Reads the phone number (its display number and verified name): proves the token, the phone number id and the version.</summary>
    public override async Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var url = $"{PhoneUrl(context)}?fields=display_phone_number,verified_name";
        var response = await context.Http.SendAsync(() => Authorized(context, new HttpRequestMessage(HttpMethod.Get, url)), cancellationToken, authenticate: false);
        return response.IsSuccess ? response : throw WhatsAppErrors.From(response, context.Time);
    }

    public override async Task<ProviderResponse> RunActionAsync(ConnectorContext context, string action, JsonObject input, CancellationToken cancellationToken)
    {
        if (action != WhatsAppDefinition.NotifyLead) return await base.RunActionAsync(context, action, input, cancellationToken);
        var template = Text(input["template"]) ?? context.Value("templateName")
            ?? throw Invalid("No template: give one in the rule's input (template) or the installation's templateName.");
        var language = Text(input["languageCode"]) ?? context.Value("languageCode") ?? "en_US";
        var recipients = (input["to"] as JsonArray ?? context.Config["recipients"] as JsonArray)?.Select(Text).ToList();
        if (recipients is not { Count: > 0 }) throw Invalid("No recipients: give them in the rule's input (to) or the installation's recipients.");
        var notE164 = recipients.Where(r => r is null || !E164().IsMatch(r)).ToList();
        if (notE164.Count > 0) throw Invalid($"A recipient is not an E.164 number (+ and 7 to 15 digits): '{notE164[0]}'.");
        var parameters = new JsonArray();
        foreach (var value in input["parameters"] as JsonArray ?? [])
            parameters.Add(new JsonObject { ["type"] = "text", ["text"] = ParameterText(value) });

        var eventId = EventId(context);
        var sent = new JsonArray();
        foreach (var to in recipients.Distinct(StringComparer.Ordinal))
        {
            var key = eventId is null ? null : SentKey(context.Installation.Id, eventId, to!, template);
            if (key is not null && await SentAsync(context, key, cancellationToken) is { } earlier)
            {
                sent.Add(new JsonObject { ["to"] = to, ["id"] = earlier, ["alreadySent"] = true });
                continue;
            }
            var body = new JsonObject
            {
                ["messaging_product"] = "whatsapp",
                ["recipient_type"] = "individual",
                ["to"] = to,
                ["type"] = "template",
                ["template"] = new JsonObject
                {
                    ["name"] = template,
                    ["language"] = new JsonObject { ["code"] = language },
                    ["components"] = parameters.Count == 0 ? new JsonArray()
                        : new JsonArray(new JsonObject { ["type"] = "body", ["parameters"] = parameters.DeepClone() }),
                },
            };
            var json = body.ToJsonString();
            var response = await context.Http.SendAsync(() => Authorized(context, new HttpRequestMessage(HttpMethod.Post, PhoneUrl(context) + "/messages")
            {
                Content = new StringContent(json, new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" }),
            }), cancellationToken, authenticate: false);
            if (!response.IsSuccess) throw WhatsAppErrors.From(response, context.Time);
            var messageId = WhatsAppErrors.Text(((response.Json() as JsonObject)?["messages"] as JsonArray)?.FirstOrDefault()?["id"]) ?? "";
            if (key is not null && messageId.Length > 0) await RecordSentAsync(context, key, messageId, cancellationToken);
            sent.Add(new JsonObject { ["to"] = to, ["id"] = messageId });
        }
        using var answer = new HttpResponseMessage(System.Net.HttpStatusCode.OK);
        return new ProviderResponse(200, new JsonObject { ["messages"] = sent }.ToJsonString(), answer.Headers, 0);
    }

    public override Task<InboundResult> ReceiveAsync(ConnectorContext context, string kind, InboundRequest request, CancellationToken cancellationToken) =>
        kind == WhatsAppDefinition.Events ? WhatsAppInbound.ReceiveAsync(context, request, cancellationToken) : Task.FromResult(InboundResult.NotFound);

    private static string PhoneUrl(ConnectorContext context) =>
        $"{context.BaseUrl()}/{context.Value("apiVersion") ?? "v21.0"}/{Uri.EscapeDataString(context.Required("phoneNumberId"))}";

    /// <summary>The Cloud API takes the access token as a bearer token (RFC 6750 §2.1).</summary>
    private static HttpRequestMessage Authorized(ConnectorContext context, HttpRequestMessage request)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", context.Required("accessToken"));
        return request;
    }

    /// <summary>
    /// A body parameter's text: a template variable's value as text (numbers invariant). WhatsApp refuses an empty
    /// parameter, so a missing value (a lead without a company) is sent as a dash rather than failing every such lead.
    /// </summary>
    private static string ParameterText(JsonNode? value)
    {
        var text = value switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v => v.ToJsonString(),
            _ => value.ToJsonString(),
        };
        text = text?.Trim();
        // Template parameters may not hold newlines, tabs or more than four consecutive spaces (error 132018).
        text = text is null ? null : Regex.Replace(text, @"[\r\n\t]+| {5,}", " ");
        return string.IsNullOrEmpty(text) ? "—" : text.Length <= 1024 ? text : text[..1024];
    }

    private static string? EventId(ConnectorContext context)
    {
        if (context.Services.GetService<ActionInvocation>()?.Payload is not { } payload) return null;
        try { return WhatsAppErrors.Text((JsonNode.Parse(payload) as JsonObject)?["id"]); }
        catch (System.Text.Json.JsonException) { return null; }
    }

    /// <summary>The id map's local key for one (event, recipient, template): 40 characters, as the map's local ids are.</summary>
    private static string SentKey(string installationId, string eventId, string to, string template) =>
        "wan_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{installationId}\n{eventId}\n{to}\n{template}")))[..36];

    private static Task<string?> SentAsync(ConnectorContext context, string key, CancellationToken cancellationToken) =>
        context.Services.GetRequiredService<SwitchboardDbContext>().Set<IntegrationRecordLink>().IgnoreQueryFilters().AsNoTracking()
            .Where(l => l.InstallationId == context.Installation.Id && l.Model == SentModel && l.LocalId == key)
            .Select(l => l.RemoteId).FirstOrDefaultAsync(cancellationToken);

    private static async Task RecordSentAsync(ConnectorContext context, string key, string messageId, CancellationToken cancellationToken)
    {
        var db = context.Services.GetRequiredService<SwitchboardDbContext>();
        var now = context.Time.GetUtcNow().UtcDateTime;
        var link = new IntegrationRecordLink
        {
            Id = Ids.New(IntegrationResources.RecordLinks, context.Time), OrganizationId = context.Installation.OrganizationId, InstallationId = context.Installation.Id,
            Model = SentModel, LocalId = key, RemoteId = messageId, RemoteUpdatedAt = now, UpdatedAt = now,
        };
        db.Add(link);
        try { await db.SaveChangesAsync(cancellationToken); }
        catch (DbUpdateException)
        {
            // Another attempt recorded the same send meanwhile: the message went out once either way.
            db.Entry(link).State = EntityState.Detached;
        }
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    private static ProviderException Invalid(string message) => new(message, null, "invalid_input", retryable: false);
}
