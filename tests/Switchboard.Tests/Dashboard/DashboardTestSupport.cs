using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.OAuth;

namespace Switchboard.Tests.Dashboard;

/// <summary>Members and signed-in browsers for the dashboard tests, made through the API and the sign-in page.</summary>
public static class DashboardTestSupport
{
    public const string Password = ConsentTestSupport.Password;

    /// <summary>A new organization with its owner; the owner's API client is signed in.</summary>
    public static async Task<(ConsentTestSupport.Account Owner, ApiClient Api)> NewOrganizationAsync(SwitchboardFactory node, string name = "Acme Corporation")
    {
        var api = node.Client();
        var email = $"owner-{Guid.NewGuid():N}@example.com";
        await api.SignupAsync(email, Password, name);
        return (new ConsentTestSupport.Account(email, api.UserId!, api.OrganizationId!), api);
    }

    /// <summary>A user of their own organization who joins <paramref name="organizationId"/> with <paramref name="role"/> and sees it first.</summary>
    public static async Task<ConsentTestSupport.Account> NewMemberAsync(SwitchboardFactory node, string organizationId, string role)
    {
        var account = await ConsentTestSupport.NewAccountAsync(node, "Elsewhere Ltd");
        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        // The dashboard shows the first organization joined: make the shared one the member's first.
        var own = await db.Memberships.IgnoreQueryFilters().SingleAsync(m => m.UserId == account.UserId);
        db.Memberships.Remove(own);
        db.Memberships.Add(new Switchboard.Identity.Membership
        {
            Id = Switchboard.Platform.Ids.New("mem"), OrganizationId = organizationId, UserId = account.UserId, Role = role, CreatedAt = DateTime.UtcNow.AddDays(-1), UpdatedAt = DateTime.UtcNow,
        });
        await db.SaveChangesAsync();
        return account with { OrganizationId = organizationId };
    }

    /// <summary>A browser reduced to HTTP, signed in as <paramref name="email"/>.</summary>
    public static async Task<FormBrowser> SignedInAsync(SwitchboardFactory node, string email)
    {
        var browser = new FormBrowser(node);
        var answer = await browser.SignInAsync(email, Password, "/dashboard");
        answer.Status.ShouldBe(HttpStatusCode.SeeOther, answer.Html);
        answer.Location.ShouldBe("/dashboard");
        return browser;
    }

    /// <summary>The form token of the page's own forms (in its main part; the side bar's sign-out form has its own).</summary>
    public static string FormToken(FormBrowser.Page page)
    {
        var main = page.Html.IndexOf("<main", StringComparison.Ordinal);
        main.ShouldBeGreaterThan(0, page.Html);
        var match = System.Text.RegularExpressions.Regex.Match(page.Html[main..], "<input type=\"hidden\" name=\"csrf\" value=\"(?<value>[^\"]+)\"");
        match.Success.ShouldBeTrue(page.Html);
        return match.Groups["value"].Value;
    }

    public static async Task<int> KeyCountAsync(SwitchboardFactory node, string organizationId)
    {
        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        return await db.ApiKeys.IgnoreQueryFilters().CountAsync(k => k.OrganizationId == organizationId);
    }
}
