using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Chat;
using Switchboard.Crm.Contacts;
using Switchboard.Crm.Pipeline;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform;
using Switchboard.Platform.Auth;

namespace Switchboard.Integrations.Providers.WhatsApp;

/// <summary>
/// The Graph webhook of a WhatsApp Business Account on the installation's inbound URL (kind <c>events</c>), as Meta's
/// "Getting started with webhooks" describes it:
/// <list type="bullet">
/// <item>The verification request: <c>GET ?hub.mode=subscribe&amp;hub.verify_token=…&amp;hub.challenge=…</c>. The token is
/// compared in constant time with the installation's <c>verifyToken</c>; when it matches, the answer is the challenge
/// itself (200, text/plain). Anything else is 401.</item>
/// <item>Event notifications: <c>POST</c> with <c>X-Hub-Signature-256: sha256=</c> and the hex HMAC-SHA256 of the raw body
/// keyed with the app secret, compared in constant time before anything is read. Unverified: 401, nothing changes.</item>
/// </list>
/// A verified <c>messages</c> change for the installation's phone number id becomes a visitor message in the CRM's chat
/// (<c>chat.message_received</c>), in one WhatsApp conversation session per customer (wa_id); delivery statuses
/// (<c>statuses</c>) and other fields are acknowledged and ignored. Meta delivers at least once, so each message's id
/// (wamid) is recorded in the installation's id map and a redelivery adds nothing.
/// </summary>
public static class WhatsAppInbound
{
    public const string SignatureHeader = "X-Hub-Signature-256";
    /// <summary>The id map's models: customer (wa_id) → chat session, message (wamid) → chat message.</summary>
    public const string ConversationModel = "conversations", MessageModel = "messages";

    private sealed record Incoming(string Id, string From, string? Name, string Body, string Type, string? Timestamp);

    public static async Task<InboundResult> ReceiveAsync(ConnectorContext context, InboundRequest request, CancellationToken cancellationToken)
    {
        if (request.Method == HttpMethods.Get) return Handshake(context, request);
        if (!Verifies(context, request)) return InboundResult.Unauthorized;

        JsonObject? notification;
        try { notification = JsonNode.Parse(request.Body) as JsonObject; }
        catch (System.Text.Json.JsonException) { notification = null; }
        if (notification is null) return new InboundResult(400, """{"error":"Expected a JSON object."}""");
        if (WhatsAppErrors.Text(notification["object"]) != "whatsapp_business_account" || context.Installation.Status == InstallationStatus.Disabled)
            return InboundResult.Ok;
        var messages = Messages(notification, context.Value("phoneNumberId"));
        if (messages.Count == 0) return InboundResult.Ok;
        try
        {
            await WriteAsync(context, messages, cancellationToken);
        }
        catch (DbUpdateException)
        {
            // The same delivery being written by another node right now (the id map's unique index refused the second):
            // not acknowledged, so Meta delivers again and finds it recorded.
            return new InboundResult(503, """{"error":"Busy with the same delivery; try again."}""");
        }
        return InboundResult.Ok;
    }

