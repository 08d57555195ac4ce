using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Dashboard.Components.Pages;
using Switchboard.OAuth.Browser;
using Switchboard.Tests.Infrastructure;
using static Switchboard.Tests.Dashboard.DashboardTestSupport;

namespace Switchboard.Tests.Dashboard;

/// <summary>The members page (<c>/dashboard/members</c>): roles, removal and invitations, through the API's code.</summary>
public abstract partial class DashboardMembersTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    [Fact]
    public void ThePageAsksTheScopesOfTheMembersOperations() =>
        MembersPage.ReadScope.ShouldBe(Switchboard.Identity.IdentityResources.Members.ReadScope);

    [Fact]
    public async Task AnOwnerChangesARoleAndRemovesAMember()
    {
        var (owner, api) = await NewOrganizationAsync(node, "Members Org");
        using var _ = api;
        var member = await NewMemberAsync(node, owner.OrganizationId, "member");
        using var browser = await SignedInAsync(node, owner.Email);

        var page = await browser.GetAsync("/dashboard/members");
        page.Status.ShouldBe(HttpStatusCode.OK, page.Html);
        page.Html.ShouldContain(member.Email);
        page.Html.ShouldContain($"name=\"role-{member.UserId}\"");
        page.Html.ShouldContain("<option value=\"owner\""); // an owner may grant it

        var token = FormToken(page);
        var changed = await browser.PostAsync("/dashboard/members", ("_handler", "member"), ("csrf", token), ("change", member.UserId), ($"role-{member.UserId}", "viewer"));
        changed.Status.ShouldBe(HttpStatusCode.OK, changed.Html);
        changed.Html.ShouldContain($"{member.Email} is now viewer.");
        (await api.GetJsonAsync("/api/v1/members"))["data"]!.AsArray().Single(m => m!["userId"]!.GetValue<string>() == member.UserId)!["role"]!
            .GetValue<string>().ShouldBe("viewer");

        var badRole = await browser.PostAsync("/dashboard/members", ("_handler", "member"), ("csrf", token), ("change", member.UserId), ($"role-{member.UserId}", "emperor"));
        badRole.Status.ShouldBe(HttpStatusCode.BadRequest);
        badRole.Html.ShouldContain("id=\"members-message\"");

        // The last owner stays an owner.
        var demoteSelf = await browser.PostAsync("/dashboard/members", ("_handler", "member"), ("csrf", token), ("change", owner.UserId), ($"role-{owner.UserId}", "admin"));
        demoteSelf.Status.ShouldBe(HttpStatusCode.Conflict);
        demoteSelf.Html.ShouldContain("at least one owner");

        var removed = await browser.PostAsync("/dashboard/members", ("_handler", "member"), ("csrf", token), ("remove", member.UserId));
        removed.Status.ShouldBe(HttpStatusCode.OK, removed.Html);
        removed.Html.ShouldContain($"{member.Email} is no longer a member.");
        (await api.GetJsonAsync("/api/v1/members"))["data"]!.AsArray().ShouldNotContain(m => m!["userId"]!.GetValue<string>() == member.UserId);
    }

    [Fact]
    public async Task AnAdminInvitesSomeoneSeesTheTokenOnceAndRevokesIt()
    {
        var (owner, api) = await NewOrganizationAsync(node, "Invite Org");
        using var _ = api;
        var admin = await NewMemberAsync(node, owner.OrganizationId, "admin");
        using var browser = await SignedInAsync(node, admin.Email);
        var page = await browser.GetAsync("/dashboard/members");
        page.Html.ShouldNotContain("<option value=\"owner\""); // an admin may not grant it
        var token = FormToken(page);

        var invalid = await browser.PostAsync("/dashboard/members", ("_handler", "invite"), ("csrf", token), ("email", "not-an-email"), ("role", "member"));
        invalid.Status.ShouldBe(HttpStatusCode.BadRequest);
        invalid.Html.ShouldContain("id=\"email-error\"");
        invalid.Html.ShouldContain("value=\"not-an-email\"");

        var ownerInvite = await browser.PostAsync("/dashboard/members", ("_handler", "invite"), ("csrf", token), ("email", "boss@example.com"), ("role", "owner"));
        ownerInvite.Status.ShouldBe(HttpStatusCode.Forbidden);
        ownerInvite.Html.ShouldContain("Only an owner can invite an owner.");

        var invited = await browser.PostAsync("/dashboard/members", ("_handler", "invite"), ("csrf", token), ("email", "grace@example.com"), ("role", "viewer"));
        invited.Status.ShouldBe(HttpStatusCode.OK, invited.Html);
        var shown = SecretValue().Match(invited.Html).Groups["value"].Value;
        shown.ShouldStartWith("sbi_");
        invited.Html.ShouldContain("grace@example.com is invited as viewer");
        var listed = await api.GetJsonAsync("/api/v1/invitations");
        var invitation = listed["data"]!.AsArray().Single(i => i!["email"]!.GetValue<string>() == "grace@example.com")!;
        invitation["token"].ShouldBeNull();
        // Shown once: the next visit lists the invitation, not the token.
        var again = await browser.GetAsync("/dashboard/members");
        again.Html.ShouldContain("grace@example.com");
        again.Html.ShouldNotContain(shown);

        // The token works: the invited person joins with it (the API's accept-invitation).
        using var joiner = node.Client();
        var accepted = await joiner.PostAsync("/api/v1/auth/accept-invitation", new { token = shown, name = "Grace", password = Password });
        ((int)accepted.StatusCode).ShouldBeLessThan(300, await accepted.Content.ReadAsStringAsync());

        var second = await browser.PostAsync("/dashboard/members", ("_handler", "invite"), ("csrf", token), ("email", "hopper@example.com"), ("role", "member"));
        second.Status.ShouldBe(HttpStatusCode.OK);
        var pending = (await api.GetJsonAsync("/api/v1/invitations"))["data"]!.AsArray().Single(i => i!["email"]!.GetValue<string>() == "hopper@example.com")!;
        var revoked = await browser.PostAsync("/dashboard/members", ("_handler", "invitation"), ("csrf", token), ("invitation", pending["id"]!.GetValue<string>()));
        revoked.Status.ShouldBe(HttpStatusCode.OK, revoked.Html);
        revoked.Html.ShouldContain("The invitation was revoked");
        (await api.GetJsonAsync("/api/v1/invitations"))["data"]!.AsArray().Single(i => i!["email"]!.GetValue<string>() == "hopper@example.com")!["status"]!
            .GetValue<string>().ShouldNotBe("pending");
    }

    [Theory]
    [InlineData("viewer")]
    [InlineData("member")]
    public async Task OnlyOwnersAndAdminsReachThePageAsInTheApiAndAForgedPostChangesNothing(string role)
    {
        // members:read is a sensitive scope: *:read does not include it, so a viewer or a member is refused the list.
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        var someone = await NewMemberAsync(node, owner.OrganizationId, role);
        using var browser = await SignedInAsync(node, someone.Email);
        var overview = await browser.GetAsync("/dashboard");
        overview.Html.ShouldNotContain("href=\"/dashboard/members\"");
        var page = await browser.GetAsync("/dashboard/members");
        page.Status.ShouldBe(HttpStatusCode.Forbidden);
        page.Html.ShouldContain("members:read");
        page.Html.ShouldNotContain(owner.Email);

        var token = node.Services.GetRequiredService<FormTokens>().For(browser.Cookie("sb_session")!, "dashboard");
        var forged = await browser.PostAsync("/dashboard/members", ("_handler", "member"), ("csrf", token), ("remove", owner.UserId));
        forged.Status.ShouldBe(HttpStatusCode.Forbidden);
        forged.Html.ShouldContain("admin");
        (await api.GetJsonAsync("/api/v1/members"))["data"]!.AsArray().Count.ShouldBe(2);
    }

    [Fact]
    public async Task AnotherOrganizationsMemberIsNotFound()
    {
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        var (stranger, strangerApi) = await NewOrganizationAsync(node, "Stranger Co");
        using var __ = strangerApi;
        using var browser = await SignedInAsync(node, owner.Email);
        var token = FormToken(await browser.GetAsync("/dashboard/members"));
        var attempt = await browser.PostAsync("/dashboard/members", ("_handler", "member"), ("csrf", token), ("remove", stranger.UserId));
        attempt.Status.ShouldBe(HttpStatusCode.NotFound);
        (await strangerApi.GetJsonAsync("/api/v1/members"))["data"]!.AsArray().Single()!["userId"]!.GetValue<string>().ShouldBe(stranger.UserId);
        (await browser.GetAsync("/dashboard/members")).Html.ShouldNotContain(stranger.Email);
    }

    [GeneratedRegex("id=\"secret-value\" type=\"text\" readonly value=\"(?<value>[^\"]+)\"")]
    private static partial Regex SecretValue();
}

public sealed class DashboardMembersTestsOnSqlite(SqliteSwitchboard node) : DashboardMembersTests<SqliteSwitchboard>(node);
public sealed class DashboardMembersTestsOnPostgres(PostgresSwitchboard node) : DashboardMembersTests<PostgresSwitchboard>(node);
