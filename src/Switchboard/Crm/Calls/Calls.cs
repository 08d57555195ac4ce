using Switchboard.Docs;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Crm.Contacts;
using Switchboard.Crm.Pipeline;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Http;
using Switchboard.Platform.Resources;
using Switchboard.Platform.Validation;

namespace Switchboard.Crm.Calls;

public sealed class Call : CrmRecord
{
    public string Direction { get; set; } = "inbound";
    public string FromNumber { get; set; } = "";
    public string ToNumber { get; set; } = "";
    public string Status { get; set; } = CallStatus.Ringing;
    public int DurationSeconds { get; set; }
    public string? Outcome { get; set; }
    public string? ContactId { get; set; }
    public DateTime StartedAt { get; set; }
    public DateTime? EndedAt { get; set; }
    public string? Notes { get; set; }
    public string? Transcript { get; set; }
    public string? TranscriptLanguage { get; set; }
}

public sealed record CallInput : CrmInput
{
    public Optional<string?> Direction { get; init; }
    public Optional<string?> FromNumber { get; init; }
    public Optional<string?> ToNumber { get; init; }
    public Optional<string?> Status { get; init; }
    public Optional<int?> DurationSeconds { get; init; }
    public Optional<string?> Outcome { get; init; }
    public Optional<string?> ContactId { get; init; }
    public Optional<DateTime?> StartedAt { get; init; }
    public Optional<string?> Notes { get; init; }
}

public sealed record CallResponse(
    string Id, string Direction, string FromNumber, string ToNumber, string Status, int DurationSeconds, string? Outcome, string? ContactId,
    DateTime StartedAt, DateTime? EndedAt, string? Notes, string? Transcript, string? TranscriptLanguage,
    Dictionary<string, string> Metadata, DateTime CreatedAt, DateTime UpdatedAt);

public sealed record TranscriptRequest(string? Transcript, string? Language);

internal sealed class CallInputValidator : CrmInputValidator<CallInput>
{
    public CallInputValidator()
    {
        Required(x => x.Direction);
        Check(x => x.Direction, Checks.OneOf(CallDirection.All));
        Required(x => x.FromNumber);
        Check(x => x.FromNumber, Checks.Phone);
        Required(x => x.ToNumber);
        Check(x => x.ToNumber, Checks.Phone);
        Check(x => x.Status, Checks.OneOf(CallStatus.All));
        Check(x => x.DurationSeconds, Checks.Range(0, 7 * 86_400));
        Check(x => x.Outcome, Checks.MaxLength(100));
        Check(x => x.ContactId, v => Checks.Id(ContactResource.Definition.IdPrefix, v));
        Check(x => x.Notes, Checks.MaxLength(10_000));
    }
}

internal sealed class TranscriptRequestValidator : AbstractValidator<TranscriptRequest>
{
    public TranscriptRequestValidator()
    {
        RuleFor(x => x.Transcript).NotEmpty().WithMessage("Is required.").MaximumLength(500_000).WithMessage("Must be at most 500000 characters.");
        RuleFor(x => x.Language).Matches("^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$").WithMessage("Must be a BCP 47 language tag such as en or en-US.");
    }
}

internal sealed class CallConfiguration : IEntityTypeConfiguration<Call>
{
    public void Configure(EntityTypeBuilder<Call> b)
    {
        b.ConfigureRecord("calls");
        b.Property(x => x.Direction).HasMaxLength(10);
        b.Property(x => x.FromNumber).HasMaxLength(16);
        b.Property(x => x.ToNumber).HasMaxLength(16);
        b.Property(x => x.Status).HasMaxLength(20);
        b.Property(x => x.Outcome).HasMaxLength(100);
        b.Property(x => x.ContactId).HasMaxLength(40);
        b.Property(x => x.Notes).HasMaxLength(10_000);
        b.Property(x => x.TranscriptLanguage).HasMaxLength(35);
        b.HasOptionalLink<Call, Contact>(x => x.ContactId);
        b.HasIndex(x => new { x.OrganizationId, x.StartedAt, x.Id });
    }
}

public static class CallResource
{
    public static CallResponse AsResponse(this Call c) => new(c.Id, c.Direction, c.FromNumber, c.ToNumber, c.Status, c.DurationSeconds, c.Outcome,
        c.ContactId, c.StartedAt, c.EndedAt, c.Notes, c.Transcript, c.TranscriptLanguage, c.Metadata, c.CreatedAt, c.UpdatedAt);

