using Microsoft.AspNetCore.Authorization;
using Switchboard.OAuth.Browser;
using Switchboard.Platform.Auth;
using Microsoft.EntityFrameworkCore;
using Switchboard.Platform.Storage;
using Switchboard.Webhooks;

namespace Switchboard.Dashboard;

/// <summary>
/// Runs before every dashboard page (wrapped around each page endpoint's request delegate by <see cref="DashboardSetup"/>):
/// the browser pages' security headers; the sign-in (the OAuth server's browser session; none: 303 to /signin with the
/// way back); the member, as the <see cref="Caller"/> and tenant the API would make of them; the page's scopes
/// (<see cref="DashboardPageAttribute"/>); and, on a POST, the form token (<see cref="FormTokens"/>), which replaces
/// ASP.NET Core's antiforgery on these endpoints because every node derives the same key for it.
/// </summary>
internal static class DashboardGate
{
    /// <param name="portal">
    /// The page's route is under <c>/embed/webhooks/{PortalToken}</c>: admitted by the portal link in the URL instead of
    /// the sign-in (<see cref="AdmitPortalAsync"/>).
    /// </param>
    public static RequestDelegate Wrap(RequestDelegate page, EndpointMetadataCollection metadata, bool portal = false)
    {
        var anonymous = metadata.GetMetadata<IAllowAnonymous>() is not null;
        var rules = metadata.GetMetadata<DashboardPageAttribute>();
        if (!anonymous && rules is null)
            throw new InvalidOperationException($"Dashboard page {metadata.GetMetadata<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>()?.Type.Name} declares no [DashboardPage].");
        return async http =>
        {
            DashboardAssets.ApplySecurityHeaders(http.Response);
            if (anonymous)
            {
                if (HttpMethods.IsPost(http.Request.Method)) { await MethodNotAllowed().ExecuteAsync(http); return; }
                await page(http);
                return;
            }
            if (await (portal ? AdmitPortalAsync(http, rules!) : AdmitAsync(http, rules!)) is { } refusal)
            {
                await refusal.ExecuteAsync(http);
                return;
            }
            await page(http);
            if (http.Response.HasStarted) return;
            // Blazor writes no body for a page that answered 404 (it leaves not-found to the status code pages, which would
            // answer problem+json), nor for a form the page did not render this time (an empty 400 before any handler runs):
            // a browser gets a page saying so instead.
            if (http.Response.StatusCode == StatusCodes.Status404NotFound)
                await BrowserPage.Error("Not found", "There is nothing at this address in this organization: it was deleted, never existed, or belongs to another organization.",
                    StatusCodes.Status404NotFound).ExecuteAsync(http);
            else if (HttpMethods.IsPost(http.Request.Method) && http.Response.StatusCode == StatusCodes.Status400BadRequest)
                await BrowserPage.Error("Nothing to do", "This form is not on the page any more: what it acted on is gone or is not in this organization. Nothing was changed.",
                    StatusCodes.Status400BadRequest).ExecuteAsync(http);
        };
    }

    private static async Task<IResult?> AdmitAsync(HttpContext http, DashboardPageAttribute rules)
    {
        var ct = http.RequestAborted;
        var services = http.RequestServices;
        if (await services.GetRequiredService<BrowserSessions>().CurrentAsync(http, ct) is not { } signIn)
            return SignInPages.SeeOther(http, "/signin?returnUrl=" + Uri.EscapeDataString(LocalReturnUrl.Sanitize(http.Request.Path + http.Request.QueryString)));

        var session = services.GetRequiredService<DashboardSession>();
        var tokens = services.GetRequiredService<FormTokens>();
        if (!await session.LoadAsync(http, signIn, services.GetRequiredService<SwitchboardDbContext>(), tokens, ct))
            return BrowserPage.Error("No organization", "Your account belongs to no organization, so there is nothing to show. Ask an owner for an invitation.", StatusCodes.Status403Forbidden);
        http.Features.Set(session.Caller);
        services.GetRequiredService<TenantScope>().OrganizationId = session.Caller.OrganizationId;

        if (HttpMethods.IsPost(http.Request.Method))
        {
            if (rules.Write is not { } write) return MethodNotAllowed();
            if (await SignInPages.ReadFormAsync(http, ct) is not { } form) return SignInPages.BadForm();
            if (!tokens.IsValid(SignInPages.First(form[FormTokens.FieldName]), BrowserSessions.CookieValue(http), DashboardSession.FormPurpose))
                return BrowserPage.Error("Form not accepted", "This form expired or was sent from another site; nothing was changed. Go back, reload the page and try again.", StatusCodes.Status400BadRequest);
            if (!Allowed(session.Caller, write)) return Forbidden(session, write);
        }
        else if (!Allowed(session.Caller, rules.Read)) return Forbidden(session, rules.Read);
        return null;
    }

