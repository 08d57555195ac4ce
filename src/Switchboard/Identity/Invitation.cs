using FluentValidation;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Storage;
using Switchboard.Platform.Validation;

namespace Switchboard.Identity;

/// <summary>An invitation to join an organization. The token is shown once to the inviter and stored hashed.</summary>
public sealed class Invitation : ITenantOwned
{
    public required string Id { get; init; }
    public required string OrganizationId { get; init; }
    public required string Email { get; init; }
    public required string NormalizedEmail { get; init; }
    public required string Role { get; init; }
    public required string TokenHash { get; init; }
    public string? InvitedByUserId { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime ExpiresAt { get; init; }
    public DateTime? AcceptedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}

internal sealed class InvitationConfiguration : IEntityTypeConfiguration<Invitation>
{
    public void Configure(EntityTypeBuilder<Invitation> b)
    {
        b.ToTable("invitations");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.Email).HasMaxLength(320);
        b.Property(x => x.NormalizedEmail).HasMaxLength(320);
        b.Property(x => x.Role).HasMaxLength(20);
        b.Property(x => x.TokenHash).HasMaxLength(64);
        b.Property(x => x.InvitedByUserId).HasMaxLength(40);
        b.HasIndex(x => x.TokenHash).IsUnique();
        b.HasIndex(x => new { x.OrganizationId, x.Id });
        b.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed record MemberResponse(string UserId, string Email, string Name, string Role, DateTime JoinedAt);
public sealed record UpdateMemberRequest(string? Role);
public sealed record CreateInvitationRequest(string? Email, string? Role);
public sealed record InvitationResponse(string Id, string Email, string Role, DateTime CreatedAt, DateTime ExpiresAt, string Status)
{
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Token { get; init; }
}
public sealed record AcceptInvitationRequest(string? Token, string? Name, string? Password);

internal sealed class UpdateMemberRequestValidator : AbstractValidator<UpdateMemberRequest>
{
    public UpdateMemberRequestValidator() =>
        RuleFor(x => x.Role).Must(r => r is not null && Roles.All.Contains(r)).WithMessage("Must be owner, admin, member or viewer.");
}

internal sealed class CreateInvitationRequestValidator : AbstractValidator<CreateInvitationRequest>
{
    public CreateInvitationRequestValidator()
    {
        RuleFor(x => x.Email).NotEmpty().WithMessage("Is required.").ValidEmail();
        RuleFor(x => x.Role).Must(r => r is not null && Roles.All.Contains(r)).WithMessage("Must be owner, admin, member or viewer.");
    }
}

internal sealed class AcceptInvitationRequestValidator : AbstractValidator<AcceptInvitationRequest>
{
    public AcceptInvitationRequestValidator()
    {
        RuleFor(x => x.Token).NotEmpty().WithMessage("Is required.").MaximumLength(200);
        RuleFor(x => x.Password).NotEmpty().WithMessage("Is required.").MaximumLength(PasswordRules.MaxLength);
        RuleFor(x => x.Name).MaximumLength(200);
    }
}
