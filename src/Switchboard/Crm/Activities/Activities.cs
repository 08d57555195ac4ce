using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Crm.Contacts;
using Switchboard.Crm.Deals;
using Switchboard.Crm.Leads;
using Switchboard.Crm.Pipeline;
using Switchboard.Platform.Http;

namespace Switchboard.Crm.Activities;

/// <summary>Something that happened with a contact, lead or deal: a call, meeting, note or email.</summary>
public sealed class Activity : CrmRecord
{
    public string Type { get; set; } = "note";
    public string Subject { get; set; } = "";
    public string? Notes { get; set; }
    public string? ContactId { get; set; }
    public string? LeadId { get; set; }
    public string? DealId { get; set; }
    public DateTime OccurredAt { get; set; }
}

public sealed record ActivityInput : CrmInput
{
    public Optional<string?> Type { get; init; }
    public Optional<string?> Subject { get; init; }
    public Optional<string?> Notes { get; init; }
    public Optional<string?> ContactId { get; init; }
    public Optional<string?> LeadId { get; init; }
    public Optional<string?> DealId { get; init; }
    public Optional<DateTime?> OccurredAt { get; init; }
}

public sealed record ActivityResponse(
    string Id, string Type, string Subject, string? Notes, string? ContactId, string? LeadId, string? DealId, DateTime OccurredAt,
    Dictionary<string, string> Metadata, DateTime CreatedAt, DateTime UpdatedAt);

internal sealed class ActivityInputValidator : CrmInputValidator<ActivityInput>
{
    public ActivityInputValidator()
    {
        Required(x => x.Type);
        Check(x => x.Type, Checks.OneOf(ActivityType.All));
        Required(x => x.Subject);
        Check(x => x.Subject, Checks.MaxLength(300));
        Check(x => x.Notes, Checks.MaxLength(20_000));
        Check(x => x.ContactId, v => Checks.Id(ContactResource.Definition.IdPrefix, v));
        Check(x => x.LeadId, v => Checks.Id(LeadResource.Definition.IdPrefix, v));
        Check(x => x.DealId, v => Checks.Id(DealResource.Definition.IdPrefix, v));
    }
}

internal sealed class ActivityConfiguration : IEntityTypeConfiguration<Activity>
{
    public void Configure(EntityTypeBuilder<Activity> b)
    {
        b.ConfigureRecord("activities");
        b.Property(x => x.Type).HasMaxLength(20);
        b.Property(x => x.Subject).HasMaxLength(300);
        b.Property(x => x.Notes).HasMaxLength(20_000);
        b.Property(x => x.ContactId).HasMaxLength(40);
        b.Property(x => x.LeadId).HasMaxLength(40);
        b.Property(x => x.DealId).HasMaxLength(40);
        b.HasOptionalLink<Activity, Contact>(x => x.ContactId);
        b.HasOptionalLink<Activity, Lead>(x => x.LeadId);
        b.HasOptionalLink<Activity, Deal>(x => x.DealId);
        b.HasIndex(x => new { x.OrganizationId, x.OccurredAt, x.Id });
    }
}

public static class ActivityResource
{
    public static ActivityResponse AsResponse(this Activity a) =>
        new(a.Id, a.Type, a.Subject, a.Notes, a.ContactId, a.LeadId, a.DealId, a.OccurredAt, a.Metadata, a.CreatedAt, a.UpdatedAt);

    public static readonly ResourceDefinition<Activity, ActivityInput, ActivityResponse> Definition = new()
    {
        Path = "activities", IdPrefix = "act", ScopeResource = "activities", Singular = "activity", Plural = "activities", Tag = "Activities",
        Enumerations = [new("type", ActivityType.All)],
        Map = AsResponse,
        Initialize = (a, now) => a.OccurredAt = now,
        Apply = (a, i) =>
        {
            i.Type.IfSet(v => a.Type = v!);
            i.Subject.IfSet(v => a.Subject = v!.Trim());
            i.Notes.IfSet(v => a.Notes = v.Clean());
            i.ContactId.IfSet(v => a.ContactId = v);
            i.LeadId.IfSet(v => a.LeadId = v);
            i.DealId.IfSet(v => a.DealId = v);
            i.OccurredAt.IfSet(v => { if (v is { } t) a.OccurredAt = t.ToUniversalTime(); });
            i.Metadata.IfSet(v => a.Metadata = v ?? []);
        },
        References =
        [
            Reference.To<Activity, Contact>("contactId", a => a.ContactId, ContactResource.Definition.IdPrefix),
            Reference.To<Activity, Lead>("leadId", a => a.LeadId, LeadResource.Definition.IdPrefix),
            Reference.To<Activity, Deal>("dealId", a => a.DealId, DealResource.Definition.IdPrefix),
        ],
        Filters =
        [
            Filter.Equal<Activity>("type", a => a.Type, ActivityType.All),
            Filter.Link<Activity>("contactId", a => a.ContactId, ContactResource.Definition.IdPrefix),
            Filter.Link<Activity>("leadId", a => a.LeadId, LeadResource.Definition.IdPrefix),
            Filter.Link<Activity>("dealId", a => a.DealId, DealResource.Definition.IdPrefix),
            Filter.Time<Activity>("occurred", a => a.OccurredAt),
        ],
        Sorts = [Sorts.Time<Activity>("occurredAt", a => a.OccurredAt)],
        SearchFields = [a => a.Subject, a => a.Notes],
    };
}

public static class ActivityType
{
    public static readonly IReadOnlyList<string> All = ["call", "meeting", "note", "email"];
}
