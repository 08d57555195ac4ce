using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.OAuth.Browser;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.OAuth;
using static Switchboard.Tests.Dashboard.DashboardTestSupport;

namespace Switchboard.Tests.Dashboard;

/// <summary>
/// The dashboard over plain HTTP: who gets in, which headers every page carries, which forms a role is shown, and that
/// the server, not the page, decides what a member may do (forged and cross-site posts change nothing).
/// </summary>
public abstract class DashboardPagesTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    [Theory]
    [InlineData("/dashboard")]
    [InlineData("/dashboard/api-keys")]
    [InlineData("/dashboard/api-keys/key_01JD4V2Q8M3ZC5X7T9W1E6R0YB?days=7")]
    public async Task AnAnonymousVisitorIsSentToSignInWithTheWayBack(string path)
    {
        using var browser = new FormBrowser(node);
        var page = await browser.GetAsync(path);
        page.Status.ShouldBe(HttpStatusCode.SeeOther);
        page.Location.ShouldBe("/signin?returnUrl=" + Uri.EscapeDataString(path));
        page.Response.Headers.CacheControl!.NoStore.ShouldBeTrue();

        // Signing in there comes back to the page asked for.
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        var signIn = await browser.SignInAsync(owner.Email, Password, path);
        signIn.Location.ShouldBe(path);
    }

    [Fact]
    public async Task TheRootLinksTheDashboardTheReferenceAndThePortalToAnyone()
    {
        using var browser = new FormBrowser(node);
        var page = await browser.GetAsync("/");
        page.Status.ShouldBe(HttpStatusCode.OK);
        page.Response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        page.Html.ShouldContain("href=\"/dashboard\"");
        page.Html.ShouldContain("href=\"/api/docs\"");
        page.Html.ShouldContain("href=\"/developers\"");
        (await browser.PostAsync("/", ("x", "y"))).Status.ShouldBe(HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task EveryPageCarriesTheBrowserPagesSecurityHeaders()
    {
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        using var browser = await SignedInAsync(node, owner.Email);
        foreach (var path in new[] { "/", "/dashboard", "/dashboard/api-keys" })
        {
            var page = await browser.GetAsync(path);
            page.Status.ShouldBe(HttpStatusCode.OK, path);
            var headers = page.Response.Headers;
            var csp = headers.GetValues("Content-Security-Policy").Single();
            csp.ShouldContain("frame-ancestors 'none'");
            csp.ShouldContain("script-src 'self'");
            csp.ShouldContain("style-src 'self'");
            headers.GetValues("X-Frame-Options").Single().ShouldBe("DENY");
            headers.GetValues("Referrer-Policy").Single().ShouldBe("no-referrer");
            headers.CacheControl!.NoStore.ShouldBeTrue();
            headers.Contains("ETag").ShouldBeFalse(path);
        }
    }

    [Fact]
    public async Task TheOverviewShowsTheOrganizationAndItsFigures()
    {
        var (owner, api) = await NewOrganizationAsync(node, "Initech Overview");
        using var _ = api;
        await api.CreateKeyAsync("contacts:read");
        using var browser = await SignedInAsync(node, owner.Email);
        var page = await browser.GetAsync("/dashboard");
        page.Status.ShouldBe(HttpStatusCode.OK, string.Join("\n", node.Logs.Lines.Where(l => l.Contains("Exception", StringComparison.Ordinal)).Take(3)));
        page.Html.ShouldContain("Initech Overview");
        page.Html.ShouldContain(owner.Email);
        page.Html.ShouldContain("<li><span>Active API keys</span> <strong>1</strong></li>");
        page.Html.ShouldContain("Integrations by status");
        page.Html.ShouldContain("Plan and daily quota");
        page.Html.ShouldContain("action=\"/signout?returnUrl=");
    }

    [Fact]
    public async Task AViewerSeesNoWriteControlsAndAForgedPostIsRefused()
    {
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        var key = await api.CreateKeyAsync("contacts:read");
        var viewer = await NewMemberAsync(node, owner.OrganizationId, "viewer");
        using var browser = await SignedInAsync(node, viewer.Email);

        var list = await browser.GetAsync("/dashboard/api-keys");
        list.Status.ShouldBe(HttpStatusCode.OK);
        list.Html.ShouldContain(key["keyPrefix"]!.GetValue<string>());
        list.Html.ShouldNotContain("Create a key");
        list.Html.ShouldNotContain("_handler");
        var detail = await browser.GetAsync($"/dashboard/api-keys/{key["id"]}");
        detail.Status.ShouldBe(HttpStatusCode.OK);
        detail.Html.ShouldNotContain("Rotate key");
        detail.Html.ShouldNotContain("Revoke key");

        // A valid form token of the viewer's session (the pages give a viewer none): still refused, by role, and nothing
        // is created, rotated or revoked.
        var token = node.Services.GetRequiredService<FormTokens>().For(browser.Cookie("sb_session")!, "dashboard");
        var before = await KeyCountAsync(node, owner.OrganizationId);
        var forged = await browser.PostAsync("/dashboard/api-keys", ("_handler", "create-key"), ("csrf", token), ("name", "forged"), ("scopes", "*:read"));
        forged.Status.ShouldBe(HttpStatusCode.Forbidden, forged.Html);
        forged.Html.ShouldContain("api_keys:write");
        (await browser.PostAsync($"/dashboard/api-keys/{key["id"]}", ("_handler", "revoke"), ("csrf", token))).Status.ShouldBe(HttpStatusCode.Forbidden);
        (await KeyCountAsync(node, owner.OrganizationId)).ShouldBe(before);
        // OAuth apps are for owners and admins only (oauth_apps:read is not in *:read), in the API and here.
        (await browser.GetAsync("/dashboard/oauth-apps")).Status.ShouldBe(HttpStatusCode.Forbidden);
        (await browser.PostAsync("/dashboard/oauth-apps", ("_handler", "register-app"), ("csrf", token), ("name", "forged"), ("type", "public"),
            ("redirectUris", "https://evil.example/cb"), ("scopes", "contacts:read"))).Status.ShouldBe(HttpStatusCode.Forbidden);
        (await api.GetJsonAsync($"/api/v1/api-keys/{key["id"]}"))["status"]!.GetValue<string>().ShouldBe("active");
    }

    [Fact]
    public async Task AMemberOfSeveralOrganizationsSwitchesBetweenThemAndOnlyToTheirOwn()
    {
        var (owner, api) = await NewOrganizationAsync(node, "Acme Corporation");
        using var _ = api;
        var (other, otherApi) = await NewOrganizationAsync(node, "Globex Sales");
        using var __ = otherApi;
        var (stranger, strangerApi) = await NewOrganizationAsync(node, "Umbrella");
        using var ___ = strangerApi;
        await ConsentTestSupport.JoinAsync(node, owner.UserId, other.OrganizationId, "viewer");
        using var browser = await SignedInAsync(node, owner.Email);

        var first = await browser.GetAsync("/dashboard");
        first.Html.ShouldContain("<strong>Acme Corporation</strong>");
        first.Html.ShouldContain("Switch organization");
        var token = FormToken(await browser.GetAsync("/dashboard/organization"));

        var refused = await browser.PostAsync("/dashboard/organization", ("_handler", "switch-organization"), ("csrf", token), ("org", stranger.OrganizationId));
        refused.Status.ShouldBe(HttpStatusCode.BadRequest);
        (await browser.GetAsync("/dashboard")).Html.ShouldContain("<strong>Acme Corporation</strong>");

        var switched = await browser.PostAsync("/dashboard/organization", ("_handler", "switch-organization"), ("csrf", token), ("org", other.OrganizationId));
        ((int)switched.Status).ShouldBeInRange(300, 399);
        switched.Location.ShouldEndWith("/dashboard");
        var now = await browser.GetAsync("/dashboard");
        now.Html.ShouldContain("<strong>Globex Sales</strong>");
        now.Html.ShouldContain("Your role: viewer");
        // The role there, not the one at home, decides: a viewer of Globex cannot create its keys.
        (await browser.GetAsync("/dashboard/api-keys")).Html.ShouldNotContain("Create a key");
    }

    [Fact]
    public async Task APostWithoutTheFormTokenOfThisSessionChangesNothing()
    {
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        using var browser = await SignedInAsync(node, owner.Email);
        using var other = await SignedInAsync(node, owner.Email); // another browser of the same user: another session, another token
        var theirs = FormToken(await other.GetAsync("/dashboard/api-keys"));

        foreach (var csrf in new[] { "", "not-a-token", theirs })
        {
            var answer = await browser.PostAsync("/dashboard/api-keys", ("_handler", "create-key"), ("csrf", csrf), ("name", "cross-site"), ("scopes", "*:read"));
            answer.Status.ShouldBe(HttpStatusCode.BadRequest, csrf);
        }
        (await KeyCountAsync(node, owner.OrganizationId)).ShouldBe(0);
    }

    [Fact]
    public async Task AnOwnerCreatesAKeyThroughTheFormAndInvalidFieldsAreExplainedBesideThem()
    {
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        using var browser = await SignedInAsync(node, owner.Email);
        var token = FormToken(await browser.GetAsync("/dashboard/api-keys"));

        var invalid = await browser.PostAsync("/dashboard/api-keys", ("_handler", "create-key"), ("csrf", token), ("name", ""),
            ("allowedIps", "10.0.0.1/8"), ("rateLimitRequests", "many"));
        invalid.Status.ShouldBe(HttpStatusCode.BadRequest);
        invalid.Html.ShouldContain("id=\"rateLimit-error\"");
        var apiErrors = await browser.PostAsync("/dashboard/api-keys", ("_handler", "create-key"), ("csrf", token), ("name", ""), ("allowedIps", "10.0.0.0/8\n300.1.2.3"));
        apiErrors.Status.ShouldBe(HttpStatusCode.BadRequest);
        apiErrors.Html.ShouldContain("id=\"name-error\"");
        apiErrors.Html.ShouldContain("id=\"scopes-error\"");
        apiErrors.Html.ShouldContain("id=\"allowedIps-error\"");
        (await KeyCountAsync(node, owner.OrganizationId)).ShouldBe(0);

        var created = await browser.PostAsync("/dashboard/api-keys", ("_handler", "create-key"), ("csrf", token), ("name", "Billing sync"),
            ("scopes", "contacts:read"), ("scopes", "deals:write"), ("rateLimitRequests", "100"), ("rateLimitWindowSeconds", "60"), ("allowedIps", "127.0.0.1\n10.0.0.0/8"));
        created.Status.ShouldBe(HttpStatusCode.Created, created.Html);
        var secret = System.Text.RegularExpressions.Regex.Match(created.Html, "id=\"secret-value\" type=\"text\" readonly value=\"(?<key>sbk_[^\"]+)\"").Groups["key"].Value;
        secret.ShouldStartWith("sbk_");
        using var withKey = node.Client().WithApiKey(secret);
        (await withKey.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var listed = (await api.GetJsonAsync("/api/v1/api-keys"))["data"]!.AsArray().Single()!;
        listed["name"]!.GetValue<string>().ShouldBe("Billing sync");
        listed["allowedIps"]!.AsArray().Select(i => i!.GetValue<string>()).ShouldBe(["127.0.0.1/32", "10.0.0.0/8"], ignoreOrder: true);
        listed["rateLimit"]!["requests"]!.GetValue<int>().ShouldBe(100);

        // Shown once: the list afterwards has the prefix only.
        var again = await browser.GetAsync("/dashboard/api-keys");
        again.Html.ShouldNotContain(secret);
        again.Html.ShouldContain(listed["keyPrefix"]!.GetValue<string>());
    }
}

public sealed class DashboardPagesTestsOnSqlite(SqliteSwitchboard node) : DashboardPagesTests<SqliteSwitchboard>(node);
public sealed class DashboardPagesTestsOnPostgres(PostgresSwitchboard node) : DashboardPagesTests<PostgresSwitchboard>(node);
