using System.Net;
using System.Text.RegularExpressions;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth;

/// <summary>
/// A browser reduced to HTTP: keeps cookies like one (per host, HttpOnly included), follows no redirect by itself so
/// tests see each 303, and posts forms as <c>application/x-www-form-urlencoded</c>.
/// </summary>
public sealed partial class FormBrowser : IDisposable
{
    public CookieContainer Cookies { get; } = new();
    public HttpClient Http { get; }
    public Uri Origin { get; }

    public FormBrowser(SwitchboardFactory node)
    {
        using var probe = node.Client();
        Origin = new Uri(probe.Http.BaseAddress!.GetLeftPart(UriPartial.Authority));
        Http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = Cookies }) { BaseAddress = Origin };
    }

    public async Task<Page> GetAsync(string path)
    {
        var response = await Http.GetAsync(path);
        return new Page(response, await response.Content.ReadAsStringAsync());
    }

    public async Task<Page> PostAsync(string path, params (string Name, string Value)[] fields)
    {
        var response = await Http.PostAsync(path, new FormUrlEncodedContent(fields.Select(f => KeyValuePair.Create(f.Name, f.Value))));
        return new Page(response, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Loads the sign-in form and posts it; returns the answer to the POST.</summary>
    public async Task<Page> SignInAsync(string email, string password, string returnUrl = "/")
    {
        var form = await GetAsync("/signin?returnUrl=" + Uri.EscapeDataString(returnUrl));
        form.Status.ShouldBe(HttpStatusCode.OK, form.Html);
        return await PostAsync(form.FormAction("/signin"), ("csrf", form.Hidden("csrf")), ("email", email), ("password", password));
    }

    public string? Cookie(string name) => Cookies.GetCookies(Origin)[name]?.Value;

    public void Dispose() => Http.Dispose();

    public sealed record Page(HttpResponseMessage Response, string Html)
    {
        public HttpStatusCode Status => Response.StatusCode;
        public string? Location => Response.Headers.Location?.OriginalString;

        /// <summary>The value of the hidden field <paramref name="name"/> of the first form that has one.</summary>
        public string Hidden(string name) =>
            HiddenField().Matches(Html).FirstOrDefault(m => m.Groups["name"].Value == name)?.Groups["value"].Value
            ?? throw new InvalidOperationException($"No hidden field {name} in:\n{Html}");

        /// <summary>The action of the first form posting to a path that starts with <paramref name="prefix"/>, HTML-decoded.</summary>
        public string FormAction(string prefix) =>
            FormTag().Matches(Html).Select(m => WebUtility.HtmlDecode(m.Groups["action"].Value)).FirstOrDefault(a => a.StartsWith(prefix, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"No form posting to {prefix} in:\n{Html}");

        public IEnumerable<string> SetCookies => Response.Headers.TryGetValues("Set-Cookie", out var values) ? values : [];
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]+)\" value=\"(?<value>[^\"]*)\">")]
    private static partial Regex HiddenField();

    [GeneratedRegex("<form method=\"post\" action=\"(?<action>[^\"]+)\"")]
    private static partial Regex FormTag();
}
