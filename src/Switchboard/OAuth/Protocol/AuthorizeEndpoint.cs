using Microsoft.Extensions.Primitives;

namespace Switchboard.OAuth.Protocol;

/// <summary>
/// <c>GET/POST /oauth/authorize</c> (RFC 6749 §3.1, §4.1.1): validates the request, stores it as pending and sends the
/// browser on to the consent page with 303 (RFC 9700 §4.12: never 307 after a POST, which would resend the form). An
/// unknown client or a redirect URI that is not exactly registered is shown on a page of the server's own, never
/// redirected to (RFC 9700 §4.11.2: no open redirector); every other fault is redirected to the client with
/// <c>error</c>, <c>state</c> and <c>iss</c> (RFC 6749 §4.1.2.1, RFC 9207).
/// </summary>
public static class AuthorizeEndpoint
{
    public static async Task<IResult> HandleAsync(HttpContext http, AuthorizationRequests requests, OAuthIssuer issuers, CancellationToken ct)
    {
        OAuthResults.NoStore(http);
        Dictionary<string, StringValues> p;
        if (HttpMethods.IsPost(http.Request.Method))
        {
            if (!http.Request.HasFormContentType)
                return ErrorPage(http, OAuthError.InvalidRequest("A POST to the authorization endpoint must be a form (application/x-www-form-urlencoded)."));
            p = (await http.Request.ReadFormAsync(ct)).ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);
        }
        else p = http.Request.Query.ToDictionary(q => q.Key, q => q.Value, StringComparer.Ordinal);

        if (!p.TryGetValue("client_id", out var clientIds) || clientIds.Count != 1 || string.IsNullOrEmpty(clientIds[0]))
            return ErrorPage(http, OAuthError.InvalidRequest("client_id is required, once."));
        var clientId = clientIds[0]!;
        var app = clientId.Length <= 64 ? await requests.FindAppAsync(clientId, ct) : null;
        if (app is null) return ErrorPage(http, OAuthError.InvalidClient("No app has this client_id.") with { Status = 400 });
        var issuer = issuers.For(http);

        // RFC 9126 §4: a pushed request is used whole; the other parameters of this request are not looked at.
        if (p.TryGetValue("request_uri", out var requestUris))
        {
            if (requestUris.Count != 1 || string.IsNullOrEmpty(requestUris[0]))
                return ErrorPage(http, OAuthError.InvalidRequest("request_uri may be sent only once."));
            var pushed = await requests.ClaimPushedAsync(requestUris[0]!, clientId, ct);
            if (pushed is null)
                return ErrorPage(http, new OAuthError(OAuthErrorCodes.InvalidRequestUri,
                    "request_uri is unknown, expired, already used, or was pushed by another client."));
            var fromPush = new AuthorizationParameters(app, pushed.RedirectUri, pushed.Scopes, pushed.State, pushed.CodeChallenge,
                pushed.Nonce, pushed.DpopJkt, pushed.Prompt, pushed.MaxAge);
            // The redirect URI was checked when it was pushed; the app's list may have changed since.
            if (!RedirectUris.Matches(app.RedirectUris, fromPush.RedirectUri))
                return ErrorPage(http, OAuthError.InvalidRequest("The pushed redirect_uri is no longer registered for this app."));
            return ToConsent(await requests.StoreAsync(fromPush, pushed: false, pushed.Issuer, ct));
        }

        if (AuthorizationParameterRules.CheckRedirectUri(app, p, out var redirectUri) is { } redirectFault)
            return ErrorPage(http, redirectFault);
        if (AuthorizationParameterRules.CheckRest(app, redirectUri, p, out var parameters) is { } fault)
        {
            var state = p.TryGetValue("state", out var s) && s.Count == 1 ? s[0] : null;
            return new SeeOther(AuthorizationResponse.To(redirectUri,
                [("error", fault.Error), ("error_description", fault.Description)], state, issuer).OriginalString);
        }
        return ToConsent(await requests.StoreAsync(parameters!, pushed: false, issuer, ct));
    }

    private static SeeOther ToConsent(OAuthAuthorizationRequest pending) =>
        new SeeOther($"{OAuthIssuer.ConsentPath}?request={Uri.EscapeDataString(pending.Id)}");

    /// <summary>A 303 See Other (RFC 9110 §15.4.4): the browser follows it with a GET whatever method brought it here.</summary>
    internal sealed class SeeOther(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = StatusCodes.Status303SeeOther;
            http.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }

    /// <summary>The error page for faults that must not be redirected: HTML for a browser, the §5.2 JSON otherwise.</summary>
    internal static IResult ErrorPage(HttpContext http, OAuthError error)
    {
        OAuthResults.NoStore(http);
        var accept = http.Request.Headers.Accept.ToString();
        if (!accept.Contains("text/html", StringComparison.OrdinalIgnoreCase)) return OAuthResults.Error(http, error with { Status = 400 });
        // The browser pages' layout and headers (no framing, no Referer, no caching): one look for every page a person sees.
        Browser.BrowserPage.ApplySecurityHeaders(http.Response);
        return Browser.BrowserPage.Html("Authorization request refused",
            "<h1>This authorization request cannot be completed</h1>\n"
            + $"<p>{Browser.BrowserPage.Encode(error.Description ?? "")}</p>\n"
            + $"<p>Error: <code>{Browser.BrowserPage.Encode(error.Error)}</code>. The app that sent you here is misconfigured or the link is out of date; you were not sent back to it.</p>\n",
            StatusCodes.Status400BadRequest);
    }
}
