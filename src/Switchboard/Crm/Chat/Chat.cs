using FluentValidation;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Crm.Contacts;
using Switchboard.Crm.Pipeline;
using Switchboard.Platform.Http;
using Switchboard.Platform.Resources;

namespace Switchboard.Crm.Chat;

/// <summary>A conversation on a channel (web chat, SMS, WhatsApp…), optionally with a known contact.</summary>
public sealed class ChatSession : CrmRecord
{
    public string? ContactId { get; set; }
    public string Channel { get; set; } = "web";
    public string Status { get; set; } = ChatSessionStatus.Open;
    public string? Subject { get; set; }
    public string? VisitorName { get; set; }
    public string? VisitorEmail { get; set; }
    public int MessageCount { get; set; }
    public DateTime? LastMessageAt { get; set; }
    public DateTime? ClosedAt { get; set; }
}

/// <summary>One message of a session. Messages are immutable.</summary>
public sealed class ChatMessage : CrmRecord
{
    public string SessionId { get; set; } = "";
    public string Author { get; set; } = ChatAuthor.Visitor;
    public string? AuthorName { get; set; }
    public string Body { get; set; } = "";
}

public sealed record ChatSessionInput : CrmInput
{
    public Optional<string?> ContactId { get; init; }
    public Optional<string?> Channel { get; init; }
    public Optional<string?> Status { get; init; }
    public Optional<string?> Subject { get; init; }
    public Optional<string?> VisitorName { get; init; }
    public Optional<string?> VisitorEmail { get; init; }
}

public sealed record ChatMessageInput : CrmInput
{
    public Optional<string?> Author { get; init; }
    public Optional<string?> AuthorName { get; init; }
    public Optional<string?> Body { get; init; }
}

public sealed record ChatSessionResponse(
    string Id, string? ContactId, string Channel, string Status, string? Subject, string? VisitorName, string? VisitorEmail, int MessageCount,
    DateTime? LastMessageAt, DateTime? ClosedAt, Dictionary<string, string> Metadata, DateTime CreatedAt, DateTime UpdatedAt);

public sealed record ChatMessageResponse(string Id, string SessionId, string Author, string? AuthorName, string Body, Dictionary<string, string> Metadata, DateTime CreatedAt);

internal sealed class ChatSessionInputValidator : CrmInputValidator<ChatSessionInput>
{
    public ChatSessionInputValidator()
    {
        Check(x => x.ContactId, v => Checks.Id(ContactResource.Definition.IdPrefix, v));
        Check(x => x.Channel, Checks.OneOf(ChatChannel.All));
        Check(x => x.Status, Checks.OneOf(ChatSessionStatus.All));
        Check(x => x.Subject, Checks.MaxLength(300));
        Check(x => x.VisitorName, Checks.MaxLength(200));
        Check(x => x.VisitorEmail, Checks.Email);
    }
}

internal sealed class ChatMessageInputValidator : CrmInputValidator<ChatMessageInput>
{
    public ChatMessageInputValidator()
    {
        Required(x => x.Body);
        Check(x => x.Body, Checks.MaxLength(10_000));
        Check(x => x.Author, Checks.OneOf(ChatAuthor.All));
        Check(x => x.AuthorName, Checks.MaxLength(200));
    }
}

internal sealed class ChatSessionConfiguration : IEntityTypeConfiguration<ChatSession>
{
    public void Configure(EntityTypeBuilder<ChatSession> b)
    {
        b.ConfigureRecord("chat_sessions");
        b.Property(x => x.ContactId).HasMaxLength(40);
        b.Property(x => x.Channel).HasMaxLength(20);
        b.Property(x => x.Status).HasMaxLength(20);
        b.Property(x => x.Subject).HasMaxLength(300);
        b.Property(x => x.VisitorName).HasMaxLength(200);
        b.Property(x => x.VisitorEmail).HasMaxLength(320);
        b.HasOptionalLink<ChatSession, Contact>(x => x.ContactId);
        b.HasIndex(x => new { x.OrganizationId, x.Status });
    }
}

internal sealed class ChatMessageConfiguration : IEntityTypeConfiguration<ChatMessage>
{
    public void Configure(EntityTypeBuilder<ChatMessage> b)
    {
        b.ConfigureRecord("chat_messages");
        b.Property(x => x.SessionId).HasMaxLength(40);
        b.Property(x => x.Author).HasMaxLength(20);
        b.Property(x => x.AuthorName).HasMaxLength(200);
        b.Property(x => x.Body).HasMaxLength(10_000);
        b.HasOne<ChatSession>().WithMany().HasForeignKey(x => x.SessionId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(x => new { x.SessionId, x.CreatedAt, x.Id });
    }
}

public static class ChatResources
{
    public static ChatSessionResponse AsResponse(this ChatSession s) => new(s.Id, s.ContactId, s.Channel, s.Status, s.Subject, s.VisitorName,
        s.VisitorEmail, s.MessageCount, s.LastMessageAt, s.ClosedAt, s.Metadata, s.CreatedAt, s.UpdatedAt);

