using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.OAuth.Browser;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth;

/// <summary>The browser sign-in page and sign-out, through real form posts with a cookie jar.</summary>
public abstract class BrowserSignInTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private const string Password = "correct horse battery staple";

    private async Task<string> NewAccountAsync()
    {
        using var api = node.Client();
        var email = $"user-{Guid.NewGuid():N}@example.com";
        await api.SignupAsync(email, Password);
        return email;
    }

    private static async Task<bool> IsSignedInAsync(FormBrowser browser, string email) =>
        (await browser.GetAsync("/signin")).Html.Contains($"value=\"{email}\"", StringComparison.Ordinal);

    private async Task<BrowserSession> SessionRowAsync(string email)
    {
        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var userId = await db.Users.Where(u => u.NormalizedEmail == email).Select(u => u.Id).SingleAsync();
        return await db.Set<BrowserSession>().AsNoTracking().Where(s => s.UserId == userId).OrderByDescending(s => s.CreatedAt).FirstAsync();
    }

    [Fact]
    public async Task TheSignInPageCarriesTheSecurityHeadersAndAPreSessionCookieAndNoScript()
    {
        using var browser = new FormBrowser(node);
        var page = await browser.GetAsync("/signin?returnUrl=%2Fdashboard");
        page.Status.ShouldBe(HttpStatusCode.OK);
        page.Response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        BrowserHeaders.ShouldBeOnEveryPage(page.Response);
        page.Html.ShouldNotContain("<script", Case.Insensitive);
        page.FormAction("/signin").ShouldBe("/signin?returnUrl=%2Fdashboard");
        page.Hidden("csrf").Length.ShouldBe(43, "a base64url HMAC-SHA256");
        var cookie = page.SetCookies.Single(c => c.StartsWith("sb_signin=", StringComparison.Ordinal));
        cookie.ShouldContain("httponly", Case.Insensitive);
        cookie.ShouldContain("samesite=lax", Case.Insensitive);
        cookie.ShouldContain("path=/", Case.Insensitive);
        cookie.ShouldNotContain("secure", Case.Insensitive); // plain http here; https gets __Host- and Secure (HttpsCookieTests)
        cookie.ShouldNotContain("expires", Case.Insensitive);

        // The stylesheets it links are served, and are the only resources it loads.
        foreach (var sheet in new[] { Switchboard.Developers.PortalLayout.StylesheetPath, BrowserPage.StylesheetPath })
        {
            page.Html.ShouldContain($"href=\"{sheet}\"");
            (await browser.Http.GetAsync(sheet)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task TheRightPasswordStartsASessionAndAnswers303ToTheReturnUrl()
    {
        var email = await NewAccountAsync();
        using var browser = new FormBrowser(node);
        var answer = await browser.SignInAsync(email, Password, "/oauth/consent?request=abc&x=1");

        answer.Status.ShouldBe(HttpStatusCode.SeeOther);
        answer.Location.ShouldBe("/oauth/consent?request=abc&x=1");
        BrowserHeaders.ShouldBeOnEveryPage(answer.Response);
        var cookie = answer.SetCookies.Single(c => c.StartsWith("sb_session=", StringComparison.Ordinal));
        cookie.ShouldContain("httponly", Case.Insensitive);
        cookie.ShouldContain("samesite=lax", Case.Insensitive);
        cookie.ShouldContain("path=/", Case.Insensitive);
        var token = browser.Cookie("sb_session")!;
        token.Length.ShouldBe(43);

        (await IsSignedInAsync(browser, email)).ShouldBeTrue();
        var row = await SessionRowAsync(email);
        row.TokenHash.ShouldBe(Switchboard.Platform.Security.SecretHash.Sha256Hex(token));
        row.TokenHash.ShouldNotContain(token);
        row.RevokedAt.ShouldBeNull();
        (row.ExpiresAt - row.CreatedAt).ShouldBe(TimeSpan.FromHours(12));
        await using (var scope = node.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            var login = await db.AuditLogs.IgnoreQueryFilters().AsNoTracking()
                .SingleAsync(a => a.ActorId == row.UserId && a.Action == "auth.login" && a.Details != null);
            login.Details.ShouldBe("{\"via\":\"browser\"}");
        }

        // Signing in again replaces the session: the old token no longer signs anyone in.
        var again = await browser.SignInAsync(email, Password);
        again.Status.ShouldBe(HttpStatusCode.SeeOther);
        again.Location.ShouldBe("/");
        browser.Cookie("sb_session").ShouldNotBe(token);
        using var stale = new FormBrowser(node);
        stale.Cookies.Add(stale.Origin, new Cookie("sb_session", token));
        (await IsSignedInAsync(stale, email)).ShouldBeFalse();
    }

    [Fact]
    public async Task AnUnknownEmailAndAWrongPasswordGetTheSameAnswer()
    {
        var email = await NewAccountAsync();
        using var browser = new FormBrowser(node);
        var wrongPassword = await browser.SignInAsync(email, "not the password at all");
        var unknownEmail = await browser.SignInAsync($"nobody-{Guid.NewGuid():N}@example.com", "not the password at all");

        foreach (var answer in new[] { wrongPassword, unknownEmail })
        {
            answer.Status.ShouldBe(HttpStatusCode.BadRequest);
            answer.Html.ShouldContain("The email or password is incorrect.");
            answer.SetCookies.ShouldNotContain(c => c.StartsWith("sb_session=", StringComparison.Ordinal));
            BrowserHeaders.ShouldBeOnEveryPage(answer.Response);
        }
        // Apart from the email typed back into the box, the two pages are the same.
        wrongPassword.Html.Replace(email, "E", StringComparison.Ordinal)
            .ShouldBe(unknownEmail.Html.Replace(System.Text.RegularExpressions.Regex.Match(unknownEmail.Html, "nobody-[0-9a-f]+@example.com").Value, "E", StringComparison.Ordinal));
        browser.Cookie("sb_session").ShouldBeNull();
    }

    [Fact]
    public async Task AMissingOrWrongFormTokenIsRefusedWith400AndSignsNobodyIn()
    {
        var email = await NewAccountAsync();
        using var browser = new FormBrowser(node);
        var form = await browser.GetAsync("/signin");
        using var other = new FormBrowser(node);
        var othersToken = (await other.GetAsync("/signin")).Hidden("csrf"); // valid, but bound to the other browser's cookie

        var attempts = new[]
        {
            await browser.PostAsync("/signin", ("email", email), ("password", Password)),
            await browser.PostAsync("/signin", ("csrf", "AAAA" + form.Hidden("csrf")[4..]), ("email", email), ("password", Password)),
            await browser.PostAsync("/signin", ("csrf", othersToken), ("email", email), ("password", Password)),
            await browser.PostAsync("/signin", ("csrf", "%%%"), ("email", email), ("password", Password)),
        };
        foreach (var answer in attempts)
        {
            answer.Status.ShouldBe(HttpStatusCode.BadRequest);
            answer.Html.ShouldContain("This form expired or was sent from another site.");
        }
        browser.Cookie("sb_session").ShouldBeNull();

        // Without the pre-session cookie (a cross-site form cannot set it) even the page's own token is refused.
        using var cookieless = new FormBrowser(node);
        var noCookie = await cookieless.PostAsync("/signin", ("csrf", form.Hidden("csrf")), ("email", email), ("password", Password));
        noCookie.Status.ShouldBe(HttpStatusCode.BadRequest);
        cookieless.Cookie("sb_session").ShouldBeNull();

        // Not a form at all.
        var json = await browser.Http.PostAsync("/signin", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        json.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task FailuresAreThrottledLikeTheLoginApiWithTheTimeToWait()
    {
        var email = await NewAccountAsync();
        using var browser = new FormBrowser(node);
        for (var i = 0; i < 5; i++)
            (await browser.SignInAsync(email, "wrong password " + i)).Status.ShouldBe(HttpStatusCode.BadRequest);

        var locked = await browser.SignInAsync(email, Password); // even the right password, while locked
        locked.Status.ShouldBe(HttpStatusCode.TooManyRequests);
        var wait = int.Parse(locked.Response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        wait.ShouldBeInRange(1, 30);
        locked.Html.ShouldContain("Too many failed sign-in attempts. Try again in ");
        locked.Html.ShouldContain(wait == 1 ? "1 second" : $"{wait} seconds");
        browser.Cookie("sb_session").ShouldBeNull();

        // One throttle: the login API refuses the same account now too.
        using var api = node.Client();
        var login = await api.PostAsync("/api/v1/auth/login", new { email, password = Password });
        login.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
    }

    [Theory]
    [InlineData("https://evil.example/")]
    [InlineData("//evil.example/x")]
    [InlineData("/\\evil.example")]
    [InlineData("/\t/evil.example")]
    [InlineData("javascript:alert(1)")]
    [InlineData("evil.example")]
    [InlineData("http:/evil.example")]
    [InlineData("")]
    public async Task AReturnUrlThatIsNotALocalPathSendsTheBrowserToTheRoot(string returnUrl)
    {
        var email = await NewAccountAsync();
        using var browser = new FormBrowser(node);
        var form = await browser.GetAsync("/signin?returnUrl=" + Uri.EscapeDataString(returnUrl));
        form.FormAction("/signin").ShouldBe("/signin?returnUrl=%2F");
        // Posted straight to the address, without the page's rewriting, it still goes nowhere but "/".
        var answer = await browser.PostAsync("/signin?returnUrl=" + Uri.EscapeDataString(returnUrl),
            ("csrf", form.Hidden("csrf")), ("email", email), ("password", Password));
        answer.Status.ShouldBe(HttpStatusCode.SeeOther);
        answer.Location.ShouldBe("/");
    }

    [Fact]
    public async Task SignOutNeedsItsFormTokenAndEndsTheSession()
    {
        var email = await NewAccountAsync();
        using var browser = new FormBrowser(node);
        (await browser.SignInAsync(email, Password)).Status.ShouldBe(HttpStatusCode.SeeOther);
        var token = browser.Cookie("sb_session")!;

        var forged = await browser.PostAsync("/signout");
        forged.Status.ShouldBe(HttpStatusCode.BadRequest);
        BrowserHeaders.ShouldBeOnEveryPage(forged.Response);
        var signInToken = await browser.PostAsync("/signout", ("csrf", (await browser.GetAsync("/signin")).Hidden("csrf")));
        signInToken.Status.ShouldBe(HttpStatusCode.BadRequest, "a sign-in form's token is not a sign-out token");
        (await IsSignedInAsync(browser, email)).ShouldBeTrue();

        var tokens = node.Services.GetRequiredService<FormTokens>();
        var signedOut = await browser.PostAsync("/signout", ("csrf", tokens.For(token, SignInPages.SignOutPurpose)));
        signedOut.Status.ShouldBe(HttpStatusCode.SeeOther);
        signedOut.Location.ShouldBe("/signin");
        browser.Cookie("sb_session").ShouldBeNull();
        (await SessionRowAsync(email)).RevokedAt.ShouldNotBeNull();

        using var replay = new FormBrowser(node);
        replay.Cookies.Add(replay.Origin, new Cookie("sb_session", token));
        (await IsSignedInAsync(replay, email)).ShouldBeFalse();
    }

    [Fact]
    public async Task AChangedPasswordEndsTheSession()
    {
        var email = await NewAccountAsync();
        using var browser = new FormBrowser(node);
        await browser.SignInAsync(email, Password);
        (await IsSignedInAsync(browser, email)).ShouldBeTrue();

        await using (var scope = node.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            var hasher = scope.ServiceProvider.GetRequiredService<Switchboard.Identity.PasswordHasher>();
            var user = await db.Users.SingleAsync(u => u.NormalizedEmail == email);
            user.PasswordHash = hasher.Hash("a brand new password");
            await db.SaveChangesAsync();
        }
        (await IsSignedInAsync(browser, email)).ShouldBeFalse();
        (await SessionRowAsync(email)).RevokedAt.ShouldNotBeNull();
        (await browser.SignInAsync(email, "a brand new password")).Status.ShouldBe(HttpStatusCode.SeeOther);
        (await IsSignedInAsync(browser, email)).ShouldBeTrue();
    }

    [Fact]
    public async Task AUserInvalidationEndsTheSessionInTheDatabaseWhenTheFeedReadsIt()
    {
        var email = await NewAccountAsync();
        using var browser = new FormBrowser(node);
        await browser.SignInAsync(email, Password);
        (await IsSignedInAsync(browser, email)).ShouldBeTrue();

        // Written as another node writes it: a row in the feed, not applied to this node's memory.
        await using (var scope = node.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            var userId = await db.Users.Where(u => u.NormalizedEmail == email).Select(u => u.Id).SingleAsync();
            AuthInvalidationFeed.Stage(db, InvalidationKinds.User, userId, node.Clock);
            await db.SaveChangesAsync();
        }
        var started = DateTime.UtcNow;
        while ((await SessionRowAsync(email)).RevokedAt is null && DateTime.UtcNow - started < TimeSpan.FromSeconds(10))
            await Task.Delay(100);
        (await SessionRowAsync(email)).RevokedAt.ShouldNotBeNull("the feed's poll ends the session in the database");
        (await IsSignedInAsync(browser, email)).ShouldBeFalse();

        // A sign-in after the invalidation is not affected by it.
        await Task.Delay(20);
        (await browser.SignInAsync(email, Password)).Status.ShouldBe(HttpStatusCode.SeeOther);
        (await IsSignedInAsync(browser, email)).ShouldBeTrue();
    }
}

public sealed class BrowserSignInTestsOnSqlite(SqliteSwitchboard node) : BrowserSignInTests<SqliteSwitchboard>(node);
public sealed class BrowserSignInTestsOnPostgres(PostgresSwitchboard node) : BrowserSignInTests<PostgresSwitchboard>(node);

/// <summary>What every browser page and redirect must carry.</summary>
public static class BrowserHeaders
{
    public static void ShouldBeOnEveryPage(HttpResponseMessage response)
    {
        var csp = string.Join(",", response.Headers.GetValues("Content-Security-Policy"));
        csp.ShouldContain("frame-ancestors 'none'");
        csp.ShouldContain("default-src 'none'");
        csp.ShouldContain("script-src 'none'");
        response.Headers.GetValues("X-Frame-Options").Single().ShouldBe("DENY");
        response.Headers.GetValues("Referrer-Policy").Single().ShouldBe("no-referrer");
        response.Headers.CacheControl!.NoStore.ShouldBeTrue();
    }
}

public sealed class LocalReturnUrlTests
{
    [Theory]
    [InlineData("/", "/")]
    [InlineData("/dashboard", "/dashboard")]
    [InlineData("/oauth/consent?request=par_1&org=org_2", "/oauth/consent?request=par_1&org=org_2")]
    [InlineData("/a%2F%2Fb", "/a%2F%2Fb")]
    [InlineData(null, "/")]
    [InlineData("", "/")]
    [InlineData("dashboard", "/")]
    [InlineData("//evil.example", "/")]
    [InlineData("/\\evil.example", "/")]
    [InlineData("/x\\y", "/")]
    [InlineData("https://evil.example", "/")]
    [InlineData("javascript:alert(1)", "/")]
    [InlineData("/\t/evil.example", "/")]
    [InlineData("/\n/evil.example", "/")]
    [InlineData("/ /evil.example", "/")]
    [InlineData("/caf\u00e9", "/")]
    public void OnlyALocalPathIsKept(string? candidate, string expected) => LocalReturnUrl.Sanitize(candidate).ShouldBe(expected);
}
