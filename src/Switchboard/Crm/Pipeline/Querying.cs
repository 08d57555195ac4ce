using System.Globalization;
using System.Linq.Expressions;
using Switchboard.Platform.Pagination;

namespace Switchboard.Crm.Pipeline;

/// <summary>A query-string filter of a resource (<c>status=new</c>, <c>createdAfter=…</c>, <c>amountMin=…</c>).</summary>
public interface IFilter<T>
{
    IEnumerable<string> Names { get; }
    /// <summary>The query parameters as the API document describes them.</summary>
    IEnumerable<Docs.QueryParameterDoc> Documentation { get; }
    /// <summary>Narrows <paramref name="query"/> by the parameter, or answers an error message for it.</summary>
    string? Apply(ref IQueryable<T> query, string parameter, string value);
}

/// <summary>A sortable field; ties are broken by id, so every ordering is total and keyset pagination is exact.</summary>
public interface ISort<T>
{
    string Name { get; }
    IOrderedQueryable<T> Order(IQueryable<T> query, bool descending);
    /// <summary>Rows strictly after (<paramref name="value"/>, <paramref name="id"/>) in this order; null when the value does not parse.</summary>
    IQueryable<T>? After(IQueryable<T> query, bool descending, string value, string lastId);
    string ValueOf(T row);
}

public sealed class EqualsFilter<T>(string name, Expression<Func<T, string?>> field, IReadOnlyCollection<string>? allowed = null,
    Func<string, string?>? check = null, Func<string, string>? normalize = null) : IFilter<T>
{
    public IEnumerable<string> Names => [name];

    public IEnumerable<Docs.QueryParameterDoc> Documentation =>
        [new(name, $"Only records whose `{name}` is this value.", Enum: allowed?.ToList(), Example: allowed?.FirstOrDefault())];

    public string? Apply(ref IQueryable<T> query, string parameter, string value)
    {
        if (allowed is not null && !allowed.Contains(value)) return $"Must be one of: {string.Join(", ", allowed)}.";
        if (check?.Invoke(value) is { } error) return error;
        var body = Expression.Equal(field.Body, QueryExpressions.Parameter(normalize is null ? value : normalize(value), typeof(string)));
        query = query.Where(QueryExpressions.Predicate<T>(body, field.Parameters[0]));
        return null;
    }
}

/// <summary><c>{name}After</c>/<c>{name}Before</c> for times and dates, <c>{name}Min</c>/<c>{name}Max</c> for numbers; bounds are inclusive for numbers and exclusive for times.</summary>
public sealed class RangeFilter<T, TValue>(string lowName, string highName, LambdaExpression field, Func<string, (bool Ok, TValue Value)> parse, string expected, bool inclusive)
    : IFilter<T> where TValue : struct
{
    public IEnumerable<string> Names => [lowName, highName];

    public IEnumerable<Docs.QueryParameterDoc> Documentation
    {
        get
        {
            var (type, format) = typeof(TValue) == typeof(DateTime) ? ("string", "date-time")
                : typeof(TValue) == typeof(DateOnly) ? ("string", "date")
                : typeof(TValue) == typeof(int) ? ("integer", (string?)null) : ("number", null);
            var (low, high) = inclusive ? ("at least", "at most") : ("after", "before");
            return
            [
                new(lowName, $"Only records whose value is {low} this: {expected}.", type, format),
                new(highName, $"Only records whose value is {high} this: {expected}.", type, format),
            ];
        }
    }

    public string? Apply(ref IQueryable<T> query, string parameter, string value)
    {
        var (ok, parsed) = parse(value);
        if (!ok) return $"Must be {expected}.";
        var operand = QueryExpressions.Parameter(parsed, field.Body.Type);
        Expression body = parameter == lowName
            ? inclusive ? Expression.GreaterThanOrEqual(field.Body, operand) : Expression.GreaterThan(field.Body, operand)
            : inclusive ? Expression.LessThanOrEqual(field.Body, operand) : Expression.LessThan(field.Body, operand);
        query = query.Where(QueryExpressions.Predicate<T>(body, field.Parameters[0]));
        return null;
    }
}

public static class Filter
{
    public static IFilter<T> Equal<T>(string name, Expression<Func<T, string?>> field, IReadOnlyCollection<string>? allowed = null,
        Func<string, string?>? check = null, Func<string, string>? normalize = null) =>
        new EqualsFilter<T>(name, field, allowed, check, normalize);

