using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.OAuth.Browser;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Platform;
using static Switchboard.Tests.OAuth.ConsentTestSupport;

namespace Switchboard.Tests.OAuth;

/// <summary>
/// The idle and absolute lifetimes of a browser sign-in, on a node of its own: the tests move its clock by hours.
/// </summary>
public abstract class BrowserSessionLifetimeTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private static async Task<bool> IsSignedInAsync(FormBrowser browser, string email) =>
        (await browser.GetAsync("/signin")).Html.Contains($"value=\"{email}\"", StringComparison.Ordinal);

    [Fact]
    public async Task ASessionEndsAfterThirtyIdleMinutesAndAfterTwelveHoursHoweverActive()
    {
        // Idle: 29 minutes between requests keep it; 31 end it.
        var idle = await NewAccountAsync(node);
        using var idleBrowser = new FormBrowser(node);
        await idleBrowser.SignInAsync(idle.Email, Password);
        node.Clock.Advance(TimeSpan.FromMinutes(29));
        (await IsSignedInAsync(idleBrowser, idle.Email)).ShouldBeTrue();
        node.Clock.Advance(TimeSpan.FromMinutes(29));
        (await IsSignedInAsync(idleBrowser, idle.Email)).ShouldBeTrue("each request restarts the idle clock");
        node.Clock.Advance(TimeSpan.FromMinutes(31));
        var expired = await idleBrowser.GetAsync("/signin");
        expired.Html.ShouldNotContain($"value=\"{idle.Email}\"");
        expired.SetCookies.ShouldContain(c => c.StartsWith("sb_session=;", StringComparison.Ordinal), "the dead cookie is cleared");

        // Absolute: a request every 25 minutes, and still over after 12 hours.
        var busy = await NewAccountAsync(node);
        using var busyBrowser = new FormBrowser(node);
        await busyBrowser.SignInAsync(busy.Email, Password);
        var elapsed = TimeSpan.Zero;
        while (elapsed + TimeSpan.FromMinutes(25) < TimeSpan.FromHours(12))
        {
            node.Clock.Advance(TimeSpan.FromMinutes(25));
            elapsed += TimeSpan.FromMinutes(25);
            (await IsSignedInAsync(busyBrowser, busy.Email)).ShouldBeTrue($"{elapsed} after sign-in");
        }
        node.Clock.Advance(TimeSpan.FromHours(12) - elapsed + TimeSpan.FromSeconds(1));
        (await IsSignedInAsync(busyBrowser, busy.Email)).ShouldBeFalse();
    }

    [Fact]
    public async Task ExpiredSessionsAreSentToSignInByTheConsentPage()
    {
        var user = await NewAccountAsync(node);
        var app = await CreateAppAsync(node, user.OrganizationId, "Example CRM Sync", ["contacts:read"], ["http://127.0.0.1:9/cb"]);
        using var browser = new FormBrowser(node);
        await browser.SignInAsync(user.Email, Password);
        var consent = await AuthorizeAsync(browser, app, "http://127.0.0.1:9/cb", "contacts:read");
        (await browser.GetAsync(consent)).Status.ShouldBe(HttpStatusCode.OK);
        node.Clock.Advance(TimeSpan.FromMinutes(31));
        var consentAgain = await AuthorizeAsync(browser, app, "http://127.0.0.1:9/cb", "contacts:read");
        var answer = await browser.GetAsync(consentAgain);
        answer.Status.ShouldBe(HttpStatusCode.SeeOther);
        answer.Location.ShouldStartWith("/signin?returnUrl=");
    }
}

public sealed class BrowserSessionLifetimeTestsOnSqlite(SqliteSwitchboard node) : BrowserSessionLifetimeTests<SqliteSwitchboard>(node);
public sealed class BrowserSessionLifetimeTestsOnPostgres(PostgresSwitchboard node) : BrowserSessionLifetimeTests<PostgresSwitchboard>(node);

/// <summary>Two nodes of one installation share browser sign-ins and accept each other's forms: no per-node key.</summary>
public sealed class BrowserSignInAcrossNodesTests(PostgresSwitchboard nodeA) : IClassFixture<PostgresSwitchboard>, IAsyncLifetime
{
    private SecondPostgresNode _nodeB = null!;