    /// <summary>
    /// The second way in: a link to the embeddable webhook portal (<see cref="PortalLinks"/>), whose token is the URL's
    /// <c>PortalToken</c>. No cookie is read (inside another site's iframe it would be a third-party cookie, not sent);
    /// the link names the organization and its capabilities, and its origins may frame the page. An ended link answers
    /// 410 with a page that says so, framed by the same origins so the CRM's users see it in place.
    /// </summary>
    private static async Task<IResult?> AdmitPortalAsync(HttpContext http, DashboardPageAttribute rules)
    {
        var ct = http.RequestAborted;
        var services = http.RequestServices;
        var db = services.GetRequiredService<SwitchboardDbContext>();
        var token = http.GetRouteValue("PortalToken") as string;
        if (await PortalLinks.FindAsync(db, token, ct) is not { } link)
            return BrowserPage.Error("Link not found", "This webhook portal link does not exist. Ask for a new link.", StatusCodes.Status404NotFound);
        DashboardAssets.AllowFramingBy(http.Response, link.AllowedOrigins);
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        if (link.RevokedAt is not null)
            return BrowserPage.Error("Link revoked", "This webhook portal link was revoked. Nothing was changed; open the portal again from your application for a new link.", StatusCodes.Status410Gone);
        if (link.ExpiresAt <= now)
            return BrowserPage.Error("Link expired", "This webhook portal link has expired. Nothing was changed; open the portal again from your application for a new link.", StatusCodes.Status410Gone);

        var organization = await db.Organizations.AsNoTracking().Where(o => o.Id == link.OrganizationId).Select(o => o.Name).FirstAsync(ct);
        var session = services.GetRequiredService<DashboardSession>();
        var tokens = services.GetRequiredService<FormTokens>();
        session.LoadPortal(link, token!, organization, tokens);
        http.Features.Set(session.Caller);
        services.GetRequiredService<TenantScope>().OrganizationId = link.OrganizationId;

        if (HttpMethods.IsPost(http.Request.Method))
        {
            if (rules.Write is not { } write) return MethodNotAllowed();
            if (await SignInPages.ReadFormAsync(http, ct) is not { } form) return SignInPages.BadForm();
            if (!tokens.IsValid(SignInPages.First(form[FormTokens.FieldName]), link.TokenHash, DashboardSession.PortalFormPurpose))
                return BrowserPage.Error("Form not accepted", "This form expired or was sent from another page; nothing was changed. Reload the page and try again.", StatusCodes.Status400BadRequest);
            // Each form needs its capability, whatever the page rendered: a form the link does not allow, or one the
            // portal does not know, is refused before the page's handler runs.
            var capability = PortalCapabilities.ForForm(SignInPages.First(form["_handler"]));
            if (capability is null || !session.Allows(capability) || !Allowed(session.Caller, write))
                return BrowserPage.Error("Not allowed", $"This link does not allow {(capability is null ? "this form" : capability.Replace('_', ' '))}. Nothing was changed.",
                    StatusCodes.Status403Forbidden);
        }
        else if (!Allowed(session.Caller, rules.Read)) return BrowserPage.Error("Not allowed", "This link does not open this page.", StatusCodes.Status403Forbidden);
        return null;
    }

    private static bool Allowed(Caller caller, string scope) => scope == DashboardPageAttribute.AnyMember || caller.Has(scope);

    private static IResult Forbidden(DashboardSession session, string scope) => BrowserPage.Error("Not allowed",
        $"Your role in {session.Organization.Name} ({session.Organization.Role}) does not include {scope}, which this needs. Nothing was changed.",
        StatusCodes.Status403Forbidden);

    private static IResult MethodNotAllowed() => BrowserPage.Error("Nothing to send", "This page takes no form.", StatusCodes.Status405MethodNotAllowed);
}
