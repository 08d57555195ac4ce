using System.Net;
using Switchboard.Dashboard.Components.Pages;
using Switchboard.Tests.Infrastructure;
using static Switchboard.Tests.Dashboard.DashboardTestSupport;

namespace Switchboard.Tests.Dashboard;

/// <summary>The audit log page (<c>/dashboard/audit-log</c>): filters kept in the URL, paging, the API's checks.</summary>
public abstract class DashboardAuditLogTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    [Fact]
    public void ThePageAsksTheScopeOfTheAuditOperation() =>
        AuditLogPage.ReadScope.ShouldBe(Switchboard.Audit.AuditLogResource.Declaration.ReadScope);

    [Fact]
    public async Task AnOwnerFiltersAndSearchesTheEventsAndPagesBack()
    {
        var (owner, api) = await NewOrganizationAsync(node, "Audit Page Org");
        using var _ = api;
        var keyIds = new List<string>();
        for (var i = 0; i < 3; i++) keyIds.Add((await api.CreateKeyAsync("contacts:read"))["id"]!.GetValue<string>());
        (await api.DeleteAsync($"/api/v1/api-keys/{keyIds[0]}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        using var browser = await SignedInAsync(node, owner.Email);

        var all = await browser.GetAsync("/dashboard/audit-log");
        all.Status.ShouldBe(HttpStatusCode.OK, all.Html);
        all.Html.ShouldContain("<code>api_key.revoked</code>");
        all.Html.ShouldContain(owner.Email); // the actor by email
        all.Html.ShouldContain($"href=\"/dashboard/audit-log?targetId={keyIds[0]}\"");

        var searched = await browser.GetAsync("/dashboard/audit-log?q=revoked");
        searched.Html.ShouldContain("<code>api_key.revoked</code>");
        searched.Html.ShouldNotContain("<code>api_key.created</code>");
        searched.Html.ShouldContain("value=\"revoked\"");

        var byTarget = await browser.GetAsync($"/dashboard/audit-log?targetId={keyIds[0]}");
        byTarget.Html.ShouldContain("<code>api_key.revoked</code>");
        byTarget.Html.ShouldContain("<code>api_key.created</code>");
        byTarget.Html.ShouldNotContain(keyIds[1]);

        // Keyset paging keeps the filters: two a page, three creations.
        var first = await browser.GetAsync("/dashboard/audit-log?action=api_key.created&limit=2");
        var older = System.Text.RegularExpressions.Regex.Match(first.Html, "<a href=\"(?<href>[^\"]+)\" id=\"older-events\"").Groups["href"].Value;
        older.ShouldStartWith("/dashboard/audit-log?action=api_key.created&");
        older.ShouldContain("cursor=");
        var second = await browser.GetAsync(System.Net.WebUtility.HtmlDecode(older));
        second.Status.ShouldBe(HttpStatusCode.OK);
        second.Html.ShouldContain(keyIds[0]);
        second.Html.ShouldNotContain("id=\"older-events\"");

        var empty = await browser.GetAsync("/dashboard/audit-log?action=nothing.happened");
        empty.Html.ShouldContain("No event matches these filters.");
    }

    [Fact]
    public async Task ABadFilterIsExplainedWith400()
    {
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        using var browser = await SignedInAsync(node, owner.Email);
        var page = await browser.GetAsync("/dashboard/audit-log?createdAfter=last-tuesday");
        page.Status.ShouldBe(HttpStatusCode.BadRequest);
        page.Html.ShouldContain("createdAfter: Must be an ISO 8601 timestamp.");
        (await browser.GetAsync("/dashboard/audit-log?cursor=garbage")).Status.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task AMemberIsRefusedAndAnotherOrganizationsEventsNeverShow()
    {
        var (owner, api) = await NewOrganizationAsync(node, "Audit Owner Org");
        using var _ = api;
        var (stranger, strangerApi) = await NewOrganizationAsync(node, "Audit Stranger Org");
        using var __ = strangerApi;
        var strangerKey = await strangerApi.CreateKeyAsync("contacts:read");

        var member = await NewMemberAsync(node, owner.OrganizationId, "member");
        using (var memberBrowser = await SignedInAsync(node, member.Email))
        {
            var refused = await memberBrowser.GetAsync("/dashboard/audit-log");
            refused.Status.ShouldBe(HttpStatusCode.Forbidden);
            refused.Html.ShouldContain("audit_logs:read");
        }
        using var browser = await SignedInAsync(node, owner.Email);
        var page = await browser.GetAsync($"/dashboard/audit-log?q={strangerKey["id"]}");
        page.Status.ShouldBe(HttpStatusCode.OK);
        page.Html.ShouldContain("No event matches these filters.");
        page.Html.ShouldNotContain(stranger.Email);
    }
}

public sealed class DashboardAuditLogTestsOnSqlite(SqliteSwitchboard node) : DashboardAuditLogTests<SqliteSwitchboard>(node);
public sealed class DashboardAuditLogTestsOnPostgres(PostgresSwitchboard node) : DashboardAuditLogTests<PostgresSwitchboard>(node);
