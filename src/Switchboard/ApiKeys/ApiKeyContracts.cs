using System.Text.Json.Serialization;
using FluentValidation;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Http;

namespace Switchboard.ApiKeys;

public sealed record RateLimitSetting(int? Requests, int? WindowSeconds);

public sealed record CreateApiKeyRequest(string? Name, string[]? Scopes, DateTime? ExpiresAt, RateLimitSetting? RateLimit, string[]? AllowedIps);

/// <summary>PATCH body: absent fields are left alone; <c>null</c> clears <c>expiresAt</c>, <c>rateLimit</c> or <c>allowedIps</c>.</summary>
public sealed record UpdateApiKeyRequest(
    Optional<string> Name, Optional<string[]> Scopes, Optional<DateTime?> ExpiresAt, Optional<RateLimitSetting> RateLimit, Optional<string[]> AllowedIps);

public sealed record RotateApiKeyRequest(int? GracePeriodSeconds);

public sealed record ApiKeyResponse(
    string Id, string Name, string KeyPrefix, IReadOnlyList<string> Scopes, DateTime? ExpiresAt, RateLimitSetting? RateLimit,
    IReadOnlyList<string> AllowedIps, string Status, DateTime CreatedAt, DateTime UpdatedAt, DateTime? LastUsedAt, DateTime? RevokedAt,
    string? RotatedToId)
{
    /// <summary>The full secret: present only in the answer to create and rotate.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Key { get; init; }
}

public static class ApiKeyMapping
{
    public static ApiKeyResponse AsResponse(this ApiKey k, DateTime now, string? secret = null) => new(
        k.Id, k.Name, k.KeyPrefix, k.Scopes, k.ExpiresAt,
        k.RateLimitRequests is { } r && k.RateLimitWindowSeconds is { } w ? new RateLimitSetting(r, w) : null,
        k.AllowedIps, k.RevokedAt is not null ? "revoked" : k.ExpiresAt <= now ? "expired" : "active",
        k.CreatedAt, k.UpdatedAt, k.LastUsedAt, k.RevokedAt, k.RotatedToId) { Key = secret };
}

internal static class ApiKeyRules
{
    public const int MaxAllowedIps = 100;
    public const int MaxGracePeriodSeconds = 7 * 86_400;

    public static void Scopes<T>(IRuleBuilder<T, string[]?> rule) =>
        // Every rule runs (FluentValidation's default cascade), so each one takes a missing array in its stride; "[null]" is an unknown scope.
        rule.NotEmpty().WithMessage("At least one scope is required.")
            .Must(s => s is null || s.All(scope => scope is not null && Platform.Auth.Scopes.IsValid(scope)))
            .WithMessage(s => $"Unknown scope. Use <resource>:read, <resource>:write, *:read, *:write or admin; resources: {string.Join(", ", Platform.Auth.Scopes.Resources)}.")
            .Must(s => s is null || s.Distinct(StringComparer.Ordinal).Count() == s.Length).WithMessage("Scopes must not repeat.");

    public static void AllowedIps<T>(IRuleBuilder<T, string[]?> rule) =>
        rule.Must(ips => ips is null || ips.Length <= MaxAllowedIps).WithMessage($"At most {MaxAllowedIps} entries.")
            .Must(ips => ips is null || ips.All(ip => ip is not null && IpAllowlist.TryNormalize(ip, out _)))
            .WithMessage("Each entry must be an IP address or a CIDR block such as 203.0.113.0/24 or 2001:db8::/32, with no host bits set.");

    public static void RateLimit<T>(IRuleBuilder<T, RateLimitSetting?> rule)
    {
        rule.Must(r => r is null || r.Requests is >= 1 and <= 1_000_000_000).WithMessage("requests must be from 1 to 1000000000.");
        rule.Must(r => r is null || r.WindowSeconds is >= 1 and <= 31 * 86_400).WithMessage("windowSeconds must be from 1 to 2678400.");
    }
}

internal sealed class CreateApiKeyRequestValidator : AbstractValidator<CreateApiKeyRequest>
{
    public CreateApiKeyRequestValidator(TimeProvider time)
    {
        RuleFor(x => x.Name).NotEmpty().WithMessage("Is required.").MaximumLength(200);
        ApiKeyRules.Scopes(RuleFor(x => x.Scopes));
        RuleFor(x => x.ExpiresAt).Must(e => e is null || e.Value.ToUniversalTime() > time.GetUtcNow().UtcDateTime)
            .WithMessage("Must be in the future.");
        ApiKeyRules.RateLimit(RuleFor(x => x.RateLimit));
        ApiKeyRules.AllowedIps(RuleFor(x => x.AllowedIps));
    }
}

internal sealed class UpdateApiKeyRequestValidator : AbstractValidator<UpdateApiKeyRequest>
{
    public UpdateApiKeyRequestValidator(TimeProvider time)
    {
        When(x => x.Name.IsSet, () => RuleFor(x => x.Name.Value).NotEmpty().WithMessage("Must not be empty.").MaximumLength(200).OverridePropertyName("name"));
        When(x => x.Scopes.IsSet, () => ApiKeyRules.Scopes(RuleFor(x => x.Scopes.Value)));
        When(x => x.ExpiresAt.IsSet, () => RuleFor(x => x.ExpiresAt.Value)
            .Must(e => e is null || e.Value.ToUniversalTime() > time.GetUtcNow().UtcDateTime).WithMessage("Must be in the future.")
            .OverridePropertyName("expiresAt"));
        When(x => x.RateLimit.IsSet, () => ApiKeyRules.RateLimit(RuleFor(x => x.RateLimit.Value)));
        When(x => x.AllowedIps.IsSet, () => ApiKeyRules.AllowedIps(RuleFor(x => x.AllowedIps.Value)));
    }
}

internal sealed class RotateApiKeyRequestValidator : AbstractValidator<RotateApiKeyRequest>
{
    public RotateApiKeyRequestValidator() =>
        RuleFor(x => x.GracePeriodSeconds).InclusiveBetween(0, ApiKeyRules.MaxGracePeriodSeconds)
            .WithMessage($"Must be from 0 to {ApiKeyRules.MaxGracePeriodSeconds} seconds (7 days).");
}