    public static readonly ResourceDefinition<Call, CallInput, CallResponse> Definition = new()
    {
        Path = "calls", IdPrefix = "call", ScopeResource = "calls", Singular = "call", Plural = "calls", Tag = "Calls",
        Enumerations = [new("direction", CallDirection.All), new("status", CallStatus.All)],
        Formats = [new("fromNumber", FieldFormat.Phone), new("toNumber", FieldFormat.Phone)],
        Map = AsResponse,
        Initialize = (c, now) => c.StartedAt = now,
        Apply = (c, i) =>
        {
            i.Direction.IfSet(v => c.Direction = v!);
            i.FromNumber.IfSet(v => c.FromNumber = v!);
            i.ToNumber.IfSet(v => c.ToNumber = v!);
            i.Status.IfSet(v => c.Status = v ?? CallStatus.Ringing);
            i.DurationSeconds.IfSet(v => c.DurationSeconds = v ?? 0);
            i.Outcome.IfSet(v => c.Outcome = v.Clean());
            i.ContactId.IfSet(v => c.ContactId = v);
            i.StartedAt.IfSet(v => { if (v is { } t) c.StartedAt = t.ToUniversalTime(); });
            i.Notes.IfSet(v => c.Notes = v.Clean());
            i.Metadata.IfSet(v => c.Metadata = v ?? []);
        },
        OnChange = (c, _, now) =>
        {
            if (CallStatus.IsEnded(c.Status)) c.EndedAt ??= now;
            else c.EndedAt = null;
        },
        Invariants = (before, c) => before is not null && CallStatus.IsEnded(before.Status) && !CallStatus.IsEnded(c.Status)
            ? new Dictionary<string, string[]> { ["status"] = ["A call that ended cannot start again."] }
            : null,
        // call.started when a live call is reported; call.ended when a call reaches an end state (a logged past call emits only that).
        StateEvents =
        [
            new("started", "A live call began.", (before, after) => before is null && after.Status is CallStatus.Ringing or CallStatus.InProgress),
            new("ended", "A call ended (completed, missed or failed).",
                (before, after) => CallStatus.IsEnded(after.Status) && (before is null || !CallStatus.IsEnded(before.Status))),
            new("transcript_added", "A call's transcript was attached.", (before, after) => before is not null && before.Transcript is null && after.Transcript is not null),
        ],
        References = [Reference.To<Call, Contact>("contactId", c => c.ContactId, ContactResource.Definition.IdPrefix)],
        Filters =
        [
            Filter.Equal<Call>("direction", c => c.Direction, CallDirection.All),
            Filter.Equal<Call>("status", c => c.Status, CallStatus.All),
            Filter.Link<Call>("contactId", c => c.ContactId, ContactResource.Definition.IdPrefix),
            Filter.Equal<Call>("fromNumber", c => c.FromNumber, check: Checks.Phone),
            Filter.Equal<Call>("toNumber", c => c.ToNumber, check: Checks.Phone),
            Filter.Time<Call>("started", c => c.StartedAt),
            Filter.Number<Call>("durationSeconds", c => c.DurationSeconds),
        ],
        Sorts = [Sorts.Time<Call>("startedAt", c => c.StartedAt), Sorts.Number<Call>("durationSeconds", c => c.DurationSeconds)],
        SearchFields = [c => c.FromNumber, c => c.ToNumber, c => c.Outcome, c => c.Notes],
    };

    /// <summary><c>POST /api/v1/calls/{id}/transcript</c>: attaches (or replaces) the call's transcript.</summary>
    public static void MapCallActions(this RouteGroupBuilder calls) =>
        calls.MapPost("/{id}/transcript", AddTranscriptAsync).RequireScope(Definition.WriteScope).WithName("addCallTranscript").WithSummary("Attach a call's transcript")
            .WithConditionalRequests(ifMatch: true, ifNoneMatch: false);

    internal static async Task<Results<Ok<CallResponse>, ProblemHttpResult>> AddTranscriptAsync(
        string id, TranscriptRequest request, HttpContext http, CrmWriter writer, IValidator<TranscriptRequest> validator, CancellationToken cancellationToken)
    {
        if (await validator.CheckAsync(request, cancellationToken) is { } invalid) return invalid;
        return await CrmOperations.UpdateAsync(Definition, writer, id, http, c =>
        {
            c.Transcript = request.Transcript;
            c.TranscriptLanguage = request.Language;
        }, cancellationToken);
    }
}

public static class CallDirection
{
    public static readonly IReadOnlyList<string> All = ["inbound", "outbound"];
}

public static class CallStatus
{
    public const string Ringing = "ringing", InProgress = "in_progress", Completed = "completed", Missed = "missed", Failed = "failed";
    public static readonly IReadOnlyList<string> All = [Ringing, InProgress, Completed, Missed, Failed];
    public static bool IsEnded(string status) => status is Completed or Missed or Failed;
}
