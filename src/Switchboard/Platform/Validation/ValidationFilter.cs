using FluentValidation;
using Switchboard.Platform.Errors;

namespace Switchboard.Platform.Validation;

/// <summary>Runs the FluentValidation validator of the request body and answers 400 <c>validation_failed</c> with field errors.</summary>
public sealed class ValidationFilter<T> : IEndpointFilter where T : class
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var body = context.Arguments.OfType<T>().FirstOrDefault();
        if (body is null)
            return ApiProblem.Result(400, ErrorCodes.MalformedJson, "A JSON object body is required.");
        var validator = context.HttpContext.RequestServices.GetRequiredService<IValidator<T>>();
        var result = await validator.ValidateAsync(body, context.HttpContext.RequestAborted);
        return result.IsValid ? await next(context) : result.ToProblem();
    }

    /// <summary>"RateLimit.Requests" → "rateLimit.requests"; "AllowedIps[0]" → "allowedIps[0]"; the ".Value" of an Optional PATCH field is dropped.</summary>
    internal static string CamelPath(string path) =>
        string.Join('.', path.Split('.').Where(p => p != "Value").Select(p => p.Length == 0 ? p : char.ToLowerInvariant(p[0]) + p[1..]));
}

public static class ValidationExtensions
{
    /// <summary>400 <c>validation_failed</c> with each field's messages, fields named as in the JSON body.</summary>
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult ToProblem(this FluentValidation.Results.ValidationResult result) =>
        ApiProblem.Validation(result.Errors
            .GroupBy(e => ValidationFilter<object>.CamelPath(e.PropertyName))
            .ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).Distinct().ToArray()));

    public static RouteHandlerBuilder Validate<T>(this RouteHandlerBuilder builder) where T : class =>
        builder.AddEndpointFilter<ValidationFilter<T>>();

    /// <summary>Email as people use it: one '@', a dotted domain, no spaces, at most 320 characters (RFC 5321 §4.5.3.1).</summary>
    public static IRuleBuilderOptions<T, string?> ValidEmail<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(e => e is not null && e.Length <= 320 && System.Net.Mail.MailAddress.TryCreate(e, out var a) && a.Address == e
                       && a.Host.Contains('.', StringComparison.Ordinal) && !a.Host.EndsWith('.'))
            .WithMessage("Must be a valid email address.");
}
