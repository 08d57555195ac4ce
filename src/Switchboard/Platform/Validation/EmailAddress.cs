namespace Switchboard.Platform.Validation;

/// <summary>
/// The email rule of every field that holds an address (sign-up, invitations, contacts, leads, chat visitors, the email
/// filters): the address alone as people write it (no display name, no surrounding spaces), one '@', a domain with a dot
/// that does not end in one, at most 320 characters (64 for the local part, '@', 255 for the domain: RFC 5321 §4.5.3.1).
/// </summary>
public static class EmailAddress
{
    public const int MaxLength = 320;
    public const string Message = "Must be a valid email address.";

    public static bool IsValid(string value) =>
        value.Length <= MaxLength && System.Net.Mail.MailAddress.TryCreate(value, out var address) && address.Address == value
        && address.Host.Contains('.', StringComparison.Ordinal) && !address.Host.EndsWith('.');

    /// <summary>The error message for <paramref name="value"/>, or null when it is an address.</summary>
    public static string? Check(string value) => IsValid(value) ? null : Message;
}
