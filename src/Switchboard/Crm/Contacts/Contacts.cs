using FluentValidation;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Crm.Pipeline;
using Switchboard.Platform.Http;
using Switchboard.Platform.Resources;

namespace Switchboard.Crm.Contacts;

public sealed class Contact : CrmRecord
{
    public string? FirstName { get; set; }
    public string? LastName { get; set; }
    /// <summary>Stored lower-cased, so lookups by email are exact and indexed.</summary>
    public string? Email { get; set; }
    public string? Phone { get; set; }
    public string? Company { get; set; }
    public string? JobTitle { get; set; }
    public string? Notes { get; set; }
}

public sealed record ContactInput : CrmInput
{
    public Optional<string?> FirstName { get; init; }
    public Optional<string?> LastName { get; init; }
    public Optional<string?> Email { get; init; }
    public Optional<string?> Phone { get; init; }
    public Optional<string?> Company { get; init; }
    public Optional<string?> JobTitle { get; init; }
    public Optional<string?> Notes { get; init; }
}

public sealed record ContactResponse(
    string Id, string? FirstName, string? LastName, string? Email, string? Phone, string? Company, string? JobTitle, string? Notes,
    Dictionary<string, string> Metadata, DateTime CreatedAt, DateTime UpdatedAt);

internal sealed class ContactInputValidator : CrmInputValidator<ContactInput>
{
    public ContactInputValidator()
    {
        Check(x => x.FirstName, Checks.MaxLength(100));
        Check(x => x.LastName, Checks.MaxLength(100));
        Check(x => x.Email, Checks.Email);
        Check(x => x.Phone, Checks.Phone);
        Check(x => x.Company, Checks.MaxLength(200));
        Check(x => x.JobTitle, Checks.MaxLength(200));
        Check(x => x.Notes, Checks.MaxLength(10_000));
    }
}

internal sealed class ContactConfiguration : IEntityTypeConfiguration<Contact>
{
    public void Configure(EntityTypeBuilder<Contact> b)
    {
        b.ConfigureRecord("contacts");
        b.Property(x => x.FirstName).HasMaxLength(100);
        b.Property(x => x.LastName).HasMaxLength(100);
        b.Property(x => x.Email).HasMaxLength(320);
        b.Property(x => x.Phone).HasMaxLength(16);
        b.Property(x => x.Company).HasMaxLength(200);
        b.Property(x => x.JobTitle).HasMaxLength(200);
        b.Property(x => x.Notes).HasMaxLength(10_000);
        b.HasIndex(x => new { x.OrganizationId, x.Email });
    }
}

public static class ContactResource
{
    public static ContactResponse AsResponse(this Contact c) =>
        new(c.Id, c.FirstName, c.LastName, c.Email, c.Phone, c.Company, c.JobTitle, c.Notes, c.Metadata, c.CreatedAt, c.UpdatedAt);

    public static readonly ResourceDefinition<Contact, ContactInput, ContactResponse> Definition = new()
    {
        Path = "contacts", IdPrefix = "con", ScopeResource = "contacts", Singular = "contact", Plural = "contacts", Tag = "Contacts",
        IdFields = ["contactId", "convertedContactId"],
        Formats = [new("email", FieldFormat.Email), new("phone", FieldFormat.Phone)],
        Map = AsResponse,
        Apply = (c, i) =>
        {
            i.FirstName.IfSet(v => c.FirstName = v.Clean());
            i.LastName.IfSet(v => c.LastName = v.Clean());
            i.Email.IfSet(v => c.Email = v.Clean()?.ToLowerInvariant());
            i.Phone.IfSet(v => c.Phone = v.Clean());
            i.Company.IfSet(v => c.Company = v.Clean());
            i.JobTitle.IfSet(v => c.JobTitle = v.Clean());
            i.Notes.IfSet(v => c.Notes = v.Clean());
            i.Metadata.IfSet(v => c.Metadata = v ?? []);
        },
        Invariants = (_, c) => c.FirstName is null && c.LastName is null && c.Email is null
            ? new Dictionary<string, string[]> { ["firstName"] = ["A contact needs at least a first name, a last name or an email."] }
            : null,
        Filters =
        [
            Filter.Email<Contact>("email", c => c.Email),
            Filter.Equal<Contact>("company", c => c.Company),
            Filter.Equal<Contact>("phone", c => c.Phone),
        ],
        Sorts = [Sorts.Text<Contact>("lastName", c => c.LastName ?? ""), Sorts.Text<Contact>("email", c => c.Email ?? "")],
        SearchFields = [c => c.FirstName, c => c.LastName, c => c.Email, c => c.Company, c => c.Phone],
    };
}
