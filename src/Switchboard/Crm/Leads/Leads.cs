using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Crm.Contacts;
using Switchboard.Crm.Deals;
using Switchboard.Crm.Pipeline;
using Switchboard.Platform.Http;
using Switchboard.Platform.Resources;

namespace Switchboard.Crm.Leads;

public sealed class Lead : CrmRecord
{
    public string Name { get; set; } = "";
    public string? Email { get; set; }
    public string? Phone { get; set; }
    public string? Company { get; set; }
    public string? Source { get; set; }
    public string Status { get; set; } = LeadStatus.New;
    public int Score { get; set; }
    public string? Notes { get; set; }
    public string? ConvertedContactId { get; set; }
    public string? ConvertedDealId { get; set; }
    public DateTime? ConvertedAt { get; set; }
}

public sealed record LeadInput : CrmInput
{
    public Optional<string?> Name { get; init; }
    public Optional<string?> Email { get; init; }
    public Optional<string?> Phone { get; init; }
    public Optional<string?> Company { get; init; }
    public Optional<string?> Source { get; init; }
    public Optional<string?> Status { get; init; }
    public Optional<int?> Score { get; init; }
    public Optional<string?> Notes { get; init; }
}

public sealed record LeadResponse(
    string Id, string Name, string? Email, string? Phone, string? Company, string? Source, string Status, int Score, string? Notes,
    string? ConvertedContactId, string? ConvertedDealId, DateTime? ConvertedAt, Dictionary<string, string> Metadata, DateTime CreatedAt, DateTime UpdatedAt);

internal sealed class LeadInputValidator : CrmInputValidator<LeadInput>
{
    public LeadInputValidator()
    {
        Required(x => x.Name);
        Check(x => x.Name, Checks.MaxLength(200));
        Check(x => x.Email, Checks.Email);
        Check(x => x.Phone, Checks.Phone);
        Check(x => x.Company, Checks.MaxLength(200));
        Check(x => x.Source, Checks.MaxLength(100));
        Check(x => x.Status, v => v == LeadStatus.Converted
            ? "A lead becomes converted through POST /api/v1/leads/{id}/convert." : Checks.OneOf(LeadStatus.Settable)(v));
        Check(x => x.Score, Checks.Range(0, 100));
        Check(x => x.Notes, Checks.MaxLength(10_000));
    }
}

internal sealed class LeadConfiguration : IEntityTypeConfiguration<Lead>
{
    public void Configure(EntityTypeBuilder<Lead> b)
    {
        b.ConfigureRecord("leads");
        b.Property(x => x.Name).HasMaxLength(200);
        b.Property(x => x.Email).HasMaxLength(320);
        b.Property(x => x.Phone).HasMaxLength(16);
        b.Property(x => x.Company).HasMaxLength(200);
        b.Property(x => x.Source).HasMaxLength(100);
        b.Property(x => x.Status).HasMaxLength(20);
        b.Property(x => x.Notes).HasMaxLength(10_000);
        b.Property(x => x.ConvertedContactId).HasMaxLength(40);
        b.Property(x => x.ConvertedDealId).HasMaxLength(40);
        b.HasOptionalLink<Lead, Contact>(x => x.ConvertedContactId);
        b.HasOptionalLink<Lead, Deal>(x => x.ConvertedDealId);
        b.HasIndex(x => new { x.OrganizationId, x.Status });
    }
}

public static class LeadResource
{
    public static LeadResponse AsResponse(this Lead l) => new(l.Id, l.Name, l.Email, l.Phone, l.Company, l.Source, l.Status, l.Score, l.Notes,
        l.ConvertedContactId, l.ConvertedDealId, l.ConvertedAt, l.Metadata, l.CreatedAt, l.UpdatedAt);

    public static readonly ResourceDefinition<Lead, LeadInput, LeadResponse> Definition = new()
    {
        Path = "leads", IdPrefix = "lead", ScopeResource = "leads", Singular = "lead", Plural = "leads", Tag = "Leads",
        Enumerations = [new("status", LeadStatus.All) { Settable = LeadStatus.Settable }],
        Formats = [new("email", FieldFormat.Email), new("phone", FieldFormat.Phone)],
        Map = AsResponse,
        Apply = (l, i) =>
        {
            i.Name.IfSet(v => l.Name = v!.Trim());
            i.Email.IfSet(v => l.Email = v.Clean()?.ToLowerInvariant());
            i.Phone.IfSet(v => l.Phone = v.Clean());
            i.Company.IfSet(v => l.Company = v.Clean());
            i.Source.IfSet(v => l.Source = v.Clean()?.ToLowerInvariant());
            i.Status.IfSet(v => l.Status = v ?? LeadStatus.New);
            i.Score.IfSet(v => l.Score = v ?? 0);
            i.Notes.IfSet(v => l.Notes = v.Clean());
            i.Metadata.IfSet(v => l.Metadata = v ?? []);
        },
        Invariants = (before, l) => before?.Status == LeadStatus.Converted && l.Status != LeadStatus.Converted
            ? new Dictionary<string, string[]> { ["status"] = ["A converted lead stays converted."] }
            : null,
        StateEvents = [new("converted", "A lead was converted into a contact and a deal.", (before, after) => after.Status == LeadStatus.Converted && before?.Status != LeadStatus.Converted)],
        Filters =
        [
            Filter.Equal<Lead>("status", l => l.Status, LeadStatus.All),
            Filter.Equal<Lead>("source", l => l.Source, normalize: v => v.ToLowerInvariant()),
            Filter.Email<Lead>("email", l => l.Email),
            Filter.Number<Lead>("score", l => l.Score),
            Filter.Time<Lead>("converted", l => l.ConvertedAt),
        ],
        Sorts = [Sorts.Number<Lead>("score", l => l.Score), Sorts.Text<Lead>("name", l => l.Name)],
        SearchFields = [l => l.Name, l => l.Email, l => l.Company, l => l.Phone],
    };
}

public static class LeadStatus
{
    public const string New = "new", Contacted = "contacted", Qualified = "qualified", Unqualified = "unqualified", Converted = "converted";
    public static readonly IReadOnlyList<string> All = [New, Contacted, Qualified, Unqualified, Converted];
    /// <summary>What a client may set; <c>converted</c> is reached only by converting.</summary>
    public static readonly IReadOnlyList<string> Settable = [New, Contacted, Qualified, Unqualified];
}
