using Microsoft.AspNetCore.Authorization;
using Switchboard.OAuth.Browser;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Storage;

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
    public static RequestDelegate Wrap(RequestDelegate page, EndpointMetadataCollection metadata)
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
            if (await AdmitAsync(http, rules!) is { } refusal)
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

    private static bool Allowed(Caller caller, string scope) => scope == DashboardPageAttribute.AnyMember || caller.Has(scope);

    private static IResult Forbidden(DashboardSession session, string scope) => BrowserPage.Error("Not allowed",
        $"Your role in {session.Organization.Name} ({session.Organization.Role}) does not include {scope}, which this needs. Nothing was changed.",
        StatusCodes.Status403Forbidden);

    private static IResult MethodNotAllowed() => BrowserPage.Error("Nothing to send", "This page takes no form.", StatusCodes.Status405MethodNotAllowed);
}
