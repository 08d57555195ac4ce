using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Switchboard.Platform;

/// <summary>
/// Validates the data annotations of <see cref="SwitchboardOptions"/> and of every options object nested in it.
/// (<c>ValidateDataAnnotations()</c> checks only the top level, which would leave <c>Auth</c>, <c>RateLimits</c>,
/// <c>Webhooks</c> and the rest unchecked.) Runs at start-up, so a bad setting stops the node with its path named.
/// </summary>
public sealed class RecursiveOptionsValidator : IValidateOptions<SwitchboardOptions>
{
    public ValidateOptionsResult Validate(string? name, SwitchboardOptions options)
    {
        var failures = new List<string>();
        Walk(options, SwitchboardOptions.Section, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Walk(object value, string path, List<string> failures)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true);
        failures.AddRange(results.Select(r => $"{path}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        foreach (var property in value.GetType().GetProperties())
        {
            var type = property.PropertyType;
            if (type.Assembly != typeof(SwitchboardOptions).Assembly || !type.IsClass || property.GetIndexParameters().Length > 0) continue;
            if (property.GetValue(value) is { } nested) Walk(nested, $"{path}:{property.Name}", failures);
        }
    }
}
