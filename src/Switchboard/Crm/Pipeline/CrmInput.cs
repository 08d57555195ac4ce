using System.Globalization;
using System.Linq.Expressions;
using FluentValidation;
using Switchboard.Platform.Http;
using Switchboard.Platform.Validation;

namespace Switchboard.Crm.Pipeline;

/// <summary>
/// The body of both create (POST) and partial update (PATCH): every field is an <see cref="Optional{T}"/>, so one type
/// and one validator serve both. On create, absent fields take their defaults; on update, absent fields stay as they are.
/// </summary>
public abstract record CrmInput
{
    /// <summary>Replaces the record's metadata; null clears it.</summary>
    public Optional<Dictionary<string, string>?> Metadata { get; init; }
}

/// <summary>Field rules for a CRM input. Rules run on fields that are present; <c>Required</c> also fires when a create omits the field.</summary>
public abstract class CrmInputValidator<T> : AbstractValidator<T> where T : CrmInput
{
    protected CrmInputValidator()
    {
        Check(x => x.Metadata, Checks.Metadata);
    }

    /// <summary>Must be given on create and may not be cleared (null or blank) on update.</summary>
    protected void Required<TValue>(Expression<Func<T, Optional<TValue>>> field)
    {
        var name = FieldName(field);
        RuleFor(field).Custom((value, context) =>
        {
            var blank = value.Value is null || (value.Value is string s && string.IsNullOrWhiteSpace(s));
            if ((context.IsCreate() && !value.IsSet) || (value.IsSet && blank)) context.AddFailure(name, "Is required.");
        });
    }

    /// <summary>Checks a present, non-null value; the check answers an error message or null.</summary>
    protected void Check<TValue>(Expression<Func<T, Optional<TValue?>>> field, Func<TValue, string?> check) where TValue : class
    {
        var name = FieldName(field);
        RuleFor(field).Custom((value, context) =>
        {
            if (value.IsSet && value.Value is { } present && check(present) is { } error) context.AddFailure(name, error);
        });
    }

    /// <inheritdoc cref="Check{TValue}(Expression{Func{T, Optional{TValue}}}, Func{TValue, string})"/>
    protected void Check<TValue>(Expression<Func<T, Optional<TValue?>>> field, Func<TValue, string?> check) where TValue : struct
    {
        var name = FieldName(field);
        RuleFor(field).Custom((value, context) =>
        {
            if (value.IsSet && value.Value is { } present && check(present) is { } error) context.AddFailure(name, error);
        });
    }

    private static string FieldName<TValue>(Expression<Func<T, TValue>> field)
    {
        var member = ((MemberExpression)field.Body).Member.Name;
        return char.ToLowerInvariant(member[0]) + member[1..];
    }
}

/// <summary>The field checks CRM inputs share. Each answers an error message, or null when the value is fine.</summary>
public static class Checks
{
    public static Func<string, string?> MaxLength(int max) => v => v.Length > max ? $"Must be at most {max} characters." : null;

    public static Func<string, string?> OneOf(IReadOnlyCollection<string> allowed) =>
        v => allowed.Contains(v) ? null : $"Must be one of: {string.Join(", ", allowed)}.";

    /// <inheritdoc cref="EmailAddress"/>
    public static string? Email(string v) => EmailAddress.Check(v);

    /// <inheritdoc cref="PhoneNumber"/>
    public static string? Phone(string v) => PhoneNumber.Check(v);

    public static string? Currency(string v) => Currencies.IsKnown(v) ? null : "Must be an ISO 4217 currency code in upper case, such as USD or EUR.";

    public static string? Id(string prefix, string v) =>
        Platform.Ids.LooksValid(v, prefix) ? null : $"Must be the id of a {prefix}_ record.";

    public static Func<decimal, string?> Amount(decimal min = 0) => v =>
        v < min ? $"Must be at least {min.ToString(CultureInfo.InvariantCulture)}."
        : v > Money.MaxAmount ? $"Must be at most {Money.MaxAmount.ToString(CultureInfo.InvariantCulture)}."
        : decimal.Round(v, Money.Decimals) != v ? $"Must have at most {Money.Decimals} decimal places." : null;

    public static Func<int, string?> Range(int min, int max) => v => v < min || v > max ? $"Must be from {min} to {max}." : null;

    public static string? Metadata(Dictionary<string, string>? metadata)
    {
        if (metadata is null) return null;
        if (metadata.Count > 50) return "At most 50 keys.";
        if (metadata.Keys.Any(k => k.Length is 0 or > 40)) return "Keys must be 1 to 40 characters.";
        if (metadata.Values.Any(v => v is null || v.Length > 500)) return "Values must be strings of at most 500 characters.";
        return null;
    }
}
