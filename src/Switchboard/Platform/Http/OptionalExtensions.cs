namespace Switchboard.Platform.Http;

public static class OptionalExtensions
{
    /// <summary>Runs <paramref name="apply"/> with the value when the field was present in the request.</summary>
    public static void IfSet<T>(this Optional<T> field, Action<T?> apply)
    {
        if (field.IsSet) apply(field.Value);
    }

    /// <summary>Trimmed text, with blank meaning none.</summary>
    public static string? Clean(this string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
