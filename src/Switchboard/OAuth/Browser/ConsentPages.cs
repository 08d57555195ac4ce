using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Switchboard.OAuth.Protocol;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Storage;
using static Switchboard.OAuth.Browser.SignInPages;

namespace Switchboard.OAuth.Browser;

/// <summary>
/// <c>GET/POST /oauth/consent?request=&lt;id&gt;</c>: where the user answers a pending authorization request (RFC 6749
/// §4.1.1: "the authorization server authenticates the resource owner and obtains an authorization decision"). In order:
/// sign-in (none, <c>prompt=login</c> or <c>max_age</c> exceeded: 303 to /signin), the organization (picked by the user
/// when they belong to several), remembered consent (an unrevoked grant of that user, organization and app covering the
/// effective scopes, and no <c>prompt=consent</c>: approved at once), otherwise the page. With <c>prompt=none</c>,
/// whatever needs the user is answered to the app instead (OpenID Connect Core §3.1.2.6). The scopes granted are the
/// effective ones (<see cref="OAuthScopes.Effective"/>), computed again on every answer, never read from the form.
/// </summary>
public static class ConsentPages
{
    private const string ReauthParameter = "auth";

    public static RouteGroupBuilder MapConsentPages(this RouteGroupBuilder pages)
    {
        pages.MapGet(OAuthIssuer.ConsentPath, Show);
        pages.MapPost(OAuthIssuer.ConsentPath, Answer);
        return pages;
    }

    internal static string Purpose(string requestId) => "consent:" + requestId;

    private sealed record Organization(string Id, string Name, string Role);

    internal static async Task<IResult> Show(HttpContext http, AuthorizationRequests requests, BrowserSessions sessions, FormTokens tokens,
        SwitchboardDbContext db, TimeProvider time, CancellationToken ct)
    {
        // HEAD reaches every GET (RFC 9110 §9.3.2), but a GET here may answer the app at once (remembered consent uses the
        // request up): a HEAD must not. It learns only that the page exists.
        if (HttpMethods.IsHead(http.Request.Method)) return Results.Ok();
        var query = http.Request.Query;
        if (await FindAsync(requests, First(query["request"]), ct) is not { } pending) return UnknownRequest();
        var prompts = Prompts(pending);

        var signIn = await sessions.CurrentAsync(http, ct);
        if (SignInNeeded(pending, prompts, signIn, First(query[ReauthParameter]), tokens, time) is { } why)
        {
            if (prompts.Contains("none")) return SeeOther(http, (await requests.DenyAsync(pending, OAuthErrorCodes.LoginRequired, why, ct)).AbsoluteUri);
            // The way back carries a signed stamp of this moment: a sign-in after it is fresh for prompt=login and max_age.
            var back = ConsentUrl(pending.Id) + "&" + ReauthParameter + "=" + ReauthStamp(pending.Id, time, tokens);
            return SeeOther(http, "/signin?returnUrl=" + Uri.EscapeDataString(back));
        }

        var organizations = await OrganizationsAsync(db, signIn!.UserId, ct);
        if (organizations.Count == 0)
            return SeeOther(http, (await requests.DenyAsync(pending, OAuthErrorCodes.AccessDenied, "The user belongs to no organization.", ct)).AbsoluteUri);
        var grants = await db.OAuthGrants.IgnoreQueryFilters().AsNoTracking()
            .Where(g => g.UserId == signIn.UserId && g.AppId == pending.App.Id && g.RevokedAt == null).ToListAsync(ct);

        Organization? chosen;
        if (First(query["org"]) is { Length: > 0 } orgId)
        {
            chosen = organizations.FirstOrDefault(o => o.Id == orgId);
            if (chosen is null) return BrowserPage.Error("Not your organization", "You are not a member of the organization this link names. Go back to the app and start again.", StatusCodes.Status400BadRequest);
        }
        else if (organizations.Count == 1 && !prompts.Contains("select_account")) chosen = organizations[0];
        else
        {
            // Several organizations: a remembered consent in exactly one of them answers for the user, as it would with one.
            var remembered = prompts.Contains("consent") || prompts.Contains("select_account") || query.ContainsKey("choose") ? []
                : organizations.Where(o => RememberedGrant(grants, o, pending) is not null).ToList();
            if (remembered.Count == 1) chosen = remembered[0];
            else if (prompts.Contains("none"))
                return SeeOther(http, (await requests.DenyAsync(pending, OAuthErrorCodes.InteractionRequired, "The user must choose an organization.", ct)).AbsoluteUri);
            else return await PickerAsync(http, pending, organizations, signIn, tokens, db, ct);
        }

        var effective = OAuthScopes.Effective(pending.RequestedScopes, pending.App, chosen.Role);
        if (!prompts.Contains("consent") && RememberedGrant(grants, chosen, pending) is not null)
            return SeeOther(http, (await requests.ApproveAsync(pending, signIn.UserId, chosen.Id, effective, signIn.AuthenticatedAt, http, ct)).AbsoluteUri);
        if (prompts.Contains("none"))
            return SeeOther(http, (await requests.DenyAsync(pending, OAuthErrorCodes.ConsentRequired, "The user has not consented to this app's request.", ct)).AbsoluteUri);
        var previous = grants.Where(g => g.OrganizationId == chosen.Id).SelectMany(g => g.Scopes).ToHashSet(StringComparer.Ordinal);
        return await ConsentAsync(http, pending, chosen, organizations.Count, effective, previous, signIn, tokens, db, ct);
    }

