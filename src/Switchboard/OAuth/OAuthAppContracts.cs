using System.Text.Json;
using System.Text.Json.Serialization;
using FluentValidation;
using FluentValidation.Results;
using Switchboard.ApiKeys;
using Switchboard.Platform.Http;
using Switchboard.Platform.Validation;

namespace Switchboard.OAuth;

/// <summary>
/// The body of creating (POST) and changing (PATCH) an app. A create needs <c>name</c>, <c>redirectUris</c>,
/// <c>scopes</c> and <c>type</c>; a PATCH changes the fields it sends (null clears <c>description</c>, <c>homepageUrl</c>,
/// <c>logoUrl</c> and <c>jwks</c>). The type never changes: a PATCH may repeat it, not alter it.
/// </summary>
public sealed record OAuthAppInput(
    Optional<string> Name, Optional<string[]> RedirectUris, Optional<string[]> Scopes, Optional<string> Type,
    Optional<string?> Description, Optional<string?> HomepageUrl, Optional<string?> LogoUrl, Optional<JwkSet?> Jwks);

/// <summary>How long the replaced secret keeps working (0: not at all, e.g. after a leak).</summary>
public sealed record RotateOAuthAppSecretRequest(int? GracePeriodSeconds);

/// <summary>A JWK Set (RFC 7517 §5): the public keys an app signs its client assertions with (<c>private_key_jwt</c>, RFC 7523).</summary>
public sealed record JwkSet(IReadOnlyList<Jwk?>? Keys);

/// <summary>
/// A public JSON Web Key (RFC 7517 §4, RFC 7518 §6): EC P-256 (<c>crv</c>, <c>x</c>, <c>y</c>) or RSA (<c>n</c>, <c>e</c>).
/// Other members are read only to refuse private ones (<c>d</c>, <c>p</c>, <c>q</c>…) and are not stored.
/// </summary>
public sealed record Jwk
{
    /// <summary>The key type: EC or RSA.</summary>
    public string? Kty { get; init; }
    /// <summary>The key id a client assertion names in its header; required when the set has several keys.</summary>
    public string? Kid { get; init; }
    /// <summary>sig, when present.</summary>
    public string? Use { get; init; }
    /// <summary>ES256 for P-256; RS256, RS384, RS512, PS256, PS384 or PS512 for RSA.</summary>
    public string? Alg { get; init; }
    /// <summary>EC: the curve, P-256.</summary>
    public string? Crv { get; init; }
    /// <summary>EC: the x coordinate, base64url.</summary>
    public string? X { get; init; }
    /// <summary>EC: the y coordinate, base64url.</summary>
    public string? Y { get; init; }
    /// <summary>RSA: the modulus, base64url.</summary>
    public string? N { get; init; }
    /// <summary>RSA: the public exponent, base64url (usually AQAB).</summary>
    public string? E { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Other { get; init; }
}

public sealed record OAuthAppResponse(
    string Id, string ClientId, string Name, string? Description, string? HomepageUrl, string? LogoUrl,
    IReadOnlyList<string> RedirectUris, IReadOnlyList<string> Scopes, string Type, string? SecretPrefix,
    DateTime? PreviousSecretExpiresAt, JwkSet? Jwks, DateTime CreatedAt, DateTime UpdatedAt)
{
    /// <summary>The client secret: present only in the answers to create and rotate-secret, never stored in the clear.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ClientSecret { get; init; }
}

public static class OAuthAppMapping
{
    public static OAuthAppResponse AsResponse(this OAuthApp a, DateTime now, string? secret = null) => new(
        a.Id, a.ClientId, a.Name, a.Description, a.HomepageUrl, a.LogoUrl, a.RedirectUris, a.Scopes, a.Type, a.SecretPrefix,
        a.PreviousSecretHash is not null && a.PreviousSecretExpiresAt > now ? a.PreviousSecretExpiresAt : null,
        OAuthAppRules.Deserialize(a.Jwks), a.CreatedAt, a.UpdatedAt) { ClientSecret = secret };
}

internal sealed class OAuthAppInputValidator : AbstractValidator<OAuthAppInput>
{
    public OAuthAppInputValidator()
    {
        When(x => x.Name.IsSet, () => RuleFor(x => x.Name.Value).NotEmpty().WithMessage("Must not be empty.").MaximumLength(200).OverridePropertyName("name"));
        When(x => x.Description.IsSet, () => RuleFor(x => x.Description.Value).MaximumLength(2000).OverridePropertyName("description"));
        When(x => x.Type.IsSet, () => RuleFor(x => x.Type.Value).Must(t => t is not null && OAuthAppTypes.All.Contains(t))
            .WithMessage("Must be confidential (a server that keeps a secret) or public (a browser or native app, PKCE only).").OverridePropertyName("type"));
        When(x => x.Scopes.IsSet, () => ApiKeyRules.Scopes(RuleFor(x => x.Scopes.Value)));
        When(x => x.RedirectUris.IsSet, () => RuleFor(x => x.RedirectUris.Value).Custom((uris, ctx) =>
        {
            if (uris is null || uris.Length == 0) ctx.AddFailure("redirectUris", "At least one redirect URI is required.");
            else if (uris.Length > OAuthAppRules.MaxRedirectUris) ctx.AddFailure("redirectUris", $"At most {OAuthAppRules.MaxRedirectUris} redirect URIs.");
            else
            {
                for (var i = 0; i < uris.Length; i++)
                    if (OAuthAppRules.CheckRedirectUri(uris[i]) is { } error) ctx.AddFailure($"redirectUris[{i}]", error);
                if (uris.Distinct(StringComparer.Ordinal).Count() != uris.Length) ctx.AddFailure("redirectUris", "Redirect URIs must not repeat.");
            }
        }));
        When(x => x.HomepageUrl.IsSet, () => RuleFor(x => x.HomepageUrl.Value).Custom((url, ctx) =>
        {
            if (OAuthAppRules.CheckWebUrl(url) is { } error) ctx.AddFailure("homepageUrl", error);
        }));
        When(x => x.LogoUrl.IsSet, () => RuleFor(x => x.LogoUrl.Value).Custom((url, ctx) =>
        {
            if (OAuthAppRules.CheckWebUrl(url) is { } error) ctx.AddFailure("logoUrl", error);
        }));
        When(x => x.Jwks.IsSet, () => RuleFor(x => x.Jwks.Value).Custom((jwks, ctx) =>
        {
            if (jwks is null) return;
            foreach (var (field, message) in OAuthAppRules.CheckJwks(jwks)) ctx.AddFailure(field, message);
        }));
    }