    public Task InitializeAsync()
    {
        _nodeB = new SecondPostgresNode(nodeA) { EncryptionKey = nodeA.EncryptionKey };
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _nodeB.DisposeAsync();

    [Fact]
    public async Task SignInOnOneNodeConsentOnTheOtherAndSignOutOnTheFirst()
    {
        var user = await NewAccountAsync(nodeA);
        var app = await CreateAppAsync(nodeA, user.OrganizationId, "Example CRM Sync", ["contacts:read"], ["http://127.0.0.1:9/cb"]);
        using var onA = new FormBrowser(nodeA);
        using var onB = new FormBrowser(_nodeB);

        // The sign-in form comes from node A and is posted to node B, with node A's pre-session cookie.
        var form = await onA.GetAsync("/signin");
        onB.Cookies.Add(onB.Origin, new Cookie("sb_signin", onA.Cookie("sb_signin")));
        var signedIn = await onB.PostAsync("/signin", ("csrf", form.Hidden("csrf")), ("email", user.Email), ("password", Password));
        signedIn.Status.ShouldBe(HttpStatusCode.SeeOther);
        onA.Cookies.Add(onA.Origin, new Cookie("sb_session", onB.Cookie("sb_session")));

        // The consent page rendered by node A is answered on node B.
        var page = await onA.GetAsync(await AuthorizeAsync(onA, app, "http://127.0.0.1:9/cb", "contacts:read"));
        page.Status.ShouldBe(HttpStatusCode.OK, page.Html);
        var allowed = await onB.PostAsync(page.FormAction("/oauth/consent"), ("csrf", page.Hidden("csrf")), ("org", page.Hidden("org")), ("decision", "allow"));
        allowed.Status.ShouldBe(HttpStatusCode.SeeOther, allowed.Html);
        allowed.Location.ShouldStartWith("http://127.0.0.1:9/cb?code=");

        // Signed out on node B: node A no longer knows the session either.
        var tokens = nodeA.Services.GetRequiredService<FormTokens>();
        (await onB.PostAsync("/signout", ("csrf", tokens.For(onB.Cookie("sb_session")!, SignInPages.SignOutPurpose)))).Status.ShouldBe(HttpStatusCode.SeeOther);
        (await onA.GetAsync(await AuthorizeAsync(onA, app, "http://127.0.0.1:9/cb", "contacts:read"))).Location.ShouldStartWith("/signin?returnUrl=");
    }
}

/// <summary>The cookie flags on https, where the Kestrel test node cannot go: the writer itself, on an https request.</summary>
public sealed class BrowserCookieTests
{
    [Fact]
    public void OnHttpsTheCookiesAreSecureAndHostPrefixed()
    {
        var http = new DefaultHttpContext();
        http.Request.Scheme = "https";
        BrowserCookies.Session(http.Request).ShouldBe("__Host-sb_session");
        BrowserCookies.PreSession(http.Request).ShouldBe("__Host-sb_signin");
        BrowserCookies.Write(http, BrowserCookies.Session(http.Request), "token-value");
        var cookie = http.Response.Headers.SetCookie.ToString();
        cookie.ShouldStartWith("__Host-sb_session=token-value");
        cookie.ShouldContain("secure", Case.Insensitive);
        cookie.ShouldContain("httponly", Case.Insensitive);
        cookie.ShouldContain("samesite=lax", Case.Insensitive);
        cookie.ShouldContain("path=/", Case.Insensitive);
        cookie.ShouldNotContain("domain", Case.Insensitive); // a __Host- cookie may not name one (RFC 6265bis §4.1.3.2)
    }

    [Fact]
    public void OnPlainHttpTheCookiesAreNotPrefixedAndNotSecure()
    {
        var http = new DefaultHttpContext();
        http.Request.Scheme = "http";
        BrowserCookies.Write(http, BrowserCookies.Session(http.Request), "token-value");
        var cookie = http.Response.Headers.SetCookie.ToString();
        cookie.ShouldStartWith("sb_session=token-value");
        cookie.ShouldNotContain("secure", Case.Insensitive);
    }
}

/// <summary>The form tokens: bound to their cookie and purpose, the same on every node with the same key.</summary>
public sealed class FormTokenTests
{
    private static FormTokens With(byte[] key) => new(new SecretProtector(key));

    [Fact]
    public void ATokenIsGoodOnlyForItsCookieAndPurposeAndTheInstallationsKey()
    {
        var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var nodeA = With(key);
        var nodeB = With((byte[])key.Clone());
        var token = nodeA.For("cookie-1", "consent:azr_1");

        nodeB.IsValid(token, "cookie-1", "consent:azr_1").ShouldBeTrue("every node derives the same key");
        nodeA.IsValid(token, "cookie-2", "consent:azr_1").ShouldBeFalse();
        nodeA.IsValid(token, "cookie-1", "consent:azr_2").ShouldBeFalse();
        nodeA.IsValid(token, "cookie-1", "signout").ShouldBeFalse();
        nodeA.IsValid(token, null, "consent:azr_1").ShouldBeFalse();
        nodeA.IsValid(null, "cookie-1", "consent:azr_1").ShouldBeFalse();
        nodeA.IsValid("not base64url!", "cookie-1", "consent:azr_1").ShouldBeFalse();
        nodeA.IsValid(token + token, "cookie-1", "consent:azr_1").ShouldBeFalse();
        With(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).IsValid(token, "cookie-1", "consent:azr_1").ShouldBeFalse("another installation's key");
    }
}