    internal static async Task<IResult> Answer(HttpContext http, AuthorizationRequests requests, BrowserSessions sessions, FormTokens tokens,
        SwitchboardDbContext db, CancellationToken ct)
    {
        if (await ReadFormAsync(http, ct) is not { } form) return BadForm();
        if (await FindAsync(requests, First(http.Request.Query["request"]), ct) is not { } pending) return UnknownRequest();
        if (await sessions.CurrentAsync(http, ct) is not { } signIn)
            return SeeOther(http, "/signin?returnUrl=" + Uri.EscapeDataString(ConsentUrl(pending.Id)));
        if (!tokens.IsValid(First(form[FormTokens.FieldName]), BrowserSessions.CookieValue(http), Purpose(pending.Id)))
            return BrowserPage.Error("Answer not accepted", "This form expired or was sent from another site. Go back to the app and start again.", StatusCodes.Status400BadRequest);

        switch (First(form["decision"]))
        {
            case "deny":
                return SeeOther(http, (await requests.DenyAsync(pending, ct)).AbsoluteUri);
            case "allow":
                var organization = (await OrganizationsAsync(db, signIn.UserId, ct)).FirstOrDefault(o => o.Id == First(form["org"]));
                if (organization is null)
                    return BrowserPage.Error("Not your organization", "You are not a member of the organization this answer names. Go back to the app and start again.", StatusCodes.Status400BadRequest);
                var effective = OAuthScopes.Effective(pending.RequestedScopes, pending.App, organization.Role);
                return SeeOther(http, (await requests.ApproveAsync(pending, signIn.UserId, organization.Id, effective, signIn.AuthenticatedAt, http, ct)).AbsoluteUri);
            default:
                return BrowserPage.Error("No answer", "Choose Allow or Deny.", StatusCodes.Status400BadRequest);
        }
    }

    /// <summary>
    /// The redirect origin of the pending request a sign-in page will return to, if it returns to one: the sign-in form's
    /// 303 may lead through a remembered consent straight to the app, and <c>form-action</c> covers that redirect too.
    /// </summary>
    internal static async Task<Uri?> RedirectAfterSignInAsync(string returnUrl, AuthorizationRequests requests, CancellationToken ct)
    {
        if (!returnUrl.StartsWith(OAuthIssuer.ConsentPath + "?", StringComparison.Ordinal)) return null;
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(returnUrl[(OAuthIssuer.ConsentPath.Length + 1)..]);
        return await FindAsync(requests, First(query.GetValueOrDefault("request")), ct) is { } pending ? new Uri(pending.RedirectUri) : null;
    }

    private static async Task<PendingAuthorization?> FindAsync(AuthorizationRequests requests, string? id, CancellationToken ct) =>
        string.IsNullOrEmpty(id) ? null : await requests.FindPendingAsync(id, ct);

    private static HashSet<string> Prompts(PendingAuthorization pending) =>
        (pending.Prompt ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);

    /// <summary>Why the user must (again) enter their password, or null.</summary>
    private static string? SignInNeeded(PendingAuthorization pending, HashSet<string> prompts, BrowserSignIn? signIn, string? reauth, FormTokens tokens, TimeProvider time)
    {
        if (signIn is null) return "The user is not signed in.";
        // A sign-in after this page sent the user to sign in again (dated by the signed stamp in the return URL) is fresh
        // enough for both rules below, whatever time has passed since: max_age=0 would otherwise never be met.
        if (ReauthTime(pending.Id, reauth, tokens) is { } asked && signIn.AuthenticatedAt >= asked) return null;
        // OpenID Connect Core §3.1.2.1: max_age bounds the time since the user last entered their password.
        if (pending.MaxAge is { } maxAge && signIn.AuthenticatedAt.AddSeconds(maxAge) < time.UtcNow()) return "The sign-in is older than max_age.";
        if (prompts.Contains("login")) return "The app asked for a fresh sign-in.";
        return null;
    }

