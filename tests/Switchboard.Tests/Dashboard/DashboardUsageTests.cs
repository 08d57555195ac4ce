using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Dashboard.Components.Pages;
using Switchboard.Tests.Infrastructure;
using Switchboard.Usage;
using static Switchboard.Tests.Dashboard.DashboardTestSupport;

namespace Switchboard.Tests.Dashboard;

/// <summary>The usage page (<c>/dashboard/usage</c>) and its CSV download, over HTTP with a signed-in browser.</summary>
public abstract class DashboardUsageTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    private Task FlushAsync() => node.Services.GetRequiredService<UsageRecorder>().FlushAsync(CancellationToken.None);

    [Fact]
    public void ThePageAsksTheScopeOfTheUsageOperation() => UsagePage.ReadScope.ShouldBe(UsageResource.Declaration.ReadScope);

    [Fact]
    public async Task ThePageShowsTheFiguresTheApiAnswersWithKeyNamesAndAChart()
    {
        var (owner, api) = await NewOrganizationAsync(node, "Usage Page Org");
        using var _ = api;
        var key = await api.CreateKeyAsync(new { name = "Billing sync", scopes = new[] { "contacts:read" } });
        using var caller = node.Client().WithApiKey(key["key"]!.GetValue<string>());
        for (var i = 0; i < 6; i++) (await caller.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await caller.GetAsync("/api/v1/contacts/con_01JAAAAAAAAAAAAAAAAAAAAAAA")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        await FlushAsync();

        using var browser = await SignedInAsync(node, owner.Email);
        var page = await browser.GetAsync("/dashboard/usage");
        page.Status.ShouldBe(HttpStatusCode.OK, page.Html);
        page.Html.ShouldContain("Usage Page Org");
        // The key's line: its 7 requests, 1 refused (the owner's own requests, which the writer may store meanwhile, are not the key's).
        System.Text.RegularExpressions.Regex.IsMatch(page.Html,
            $"<a href=\"/dashboard/api-keys/{key["id"]}\">Billing sync</a></td>\\s*<td>7</td>\\s*<td>1</td>").ShouldBeTrue(page.Html);
        page.Html.ShouldContain("<code>GET /api/v1/contacts/{id}</code>");
        page.Html.ShouldContain("id=\"by-status\"");
        page.Html.ShouldContain("<svg class=\"chart\"");
        page.Html.ShouldContain("Latency p50");
        page.Html.ShouldContain("aria-current=\"page\">24 hours</a>");
        page.Html.ShouldContain("href=\"/dashboard/usage/export.csv?from=");
        // The navigation names the page.
        page.Html.ShouldContain("href=\"/dashboard/usage\"");
    }

    [Fact]
    public async Task APeriodOfMonthsIsDrawnByDay()
    {
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        using var browser = await SignedInAsync(node, owner.Email);
        var page = await browser.GetAsync("/dashboard/usage?days=90");
        page.Status.ShouldBe(HttpStatusCode.OK, page.Html);
        page.Html.ShouldContain("<h2>Requests by day</h2>");
        System.Text.RegularExpressions.Regex.Count(page.Html, "<text x=").ShouldBeLessThan(20);

        var custom = await browser.GetAsync("/dashboard/usage?from=2026-11-01T00:00&to=2026-11-03T12:00");
        custom.Status.ShouldBe(HttpStatusCode.OK, custom.Html);
        custom.Html.ShouldContain("from 2026-11-01 00:00 UTC to 2026-11-03 12:00 UTC");
        custom.Html.ShouldContain("<h2>Requests by hour</h2>");
        custom.Html.ShouldContain("value=\"2026-11-01T00:00\"");
        custom.Html.ShouldNotContain("aria-current=\"page\">24 hours");
    }

    [Theory]
    [InlineData("from=yesterday&to=2026-11-03T12:00", "Must be an ISO 8601 timestamp.")]
    [InlineData("from=2026-11-05T00:00&to=2026-11-03T12:00", "Must be before")]
    [InlineData("from=2020-11-05T00:00&to=2026-11-03T12:00", "at most 400 days")]
    public async Task ABadPeriodIsExplainedWith400(string query, string message)
    {
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        using var browser = await SignedInAsync(node, owner.Email);
        var page = await browser.GetAsync("/dashboard/usage?" + query);
        page.Status.ShouldBe(HttpStatusCode.BadRequest);
        page.Html.ShouldContain("id=\"period-problem\"");
        page.Html.ShouldContain(message);
        var csv = await browser.GetAsync("/dashboard/usage/export.csv?" + query);
        csv.Status.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task TheDownloadIsTheApisCsvForTheSignedInMembersOrganizationOnly()
    {
        var (owner, api) = await NewOrganizationAsync(node, "Csv Org");
        using var _ = api;
        var (stranger, strangerApi) = await NewOrganizationAsync(node, "Stranger Org");
        using var __ = strangerApi;
        var strangerKey = await strangerApi.CreateKeyAsync("contacts:read");
        using var strangerCaller = node.Client().WithApiKey(strangerKey["key"]!.GetValue<string>());
        (await strangerCaller.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await api.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await FlushAsync();

        var from = Uri.EscapeDataString(DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-ddTHH:mm:ssZ"));
        var viewer = await NewMemberAsync(node, owner.OrganizationId, "viewer");
        using var browser = await SignedInAsync(node, viewer.Email);
        var download = await browser.GetAsync($"/dashboard/usage/export.csv?from={from}");
        download.Status.ShouldBe(HttpStatusCode.OK, download.Html);
        download.Response.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        download.Response.Headers.CacheControl!.NoStore.ShouldBeTrue();
        download.Html.ShouldStartWith(string.Join(',', UsageApi.CsvColumns) + "\r\n");
        download.Html.ShouldContain(",GET,/api/v1/contacts/,200,");
        download.Html.ShouldContain(owner.UserId);
        download.Html.ShouldNotContain(strangerKey["id"]!.GetValue<string>());

        // The API answers the same lines for the same period.
        var fromApi = await (await api.GetAsync($"/api/v1/usage/export?from={from}&to={Uri.EscapeDataString(DateTime.UtcNow.AddMinutes(1).ToString("yyyy-MM-ddTHH:mm:ssZ"))}")).Content.ReadAsStringAsync();
        fromApi.Split("\r\n").Skip(1).Where(l => l.Contains("/api/v1/contacts/,200", StringComparison.Ordinal))
            .ShouldBe(download.Html.Split("\r\n").Skip(1).Where(l => l.Contains("/api/v1/contacts/,200", StringComparison.Ordinal)));

        // Without a session: to the sign-in page, not a file.
        using var anonymous = new Switchboard.Tests.OAuth.FormBrowser(node);
        var refused = await anonymous.GetAsync("/dashboard/usage/export.csv");
        refused.Status.ShouldBe(HttpStatusCode.SeeOther);
        refused.Location!.ShouldStartWith("/signin?returnUrl=");
        // A download takes no form.
        (await browser.PostAsync("/dashboard/usage/export.csv", ("csrf", "any"))).Status
            .ShouldBe(HttpStatusCode.MethodNotAllowed);
    }
}

public sealed class DashboardUsageTestsOnSqlite(SqliteSwitchboard node) : DashboardUsageTests<SqliteSwitchboard>(node);
public sealed class DashboardUsageTestsOnPostgres(PostgresSwitchboard node) : DashboardUsageTests<PostgresSwitchboard>(node);
