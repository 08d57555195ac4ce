using Switchboard.Docs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Crm.Contacts;
using Switchboard.Crm.Deals;
using Switchboard.Crm.Pipeline;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Http;

namespace Switchboard.Crm.Tasks;

public sealed class CrmTask : CrmRecord
{
    public string Title { get; set; } = "";
    public string? Description { get; set; }
    public DateTime? DueAt { get; set; }
    public string Status { get; set; } = TaskState.Open;
    public DateTime? CompletedAt { get; set; }
    public string? ContactId { get; set; }
    public string? DealId { get; set; }
}

public sealed record TaskInput : CrmInput
{
    public Optional<string?> Title { get; init; }
    public Optional<string?> Description { get; init; }
    public Optional<DateTime?> DueAt { get; init; }
    public Optional<string?> Status { get; init; }
    public Optional<string?> ContactId { get; init; }
    public Optional<string?> DealId { get; init; }
}

public sealed record TaskResponse(
    string Id, string Title, string? Description, DateTime? DueAt, string Status, DateTime? CompletedAt, string? ContactId, string? DealId,
    Dictionary<string, string> Metadata, DateTime CreatedAt, DateTime UpdatedAt);

internal sealed class TaskInputValidator : CrmInputValidator<TaskInput>
{
    public TaskInputValidator()
    {
        Required(x => x.Title);
        Check(x => x.Title, Checks.MaxLength(300));
        Check(x => x.Description, Checks.MaxLength(10_000));
        Check(x => x.Status, Checks.OneOf(TaskState.All));
        Check(x => x.ContactId, v => Checks.Id(ContactResource.Definition.IdPrefix, v));
        Check(x => x.DealId, v => Checks.Id(DealResource.Definition.IdPrefix, v));
    }
}

internal sealed class TaskConfiguration : IEntityTypeConfiguration<CrmTask>
{
    public void Configure(EntityTypeBuilder<CrmTask> b)
    {
        b.ConfigureRecord("tasks");
        b.Property(x => x.Title).HasMaxLength(300);
        b.Property(x => x.Description).HasMaxLength(10_000);
        b.Property(x => x.Status).HasMaxLength(20);
        b.Property(x => x.ContactId).HasMaxLength(40);
        b.Property(x => x.DealId).HasMaxLength(40);
        b.HasOptionalLink<CrmTask, Contact>(x => x.ContactId);
        b.HasOptionalLink<CrmTask, Deal>(x => x.DealId);
        b.HasIndex(x => new { x.OrganizationId, x.Status, x.DueAt });
    }
}

public static class TaskResource
{
    public static TaskResponse AsResponse(this CrmTask t) =>
        new(t.Id, t.Title, t.Description, t.DueAt, t.Status, t.CompletedAt, t.ContactId, t.DealId, t.Metadata, t.CreatedAt, t.UpdatedAt);

    public static readonly ResourceDefinition<CrmTask, TaskInput, TaskResponse> Definition = new()
    {
        Path = "tasks", IdPrefix = "task", ScopeResource = "tasks", Singular = "task", Plural = "tasks", Tag = "Tasks",
        Enumerations = [new("status", TaskState.All)],
        Map = AsResponse,
        Apply = (t, i) =>
        {
            i.Title.IfSet(v => t.Title = v!.Trim());
            i.Description.IfSet(v => t.Description = v.Clean());
            i.DueAt.IfSet(v => t.DueAt = v?.ToUniversalTime());
            i.Status.IfSet(v => t.Status = v ?? TaskState.Open);
            i.ContactId.IfSet(v => t.ContactId = v);
            i.DealId.IfSet(v => t.DealId = v);
            i.Metadata.IfSet(v => t.Metadata = v ?? []);
        },
        OnChange = (t, _, now) =>
        {
            if (t.Status == TaskState.Completed) t.CompletedAt ??= now;
            else t.CompletedAt = null;
        },
        StateEvents = [new("completed", "A task was completed.", (before, after) => after.Status == TaskState.Completed && before?.Status != TaskState.Completed)],
        References =
        [
            Reference.To<CrmTask, Contact>("contactId", t => t.ContactId, ContactResource.Definition.IdPrefix),
            Reference.To<CrmTask, Deal>("dealId", t => t.DealId, DealResource.Definition.IdPrefix),
        ],
        Filters =
        [
            Filter.Equal<CrmTask>("status", t => t.Status, TaskState.All),
            Filter.Link<CrmTask>("contactId", t => t.ContactId, ContactResource.Definition.IdPrefix),
            Filter.Link<CrmTask>("dealId", t => t.DealId, DealResource.Definition.IdPrefix),
            Filter.Time<CrmTask>("due", t => t.DueAt),
            Filter.Time<CrmTask>("completed", t => t.CompletedAt),
        ],
        SearchFields = [t => t.Title, t => t.Description],
    };

    /// <summary><c>POST /api/v1/tasks/{id}/complete</c>: the state change as an action (the same as PATCH status=completed).</summary>
    public static void MapTaskActions(this RouteGroupBuilder tasks) =>
        tasks.MapPost("/{id}/complete", CompleteAsync).RequireScope(Definition.WriteScope).WithName("completeTask").WithSummary("Mark a task completed")
            .WithConditionalRequests(ifMatch: true, ifNoneMatch: false);

    internal static Task<Results<Ok<TaskResponse>, ProblemHttpResult>> CompleteAsync(string id, HttpContext http, CrmWriter writer, CancellationToken cancellationToken) =>
        CrmOperations.UpdateAsync(Definition, writer, id, http, t => t.Status = TaskState.Completed, cancellationToken);
}

public static class TaskState
{
    public const string Open = "open", Completed = "completed";
    public static readonly IReadOnlyList<string> All = [Open, Completed];
}
