using FluentValidation;
using FluentValidation.Results;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Platform.Errors;

namespace Switchboard.Platform.Validation;

/// <summary>Which write a body that serves both create and update (a body of <see cref="Http.Optional{T}"/> fields) is checked for.</summary>
public enum BodyUse
{
    /// <summary>A POST: required fields must be present.</summary>
    Create,
    /// <summary>A PATCH: absent fields stay as they are.</summary>
    Update,
}

/// <summary>
/// The one way a request body is validated: its FluentValidation validator (an <see cref="IValidator{T}"/> the handler takes
/// from DI) run by <see cref="CheckAsync{T}(IValidator{T}, T, CancellationToken)"/> from the handler, which answers 400
/// <c>validation_failed</c> with each field's messages, fields named as in the JSON body. Every endpoint that takes a
/// body calls it as its first step (it also applies the rule every body obeys, <see cref="StorableText"/>), except the PATCHes of CRM records and of webhook endpoints, which first find the
/// record (404) and, for CRM records, check its If-Match (412). Rules of the body as a whole belong in its validator too.
/// Rules that need the database (does the linked record exist? does the invitee have an account?) run later in the
/// handler and answer through the same <see cref="ApiProblem.Validation(string, string)"/>; query parameters are
/// checked where they are parsed (<see cref="Pagination.PageRequest"/>, the CRM filters), also through it.
/// </summary>
/// <remarks>
/// Why a call and not an endpoint filter (<c>AddEndpointFilter</c>, as davidfowl/TodoApi validates): a filter runs before
/// the handler, so it cannot let a PATCH answer 404 or 412 first, and the CRM writes (benchmarked) would pay for the
/// filter pipeline on every request (an invocation context, the arguments boxed into an array, the typed result passed
/// back as <c>object</c>). One call in the handler costs what validation itself costs and reads in the order it runs.
/// </remarks>
public static class RequestValidation
{
    /// <summary>Key of <see cref="IValidationContext.RootContextData"/> present when a create is checked.</summary>
    private const string CreateKey = "switchboard.create";
    private static readonly object Marker = true;

    /// <summary>Checks a body that has one meaning; null when it is valid, otherwise the 400 to answer.</summary>
    public static async Task<ProblemHttpResult?> CheckAsync<T>(this IValidator<T> validator, T body, CancellationToken cancellationToken)
    {
        if (StorableText.FindNul(body) is { } nul) return NulProblem(nul);
        var result = await validator.ValidateAsync(body, cancellationToken);
        return result.IsValid ? null : Problem(result);
    }

    /// <summary>Checks a body that serves both create and update, for <paramref name="use"/>.</summary>
    public static async Task<ProblemHttpResult?> CheckAsync<T>(this IValidator<T> validator, T body, BodyUse use, CancellationToken cancellationToken)
    {
        if (StorableText.FindNul(body) is { } nul) return NulProblem(nul);
        var context = new ValidationContext<T>(body);
        if (use == BodyUse.Create) context.RootContextData[CreateKey] = Marker;
        var result = await validator.ValidateAsync(context, cancellationToken);
        return result.IsValid ? null : Problem(result);
    }

    /// <summary>A NUL anywhere in the body (<see cref="StorableText"/>) is refused before its validator runs, naming the field.</summary>
    private static ProblemHttpResult NulProblem(string field) => ApiProblem.Validation(field, StorableText.Message);

    /// <summary>Whether the rules run for a create (<see cref="BodyUse.Create"/>); otherwise for an update or a body of one meaning.</summary>
    public static bool IsCreate(this IValidationContext context) => context.RootContextData.ContainsKey(CreateKey);

    /// <summary>400 <c>validation_failed</c> with each field's messages, fields named as in the JSON body.</summary>
    public static ProblemHttpResult Problem(ValidationResult result) =>
        ApiProblem.Validation(result.Errors
            .GroupBy(e => CamelPath(e.PropertyName))
            .ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).Distinct().ToArray()));

    /// <summary>"RateLimit.Requests" → "rateLimit.requests"; "AllowedIps[0]" → "allowedIps[0]"; the ".Value" of an Optional PATCH field is dropped.</summary>
    public static string CamelPath(string path) =>
        string.Join('.', path.Split('.').Where(p => p != "Value").Select(p => p.Length == 0 ? p : char.ToLowerInvariant(p[0]) + p[1..]));

    /// <summary>An email address (<see cref="EmailAddress"/>); null passes (pair with NotEmpty where one is required).</summary>
    public static IRuleBuilderOptions<T, string?> ValidEmail<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(e => e is not null && EmailAddress.IsValid(e)).WithMessage(EmailAddress.Message);
}
