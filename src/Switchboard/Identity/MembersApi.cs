using Switchboard.Docs;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Pagination;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;
using Switchboard.Platform.Validation;
using Switchboard.RateLimiting;

namespace Switchboard.Identity;

/// <summary>The organization's people: members and their roles, and invitations to join.</summary>
public static class MembersApi
{
    private static readonly TimeSpan InvitationLifetime = TimeSpan.FromDays(7);
    private const string InvitationTokenPrefix = "sbi_";

    public static IEndpointRouteBuilder MapMembersApi(this IEndpointRouteBuilder app)
    {
        var members = app.MapGroup("/api/v1/members").WithTags("Members");
        members.MapGet("/", List).RequireScope(IdentityResources.Members.ReadScope).WithPaging().WithName("listMembers").WithSummary("List members and their roles");
        members.MapPatch("/{userId}", ChangeRole).RequireScope(Scopes.Admin).WithName("updateMember").WithSummary("Change a member's role")
            .ProducesErrors(ErrorCodes.Forbidden, ErrorCodes.Conflict);
        members.MapDelete("/{userId}", Remove).RequireScope(Scopes.Admin).WithName("removeMember").WithSummary("Remove a member")
            .ProducesErrors(ErrorCodes.Forbidden, ErrorCodes.Conflict);

        var invitations = app.MapGroup("/api/v1/invitations").WithTags("Members").RequireScope(Scopes.Admin);
        invitations.MapPost("/", Invite).WithName("createInvitation").WithSummary("Invite someone (the token is shown once)")
            .ProducesErrors(ErrorCodes.Forbidden, ErrorCodes.Conflict);
        invitations.MapGet("/", ListInvitations).WithPaging().WithName("listInvitations").WithSummary("List invitations");
        invitations.MapDelete("/{id}", RevokeInvitation).WithName("revokeInvitation").WithSummary("Revoke an invitation");

        app.MapPost("/api/v1/auth/accept-invitation", Accept).AllowAnonymous().WithPerIpRateLimit()
            .ProducesErrors(ErrorCodes.BadRequest, ErrorCodes.InvalidCredentials)
            .WithTags("Authentication").WithName("acceptInvitation").WithSummary("Join an organization with an invitation token");
        return app;
    }

    internal static async Task<Results<Ok<ListResponse<MemberResponse>>, ProblemHttpResult>> List(
        SwitchboardDbContext db, HttpContext http, CancellationToken cancellationToken)
    {
        if (!PageRequest.TryParse(http.Request, out var page, out var problem)) return problem!;
        var query = db.Memberships.AsNoTracking()
            .Join(db.Users, m => m.UserId, u => u.Id, (m, u) => new { m.Id, m.UserId, u.Email, u.Name, m.Role, m.CreatedAt });
        return TypedResults.Ok(await Paging.NewestFirstAsync(query, x => x.Id, page, http,
            x => new MemberResponse(x.UserId, x.Email, x.Name, x.Role, x.CreatedAt), cancellationToken));
    }

