using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Identity;
using Switchboard.OAuth.Protocol;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;

namespace Switchboard.OAuth.Browser;

/// <summary>
/// <c>GET/POST /signin?returnUrl=&lt;local path&gt;</c> and <c>POST /signout</c>: browser sign-in with the accounts of the
/// login API, through the same password check and throttle (<see cref="PasswordSignIn"/>). General on purpose: the
/// consent page sends people here, and so will the dashboard.
/// </summary>
public static class SignInPages
{
    public const string SignInPurpose = "signin";
    public const string SignOutPurpose = "signout";

    public static IEndpointRouteBuilder MapBrowserPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/signin.css", Stylesheet).AllowAnonymous().ExcludeFromDescription();
        var pages = app.MapGroup("").AllowAnonymous().ExcludeFromDescription();
        pages.AddEndpointFilter(async (context, next) =>
        {
            BrowserPage.ApplySecurityHeaders(context.HttpContext.Response);
            return await next(context);
        });
        pages.MapGet("/signin", SignInForm);
        pages.MapPost("/signin", SignIn);
        pages.MapPost("/signout", SignOut);
        pages.MapConsentPages();
        return app;
    }

    internal static async Task<IResult> SignInForm(HttpContext http, BrowserSessions sessions, FormTokens tokens, AuthorizationRequests requests,
        SwitchboardDbContext db, CancellationToken ct)
    {
        var returnUrl = ReturnUrl(http);
        var signedIn = await sessions.CurrentAsync(http, ct);
        var email = signedIn is null ? null : await db.Users.Where(u => u.Id == signedIn.UserId).Select(u => u.Email).FirstOrDefaultAsync(ct);
        await AllowRedirectAfterSignInAsync(http, returnUrl, requests, ct);
        return Form(http, tokens, returnUrl, email, error: null, StatusCodes.Status200OK);
    }

    /// <summary>
    /// The form's 303 may lead on through a remembered consent straight to an app, and browsers hold that redirect to the
    /// sign-in page's <c>form-action</c> too: name the app's redirect origin there when the return URL is a consent page.
    /// </summary>
    private static async Task AllowRedirectAfterSignInAsync(HttpContext http, string returnUrl, AuthorizationRequests requests, CancellationToken ct)
    {
        if (await ConsentPages.RedirectAfterSignInAsync(returnUrl, requests, ct) is { } redirect)
            BrowserPage.AllowFormRedirectTo(http.Response, redirect);
    }

    internal static async Task<IResult> SignIn(HttpContext http, PasswordSignIn passwords, BrowserSessions sessions, FormTokens tokens,
        AuthorizationRequests requests, SwitchboardDbContext db, CancellationToken ct)
    {
        var returnUrl = ReturnUrl(http);
        if (await ReadFormAsync(http, ct) is not { } form) return BadForm();
        await AllowRedirectAfterSignInAsync(http, returnUrl, requests, ct);
        var email = First(form["email"])?.Trim();
        // Login CSRF: only a page of this node, which set the pre-session cookie, can know the token.
        if (!tokens.IsValid(First(form[FormTokens.FieldName]), BrowserCookies.Read(http, BrowserCookies.PreSession(http.Request)), SignInPurpose))
            return Form(http, tokens, returnUrl, email, "This form expired or was sent from another site. Enter your email and password again.", StatusCodes.Status400BadRequest);
        var password = First(form["password"]);
        if (string.IsNullOrEmpty(email) || string.IsNullOrEmpty(password))
            return Form(http, tokens, returnUrl, email, "Enter your email and password.", StatusCodes.Status400BadRequest);
        if (email.Length > 320 || password.Length > PasswordRules.MaxLength)
            return Form(http, tokens, returnUrl, null, "The email or password is incorrect.", StatusCodes.Status400BadRequest);

        var result = await passwords.VerifyAsync(email, password, organizationId: null, http, ct, new { via = "browser" });
        switch (result.Status)
        {
            case PasswordSignInStatus.Throttled:
                var seconds = Math.Max(1, (int)Math.Ceiling(result.RetryAfter.TotalSeconds));
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return Form(http, tokens, returnUrl, email, $"Too many failed sign-in attempts. Try again in {Duration(seconds)}.", StatusCodes.Status429TooManyRequests);
            case PasswordSignInStatus.Failed:
                // One message for an unknown email and a wrong password: the page must not tell which accounts exist.
                return Form(http, tokens, returnUrl, email, "The email or password is incorrect.", StatusCodes.Status400BadRequest);
        }
        await sessions.StartAsync(result.User!, http, ct);
        await db.SaveChangesAsync(ct);
        return SeeOther(http, returnUrl);
    }

    internal static async Task<IResult> SignOut(HttpContext http, BrowserSessions sessions, FormTokens tokens, SwitchboardDbContext db, TimeProvider time, CancellationToken ct)
    {
        var returnUrl = http.Request.Query.ContainsKey("returnUrl") ? ReturnUrl(http) : "/signin";
        if (await ReadFormAsync(http, ct) is not { } form) return BadForm();
        var cookie = BrowserSessions.CookieValue(http);
        if (cookie is null) return SeeOther(http, returnUrl); // nobody to sign out
        if (!tokens.IsValid(First(form[FormTokens.FieldName]), cookie, SignOutPurpose))
            return BrowserPage.Error("Sign-out not confirmed", "This form expired or was sent from another site; you are still signed in. Go back, reload the page and try again.", StatusCodes.Status400BadRequest);
        if (await sessions.CurrentAsync(http, ct) is { } signedIn
            && await db.Memberships.IgnoreQueryFilters().Where(m => m.UserId == signedIn.UserId).OrderBy(m => m.CreatedAt).Select(m => m.OrganizationId).FirstOrDefaultAsync(ct) is { } home)
            AuditTrail.Record(db, http, time, home, "user", signedIn.UserId, "auth.logout", "browser_session", signedIn.SessionId);
        await sessions.EndCurrentAsync(http, ct);
        await db.SaveChangesAsync(ct);
        return SeeOther(http, returnUrl);
    }

    /// <summary>The sign-out button, for the pages of a signed-in user.</summary>
    public static string SignOutForm(HttpContext http, FormTokens tokens, string returnUrl) =>
        BrowserSessions.CookieValue(http) is not { } cookie ? "" :
            $"<form method=\"post\" action=\"/signout?returnUrl={BrowserPage.Encode(Uri.EscapeDataString(returnUrl))}\">" +
            $"<input type=\"hidden\" name=\"{FormTokens.FieldName}\" value=\"{tokens.For(cookie, SignOutPurpose)}\"><button type=\"submit\">Sign out</button></form>";

    private static IResult Form(HttpContext http, FormTokens tokens, string returnUrl, string? email, string? error, int status)
    {
        var preSessionCookie = BrowserCookies.PreSession(http.Request);
        var preSession = BrowserCookies.Read(http, preSessionCookie);
        if (preSession is null)
        {
            preSession = SecretHash.RandomToken(32);
            BrowserCookies.Write(http, preSessionCookie, preSession);
        }
        var body = new StringBuilder("<h1>Sign in to Switchboard</h1>\n");
        if (error is not null) body.Append("<p class=\"error\" role=\"alert\">").Append(BrowserPage.Encode(error)).Append("</p>\n");
        body.Append("<form method=\"post\" action=\"/signin?returnUrl=").Append(BrowserPage.Encode(Uri.EscapeDataString(returnUrl))).Append("\">\n")
            .Append("<input type=\"hidden\" name=\"").Append(FormTokens.FieldName).Append("\" value=\"").Append(tokens.For(preSession, SignInPurpose)).Append("\">\n")
            .Append("<label for=\"email\">Email</label>\n<input id=\"email\" type=\"email\" name=\"email\" autocomplete=\"username\" required maxlength=\"320\"")
            .Append(email is null ? " autofocus" : "").Append(" value=\"").Append(BrowserPage.Encode(email ?? "")).Append("\">\n")
            .Append("<label for=\"password\">Password</label>\n<input id=\"password\" type=\"password\" name=\"password\" autocomplete=\"current-password\" required maxlength=\"")
            .Append(PasswordRules.MaxLength.ToString(CultureInfo.InvariantCulture)).Append('"').Append(email is null ? "" : " autofocus").Append(">\n")
            .Append("<div class=\"actions\"><button type=\"submit\" class=\"primary\">Sign in</button></div>\n</form>\n");
        return BrowserPage.Html("Sign in", body.ToString(), status);
    }

    private static IResult Stylesheet(HttpContext http)
    {
        http.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        return Results.Bytes(BrowserPage.Stylesheet, "text/css; charset=utf-8");
    }

    private static string ReturnUrl(HttpContext http) => LocalReturnUrl.Sanitize(First(http.Request.Query["returnUrl"]));

    internal static string? First(Microsoft.Extensions.Primitives.StringValues values) => values.Count > 0 ? values[0] : null;

    /// <summary>303 See Other: the answer to a form's POST is fetched with GET (RFC 9110 §15.4.4).</summary>
    internal static IResult SeeOther(HttpContext http, string location)
    {
        http.Response.Headers.Location = location;
        return Results.StatusCode(StatusCodes.Status303SeeOther);
    }

    /// <summary>The form fields, or null when the body is not a form or breaks the form limits.</summary>
    internal static async Task<IFormCollection?> ReadFormAsync(HttpContext http, CancellationToken ct)
    {
        if (!http.Request.HasFormContentType) return null;
        try { return await http.Request.ReadFormAsync(ct); }
        catch (InvalidDataException) { return null; }
        catch (BadHttpRequestException) { return null; }
    }

    internal static IResult BadForm() =>
        BrowserPage.Error("Not a form", "This address takes the page's form (application/x-www-form-urlencoded). Go back and use the page.", StatusCodes.Status400BadRequest);

    private static string Duration(int seconds)
    {
        if (seconds < 60) return seconds == 1 ? "1 second" : $"{seconds} seconds";
        var minutes = (seconds + 59) / 60;
        return minutes == 1 ? "1 minute" : $"{minutes} minutes";
    }
}