    /// <summary>An email filter: compared lower-cased, as emails are stored.</summary>
    public static IFilter<T> Email<T>(string name, Expression<Func<T, string?>> field) =>
        new EqualsFilter<T>(name, field, null, v => Checks.Email(v.ToLowerInvariant()), v => v.ToLowerInvariant());

    /// <summary>A filter by the id of a linked record.</summary>
    public static IFilter<T> Link<T>(string name, Expression<Func<T, string?>> field, string prefix) =>
        new EqualsFilter<T>(name, field, null, v => Checks.Id(prefix, v));

    public static IFilter<T> Time<T>(string name, Expression<Func<T, DateTime>> field) => TimeRange<T>(name, field);
    public static IFilter<T> Time<T>(string name, Expression<Func<T, DateTime?>> field) => TimeRange<T>(name, field);

    private static RangeFilter<T, DateTime> TimeRange<T>(string name, LambdaExpression field) =>
        new RangeFilter<T, DateTime>(name + "After", name + "Before", field, ParseTime, "an ISO 8601 timestamp, such as 2026-01-31T12:00:00Z", inclusive: false);

    public static IFilter<T> Date<T>(string name, Expression<Func<T, DateOnly?>> field) =>
        new RangeFilter<T, DateOnly>(name + "After", name + "Before", field,
            v => DateOnly.TryParseExact(v, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? (true, d) : (false, default),
            "a date such as 2026-01-31", inclusive: false);

    public static IFilter<T> Number<T>(string name, Expression<Func<T, int>> field) =>
        new RangeFilter<T, int>(name + "Min", name + "Max", field,
            v => int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? (true, i) : (false, 0), "an integer", inclusive: true);

    /// <summary>An amount in major units, compared with the micros column.</summary>
    public static IFilter<T> Amount<T>(string name, Expression<Func<T, long>> microsField) =>
        new RangeFilter<T, long>(name + "Min", name + "Max", microsField,
            v => decimal.TryParse(v, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var d)
                 && Math.Abs(d) <= Money.MaxAmount ? (true, Money.ToMicros(d)) : (false, 0L),
            "a decimal amount such as 1250.50", inclusive: true);

    internal static (bool, DateTime) ParseTime(string v) =>
        DateTime.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)
            ? (true, DateTime.SpecifyKind(t, DateTimeKind.Utc)) : (false, default);
}

public sealed class Sort<T, TKey>(string name, Expression<Func<T, TKey>> key, Expression<Func<T, string>> id,
    Func<TKey, string> format, Func<string, (bool Ok, TKey Value)> parse) : ISort<T>
{
    private readonly Func<T, TKey> _compiled = key.Compile();
    public string Name => name;

    public IOrderedQueryable<T> Order(IQueryable<T> query, bool descending) =>
        descending ? query.OrderByDescending(key).ThenByDescending(id) : query.OrderBy(key).ThenBy(id);

    public IQueryable<T>? After(IQueryable<T> query, bool descending, string value, string lastId)
    {
        var (ok, parsed) = parse(value);
        return ok ? Keyset.After(query, key, id, descending, parsed, lastId) : null;
    }

    public string ValueOf(T row) => format(_compiled(row));
}

public static class Sorts
{
    public static ISort<T> Time<T>(string name, Expression<Func<T, DateTime>> key) where T : CrmRecord =>
        new Sort<T, DateTime>(name, key, r => r.Id, t => t.Ticks.ToString(CultureInfo.InvariantCulture),
            v => long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) && ticks <= DateTime.MaxValue.Ticks
                ? (true, new DateTime(ticks, DateTimeKind.Utc)) : (false, default));

    public static ISort<T> Amount<T>(string name, Expression<Func<T, long>> key) where T : CrmRecord =>
        new Sort<T, long>(name, key, r => r.Id, n => n.ToString(CultureInfo.InvariantCulture),
            v => long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? (true, n) : (false, 0L));

    public static ISort<T> Number<T>(string name, Expression<Func<T, int>> key) where T : CrmRecord =>
        new Sort<T, int>(name, key, r => r.Id, n => n.ToString(CultureInfo.InvariantCulture),
            v => int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? (true, n) : (false, 0));

    public static ISort<T> Text<T>(string name, Expression<Func<T, string>> key) where T : CrmRecord =>
        new Sort<T, string>(name, key, r => r.Id, s => s, v => (true, v));
}