    internal static async Task<Results<Ok<MemberResponse>, ProblemHttpResult>> ChangeRole(
        string userId, UpdateMemberRequest request, IValidator<UpdateMemberRequest> validator, SwitchboardDbContext db, TimeProvider time,
        AuthInvalidationFeed invalidations, HttpContext http, CancellationToken cancellationToken)
    {
        if (await validator.CheckAsync(request, cancellationToken) is { } invalid) return invalid;
        var caller = http.GetCaller();
        var membership = await db.Memberships.FirstOrDefaultAsync(m => m.UserId == userId, cancellationToken);
        if (membership is null) return ApiProblem.NotFound("member");
        var newRole = request.Role!;
        if ((membership.Role == Roles.Owner || newRole == Roles.Owner) && caller.Role != Roles.Owner)
            return ApiProblem.Result(403, ErrorCodes.Forbidden, "Only an owner can grant or take away the owner role.");
        if (membership.Role == Roles.Owner && newRole != Roles.Owner && await IsLastOwnerAsync(db, cancellationToken))
            return ApiProblem.Conflict(ErrorCodes.Conflict, "An organization must keep at least one owner.");

        var previous = membership.Role;
        membership.Role = newRole;
        membership.UpdatedAt = time.UtcNow();
        var invalidation = AuthInvalidationFeed.Stage(db, InvalidationKinds.User, userId, time);
        AuditTrail.Record(db, http, time, caller, "member.role_changed", "user", userId, new { from = previous, to = newRole });
        await db.SaveChangesAsync(cancellationToken);
        invalidations.Apply(invalidation);
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == userId, cancellationToken);
        return TypedResults.Ok(new MemberResponse(userId, user.Email, user.Name, newRole, membership.CreatedAt));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Remove(
        string userId, SwitchboardDbContext db, TimeProvider time, AuthInvalidationFeed invalidations, HttpContext http, CancellationToken cancellationToken)
    {
        var caller = http.GetCaller();
        var membership = await db.Memberships.FirstOrDefaultAsync(m => m.UserId == userId, cancellationToken);
        if (membership is null) return ApiProblem.NotFound("member");
        if (membership.Role == Roles.Owner && caller.Role != Roles.Owner)
            return ApiProblem.Result(403, ErrorCodes.Forbidden, "Only an owner can remove an owner.");
        if (membership.Role == Roles.Owner && await IsLastOwnerAsync(db, cancellationToken))
            return ApiProblem.Conflict(ErrorCodes.Conflict, "An organization must keep at least one owner.");

        var now = time.UtcNow();
        db.Memberships.Remove(membership);
        await db.RefreshTokens.Where(t => t.UserId == userId && t.OrganizationId == membership.OrganizationId && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), cancellationToken);
        var invalidation = AuthInvalidationFeed.Stage(db, InvalidationKinds.User, userId, time);
        AuditTrail.Record(db, http, time, caller, "member.removed", "user", userId, new { role = membership.Role });
        await db.SaveChangesAsync(cancellationToken);
        invalidations.Apply(invalidation);
        return TypedResults.NoContent();
    }

    internal static async Task<Results<Created<InvitationResponse>, ProblemHttpResult>> Invite(
        CreateInvitationRequest request, IValidator<CreateInvitationRequest> validator, SwitchboardDbContext db, TimeProvider time, HttpContext http,
        CancellationToken cancellationToken)
    {
        if (await validator.CheckAsync(request, cancellationToken) is { } invalid) return invalid;
        var caller = http.GetCaller();
        if (request.Role == Roles.Owner && caller.Role != Roles.Owner)
            return ApiProblem.Result(403, ErrorCodes.Forbidden, "Only an owner can invite an owner.");
        var normalized = AccountService.Normalize(request.Email!);
        var alreadyMember = await db.Memberships.Join(db.Users, m => m.UserId, u => u.Id, (m, u) => u.NormalizedEmail)
            .AnyAsync(e => e == normalized, cancellationToken);
        if (alreadyMember) return ApiProblem.Conflict(ErrorCodes.Conflict, "This person is already a member.");

        var now = time.UtcNow();
        var token = InvitationTokenPrefix + SecretHash.RandomToken(32);
        var invitation = new Invitation
        {
            Id = Ids.New(IdentityResources.Invitations, time), OrganizationId = caller.OrganizationId, Email = request.Email!.Trim(), NormalizedEmail = normalized,
            Role = request.Role!, TokenHash = SecretHash.Sha256Hex(token), InvitedByUserId = caller.UserId,
            CreatedAt = now, ExpiresAt = now + InvitationLifetime,
        };
        db.Invitations.Add(invitation);
        AuditTrail.Record(db, http, time, caller, "member.invited", "invitation", invitation.Id, new { invitation.Email, invitation.Role });
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/api/v1/invitations/{invitation.Id}", AsResponse(invitation, now) with { Token = token });
    }

    internal static async Task<Results<Ok<ListResponse<InvitationResponse>>, ProblemHttpResult>> ListInvitations(
        SwitchboardDbContext db, TimeProvider time, HttpContext http, CancellationToken cancellationToken)
    {
        if (!PageRequest.TryParse(http.Request, out var page, out var problem)) return problem!;
        var now = time.UtcNow();
        return TypedResults.Ok(await Paging.NewestFirstAsync(db.Invitations.AsNoTracking(), i => i.Id, page, http, i => AsResponse(i, now), cancellationToken));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> RevokeInvitation(
        string id, SwitchboardDbContext db, TimeProvider time, HttpContext http, CancellationToken cancellationToken)
    {
        var invitation = await db.Invitations.FirstOrDefaultAsync(i => i.Id == id, cancellationToken);
        if (invitation is null) return ApiProblem.NotFound("invitation");
        if (invitation.AcceptedAt is null && invitation.RevokedAt is null)
        {
            invitation.RevokedAt = time.UtcNow();
            AuditTrail.Record(db, http, time, http.GetCaller(), "member.invitation_revoked", "invitation", invitation.Id);
            await db.SaveChangesAsync(cancellationToken);
        }
        return TypedResults.NoContent();
    }

    internal static async Task<Results<Ok<AuthResponse>, ProblemHttpResult>> Accept(
        AcceptInvitationRequest request, IValidator<AcceptInvitationRequest> validator, SwitchboardDbContext db, PasswordHasher hasher,
        SessionService sessions, TimeProvider time, HttpContext http, CancellationToken cancellationToken)
    {
        if (await validator.CheckAsync(request, cancellationToken) is { } invalid) return invalid;
        var now = time.UtcNow();
        var hash = SecretHash.Sha256Hex(request.Token!);
        var invitation = await db.Invitations.IgnoreQueryFilters().FirstOrDefaultAsync(i => i.TokenHash == hash, cancellationToken);
        if (invitation is null || invitation.AcceptedAt is not null || invitation.RevokedAt is not null || invitation.ExpiresAt <= now)
            return ApiProblem.Result(400, ErrorCodes.BadRequest, "The invitation is invalid, expired, revoked or already used.");

        var user = await db.Users.FirstOrDefaultAsync(u => u.NormalizedEmail == invitation.NormalizedEmail, cancellationToken);
        if (user is null)
        {
            if (string.IsNullOrWhiteSpace(request.Name)) return ApiProblem.Validation("name", "Is required for a new account.");
            if (request.Password!.Length < PasswordRules.MinLength) return ApiProblem.Validation("password", $"Must be {PasswordRules.MinLength} to {PasswordRules.MaxLength} characters.");
            user = new User
            {
                Id = Ids.New(IdentityResources.Members, time), Email = invitation.Email, NormalizedEmail = invitation.NormalizedEmail, Name = request.Name.Trim(),
                PasswordHash = hasher.Hash(request.Password), CreatedAt = now, UpdatedAt = now,
            };
            db.Users.Add(user);
        }
        else if (hasher.Verify(user.PasswordHash, request.Password!) == PasswordVerification.Failed)
        {
            // The invitee already has an account: joining with it requires its password.
            return ApiProblem.Result(401, ErrorCodes.InvalidCredentials, "An account with this email exists; give its password to join.");
        }

        var membership = new Membership
        {
            Id = Ids.New("mem", time), OrganizationId = invitation.OrganizationId, UserId = user.Id, Role = invitation.Role, CreatedAt = now, UpdatedAt = now,
        };
        db.Memberships.Add(membership);
        invitation.AcceptedAt = now;
        var org = await db.Organizations.FirstAsync(o => o.Id == invitation.OrganizationId, cancellationToken);
        AuditTrail.Record(db, http, time, org.Id, "user", user.Id, "member.joined", "user", user.Id, new { invitationId = invitation.Id, invitation.Role });
        var response = sessions.Issue(user, org, membership);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(response);
    }

    private static async Task<bool> IsLastOwnerAsync(SwitchboardDbContext db, CancellationToken cancellationToken) =>
        await db.Memberships.CountAsync(m => m.Role == Roles.Owner, cancellationToken) <= 1;

    private static InvitationResponse AsResponse(Invitation i, DateTime now) => new(i.Id, i.Email, i.Role, i.CreatedAt, i.ExpiresAt,
        i.AcceptedAt is not null ? "accepted" : i.RevokedAt is not null ? "revoked" : i.ExpiresAt <= now ? "expired" : "pending");
}