    private static string ReauthStamp(string requestId, TimeProvider time, FormTokens tokens)
    {
        var at = time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        return at + "." + tokens.For(at, "reauth:" + requestId);
    }

    private static DateTime? ReauthTime(string requestId, string? stamp, FormTokens tokens)
    {
        var dot = stamp?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        if (dot <= 0 || !tokens.IsValid(stamp![(dot + 1)..], stamp[..dot], "reauth:" + requestId)) return null;
        return long.TryParse(stamp[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms < 253_402_300_799_999
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime : null;
    }

    private static async Task<List<Organization>> OrganizationsAsync(SwitchboardDbContext db, string userId, CancellationToken ct) =>
        await (from m in db.Memberships.IgnoreQueryFilters()
               join o in db.Organizations on m.OrganizationId equals o.Id
               where m.UserId == userId
               orderby m.CreatedAt
               select new Organization(o.Id, o.Name, m.Role)).ToListAsync(ct);

    /// <summary>The user's unrevoked grant to the app in <paramref name="organization"/> if it covers what the request would grant.</summary>
    private static OAuthGrant? RememberedGrant(List<OAuthGrant> grants, Organization organization, PendingAuthorization pending)
    {
        var effective = OAuthScopes.Effective(pending.RequestedScopes, pending.App, organization.Role);
        return effective.Count == 0 ? null
            : grants.FirstOrDefault(g => g.OrganizationId == organization.Id && Scopes.Covers(g.Scopes, effective));
    }

    private static async Task<IResult> PickerAsync(HttpContext http, PendingAuthorization pending, List<Organization> organizations,
        BrowserSignIn signIn, FormTokens tokens, SwitchboardDbContext db, CancellationToken ct)
    {
        var app = pending.App;
        var body = new StringBuilder();
        AppendApp(body, app);
        body.Append("<h1>Choose an organization</h1>\n<p><strong>").Append(Enc(app.Name))
            .Append("</strong> asks for access to one of your organizations. Which one?</p>\n<ul class=\"orgs\">\n");
        foreach (var org in organizations)
            body.Append("<li><a href=\"").Append(Enc(ConsentUrl(pending.Id) + "&org=" + Uri.EscapeDataString(org.Id))).Append("\">")
                .Append(Enc(org.Name)).Append(" <span class=\"role\">").Append(Enc(org.Role)).Append("</span></a></li>\n");
        body.Append("</ul>\n");
        AppendRedirect(body, pending);
        AppendAnswerForm(body, http, pending, tokens, org: null, canAllow: false);
        await AppendWhoAsync(body, http, pending, signIn, tokens, db, ct);
        BrowserPage.AllowFormRedirectTo(http.Response, new Uri(pending.RedirectUri));
        return BrowserPage.Html("Choose an organization", body.ToString());
    }

    private static async Task<IResult> ConsentAsync(HttpContext http, PendingAuthorization pending, Organization org, int organizationCount,
        IReadOnlyList<string> effective, HashSet<string> previous, BrowserSignIn signIn, FormTokens tokens, SwitchboardDbContext db, CancellationToken ct)
    {
        var app = pending.App;
        var body = new StringBuilder();
        AppendApp(body, app);
        body.Append("<h1>Allow ").Append(Enc(app.Name)).Append(" to access ").Append(Enc(org.Name)).Append("?</h1>\n");
        if (effective.Count > 0)
        {
            body.Append("<p><strong>").Append(Enc(app.Name)).Append("</strong> will be able to:</p>\n<ul class=\"scopes\">\n");
            foreach (var scope in effective)
            {
                body.Append("<li>").Append(Enc(OAuthScopes.Describe(scope))).Append(" <code>").Append(Enc(scope)).Append("</code>");
                if (previous.Count > 0 && !Scopes.Covers(previous, [scope])) body.Append(" <span class=\"state degraded\">new</span>");
                body.Append("</li>\n");
            }
            body.Append("</ul>\n");
        }
        else
            body.Append("<p class=\"error\">Your role in ").Append(Enc(org.Name)).Append(" (").Append(Enc(org.Role))
                .Append(") allows none of the access this app asks for.</p>\n");

        // Asked for, within the app's registration, but beyond what the user's role lets them give.
        var dropped = pending.RequestedScopes.Where(s => Scopes.IsValid(s) && Scopes.Covers(pending.App.Scopes, [s]) && !effective.Contains(s)).ToList();
        if (dropped.Count > 0)
        {
            body.Append("<div class=\"dropped\"><p>Also asked for, but not granted: your role in ").Append(Enc(org.Name)).Append(" (")
                .Append(Enc(org.Role)).Append(") does not allow it.</p>\n<ul class=\"scopes\">\n");
            foreach (var scope in dropped)
                body.Append("<li>").Append(Enc(OAuthScopes.Describe(scope))).Append(" <code>").Append(Enc(scope)).Append("</code></li>\n");
            body.Append("</ul></div>\n");
        }
        AppendRedirect(body, pending);
        AppendAnswerForm(body, http, pending, tokens, org.Id, canAllow: effective.Count > 0);
        if (organizationCount > 1)
            body.Append("<p class=\"hint\"><a href=\"").Append(Enc(ConsentUrl(pending.Id) + "&choose=1")).Append("\">Choose another organization</a></p>\n");
        await AppendWhoAsync(body, http, pending, signIn, tokens, db, ct);
        BrowserPage.AllowFormRedirectTo(http.Response, new Uri(pending.RedirectUri));
        return BrowserPage.Html($"Allow {app.Name}?", body.ToString());
    }

    private static void AppendApp(StringBuilder body, OAuthApp app)
    {
        body.Append("<div class=\"app\">");
        if (app.LogoUrl is { } logo && Uri.TryCreate(logo, UriKind.Absolute, out var logoUri) && logoUri.Scheme == Uri.UriSchemeHttps)
            body.Append("<img src=\"").Append(Enc(logoUri.AbsoluteUri)).Append("\" alt=\"\">");
        else
            body.Append("<span class=\"initial\" aria-hidden=\"true\">").Append(Enc(app.Name.Length > 0 ? app.Name[..1].ToUpperInvariant() : "?")).Append("</span>");
        body.Append("<div><strong>").Append(Enc(app.Name)).Append("</strong>");
        if (app.HomepageUrl is { } home && Uri.TryCreate(home, UriKind.Absolute, out var homeUri) && homeUri.Scheme is "https" or "http")
            body.Append("<br><a href=\"").Append(Enc(homeUri.AbsoluteUri)).Append("\" rel=\"noopener noreferrer\">").Append(Enc(homeUri.Host)).Append("</a>");
        body.Append("</div></div>\n");
    }

    /// <summary>Where the answer goes, prominently: the host a phishing app could not fake (RFC 9700 §4.11).</summary>
    private static void AppendRedirect(StringBuilder body, PendingAuthorization pending)
    {
        var uri = new Uri(pending.RedirectUri);
        var where = uri.Scheme is "http" or "https" ? uri.Authority : uri.Scheme + ":";
        body.Append("<div class=\"redirect\">After you answer you will be sent to <strong>").Append(Enc(where)).Append("</strong>");
        if (uri.IsLoopback) body.Append(" (an app on this computer)");
        else if (uri.Scheme is not ("http" or "https")) body.Append(" (an app installed on this device)");
        body.Append("</div>\n");
    }

    private static void AppendAnswerForm(StringBuilder body, HttpContext http, PendingAuthorization pending, FormTokens tokens, string? org, bool canAllow)
    {
        body.Append("<form method=\"post\" action=\"").Append(Enc(ConsentUrl(pending.Id))).Append("\">\n")
            .Append("<input type=\"hidden\" name=\"").Append(FormTokens.FieldName).Append("\" value=\"")
            .Append(tokens.For(BrowserSessions.CookieValue(http)!, Purpose(pending.Id))).Append("\">\n");
        if (org is not null) body.Append("<input type=\"hidden\" name=\"org\" value=\"").Append(Enc(org)).Append("\">\n");
        body.Append("<div class=\"actions\"><button type=\"submit\" name=\"decision\" value=\"deny\">").Append(canAllow ? "Deny" : "Cancel").Append("</button>");
        if (canAllow) body.Append("<button type=\"submit\" name=\"decision\" value=\"allow\" class=\"primary\">Allow</button>");
        body.Append("</div>\n</form>\n");
    }

    private static async Task AppendWhoAsync(StringBuilder body, HttpContext http, PendingAuthorization pending, BrowserSignIn signIn, FormTokens tokens,
        SwitchboardDbContext db, CancellationToken ct)
    {
        var email = await db.Users.Where(u => u.Id == signIn.UserId).Select(u => u.Email).FirstAsync(ct);
        body.Append("<div class=\"who\"><span>Signed in as ").Append(Enc(email)).Append("</span>")
            .Append(SignOutForm(http, tokens, "/signin?returnUrl=" + Uri.EscapeDataString(ConsentUrl(pending.Id)))).Append("</div>\n");
    }

    private static string ConsentUrl(string requestId) => OAuthIssuer.ConsentPath + "?request=" + Uri.EscapeDataString(requestId);

    private static IResult UnknownRequest() => BrowserPage.Error("This link has expired",
        "The authorization request is unknown, has expired or was already answered. Go back to the app and start again.", StatusCodes.Status400BadRequest);

    private static string Enc(string text) => BrowserPage.Encode(text);
}
