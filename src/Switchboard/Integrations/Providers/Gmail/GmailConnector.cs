using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Providers.Google;

namespace Switchboard.Integrations.Providers.Gmail;

/// <summary>
/// Gmail: email sent from the connected mailbox by rules (<c>send_email</c>, its input rendered from the rule's
/// template), and the mailbox's inbound and sent mail logged as email activities on the matching contacts and leads
/// (<see cref="MessagesSync"/>). OAuth 2.0 as a Google web server app, like Google Calendar (<see cref="GoogleOAuth"/>);
/// Google's errors read by <see cref="GoogleErrors"/>. API reference: https://developers.google.com/workspace/gmail/api/reference/rest.
/// </summary>
public sealed class GmailConnector(TimeProvider time, ILogger<GmailConnector> logger) : Connector
{
    public const string Key = "gmail", Api = "Gmail";

    public override ProviderDefinition Definition { get; } = GmailDefinition.Create();

    private readonly MessagesSync _messages = new(time, logger);

    public override ISyncModel? Sync(string model) => model == GmailDefinition.Messages ? _messages : null;

    /// <summary>
    /// <c>users.getProfile</c> (https://developers.google.com/workspace/gmail/api/reference/rest/v1/users/getProfile):
    /// one quota unit, allowed by <c>gmail.readonly</c>, and it proves the token, the scope and the mailbox.
    /// </summary>
    public override Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken) => ProfileAsync(context, cancellationToken);

    internal async Task<ProviderResponse> ProfileAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var url = GmailSettings.Mailbox(context) + "/profile";
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), cancellationToken);
        return response.IsSuccess ? response : throw GoogleErrors.From(response, time, Api);
    }

    public override async Task<ProviderResponse> RunActionAsync(ConnectorContext context, string action, JsonObject input, CancellationToken cancellationToken) =>
        action == GmailDefinition.SendEmail
            ? await SendAsync(context, input, cancellationToken)
            : await base.RunActionAsync(context, action, input, cancellationToken);

    /// <summary>
    /// <c>users.messages.send</c> (https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.messages/send)
    /// of the MIME message <see cref="GmailMime"/> builds, in <c>raw</c>, with the <c>threadId</c> when given. The From
    /// address is the mailbox's own (<c>users.getProfile</c>, one quota unit against the send's hundred): Gmail would put
    /// it there anyway, and RFC 5322 §3.6 requires the header. The input is checked before any call, so a header
    /// injection or a bad address never reaches Gmail nor the retry schedule.
    /// <para>
    /// Gmail takes no idempotency key: a send whose answer was lost (a timeout after Gmail accepted it) is sent again by
    /// the queue's retry. A 429 or 5xx answer means Gmail did not send it, so those retries are safe.
    /// </para>
    /// </summary>
    private async Task<ProviderResponse> SendAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var settings = GmailSettings.For(context);
        var threadId = input["threadId"] is JsonValue t && t.TryGetValue<string>(out var thread) && !string.IsNullOrWhiteSpace(thread) ? thread.Trim() : null;
        if (threadId is not null && !threadId.All(char.IsAsciiLetterOrDigit))
            throw new ProviderException("'threadId' must be a Gmail thread id (letters and digits).", null, null, retryable: false);
        // The input is read in full before the first call: what can never work costs no call.
        var email = GmailMime.FromInput(input);

        var profile = (await ProfileAsync(context, cancellationToken)).Json() as JsonObject;
        var address = profile?["emailAddress"] is JsonValue a && a.TryGetValue<string>(out var mailbox) ? mailbox
            : throw new ProviderException("Gmail answered a profile without an emailAddress.", 200, null, retryable: true);
        var raw = GmailMime.Base64Url(GmailMime.Build(email with { From = GmailMime.Sender(settings.FromName, address) }, time.GetUtcNow(),
            GmailMime.NewBoundary()));
        var body = new JsonObject { ["raw"] = raw };
        if (threadId is not null) body["threadId"] = threadId;
        var url = GmailSettings.Mailbox(context) + "/messages/send";
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) }, cancellationToken);
        return response.IsSuccess ? response : throw GoogleErrors.From(response, time, Api);
    }

    /// <summary>Revokes the grant at Google on uninstall (<see cref="GoogleOAuth.RevokeAsync"/>).</summary>
    public override Task RevokeAsync(ConnectorContext context, CancellationToken cancellationToken) =>
        GoogleOAuth.RevokeAsync(context, Definition, cancellationToken);
}