    public override ValidationResult Validate(ValidationContext<OAuthAppInput> context) => WithWholeBody(base.Validate(context), context);

    public override async Task<ValidationResult> ValidateAsync(ValidationContext<OAuthAppInput> context, CancellationToken cancellation = default) =>
        WithWholeBody(await base.ValidateAsync(context, cancellation), context);

    /// <summary>
    /// The rules of the body as a whole: a create names the app, its redirect URIs, its scopes and its type; a public app
    /// (RFC 6749 §2.1: it cannot keep a secret) has no client authentication, so no <c>jwks</c> either. Whether a PATCH
    /// may set <c>jwks</c> or <c>type</c> depends on the stored app, which the handler checks.
    /// </summary>
    private static ValidationResult WithWholeBody(ValidationResult fields, ValidationContext<OAuthAppInput> context)
    {
        if (!fields.IsValid) return fields;
        var input = context.InstanceToValidate;
        List<ValidationFailure> failures = [];
        if (context.IsCreate())
        {
            if (!input.Name.IsSet) failures.Add(new("name", "Is required."));
            if (!input.RedirectUris.IsSet) failures.Add(new("redirectUris", "Is required: at least one redirect URI."));
            if (!input.Scopes.IsSet) failures.Add(new("scopes", "Is required: the scopes the app may request."));
            if (!input.Type.IsSet) failures.Add(new("type", "Is required: confidential or public."));
            if (input.Type.Value == OAuthAppTypes.Public && input.Jwks.Value is not null)
                failures.Add(new("jwks", "A public app has no client authentication, so no keys: use a confidential app for private_key_jwt."));
        }
        return new ValidationResult(failures);
    }
}

internal sealed class RotateOAuthAppSecretRequestValidator : AbstractValidator<RotateOAuthAppSecretRequest>
{
    public RotateOAuthAppSecretRequestValidator() =>
        RuleFor(x => x.GracePeriodSeconds).InclusiveBetween(0, ApiKeyRules.MaxGracePeriodSeconds)
            .WithMessage($"Must be from 0 to {ApiKeyRules.MaxGracePeriodSeconds} seconds (7 days).");
}

/// <summary>A user's authorization of an app in the organization (an <see cref="OAuthGrant"/>), as the connected-apps list shows it.</summary>
public sealed record OAuthAuthorizationResponse(
    string Id, string AppId, string AppName, string ClientId, string? AppHomepageUrl, string? AppLogoUrl, string UserId,
    IReadOnlyList<string> Scopes, string Status, DateTime CreatedAt, DateTime UpdatedAt, DateTime? LastUsedAt, DateTime? RevokedAt);
