using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Crm.Contacts;
using Switchboard.Crm.Pipeline;
using Switchboard.Platform.Http;

namespace Switchboard.Crm.Tickets;

public sealed class Ticket : CrmRecord
{
    public string Subject { get; set; } = "";
    public string? Description { get; set; }
    public string Priority { get; set; } = "normal";
    public string Status { get; set; } = TicketStatus.Open;
    public string? ContactId { get; set; }
    public DateTime? ResolvedAt { get; set; }
}

public sealed record TicketInput : CrmInput
{
    public Optional<string?> Subject { get; init; }
    public Optional<string?> Description { get; init; }
    public Optional<string?> Priority { get; init; }
    public Optional<string?> Status { get; init; }
    public Optional<string?> ContactId { get; init; }
}

public sealed record TicketResponse(
    string Id, string Subject, string? Description, string Priority, string Status, string? ContactId, DateTime? ResolvedAt,
    Dictionary<string, string> Metadata, DateTime CreatedAt, DateTime UpdatedAt);

internal sealed class TicketInputValidator : CrmInputValidator<TicketInput>
{
    public TicketInputValidator()
    {
        Required(x => x.Subject);
        Check(x => x.Subject, Checks.MaxLength(300));
        Check(x => x.Description, Checks.MaxLength(20_000));
        Check(x => x.Priority, Checks.OneOf(TicketPriority.All));
        Check(x => x.Status, Checks.OneOf(TicketStatus.All));
        Check(x => x.ContactId, v => Checks.Id(ContactResource.Definition.IdPrefix, v));
    }
}

internal sealed class TicketConfiguration : IEntityTypeConfiguration<Ticket>
{
    public void Configure(EntityTypeBuilder<Ticket> b)
    {
        b.ConfigureRecord("tickets");
        b.Property(x => x.Subject).HasMaxLength(300);
        b.Property(x => x.Description).HasMaxLength(20_000);
        b.Property(x => x.Priority).HasMaxLength(10);
        b.Property(x => x.Status).HasMaxLength(20);
        b.Property(x => x.ContactId).HasMaxLength(40);
        b.HasOptionalLink<Ticket, Contact>(x => x.ContactId);
        b.HasIndex(x => new { x.OrganizationId, x.Status });
    }
}

public static class TicketResource
{
    public static TicketResponse AsResponse(this Ticket t) =>
        new(t.Id, t.Subject, t.Description, t.Priority, t.Status, t.ContactId, t.ResolvedAt, t.Metadata, t.CreatedAt, t.UpdatedAt);

    public static readonly ResourceDefinition<Ticket, TicketInput, TicketResponse> Definition = new()
    {
        Path = "tickets", IdPrefix = "tkt", ScopeResource = "tickets", Singular = "ticket", Plural = "tickets", Tag = "Tickets",
        Enumerations = [new("priority", TicketPriority.All), new("status", TicketStatus.All)],
        Map = AsResponse,
        Apply = (t, i) =>
        {
            i.Subject.IfSet(v => t.Subject = v!.Trim());
            i.Description.IfSet(v => t.Description = v.Clean());
            i.Priority.IfSet(v => t.Priority = v ?? "normal");
            i.Status.IfSet(v => t.Status = v ?? TicketStatus.Open);
            i.ContactId.IfSet(v => t.ContactId = v);
            i.Metadata.IfSet(v => t.Metadata = v ?? []);
        },
        OnChange = (t, _, now) =>
        {
            if (t.Status is TicketStatus.Resolved or TicketStatus.Closed) t.ResolvedAt ??= now;
            else t.ResolvedAt = null;
        },
        StateEvents = [new("status_changed", "A ticket changed status.", (before, after) => before is not null && before.Status != after.Status)],
        References = [Reference.To<Ticket, Contact>("contactId", t => t.ContactId, ContactResource.Definition.IdPrefix)],
        Filters =
        [
            Filter.Equal<Ticket>("status", t => t.Status, TicketStatus.All),
            Filter.Equal<Ticket>("priority", t => t.Priority, TicketPriority.All),
            Filter.Link<Ticket>("contactId", t => t.ContactId, ContactResource.Definition.IdPrefix),
            Filter.Time<Ticket>("resolved", t => t.ResolvedAt),
        ],
        SearchFields = [t => t.Subject, t => t.Description],
    };
}

public static class TicketPriority
{
    public static readonly IReadOnlyList<string> All = ["low", "normal", "high", "urgent"];
}

public static class TicketStatus
{
    public const string Open = "open", Pending = "pending", Resolved = "resolved", Closed = "closed";
    public static readonly IReadOnlyList<string> All = [Open, Pending, Resolved, Closed];
}