    /// <summary>The subscription handshake: <c>hub.mode=subscribe</c> and the right verify token answer the challenge.</summary>
    private static InboundResult Handshake(ConnectorContext context, InboundRequest request)
    {
        var expected = context.Value("verifyToken");
        var mode = request.Query.GetValueOrDefault("hub.mode");
        var token = request.Query.GetValueOrDefault("hub.verify_token");
        var challenge = request.Query.GetValueOrDefault("hub.challenge");
        if (expected is null || mode != "subscribe" || token is null || challenge is not { Length: > 0 and <= 256 } || challenge.Any(char.IsControl))
            return InboundResult.Unauthorized;
        // Hashing both sides first makes the comparison's time independent of the lengths too.
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(expected)), SHA256.HashData(Encoding.UTF8.GetBytes(token))))
            return InboundResult.Unauthorized;
        return new InboundResult(200, challenge, "text/plain");
    }

    /// <summary><c>X-Hub-Signature-256</c>: <c>sha256=</c> and the lowercase hex HMAC-SHA256 of the raw body with the app secret.</summary>
    public static bool Verifies(ConnectorContext context, InboundRequest request)
    {
        var secret = context.Value("appSecret");
        var signature = request.Header(SignatureHeader);
        if (string.IsNullOrEmpty(secret) || signature is null) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, request.Body));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.UTF8.GetBytes(signature.Trim()));
    }

    public static string Sign(string appSecret, byte[] body) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), body));

    /// <summary>The customers' messages of every <c>messages</c> change addressed to this installation's phone number.</summary>
    private static List<Incoming> Messages(JsonObject notification, string? phoneNumberId)
    {
        var found = new List<Incoming>();
        foreach (var entry in (notification["entry"] as JsonArray ?? []).OfType<JsonObject>())
            foreach (var change in (entry["changes"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (WhatsAppErrors.Text(change["field"]) != "messages" || change["value"] is not JsonObject value) continue;
                // One app may serve several numbers of a business account: another number's messages are another installation's.
                if (WhatsAppErrors.Text((value["metadata"] as JsonObject)?["phone_number_id"]) != phoneNumberId) continue;
                var names = (value["contacts"] as JsonArray ?? []).OfType<JsonObject>()
                    .Select(c => (Id: WhatsAppErrors.Text(c["wa_id"]), Name: WhatsAppErrors.Text((c["profile"] as JsonObject)?["name"])))
                    .Where(c => c.Id is not null).GroupBy(c => c.Id!).ToDictionary(g => g.Key, g => g.First().Name);
                foreach (var message in (value["messages"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    var id = WhatsAppErrors.Text(message["id"]);
                    var from = WhatsAppErrors.Text(message["from"]);
                    if (id is null || from is null || id.Length > 200 || from.Length > 40) continue;
                    var type = WhatsAppErrors.Text(message["type"]) ?? "unknown";
                    // A profile name is the customer's own text: cut to what the chat's name columns hold.
                    var name = names.GetValueOrDefault(from) is { } profile ? profile.Length <= 200 ? profile : profile[..200] : null;
                    found.Add(new Incoming(id, from, name, Body(message, type), type[..Math.Min(type.Length, 40)], WhatsAppErrors.Text(message["timestamp"])));
                }
            }
        return found.DistinctBy(m => m.Id).ToList();
    }

    /// <summary>The message as chat text: its text, a button's or list reply's title, a media caption, or what kind of message it was.</summary>
    private static string Body(JsonObject message, string type)
    {
        var content = message[type] as JsonObject;
        var text = type switch
        {
            "text" => WhatsAppErrors.Text(content?["body"]),
            "button" => WhatsAppErrors.Text(content?["text"]),
            "interactive" => WhatsAppErrors.Text((content?["button_reply"] as JsonObject)?["title"]) ?? WhatsAppErrors.Text((content?["list_reply"] as JsonObject)?["title"]),
            "image" or "video" or "document" => WhatsAppErrors.Text(content?["caption"]) is { } caption ? $"[{type}] {caption}" : null,
            "location" => content is null ? null : $"[location] {content["latitude"]}, {content["longitude"]}{(WhatsAppErrors.Text(content["name"]) is { } place ? " " + place : "")}",
            _ => null,
        };
        text ??= $"[{type} message]";
        return text.Length <= 10_000 ? text : text[..10_000];
    }

    /// <summary>One transaction: the new messages, their sessions (opened on a customer's first message), and their id-map links.</summary>
    private static async Task WriteAsync(ConnectorContext context, List<Incoming> messages, CancellationToken cancellationToken)
    {
        var writer = context.Services.GetRequiredService<CrmWriter>();
        var db = writer.Db;
        var installation = context.Installation;
        var ids = messages.Select(m => m.Id).ToList();
        var known = await db.Set<IntegrationRecordLink>().IgnoreQueryFilters()
            .Where(l => l.InstallationId == installation.Id && l.Model == MessageModel && ids.Contains(l.RemoteId)).Select(l => l.RemoteId).ToListAsync(cancellationToken);
        var fresh = messages.Where(m => !known.Contains(m.Id)).ToList();
        if (fresh.Count == 0) return;

        var caller = new Caller(CallerKind.OAuthClient, installation.OrganizationId, []);
        var http = new DefaultHttpContext { RequestServices = context.Services };
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        foreach (var conversation in fresh.GroupBy(m => m.From))
        {
            var session = await SessionAsync(context, writer, caller, conversation.Key, conversation.Select(m => m.Name).LastOrDefault(n => n is not null), cancellationToken);
            foreach (var incoming in conversation)
            {
                var message = new ChatMessage
                {
                    SessionId = session.Id, Author = ChatAuthor.Visitor, AuthorName = incoming.Name, Body = incoming.Body,
                    Metadata = new Dictionary<string, string> { ["whatsappMessageId"] = incoming.Id, ["whatsappType"] = incoming.Type, ["whatsappFrom"] = incoming.From },
                };
                if (incoming.Timestamp is not null) message.Metadata["whatsappTimestamp"] = incoming.Timestamp;
                if (await ChatApi.AddAsync(writer, caller, session, message, cancellationToken) is not null)
                    throw new InvalidOperationException("The CRM refused a WhatsApp message."); // only a closed session for a non-visitor refuses, never here
                Link(context, db, MessageModel, message.Id, incoming.Id, writer.Now);
            }
        }
        await writer.SaveAsync(http, 200, null, null, cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// The customer's WhatsApp session: the one the id map links to their wa_id, or a new one (with the CRM contact whose
    /// phone is their number, when there is one). A session deleted since is replaced and the link moved.
    /// </summary>
    private static async Task<ChatSession> SessionAsync(ConnectorContext context, CrmWriter writer, Caller caller, string waId, string? name, CancellationToken cancellationToken)
    {
        var db = writer.Db;
        var link = await db.Set<IntegrationRecordLink>().IgnoreQueryFilters()
            .FirstOrDefaultAsync(l => l.InstallationId == context.Installation.Id && l.Model == ConversationModel && l.RemoteId == waId, cancellationToken);
        if (link is not null && await db.Set<ChatSession>().FirstOrDefaultAsync(s => s.Id == link.LocalId, cancellationToken) is { } existing) return existing;

        var phone = "+" + waId;
        var contactId = await db.Set<Contact>().Where(c => c.Phone == phone).OrderBy(c => c.Id).Select(c => c.Id).FirstOrDefaultAsync(cancellationToken);
        var session = new ChatSession
        {
            Channel = "whatsapp", ContactId = contactId, VisitorName = name, Subject = $"WhatsApp {phone}",
            Metadata = new Dictionary<string, string> { ["whatsappId"] = waId, ["integrationId"] = context.Installation.Id },
        };
        if (await CrmOperations.InsertAsync(ChatResources.Sessions, writer, session, caller, cancellationToken) is not null)
            throw new InvalidOperationException("The CRM refused a WhatsApp chat session.");
        if (link is null) Link(context, db, ConversationModel, session.Id, waId, writer.Now);
        else { link.LocalId = session.Id; link.UpdatedAt = writer.Now; }
        return session;
    }

    private static void Link(ConnectorContext context, Platform.Storage.SwitchboardDbContext db, string model, string localId, string remoteId, DateTime now) =>
        db.Add(new IntegrationRecordLink
        {
            Id = Ids.New(IntegrationResources.RecordLinks, context.Time), OrganizationId = context.Installation.OrganizationId,
            InstallationId = context.Installation.Id, Model = model, LocalId = localId, RemoteId = remoteId, RemoteUpdatedAt = now, UpdatedAt = now,
        });
}
