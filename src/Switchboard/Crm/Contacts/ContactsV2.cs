using System.Text.Json.Serialization;
using Switchboard.Crm.Pipeline;
using Switchboard.Platform.Http;
using Switchboard.Platform.Versioning;

namespace Switchboard.Crm.Contacts;

// /api/v2/contacts: the same contacts as /api/v1/contacts, shaped the way a person and their employer are: the name is
// one object ({first, last}) and the company is an object ({name}) that later fields (domain, id of an account…) can
// join without another version. Everything else (storage, rules, filters, events) is the v1 definition's, through
// ResourceVersioning.Reshape. The OpenAPI document drops the "V2" from these types' names (PersonName, ContactResponse…).

public sealed record PersonName(string? First, string? Last);

public sealed record ContactCompany(string Name);

public sealed record ContactV2Response(
    string Id, PersonName Name, string? Email, string? Phone, ContactCompany? Company, string? JobTitle, string? Notes,
    Dictionary<string, string> Metadata, DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>Fields of a v2 body are merged as in JSON Merge Patch (RFC 7396): an absent member stays, null clears.</summary>
// Unknown members are refused: a v1 body (firstName…) sent to v2 must fail loudly, not create a nameless contact.
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record PersonNameInput
{
    public Optional<string?> First { get; init; }
    public Optional<string?> Last { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ContactCompanyInput
{
    public Optional<string?> Name { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ContactV2Input : CrmInput
{
    /// <summary>null clears both parts; an object changes the parts it holds.</summary>
    public Optional<PersonNameInput?> Name { get; init; }
    public Optional<string?> Email { get; init; }
    public Optional<string?> Phone { get; init; }
    /// <summary>null removes the company.</summary>
    public Optional<ContactCompanyInput?> Company { get; init; }
    public Optional<string?> JobTitle { get; init; }
    public Optional<string?> Notes { get; init; }
}

public static class ContactV2Resource
{
    /// <summary>v1 field → v2 path: names in validation errors, filters (<c>company.name=</c>) and sorts (<c>sort=name.last</c>).</summary>
    public static readonly IReadOnlyDictionary<string, string> FieldNames = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["firstName"] = "name.first",
        ["lastName"] = "name.last",
        ["company"] = "company.name",
    };

    public static readonly ResourceDefinition<Contact, ContactV2Input, ContactV2Response> Definition =
        ContactResource.Definition.Reshape<Contact, ContactInput, ContactResponse, ContactV2Input, ContactV2Response>(ApiVersions.V2, ToV1, FromV1, FieldNames);

    internal static ContactInput ToV1(ContactV2Input input) => new()
    {
        FirstName = ResourceVersioning.Member(input.Name, n => n.First),
        LastName = ResourceVersioning.Member(input.Name, n => n.Last),
        Email = input.Email,
        Phone = input.Phone,
        Company = ResourceVersioning.Member(input.Company, c => c.Name),
        JobTitle = input.JobTitle,
        Notes = input.Notes,
        Metadata = input.Metadata,
    };

    internal static ContactV2Response FromV1(ContactResponse c) =>
        new(c.Id, new PersonName(c.FirstName, c.LastName), c.Email, c.Phone, c.Company is null ? null : new ContactCompany(c.Company),
            c.JobTitle, c.Notes, c.Metadata, c.CreatedAt, c.UpdatedAt);
}

/// <summary>The v1 contact rules, reported under v2 field paths.</summary>
internal sealed class ContactV2InputValidator() : ReshapedInputValidator<ContactV2Input, ContactInput>(new ContactInputValidator(), ContactV2Resource.ToV1, ContactV2Resource.FieldNames);
