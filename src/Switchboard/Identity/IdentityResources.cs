using Switchboard.Platform.Auth;
using Switchboard.Platform.Resources;
using Switchboard.RateLimiting;

namespace Switchboard.Identity;

/// <summary>Members, invitations and organizations as <see cref="ResourceRegistry"/> knows them.</summary>
public static class IdentityResources
{
    /// <summary>
    /// A member is addressed by its user's id (<c>usr_…</c>), not by its membership row's. The scope reveals the
    /// organization's security posture: only an explicit grant or <c>admin</c> reaches it.
    /// </summary>
    public static readonly ApiResource Members = new("member")
    {
        IdPrefix = "usr", Scope = "members", ScopeSubject = "organization's members", SensitiveScope = true, Collection = "members",
        IdFields = ["userId", "actorId"],
        Representations = [typeof(UserResponse), typeof(MemberResponse)],
        Enumerations = [new("role", Roles.All) { Inputs = [typeof(UpdateMemberRequest)], Outputs = [typeof(MemberResponse)] }],
        // A member signs up and signs in with the email address of its user.
        Formats = [new("email", FieldFormat.Email) { Inputs = [typeof(SignupRequest), typeof(LoginRequest)], Outputs = [typeof(UserResponse), typeof(MemberResponse)] }],
    };

    public static readonly ApiResource Invitations = new("invitation")
    {
        IdPrefix = "ivt", Collection = "invitations",
        Representations = [typeof(InvitationResponse)],
        Enumerations = [new("role", Roles.All) { Inputs = [typeof(CreateInvitationRequest)], Outputs = [typeof(InvitationResponse)] }],
        Formats = [new("email", FieldFormat.Email) { Inputs = [typeof(CreateInvitationRequest)], Outputs = [typeof(InvitationResponse)] }],
    };

    /// <summary>The operator's view of an organization (<see cref="PlansApi"/>) is the same resource.</summary>
    public static readonly ApiResource Organizations = new("organization")
    {
        IdPrefix = "org", Collection = "organizations",
        Representations = [typeof(OrganizationResponse), typeof(OrganizationView)],
        Enumerations = [new("plan", Plans.All) { Inputs = [typeof(SetPlanRequest)], Outputs = [typeof(OrganizationResponse), typeof(OrganizationView)] }],
    };
}
