namespace Switchboard.Platform.Validation;

/// <summary>
/// ITU-T E.164: '+', a country code that does not start with 0, at most 15 digits in all. Written as a loop over ASCII
/// digits rather than a .NET regular expression: there, <c>$</c> also matches before a final "\n", so the pattern let
/// "+14155550123\n" through, which the same pattern in the API document (ECMA-262, where <c>$</c> is the end) refuses.
/// </summary>
public static class PhoneNumber
{
    /// <summary>The rule as the OpenAPI document states it (an ECMA-262 pattern).</summary>
    public const string Pattern = @"^\+[1-9][0-9]{1,14}$";
    public const string Message = "Must be a phone number in E.164 format, such as +14155550123.";

    public static bool IsValid(string value)
    {
        if (value.Length is < 3 or > 16 || value[0] != '+' || value[1] is < '1' or > '9') return false;
        foreach (var c in value.AsSpan(2))
            if (!char.IsAsciiDigit(c)) return false;
        return true;
    }

    /// <summary>The error message for <paramref name="value"/>, or null when it is an E.164 number.</summary>
    public static string? Check(string value) => IsValid(value) ? null : Message;
}