    public static ChatMessageResponse AsResponse(this ChatMessage m) => new(m.Id, m.SessionId, m.Author, m.AuthorName, m.Body, m.Metadata, m.CreatedAt);

    public static readonly ResourceDefinition<ChatSession, ChatSessionInput, ChatSessionResponse> Sessions = new()
    {
        Path = "chat/sessions", IdPrefix = "chs", ScopeResource = "chat", ScopeSubject = "chat sessions and messages", Singular = "chat_session", Plural = "chat_sessions", Tag = "Chat",
        IdFields = ["sessionId"],
        Enumerations = [new("channel", ChatChannel.All) { Inputs = [typeof(SendChatMessageRequest)] }, new("status", ChatSessionStatus.All)],
        Formats = [new("visitorEmail", FieldFormat.Email) { Inputs = [typeof(SendChatMessageRequest)] }],
        Map = AsResponse,
        Apply = (s, i) =>
        {
            i.ContactId.IfSet(v => s.ContactId = v);
            i.Channel.IfSet(v => s.Channel = v ?? "web");
            i.Status.IfSet(v => s.Status = v ?? ChatSessionStatus.Open);
            i.Subject.IfSet(v => s.Subject = v.Clean());
            i.VisitorName.IfSet(v => s.VisitorName = v.Clean());
            i.VisitorEmail.IfSet(v => s.VisitorEmail = v.Clean()?.ToLowerInvariant());
            i.Metadata.IfSet(v => s.Metadata = v ?? []);
        },
        OnChange = (s, _, now) =>
        {
            if (s.Status == ChatSessionStatus.Closed) s.ClosedAt ??= now;
            else s.ClosedAt = null;
        },
        References = [Reference.To<ChatSession, Contact>("contactId", s => s.ContactId, ContactResource.Definition.IdPrefix)],
        Filters =
        [
            Filter.Equal<ChatSession>("status", s => s.Status, ChatSessionStatus.All),
            Filter.Equal<ChatSession>("channel", s => s.Channel, ChatChannel.All),
            Filter.Link<ChatSession>("contactId", s => s.ContactId, ContactResource.Definition.IdPrefix),
            Filter.Time<ChatSession>("lastMessage", s => s.LastMessageAt),
        ],
        SearchFields = [s => s.Subject, s => s.VisitorName, s => s.VisitorEmail],
    };

    /// <summary>Messages are listed and created under their session; a visitor's message is <c>chat.message_received</c>.</summary>
    public static readonly ResourceDefinition<ChatMessage, ChatMessageInput, ChatMessageResponse> Messages = new()
    {
        Path = "chat/messages", IdPrefix = "msg", ScopeResource = "chat", Singular = "chat_message", Plural = "chat_messages", Tag = "Chat",
        EventPrefix = "chat",
        Enumerations = [new("author", ChatAuthor.All) { Inputs = [typeof(SendChatMessageRequest)] }],
        Map = AsResponse,
        DefaultSort = "createdAt",
        RecordChangeEvents = false,
        AllowUpdate = false,
        AllowDelete = false,
        Apply = (m, i) =>
        {
            i.Author.IfSet(v => m.Author = v ?? ChatAuthor.Visitor);
            i.AuthorName.IfSet(v => m.AuthorName = v.Clean());
            i.Body.IfSet(v => m.Body = v!);
            i.Metadata.IfSet(v => m.Metadata = v ?? []);
        },
        StateEvents =
        [
            new("message_received", "A visitor sent a chat message.", (before, after) => before is null && after.Author == ChatAuthor.Visitor),
            new("message_sent", "An agent or bot sent a chat message.", (before, after) => before is null && after.Author != ChatAuthor.Visitor),
        ],
        Filters = [Filter.Equal<ChatMessage>("author", m => m.Author, ChatAuthor.All)],
        SearchFields = [m => m.Body],
    };
}

public static class ChatChannel
{
    public static readonly IReadOnlyList<string> All = ["web", "email", "sms", "whatsapp", "messenger", "other"];
}

public static class ChatSessionStatus
{
    public const string Open = "open", Closed = "closed";
    public static readonly IReadOnlyList<string> All = [Open, Closed];
}

public static class ChatAuthor
{
    public const string Visitor = "visitor", Agent = "agent", Bot = "bot";
    public static readonly IReadOnlyList<string> All = [Visitor, Agent, Bot];
}
