using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.OAuth;
using Switchboard.OAuth.Browser;
using Switchboard.Tests.Infrastructure;
using static Switchboard.Tests.OAuth.ConsentTestSupport;

namespace Switchboard.Tests.OAuth;

/// <summary>The consent page's rules, through real form posts: what it shows, what it grants, when it is skipped or refused.</summary>
public abstract class ConsentPageTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    // Loopback redirect URIs never receive anything here: these tests read the 303s' Location headers.
    private const string Redirect = "http://127.0.0.1:9/callback";

    private async Task<(Account User, OAuthApp App, FormBrowser Browser)> SignedInWithAppAsync(string[]? appScopes = null)
    {
        var user = await NewAccountAsync(node);
        var developer = await NewAccountAsync(node, "App Maker Ltd");
        var app = await CreateAppAsync(node, developer.OrganizationId, "Example CRM Sync", appScopes ?? ["contacts:write", "deals:read"], [Redirect],
            homepageUrl: "https://sync.example.com/about");
        var browser = new FormBrowser(node);
        (await browser.SignInAsync(user.Email, Password)).Status.ShouldBe(HttpStatusCode.SeeOther);
        return (user, app, browser);
    }

    private static async Task<FormBrowser.Page> AnswerAsync(FormBrowser browser, FormBrowser.Page page, string decision) =>
        await browser.PostAsync(page.FormAction("/oauth/consent"), ("csrf", page.Hidden("csrf")), ("org", page.Hidden("org")), ("decision", decision));

    [Fact]
    public async Task WithoutASignInTheConsentPageSendsTheUserToSignInAndBack()
    {
        var user = await NewAccountAsync(node);
        var app = await CreateAppAsync(node, user.OrganizationId, "Example CRM Sync", ["contacts:read"], [Redirect]);
        using var browser = new FormBrowser(node);
        var consent = await AuthorizeAsync(browser, app, Redirect, "contacts:read");

        var toSignIn = await browser.GetAsync(consent);
        toSignIn.Status.ShouldBe(HttpStatusCode.SeeOther);
        BrowserHeaders.ShouldBeOnEveryPage(toSignIn.Response);
        toSignIn.Location.ShouldStartWith("/signin?returnUrl=" + Uri.EscapeDataString(consent + "&auth="));

        var signInPage = await browser.GetAsync(toSignIn.Location!);
        // The sign-in form's 303 may lead through a remembered consent to the app: its form-action allows that origin.
        signInPage.Response.Headers.GetValues("Content-Security-Policy").Single().ShouldContain("form-action 'self' http://127.0.0.1:9;");
        var signedIn = await browser.PostAsync(signInPage.FormAction("/signin"), ("csrf", signInPage.Hidden("csrf")), ("email", user.Email), ("password", Password));
        signedIn.Status.ShouldBe(HttpStatusCode.SeeOther);
        signedIn.Location.ShouldStartWith(consent + "&auth=");

        var page = await browser.GetAsync(signedIn.Location!);
        page.Status.ShouldBe(HttpStatusCode.OK, page.Html);
        BrowserHeaders.ShouldBeOnEveryPage(page.Response);
        page.Response.Headers.GetValues("Content-Security-Policy").Single().ShouldContain("form-action 'self' http://127.0.0.1:9;");
        page.Html.ShouldNotContain("<script", Case.Insensitive);
        page.Html.ShouldContain("Allow Example CRM Sync to access Acme?");
        page.Html.ShouldContain("<strong>127.0.0.1:9</strong>");
        page.Html.ShouldContain("See your contacts");
        page.Html.ShouldContain("Signed in as " + user.Email);
    }

    [Fact]
    public async Task ThePageNamesTheAppItsHomeAndRedirectHostTheOrganizationAndEachScope()
    {
        var (user, app, browser) = await SignedInWithAppAsync();
        using var _ = browser;
        var page = await browser.GetAsync(await AuthorizeAsync(browser, app, Redirect, "contacts:write deals:read"));
        page.Status.ShouldBe(HttpStatusCode.OK);
        page.Html.ShouldContain("<strong>Example CRM Sync</strong>");
        page.Html.ShouldContain("href=\"https://sync.example.com/about\"");
        page.Html.ShouldContain("to access Acme?");
        page.Html.ShouldContain("See and change your contacts <code>contacts:write</code>");
        page.Html.ShouldContain("See your deals <code>deals:read</code>");
        page.Html.ShouldContain("value=\"allow\"");
        page.Html.ShouldContain("value=\"deny\"");
        page.Hidden("org").ShouldBe(user.OrganizationId);
    }

    [Fact]
    public async Task AllowRedirectsWithCodeStateAndIssAndTheRequestCannotBeAnsweredTwice()
    {
        var (user, app, browser) = await SignedInWithAppAsync();
        using var _ = browser;
        var consent = await AuthorizeAsync(browser, app, Redirect, "contacts:write", state: "xyz-state");
        var page = await browser.GetAsync(consent);
        var allowed = await AnswerAsync(browser, page, "allow");

        allowed.Status.ShouldBe(HttpStatusCode.SeeOther);
        BrowserHeaders.ShouldBeOnEveryPage(allowed.Response);
        allowed.Location.ShouldStartWith(Redirect + "?");
        var response = QueryOf(allowed.Location!);
        response["code"].Length.ShouldBeGreaterThan(40);
        response["state"].ShouldBe("xyz-state");
        response["iss"].ShouldBe(browser.Origin.GetLeftPart(UriPartial.Authority));
        var grant = (await GrantsAsync(node, user.UserId, app.Id)).Single();
        grant.OrganizationId.ShouldBe(user.OrganizationId);
        grant.Scopes.ShouldBe(["contacts:write"]);

        var again = await AnswerAsync(browser, page, "allow");
        again.Status.ShouldBe(HttpStatusCode.BadRequest);
        again.Html.ShouldContain("already answered");
        (await browser.GetAsync(consent)).Status.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task DenyRedirectsWithAccessDeniedAndGrantsNothing()
    {
        var (user, app, browser) = await SignedInWithAppAsync();
        using var _ = browser;
        var page = await browser.GetAsync(await AuthorizeAsync(browser, app, Redirect, "contacts:write", state: "s-deny"));
        var denied = await AnswerAsync(browser, page, "deny");
        denied.Status.ShouldBe(HttpStatusCode.SeeOther);
        var response = QueryOf(denied.Location!);
        response["error"].ShouldBe("access_denied");
        response["state"].ShouldBe("s-deny");
        response.ShouldContainKey("iss");
        response.ShouldNotContainKey("code");
        (await GrantsAsync(node, user.UserId, app.Id)).ShouldBeEmpty();
    }

    [Fact]
    public async Task AnAnswerWithoutItsFormTokenIsRefusedWith400AndTheRequestStaysOpen()
    {
        var (user, app, browser) = await SignedInWithAppAsync();
        using var _ = browser;
        var consent = await AuthorizeAsync(browser, app, Redirect, "contacts:write");
        var page = await browser.GetAsync(consent);
        var action = page.FormAction("/oauth/consent");

        // Another request's token (same session, other purpose) and a sign-out token are as good as none.
        var other = await browser.GetAsync(await AuthorizeAsync(browser, app, Redirect, "deals:read"));
        var tokens = node.Services.GetRequiredService<FormTokens>();
        var forged = new[]
        {
            await browser.PostAsync(action, ("org", user.OrganizationId), ("decision", "allow")),
            await browser.PostAsync(action, ("csrf", (page.Hidden("csrf")[0] == 'x' ? "y" : "x") + page.Hidden("csrf")[1..]), ("org", user.OrganizationId), ("decision", "allow")),
            await browser.PostAsync(action, ("csrf", other.Hidden("csrf")), ("org", user.OrganizationId), ("decision", "allow")),
            await browser.PostAsync(action, ("csrf", tokens.For(browser.Cookie("sb_session")!, SignInPages.SignOutPurpose)), ("org", user.OrganizationId), ("decision", "allow")),
        };
        foreach (var answer in forged)
        {
            answer.Status.ShouldBe(HttpStatusCode.BadRequest);
            answer.Location.ShouldBeNull();
            BrowserHeaders.ShouldBeOnEveryPage(answer.Response);
        }
        // Another browser's session cannot use this page's token either.
        using var attacker = new FormBrowser(node);
        var attackerAccount = await NewAccountAsync(node);
        await attacker.SignInAsync(attackerAccount.Email, Password);
        (await attacker.PostAsync(action, ("csrf", page.Hidden("csrf")), ("org", attackerAccount.OrganizationId), ("decision", "allow"))).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await GrantsAsync(node, user.UserId, app.Id)).ShouldBeEmpty();

        (await AnswerAsync(browser, page, "allow")).Location.ShouldStartWith(Redirect + "?code=");
    }

    [Fact]
    public async Task RememberedConsentSkipsThePageUnlessTheAppAsksForConsentAgain()
    {
        var (user, app, browser) = await SignedInWithAppAsync();
        using var _ = browser;
        await AnswerAsync(browser, await browser.GetAsync(await AuthorizeAsync(browser, app, Redirect, "contacts:write deals:read")), "allow");

        // A HEAD of the consent page (HEAD reaches every GET) does not answer the app: the request stays for the GET.
        var consentUrl = await AuthorizeAsync(browser, app, Redirect, "contacts:write", state: "second");
        using (var head = await browser.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, consentUrl)))
            head.StatusCode.ShouldBe(HttpStatusCode.OK);
        var skipped = await browser.GetAsync(consentUrl);
        skipped.Status.ShouldBe(HttpStatusCode.SeeOther);
        var response = QueryOf(skipped.Location!);
        response.ShouldContainKey("code");
        response["state"].ShouldBe("second");

        var asked = await browser.GetAsync(await AuthorizeAsync(browser, app, Redirect, "contacts:write", prompt: "consent"));
        asked.Status.ShouldBe(HttpStatusCode.OK);
        asked.Html.ShouldContain("value=\"allow\"");
        (await GrantsAsync(node, user.UserId, app.Id)).Count.ShouldBe(1, "one remembered grant, reused");
    }

    [Fact]
    public async Task WidenedScopesAskAgainAndMarkWhatIsNew()
    {
        var (user, app, browser) = await SignedInWithAppAsync();
        using var _ = browser;
        await AnswerAsync(browser, await browser.GetAsync(await AuthorizeAsync(browser, app, Redirect, "deals:read")), "allow");

        var page = await browser.GetAsync(await AuthorizeAsync(browser, app, Redirect, "deals:read contacts:write"));
        page.Status.ShouldBe(HttpStatusCode.OK, "contacts:write was never granted");
        page.Html.ShouldContain("See and change your contacts <code>contacts:write</code> <span class=\"state degraded\">new</span>");
        page.Html.ShouldNotContain("<code>deals:read</code> <span");
        (await AnswerAsync(browser, page, "allow")).Location.ShouldStartWith(Redirect + "?code=");
        (await GrantsAsync(node, user.UserId, app.Id)).Single().Scopes.Order().ShouldBe(["contacts:write", "deals:read"]);
    }

    [Fact]
    public async Task TheUsersRoleLimitsWhatIsGrantedAndThePageSaysWhatItDrops()
    {
        var viewer = await NewAccountAsync(node, "Viewer Home");
        var owner = await NewAccountAsync(node, "Shared Org");
        await JoinAsync(node, viewer.UserId, owner.OrganizationId, "viewer");
        var app = await CreateAppAsync(node, owner.OrganizationId, "Example CRM Sync", ["contacts:write", "deals:read"], [Redirect]);
        using var browser = new FormBrowser(node);
        await browser.SignInAsync(viewer.Email, Password);

        var consent = await AuthorizeAsync(browser, app, Redirect, "contacts:write deals:read");
        var page = await browser.GetAsync(consent + "&org=" + owner.OrganizationId);
        page.Status.ShouldBe(HttpStatusCode.OK);
        page.Html.ShouldContain("See your deals <code>deals:read</code>");
        page.Html.ShouldContain("not granted: your role in Shared Org (viewer) does not allow it.");
        page.Html.ShouldContain("<li>See and change your contacts <code>contacts:write</code></li>\n</ul></div>");

        (await AnswerAsync(browser, page, "allow")).Location.ShouldStartWith(Redirect + "?code=");
        var grant = (await GrantsAsync(node, viewer.UserId, app.Id)).Single();
        grant.OrganizationId.ShouldBe(owner.OrganizationId);
        grant.Scopes.ShouldBe(["deals:read"]);

        // Nothing the viewer may give: no Allow button at all.
        var writeOnly = await browser.GetAsync(await AuthorizeAsync(browser, app, Redirect, "contacts:write") + "&org=" + owner.OrganizationId);
        writeOnly.Html.ShouldContain("allows none of the access this app asks for");
        writeOnly.Html.ShouldNotContain("value=\"allow\"");
    }

    [Fact]
    public async Task AUserOfSeveralOrganizationsPicksOneAndCannotNameAnother()
    {
        var user = await NewAccountAsync(node, "First Org");
        var second = await NewAccountAsync(node, "Second Org");
        var stranger = await NewAccountAsync(node, "Stranger Org");
        await JoinAsync(node, user.UserId, second.OrganizationId, "member");
        var app = await CreateAppAsync(node, stranger.OrganizationId, "Example CRM Sync", ["contacts:read"], [Redirect]);
        using var browser = new FormBrowser(node);
        await browser.SignInAsync(user.Email, Password);

        var consent = await AuthorizeAsync(browser, app, Redirect, "contacts:read");
        var picker = await browser.GetAsync(consent);
        picker.Status.ShouldBe(HttpStatusCode.OK);
        picker.Html.ShouldContain("Choose an organization");
        picker.Html.ShouldContain("First Org <span class=\"role\">owner</span>");
        picker.Html.ShouldContain("Second Org <span class=\"role\">member</span>");
        picker.Html.ShouldNotContain("value=\"allow\"");

        var page = await browser.GetAsync(consent + "&org=" + second.OrganizationId);
        page.Html.ShouldContain("to access Second Org?");
        page.Html.ShouldContain("Choose another organization");
        (await browser.GetAsync(consent + "&org=" + stranger.OrganizationId)).Status.ShouldBe(HttpStatusCode.BadRequest);
        var forged = await browser.PostAsync(page.FormAction("/oauth/consent"), ("csrf", page.Hidden("csrf")), ("org", stranger.OrganizationId), ("decision", "allow"));
        forged.Status.ShouldBe(HttpStatusCode.BadRequest);

        (await AnswerAsync(browser, page, "allow")).Location.ShouldStartWith(Redirect + "?code=");
        (await GrantsAsync(node, user.UserId, app.Id)).Single().OrganizationId.ShouldBe(second.OrganizationId);

        // Remembered in exactly one of the two: the picker is skipped for it.
        var again = await browser.GetAsync(await AuthorizeAsync(browser, app, Redirect, "contacts:read"));
        again.Status.ShouldBe(HttpStatusCode.SeeOther);
        QueryOf(again.Location!).ShouldContainKey("code");
        (await browser.GetAsync(await AuthorizeAsync(browser, app, Redirect, "contacts:read", prompt: "select_account"))).Html.ShouldContain("Choose an organization");
    }

    [Fact]
    public async Task PromptNoneAnswersTheAppInsteadOfAskingTheUser()
    {
        var user = await NewAccountAsync(node);
        var app = await CreateAppAsync(node, user.OrganizationId, "Example CRM Sync", ["contacts:read"], [Redirect]);
        using var browser = new FormBrowser(node);

        var notSignedIn = await browser.GetAsync(await AuthorizeAsync(browser, app, Redirect, "contacts:read", state: "n1", prompt: "none"));
        notSignedIn.Status.ShouldBe(HttpStatusCode.SeeOther);
        QueryOf(notSignedIn.Location!)["error"].ShouldBe("login_required");
        QueryOf(notSignedIn.Location!)["state"].ShouldBe("n1");

        await browser.SignInAsync(user.Email, Password);
        var noConsent = await browser.GetAsync(await AuthorizeAsync(browser, app, Redirect, "contacts:read", prompt: "none"));
        QueryOf(noConsent.Location!)["error"].ShouldBe("consent_required");

        var page = await browser.GetAsync(await AuthorizeAsync(browser, app, Redirect, "contacts:read"));
        await AnswerAsync(browser, page, "allow");
        var silent = await browser.GetAsync(await AuthorizeAsync(browser, app, Redirect, "contacts:read", prompt: "none"));
        QueryOf(silent.Location!).ShouldContainKey("code");
    }

    [Fact]
    public async Task PromptLoginAndMaxAgeAskForTheCurrentPasswordAgain()
    {
        var (user, app, browser) = await SignedInWithAppAsync();
        using var _ = browser;
        foreach (var (prompt, maxAge) in new (string?, int?)[] { ("login", null), (null, 0) })
        {
            var consent = await AuthorizeAsync(browser, app, Redirect, "deals:read", prompt: prompt, maxAge: maxAge);
            await Task.Delay(5);
            var toSignIn = await browser.GetAsync(consent);
            toSignIn.Status.ShouldBe(HttpStatusCode.SeeOther, "signed in, but not freshly enough");
            toSignIn.Location.ShouldStartWith("/signin?returnUrl=");
            // Tampering with the stamp does not help.
            var back = Uri.UnescapeDataString(toSignIn.Location!["/signin?returnUrl=".Length..]);
            (await browser.GetAsync(back[..^3] + "AAA")).Location.ShouldStartWith("/signin?returnUrl=");

            var signedIn = await browser.SignInAsync(user.Email, Password, back);
            signedIn.Location.ShouldBe(back);
            var page = await browser.GetAsync(back);
            page.Status.ShouldBe(HttpStatusCode.OK, page.Html);
            page.Html.ShouldContain("value=\"allow\"");
        }
    }

    [Fact]
    public async Task AnUnknownOrAnsweredRequestGetsAnErrorPageNotARedirect()
    {
        var (_, app, browser) = await SignedInWithAppAsync();
        using var _ = browser;
        foreach (var path in new[] { "/oauth/consent", "/oauth/consent?request=azr_nonexistent", "/oauth/consent?request=" + new string('x', 500) })
        {
            var page = await browser.GetAsync(path);
            page.Status.ShouldBe(HttpStatusCode.BadRequest);
            page.Location.ShouldBeNull();
            page.Html.ShouldContain("This link has expired");
            BrowserHeaders.ShouldBeOnEveryPage(page.Response);
        }
    }
}

public sealed class ConsentPageTestsOnSqlite(SqliteSwitchboard node) : ConsentPageTests<SqliteSwitchboard>(node);
public sealed class ConsentPageTestsOnPostgres(PostgresSwitchboard node) : ConsentPageTests<PostgresSwitchboard>(node);
