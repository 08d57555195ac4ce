using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Crm.Contacts;
using Switchboard.Crm.Leads;
using Switchboard.Crm.Pipeline;
using Switchboard.Platform.Http;
using Switchboard.Platform.Resources;

namespace Switchboard.Crm.Deals;

public sealed class Deal : CrmRecord
{
    public string Name { get; set; } = "";
    public long AmountMicros { get; set; }
    public string Currency { get; set; } = "USD";
    public string Stage { get; set; } = DealStage.Lead;
    public string? ContactId { get; set; }
    public DateOnly? ExpectedCloseDate { get; set; }
    public int? Probability { get; set; }
    public DateTime? ClosedAt { get; set; }
    public string? Notes { get; set; }
}

public sealed record DealInput : CrmInput
{
    public Optional<string?> Name { get; init; }
    public Optional<decimal?> Amount { get; init; }
    public Optional<string?> Currency { get; init; }
    public Optional<string?> Stage { get; init; }
    public Optional<string?> ContactId { get; init; }
    public Optional<DateOnly?> ExpectedCloseDate { get; init; }
    public Optional<int?> Probability { get; init; }
    public Optional<string?> Notes { get; init; }
}

public sealed record DealResponse(
    string Id, string Name, decimal Amount, string Currency, string Stage, string? ContactId, DateOnly? ExpectedCloseDate, int? Probability,
    DateTime? ClosedAt, string? Notes, Dictionary<string, string> Metadata, DateTime CreatedAt, DateTime UpdatedAt);

internal sealed class DealInputValidator : CrmInputValidator<DealInput>
{
    public DealInputValidator()
    {
        Required(x => x.Name);
        Check(x => x.Name, Checks.MaxLength(200));
        Check(x => x.Amount, Checks.Amount());
        Check(x => x.Currency, Checks.Currency);
        Check(x => x.Stage, Checks.OneOf(DealStage.All));
        Check(x => x.ContactId, v => Checks.Id(ContactResource.Definition.IdPrefix, v));
        Check(x => x.Probability, Checks.Range(0, 100));
        Check(x => x.Notes, Checks.MaxLength(10_000));
    }
}

internal sealed class DealConfiguration : IEntityTypeConfiguration<Deal>
{
    public void Configure(EntityTypeBuilder<Deal> b)
    {
        b.ConfigureRecord("deals");
        b.Property(x => x.Name).HasMaxLength(200);
        b.Property(x => x.Currency).HasMaxLength(3);
        b.Property(x => x.Stage).HasMaxLength(20);
        b.Property(x => x.ContactId).HasMaxLength(40);
        b.Property(x => x.Notes).HasMaxLength(10_000);
        b.HasOptionalLink<Deal, Contact>(x => x.ContactId);
        b.HasIndex(x => new { x.OrganizationId, x.Stage });
    }
}

public static class DealResource
{
    public static DealResponse AsResponse(this Deal d) => new(d.Id, d.Name, Money.FromMicros(d.AmountMicros), d.Currency, d.Stage, d.ContactId,
        d.ExpectedCloseDate, d.Probability, d.ClosedAt, d.Notes, d.Metadata, d.CreatedAt, d.UpdatedAt);

    public static readonly ResourceDefinition<Deal, DealInput, DealResponse> Definition = new()
    {
        Path = "deals", IdPrefix = "deal", ScopeResource = "deals", Singular = "deal", Plural = "deals", Tag = "Deals",
        IdFields = ["dealId", "convertedDealId"],
        Enumerations = [new("stage", DealStage.All)],
        // Converting a lead may open a deal in a currency.
        Formats = [new("currency", FieldFormat.Currency) { Inputs = [typeof(ConvertLeadRequest)] }],
        Map = AsResponse,
        Apply = (d, i) =>
        {
            i.Name.IfSet(v => d.Name = v!.Trim());
            i.Amount.IfSet(v => d.AmountMicros = Money.ToMicros(v ?? 0));
            i.Currency.IfSet(v => d.Currency = v ?? "USD");
            i.Stage.IfSet(v => d.Stage = v ?? DealStage.Lead);
            i.ContactId.IfSet(v => d.ContactId = v);
            i.ExpectedCloseDate.IfSet(v => d.ExpectedCloseDate = v);
            i.Probability.IfSet(v => d.Probability = v);
            i.Notes.IfSet(v => d.Notes = v.Clean());
            i.Metadata.IfSet(v => d.Metadata = v ?? []);
        },
        OnChange = (d, before, now) =>
        {
            if (DealStage.IsClosed(d.Stage) && (before is null || before.Stage != d.Stage)) d.ClosedAt = now;
            else if (!DealStage.IsClosed(d.Stage)) d.ClosedAt = null;
        },
        StateEvents =
        [
            new("stage_changed", "A deal moved to another stage.", (before, after) => before is not null && before.Stage != after.Stage),
            new("won", "A deal was won.", (before, after) => before is not null && before.Stage != after.Stage && after.Stage == DealStage.Won),
            new("lost", "A deal was lost.", (before, after) => before is not null && before.Stage != after.Stage && after.Stage == DealStage.Lost),
        ],
        References = [Reference.To<Deal, Contact>("contactId", d => d.ContactId, ContactResource.Definition.IdPrefix)],
        Filters =
        [
            Filter.Equal<Deal>("stage", d => d.Stage, DealStage.All),
            Filter.Equal<Deal>("currency", d => d.Currency, check: Checks.Currency),
            Filter.Link<Deal>("contactId", d => d.ContactId, ContactResource.Definition.IdPrefix),
            Filter.Amount<Deal>("amount", d => d.AmountMicros),
            Filter.Date<Deal>("expectedClose", d => d.ExpectedCloseDate),
            Filter.Time<Deal>("closed", d => d.ClosedAt),
        ],
        Sorts = [Sorts.Amount<Deal>("amount", d => d.AmountMicros), Sorts.Text<Deal>("name", d => d.Name)],
        SearchFields = [d => d.Name, d => d.Notes],
    };
}

public static class DealStage
{
    public const string Lead = "lead", Qualification = "qualification", Proposal = "proposal", Negotiation = "negotiation", Won = "won", Lost = "lost";
    public static readonly IReadOnlyList<string> All = [Lead, Qualification, Proposal, Negotiation, Won, Lost];
    public static bool IsClosed(string stage) => stage is Won or Lost;
}
