using Switchboard.Docs;
using System.ComponentModel;
using System.Text.Json.Nodes;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Pipeline;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Http;
using Switchboard.Platform.Pagination;
using Switchboard.Platform.Validation;

namespace Switchboard.Crm.Chat;

/// <summary><c>POST /api/v1/chat/message</c>: a message, in a given session or a new one opened for it.</summary>
public sealed record SendChatMessageRequest : CrmInput
{
    public Optional<string?> SessionId { get; init; }
    public Optional<string?> ContactId { get; init; }
    public Optional<string?> Channel { get; init; }
    public Optional<string?> VisitorName { get; init; }
    public Optional<string?> VisitorEmail { get; init; }
    public Optional<string?> Subject { get; init; }
    public Optional<string?> Author { get; init; }
    public Optional<string?> AuthorName { get; init; }
    public Optional<string?> Body { get; init; }
}

public sealed record SendChatMessageResponse(ChatSessionResponse Session, ChatMessageResponse Message, bool SessionCreated);

internal sealed class SendChatMessageRequestValidator : CrmInputValidator<SendChatMessageRequest>
{
    public SendChatMessageRequestValidator()
    {
        Check(x => x.SessionId, v => Checks.Id(ChatResources.Sessions.IdPrefix, v));
        Check(x => x.ContactId, v => Checks.Id(Contacts.ContactResource.Definition.IdPrefix, v));
        Check(x => x.Channel, Checks.OneOf(ChatChannel.All));
        Check(x => x.VisitorName, Checks.MaxLength(200));
        Check(x => x.VisitorEmail, Checks.Email);
        Check(x => x.Subject, Checks.MaxLength(300));
        Required(x => x.Body);
        Check(x => x.Body, Checks.MaxLength(10_000));
        Check(x => x.Author, Checks.OneOf(ChatAuthor.All));
        Check(x => x.AuthorName, Checks.MaxLength(200));
    }
}

public static class ChatApi
{
    public static void MapChatApi(this IEndpointRouteBuilder app)
    {
        var sessions = app.MapCrmResource(ChatResources.Sessions);
        sessions.MapGet("/{id}/messages", ListMessagesAsync).RequireScope(ChatResources.Sessions.ReadScope).WithName("listChatMessages").WithSummary("List a session's messages, oldest first")
            .WithQueryParameters(CrmEndpoints.ListParameters(ChatResources.Messages));
        sessions.MapGet("/{id}/messages/{messageId}", GetMessageAsync).RequireScope(ChatResources.Sessions.ReadScope).WithName("getChatMessage").WithSummary("Get a message of a session")
            .WithConditionalRequests(ifMatch: false, ifNoneMatch: true);
        sessions.MapPost("/{id}/messages", PostMessageAsync).RequireScope(ChatResources.Sessions.WriteScope).WithName("createChatMessage").WithSummary("Add a message to a session")
            .ProducesErrors(ErrorCodes.Conflict);
        app.MapPost("/api/v1/chat/message", SendAsync).RequireScope(ChatResources.Sessions.WriteScope).WithTags("Chat")
            .WithName("sendChatMessage").WithSummary("Send a message, opening a session when none is given")
            .ProducesErrors(ErrorCodes.NotFound, ErrorCodes.Conflict);
    }

    internal static async Task<Results<Ok<ListResponse<ChatMessageResponse>>, JsonHttpResult<ListResponse<JsonObject>>, ProblemHttpResult>> ListMessagesAsync(
        string id, HttpContext http, CrmWriter writer, CancellationToken cancellationToken)
    {
        var (_, missing) = await CrmOperations.FindAsync(ChatResources.Sessions, writer, id, http, checkIfMatch: false, cancellationToken);
        if (missing is not null) return missing;
        return await CrmEndpoints.ListAsync(ChatResources.Messages, http, writer, cancellationToken, q => q.Where(m => m.SessionId == id));
    }

    /// <summary>
    /// The message a 201 of <see cref="PostMessageAsync"/> or <see cref="SendAsync"/> names in its <c>Location</c>. One read:
    /// a message of the caller's organization that belongs to the session in the path; any other answers 404.
    /// </summary>
    internal static async Task<Results<OkJson<ChatMessageResponse>, StatusCodeHttpResult, ProblemHttpResult>> GetMessageAsync(
        [Description("The session's id (`chs_…`).")] string id, [Description("The message's id (`msg_…`).")] string messageId,
        HttpContext http, RecordReader records, IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        var (message, missing) = await CrmOperations.ReadAsync(ChatResources.Messages, records, messageId, http, cancellationToken);
        if (missing is not null) return missing;
        if (message!.SessionId != id) return ApiProblem.NotFound("chat message");
        var etag = CrmWriter.ETagOf(message);
        ETags.Set(http.Response, etag);
        // RFC 9110 §13.1.2: a client holding the current representation gets 304 and no body.
        if (ETags.IfNoneMatchHits(http.Request, etag)) return TypedResults.StatusCode(304);
        return new OkJson<ChatMessageResponse>(message.AsResponse(), json.Value.SerializerOptions);
    }

    /// <summary>Where a new message is read back (<see cref="GetMessageAsync"/>).</summary>
    internal static string MessageLocation(ChatMessage message) => $"/api/v1/chat/sessions/{message.SessionId}/messages/{message.Id}";

