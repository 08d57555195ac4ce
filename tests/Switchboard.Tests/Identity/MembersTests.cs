using System.Net;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Identity;

public abstract class MembersTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private async Task<(ApiClient Owner, ApiClient Invitee)> InviteAsync(string role)
    {
        var owner = node.Client();
        await owner.SignupAsync();
        var email = $"invitee-{Guid.NewGuid():N}@example.com";
        var invite = await owner.PostAsync("/api/v1/invitations", new { email, role });
        invite.StatusCode.ShouldBe(HttpStatusCode.Created, await invite.Content.ReadAsStringAsync());
        var token = (await ApiClient.ReadAsync(invite))["token"]!.GetValue<string>();

        var invitee = node.Client();
        var accepted = await invitee.PostAsync("/api/v1/auth/accept-invitation", new { token, name = "Invitee", password = "invitee password 1" });
        accepted.StatusCode.ShouldBe(HttpStatusCode.OK, await accepted.Content.ReadAsStringAsync());
        invitee.UseSession(await ApiClient.ReadAsync(accepted));
        return (owner, invitee);
    }

    [Fact]
    public async Task AnInviteeJoinsWithTheInvitedRole()
    {
        var (owner, invitee) = await InviteAsync("member");
        invitee.OrganizationId.ShouldBe(owner.OrganizationId);
        var members = await owner.GetJsonAsync("/api/v1/members");
        members["data"]!.AsArray().Select(m => m!["role"]!.GetValue<string>()).OrderBy(r => r).ShouldBe(["member", "owner"]);
        (await invitee.GetJsonAsync("/api/v1/me"))["role"]!.GetValue<string>().ShouldBe("member");
    }

    [Fact]
    public async Task AnInvitationWorksOnce()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var token = (await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/invitations", new { email = $"x-{Guid.NewGuid():N}@example.com", role = "viewer" })))["token"]!.GetValue<string>();
        var body = new { token, name = "X", password = "some password 123" };
        (await owner.Anonymous().PostAsync("/api/v1/auth/accept-invitation", body)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await owner.Anonymous().PostAsync("/api/v1/auth/accept-invitation", body)).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "bad_request");
    }

    [Fact]
    public async Task AViewerCanReadButNotWrite()
    {
        var (_, viewer) = await InviteAsync("viewer");
        (await viewer.GetAsync("/api/v1/api-keys")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await viewer.PostAsync("/api/v1/api-keys", new { name = "k", scopes = new[] { "contacts:read" } }))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        await (await viewer.GetAsync("/api/v1/audit-logs")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
    }

    [Fact]
    public async Task ARoleChangeIsAuditedAndRetiresTokensCarryingTheOldRole()
    {
        var (owner, admin) = await InviteAsync("admin");
        (await admin.GetAsync("/api/v1/audit-logs")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var change = await owner.PatchAsync($"/api/v1/members/{admin.UserId}", new { role = "viewer" });
        change.StatusCode.ShouldBe(HttpStatusCode.OK, await change.Content.ReadAsStringAsync());

        await (await admin.GetAsync("/api/v1/audit-logs")).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");
        var refreshed = await ApiClient.ReadAsync(await admin.Anonymous().PostAsync("/api/v1/auth/refresh", new { refreshToken = admin.RefreshToken }));
        refreshed["organization"]!["role"]!.GetValue<string>().ShouldBe("viewer");
        admin.UseSession(refreshed);
        await (await admin.GetAsync("/api/v1/audit-logs")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");

        var log = await owner.GetJsonAsync("/api/v1/audit-logs?action=member.role_changed");
        var entry = log["data"]!.AsArray().Single()!;
        entry["targetId"]!.GetValue<string>().ShouldBe(admin.UserId);
        entry["details"]!["from"]!.GetValue<string>().ShouldBe("admin");
        entry["details"]!["to"]!.GetValue<string>().ShouldBe("viewer");
    }

    [Fact]
    public async Task TheLastOwnerCannotBeDemotedAndOnlyOwnersGrantOwnership()
    {
        var (owner, admin) = await InviteAsync("admin");
        await (await owner.PatchAsync($"/api/v1/members/{owner.UserId}", new { role = "admin" })).ShouldBeProblemAsync(HttpStatusCode.Conflict, "conflict");
        await (await admin.PatchAsync($"/api/v1/members/{admin.UserId}", new { role = "owner" })).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await admin.DeleteAsync($"/api/v1/members/{owner.UserId}")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await owner.PatchAsync($"/api/v1/members/{admin.UserId}", new { role = "superuser" })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task ARemovedMemberLosesAccessAtOnce()
    {
        var (owner, member) = await InviteAsync("member");
        (await member.GetAsync("/api/v1/api-keys")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await owner.DeleteAsync($"/api/v1/members/{member.UserId}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await member.GetAsync("/api/v1/api-keys")).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");
        await (await member.Anonymous().PostAsync("/api/v1/auth/refresh", new { refreshToken = member.RefreshToken }))
            .ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "invalid_refresh_token");
    }
}

public sealed class MembersTestsOnSqlite(SqliteSwitchboard node) : MembersTests<SqliteSwitchboard>(node);
public sealed class MembersTestsOnPostgres(PostgresSwitchboard node) : MembersTests<PostgresSwitchboard>(node);
