using FluentValidation;
using FluentValidation.Results;
using Switchboard.Platform.Http;
using Switchboard.Platform.Versioning;

namespace Switchboard.Crm.Pipeline;

/// <summary>
/// A later API version's shape of a resource, declared as a translation of the canonical (first) definition rather than
/// a second copy of it: the same records, rules, filters, sorts, references, scopes and events, with its own input and
/// output types and its own names for the fields it renames. The pipeline serves it like any definition, under
/// <c>/api/{version}/</c>; change events keep the canonical representation (versionless, see docs/versioning.md).
/// </summary>
public static class ResourceVersioning
{
    public static ResourceDefinition<TEntity, TInputV, TResponseV> Reshape<TEntity, TInput, TResponse, TInputV, TResponseV>(
        this ResourceDefinition<TEntity, TInput, TResponse> canonical, ApiVersion version,
        Func<TInputV, TInput> toCanonicalInput, Func<TResponse, TResponseV> fromCanonical, IReadOnlyDictionary<string, string> fieldNames)
        where TEntity : CrmRecord, new() where TInput : CrmInput where TResponse : class where TInputV : CrmInput where TResponseV : class
    {
        if (canonical.Canonical is not null) throw new InvalidOperationException("Reshape the canonical definition, not another version of it.");
        var canonicalNames = fieldNames.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
        return new ResourceDefinition<TEntity, TInputV, TResponseV>
        {
            Version = version,
            Canonical = canonical,
            FieldNames = fieldNames,
            Path = canonical.Path, IdPrefix = canonical.IdPrefix, ScopeResource = canonical.ScopeResource,
            Singular = canonical.Singular, Plural = canonical.Plural, Tag = canonical.Tag,
            // One set of normalisation rules (trimming, lower-cased emails…): a version's input becomes canonical input.
            Apply = (entity, input) => canonical.Apply(entity, toCanonicalInput(input)),
            Map = entity => fromCanonical(canonical.Map(entity)),
            Initialize = canonical.Initialize,
            DefaultSort = (canonical.DefaultSort.StartsWith('-') ? "-" : "") + Rename(canonical.DefaultSort.TrimStart('-'), fieldNames),
            Filters = canonical.Filters.Select(f => (IFilter<TEntity>)new RenamedFilter<TEntity>(f, fieldNames, canonicalNames)).ToList(),
            Sorts = canonical.Sorts.Select(s => (ISort<TEntity>)new RenamedSort<TEntity>(s, fieldNames)).ToList(),
            SearchFields = canonical.SearchFields,
            References = canonical.References,
            AllowUpdate = canonical.AllowUpdate,
            AllowDelete = canonical.AllowDelete,
        };
    }

    /// <summary>A canonical field path in a version's words: an exact entry, or the longest renamed prefix (<c>company</c> → <c>company.name</c>).</summary>
    public static string Rename(string path, IReadOnlyDictionary<string, string> fieldNames)
    {
        if (fieldNames.TryGetValue(path, out var exact)) return exact;
        foreach (var (from, to) in fieldNames.OrderByDescending(p => p.Key.Length))
            if (path.StartsWith(from + ".", StringComparison.Ordinal) || path.StartsWith(from + "[", StringComparison.Ordinal))
                return to + path[from.Length..];
        return path;
    }

    /// <summary>Reads a member of an optional nested object as the canonical flat field: absent stays absent, a null parent clears it.</summary>
    public static Optional<TValue?> Member<TParent, TValue>(Optional<TParent?> parent, Func<TParent, Optional<TValue?>> member) where TParent : class =>
        !parent.IsSet ? default : parent.Value is { } present ? member(present) : new Optional<TValue?>(default, true);

    private sealed class RenamedFilter<T>(IFilter<T> inner, IReadOnlyDictionary<string, string> names, IReadOnlyDictionary<string, string> canonicalNames) : IFilter<T>
    {
        public IEnumerable<string> Names => inner.Names.Select(n => Rename(n, names));

        public IEnumerable<Docs.QueryParameterDoc> Documentation => inner.Documentation.Select(d => d with { Name = Rename(d.Name, names) });

        // The canonical filter tells its parameters apart by their canonical names (e.g. a range's low and high bound).
        public string? Apply(ref IQueryable<T> query, string parameter, string value) =>
            inner.Apply(ref query, canonicalNames.GetValueOrDefault(parameter, parameter), value);
    }

    private sealed class RenamedSort<T>(ISort<T> inner, IReadOnlyDictionary<string, string> names) : ISort<T>
    {
        public string Name { get; } = Rename(inner.Name, names);
        public IOrderedQueryable<T> Order(IQueryable<T> query, bool descending) => inner.Order(query, descending);
        public IQueryable<T>? After(IQueryable<T> query, bool descending, string value, string lastId) => inner.After(query, descending, value, lastId);
        public string ValueOf(T row) => inner.ValueOf(row);
    }
}

/// <summary>
/// Validates a version's input with the canonical validator, on its translation, and names the failures as the version
/// names its fields, so both versions enforce exactly the same rules and a v2 client reads <c>name.first</c>, not <c>firstName</c>.
/// </summary>
public abstract class ReshapedInputValidator<TInputV, TInput>(IValidator<TInput> canonical, Func<TInputV, TInput> toCanonical, IReadOnlyDictionary<string, string> fieldNames)
    : AbstractValidator<TInputV> where TInputV : CrmInput where TInput : CrmInput
{
    public override ValidationResult Validate(ValidationContext<TInputV> context) =>
        Translate(canonical.Validate(CanonicalContext(context)));

    public override async Task<ValidationResult> ValidateAsync(ValidationContext<TInputV> context, CancellationToken cancellation = default) =>
        Translate(await canonical.ValidateAsync(CanonicalContext(context), cancellation));

    private ValidationContext<TInput> CanonicalContext(ValidationContext<TInputV> context)
    {
        var inner = new ValidationContext<TInput>(toCanonical(context.InstanceToValidate));
        // Carries the create/update mode (CrmInputValidator.CreateMode) across.
        foreach (var (key, value) in context.RootContextData) inner.RootContextData[key] = value;
        return inner;
    }

    private ValidationResult Translate(ValidationResult result) =>
        new(result.Errors.Select(e => new ValidationFailure(ResourceVersioning.Rename(Platform.Validation.RequestValidation.CamelPath(e.PropertyName), fieldNames), e.ErrorMessage, e.AttemptedValue)));
}