    internal static async Task<Results<Created<ChatMessageResponse>, ProblemHttpResult>> PostMessageAsync(
        string id, ChatMessageInput input, HttpContext http, CrmWriter writer, IValidator<ChatMessageInput> validator, CancellationToken cancellationToken)
    {
        if (await validator.CheckAsync(input, BodyUse.Create, cancellationToken) is { } invalid) return invalid;
        var (session, missing) = await CrmOperations.FindAsync(ChatResources.Sessions, writer, id, http, checkIfMatch: false, cancellationToken);
        if (missing is not null) return missing;
        var message = new ChatMessage { SessionId = session!.Id };
        ChatResources.Messages.Apply(message, input);
        await using var tx = await writer.Db.Database.BeginTransactionAsync(cancellationToken);
        if (await AddAsync(writer, http.GetCaller(), session, message, cancellationToken) is { } problem) return problem;
        var response = message.AsResponse();
        var location = MessageLocation(message);
        if (await CrmOperations.SaveAsync(writer, http, "chat session", 201, response, new Dictionary<string, string> { ["Location"] = location }, cancellationToken) is { } conflict)
            return conflict;
        await tx.CommitAsync(cancellationToken);
        return TypedResults.Created(location, response);
    }

    internal static async Task<Results<Created<SendChatMessageResponse>, ProblemHttpResult>> SendAsync(
        SendChatMessageRequest request, HttpContext http, CrmWriter writer, IValidator<SendChatMessageRequest> validator, CancellationToken cancellationToken)
    {
        if (await validator.CheckAsync(request, BodyUse.Create, cancellationToken) is { } invalid) return invalid;
        var caller = http.GetCaller();
        await using var tx = await writer.Db.Database.BeginTransactionAsync(cancellationToken);
        ChatSession session;
        var created = false;
        if (request.SessionId.Value is { } sessionId)
        {
            var (found, missing) = await CrmOperations.FindAsync(ChatResources.Sessions, writer, sessionId, http, checkIfMatch: false, cancellationToken);
            if (missing is not null) return ApiProblem.Validation("sessionId", "No chs_ session with this id exists in your organization.");
            session = found!;
        }
        else
        {
            session = new ChatSession();
            ChatResources.Sessions.Apply(session, new ChatSessionInput
            {
                ContactId = request.ContactId, Channel = request.Channel, Subject = request.Subject,
                VisitorName = request.VisitorName, VisitorEmail = request.VisitorEmail,
            });
            if (await CrmOperations.InsertAsync(ChatResources.Sessions, writer, session, caller, cancellationToken) is { } problem) return problem;
            created = true;
        }
        var message = new ChatMessage { SessionId = session.Id };
        ChatResources.Messages.Apply(message, new ChatMessageInput { Author = request.Author, AuthorName = request.AuthorName, Body = request.Body, Metadata = request.Metadata });
        if (await AddAsync(writer, caller, session, message, cancellationToken) is { } addProblem) return addProblem;

        var response = new SendChatMessageResponse(session.AsResponse(), message.AsResponse(), created);
        var location = MessageLocation(message);
        if (await CrmOperations.SaveAsync(writer, http, "chat session", 201, response, new Dictionary<string, string> { ["Location"] = location }, cancellationToken) is { } conflict)
            return conflict;
        await tx.CommitAsync(cancellationToken);
        return TypedResults.Created(location, response);
    }

    /// <summary>
    /// Adds the message and counts it on its session. The count is one atomic UPDATE, so messages arriving together in one
    /// session never conflict; a visitor writing into a closed session reopens it, an agent cannot.
    /// </summary>
    internal static async Task<ProblemHttpResult?> AddAsync(CrmWriter writer, Caller caller, ChatSession session, ChatMessage message, CancellationToken cancellationToken)
    {
        if (session.Status == ChatSessionStatus.Closed)
        {
            if (message.Author != ChatAuthor.Visitor) return ApiProblem.Conflict(ErrorCodes.Conflict, "The session is closed; only the visitor can reopen it by writing.");
            var (_, reopenProblem) = await CrmOperations.ChangeAsync(ChatResources.Sessions, writer, session, s => s.Status = ChatSessionStatus.Open, cancellationToken);
            if (reopenProblem is not null) return reopenProblem;
        }
        if (await CrmOperations.InsertAsync(ChatResources.Messages, writer, message, caller, cancellationToken) is { } problem) return problem;
        var now = writer.Now;
        if (writer.Db.Entry(session).State == EntityState.Added)
        {
            session.MessageCount = 1;
            session.LastMessageAt = now;
            return null;
        }
        await writer.Db.Set<ChatSession>().Where(s => s.Id == session.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.MessageCount, x => x.MessageCount + 1).SetProperty(x => x.LastMessageAt, now), cancellationToken);
        // Read back what the database now holds (other messages may have been counted meanwhile) and mirror it in the
        // tracked entity as unmodified, so SaveChanges never writes a stale count over concurrent increments.
        var counted = await writer.Db.Set<ChatSession>().Where(s => s.Id == session.Id)
            .Select(s => new { s.MessageCount, s.LastMessageAt }).FirstAsync(cancellationToken);
        var entry = writer.Db.Entry(session);
        foreach (var (property, value) in new (string, object?)[] { (nameof(ChatSession.MessageCount), counted.MessageCount), (nameof(ChatSession.LastMessageAt), counted.LastMessageAt) })
        {
            entry.Property(property).CurrentValue = value;
            entry.Property(property).OriginalValue = value;
            entry.Property(property).IsModified = false;
        }
        return null;
    }
}
