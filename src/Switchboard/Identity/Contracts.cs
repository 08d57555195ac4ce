using FluentValidation;
using Switchboard.Platform.Validation;

namespace Switchboard.Identity;

public sealed record SignupRequest(string? Email, string? Password, string? Name, string? OrganizationName);
public sealed record LoginRequest(string? Email, string? Password, string? OrganizationId);
public sealed record RefreshRequest(string? RefreshToken);
public sealed record LogoutRequest(string? RefreshToken);

public sealed record UserResponse(string Id, string Email, string Name, DateTime CreatedAt);
public sealed record OrganizationResponse(string Id, string Name, string Plan, string Role, DateTime CreatedAt);
public sealed record AuthResponse(string AccessToken, string RefreshToken, string TokenType, int ExpiresIn, UserResponse User, OrganizationResponse Organization);
public sealed record MeResponse(string Kind, UserResponse? User, string OrganizationId, string? Role, string? ApiKeyId, IReadOnlyCollection<string> Scopes);

public static class IdentityMapping
{
    public static UserResponse AsResponse(this User u) => new(u.Id, u.Email, u.Name, u.CreatedAt);
    public static OrganizationResponse AsResponse(this Organization o, string role) => new(o.Id, o.Name, o.Plan, role, o.CreatedAt);
}

/// <summary>NIST SP 800-63B §5.1.1.2: at least 8 characters (we ask 10), long passphrases allowed, no composition rules.</summary>
public static class PasswordRules
{
    public const int MinLength = 10;
    public const int MaxLength = 256;

    public static IRuleBuilderOptions<T, string?> ValidPassword<T>(this IRuleBuilder<T, string?> rule) =>
        rule.NotEmpty().WithMessage("Is required.")
            .Length(MinLength, MaxLength).WithMessage($"Must be {MinLength} to {MaxLength} characters.");
}

internal sealed class SignupRequestValidator : AbstractValidator<SignupRequest>
{
    public SignupRequestValidator()
    {
        RuleFor(x => x.Email).NotEmpty().WithMessage("Is required.").ValidEmail();
        RuleFor(x => x.Password).ValidPassword()
            .Must((r, p) => !string.Equals(p, r.Email, StringComparison.OrdinalIgnoreCase)).WithMessage("Must not be the email address.");
        RuleFor(x => x.Name).NotEmpty().WithMessage("Is required.").MaximumLength(200);
        RuleFor(x => x.OrganizationName).NotEmpty().WithMessage("Is required.").MaximumLength(200);
    }
}

internal sealed class LoginRequestValidator : AbstractValidator<LoginRequest>
{
    public LoginRequestValidator()
    {
        RuleFor(x => x.Email).NotEmpty().WithMessage("Is required.").MaximumLength(320);
        RuleFor(x => x.Password).NotEmpty().WithMessage("Is required.").MaximumLength(PasswordRules.MaxLength);
        RuleFor(x => x.OrganizationId).MaximumLength(40);
    }
}

internal sealed class RefreshRequestValidator : AbstractValidator<RefreshRequest>
{
    public RefreshRequestValidator() => RuleFor(x => x.RefreshToken).NotEmpty().WithMessage("Is required.").MaximumLength(200);
}
