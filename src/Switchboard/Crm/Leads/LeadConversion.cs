using Switchboard.Docs;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Crm.Contacts;
using Switchboard.Crm.Deals;
using Switchboard.Crm.Pipeline;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Http;
using Switchboard.Platform.Validation;

namespace Switchboard.Crm.Leads;

/// <summary>
/// <c>POST /api/v1/leads/{id}/convert</c>: makes a contact (or uses an existing one) and a deal from a lead and marks the
/// lead converted, in one transaction, with <c>contact.created</c>, <c>deal.created</c>, <c>lead.updated</c> and
/// <c>lead.converted</c> in the outbox.
/// </summary>
public sealed record ConvertLeadRequest(
    string? ContactId = null, bool? CreateDeal = null, string? DealName = null, decimal? Amount = null, string? Currency = null,
    string? Stage = null, DateOnly? ExpectedCloseDate = null);

public sealed record LeadConversionResponse(LeadResponse Lead, ContactResponse Contact, DealResponse? Deal);

internal sealed class ConvertLeadRequestValidator : AbstractValidator<ConvertLeadRequest>
{
    public ConvertLeadRequestValidator()
    {
        RuleFor(x => x.ContactId).Must(v => v is null || Checks.Id(ContactResource.Definition.IdPrefix, v) is null).WithMessage("Must be the id of a con_ record.");
        RuleFor(x => x.DealName).MaximumLength(200);
        RuleFor(x => x.Amount).Must(v => v is null || Checks.Amount()(v.Value) is null).WithMessage("Must be a non-negative amount with at most 6 decimals.");
        RuleFor(x => x.Currency).Must(v => v is null || Checks.Currency(v) is null).WithMessage("Must be an ISO 4217 currency code in upper case.");
        RuleFor(x => x.Stage).Must(v => v is null || DealStage.All.Contains(v)).WithMessage($"Must be one of: {string.Join(", ", DealStage.All)}.");
    }
}

public static class LeadConversion
{
    public static void MapLeadConversion(this RouteGroupBuilder leads) =>
        leads.MapPost("/{id}/convert", ConvertAsync).RequireScope(LeadResource.Definition.WriteScope).RequireScope(ContactResource.Definition.WriteScope).RequireScope(DealResource.Definition.WriteScope)
            .WithName("convertLead").WithSummary("Convert a lead into a contact and a deal")
            .WithConditionalRequests(ifMatch: true, ifNoneMatch: false, etag: false).ProducesErrors(ErrorCodes.Conflict);

    internal static async Task<Results<Ok<LeadConversionResponse>, ProblemHttpResult>> ConvertAsync(
        string id, ConvertLeadRequest request, HttpContext http, CrmWriter writer, IValidator<ConvertLeadRequest> validator, CancellationToken cancellationToken)
    {
        if (await validator.CheckAsync(request, cancellationToken) is { } badRequest) return badRequest;
        var (lead, problem) = await CrmOperations.FindAsync(LeadResource.Definition, writer, id, http, checkIfMatch: true, cancellationToken);
        if (problem is not null) return problem;
        if (lead!.ConvertedAt is not null) return ApiProblem.Conflict(ErrorCodes.Conflict, "This lead was already converted.");
        var caller = http.GetCaller();

        Contact contact;
        if (request.ContactId is { } contactId)
        {
            var (existing, missing) = await CrmOperations.FindAsync(ContactResource.Definition, writer, contactId, http, checkIfMatch: false, cancellationToken);
            if (missing is not null) return ApiProblem.Validation("contactId", "No con_ record with this id exists in your organization.");
            contact = existing!;
        }
        else
        {
            var (first, last) = SplitName(lead.Name);
            contact = new Contact { FirstName = first, LastName = last, Email = lead.Email, Phone = lead.Phone, Company = lead.Company };
            if (await CrmOperations.InsertAsync(ContactResource.Definition, writer, contact, caller, cancellationToken) is { } invalid) return invalid;
        }

        Deal? deal = null;
        if (request.CreateDeal ?? true)
        {
            deal = new Deal
            {
                Name = request.DealName?.Trim() is { Length: > 0 } name ? name : lead.Company ?? lead.Name,
                AmountMicros = Money.ToMicros(request.Amount ?? 0),
                Currency = request.Currency ?? "USD",
                Stage = request.Stage ?? DealStage.Qualification,
                ExpectedCloseDate = request.ExpectedCloseDate,
                ContactId = contact.Id,
            };
            if (await CrmOperations.InsertAsync(DealResource.Definition, writer, deal, caller, cancellationToken) is { } invalid) return invalid;
        }

        var (_, changeProblem) = await CrmOperations.ChangeAsync(LeadResource.Definition, writer, lead, l =>
        {
            l.Status = LeadStatus.Converted;
            l.ConvertedAt = writer.Now;
            l.ConvertedContactId = contact.Id;
            l.ConvertedDealId = deal?.Id;
        }, cancellationToken);
        if (changeProblem is not null) return changeProblem;

        var response = new LeadConversionResponse(lead.AsResponse(), contact.AsResponse(), deal?.AsResponse());
        if (await CrmOperations.SaveAsync(writer, http, "lead", 200, response, null, cancellationToken) is { } conflict) return conflict;
        return TypedResults.Ok(response);
    }

    internal static (string? First, string? Last) SplitName(string name)
    {
        var parts = name.Trim().Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Length switch { 0 => (null, null), 1 => (parts[0], null), _ => (parts[0], parts[1]) };
    }
}
