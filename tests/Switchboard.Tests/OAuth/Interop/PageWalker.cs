using System.Net;
using System.Text.RegularExpressions;

namespace Switchboard.Tests.OAuth.Interop;

/// <summary>
/// A browser without JavaScript taking an authorization request through the node's pages: keeps the node's cookies,
/// follows each redirect itself (checking that a POST is answered with 303, RFC 9700 §4.12), fills the sign-in form and
/// presses Allow on the consent page, posting each form with its hidden fields (the CSRF token among them), until the
/// node sends it to the app's loopback receiver, which it then visits as a browser would.
/// </summary>
public sealed partial class PageWalker : IDisposable
{
    private readonly HttpClient _http;
    public List<string> Visited { get; } = [];

    public PageWalker() =>
        _http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() });

    /// <summary>Returns the URL the node redirected the browser to on <paramref name="receiver"/>.</summary>
    public async Task<Uri> AuthorizeAsync(string authorizationUrl, string email, string password, LoopbackReceiver receiver) =>
        await WalkAsync(authorizationUrl, email, password, receiver.RedirectUri, async location =>
        {
            var received = receiver.NextAsync();
            (await _http.GetAsync(location)).StatusCode.ShouldBe(HttpStatusCode.OK);
            return await received;
        });

    /// <summary>
    /// For a redirect URI another program serves (an app under test listening on loopback): walks the pages until the
    /// node redirects to <paramref name="redirectUriPrefix"/>, visits that address and returns what the app answered.
    /// </summary>
    public Task<string> AuthorizeAsync(string authorizationUrl, string email, string password, string redirectUriPrefix) =>
        WalkAsync(authorizationUrl, email, password, redirectUriPrefix, async location =>
        {
            using var arrived = await _http.GetAsync(location);
            var text = await arrived.Content.ReadAsStringAsync();
            arrived.StatusCode.ShouldBe(HttpStatusCode.OK, text);
            return text;
        });

    private async Task<T> WalkAsync<T>(string authorizationUrl, string email, string password, string redirectUriPrefix, Func<Uri, Task<T>> arrive)
    {
        var origin = new Uri(authorizationUrl).GetLeftPart(UriPartial.Authority);
        var request = new HttpRequestMessage(HttpMethod.Get, authorizationUrl);
        for (var hop = 0; hop < 20; hop++)
        {
            request.Headers.Accept.ParseAdd("text/html");
            var wasPost = request.Method == HttpMethod.Post;
            using var response = await _http.SendAsync(request);
            Visited.Add($"{request.Method} {request.RequestUri!.AbsolutePath} -> {(int)response.StatusCode}");
            if ((int)response.StatusCode is >= 300 and < 400)
            {
                if (wasPost) response.StatusCode.ShouldBe(HttpStatusCode.SeeOther, string.Join("\n", Visited));
                var location = new Uri(request.RequestUri!, response.Headers.Location!);
                if (location.AbsoluteUri.StartsWith(redirectUriPrefix, StringComparison.Ordinal)) return await arrive(location);
                location.GetLeftPart(UriPartial.Authority).ShouldBe(origin, $"redirected away from the node: {location}");
                request = new HttpRequestMessage(HttpMethod.Get, location);
                continue;
            }
            var html = await response.Content.ReadAsStringAsync();
            response.StatusCode.ShouldBe(HttpStatusCode.OK, html);
            var forms = Forms(html, request.RequestUri!);
            if (forms.FirstOrDefault(f => f.HasPassword) is { } signIn)
            {
                var fields = signIn.Hidden.ToDictionary();
                fields["email"] = email;
                fields["password"] = password;
                request = new HttpRequestMessage(HttpMethod.Post, signIn.Action) { Content = new FormUrlEncodedContent(fields) };
                continue;
            }
            var consent = forms.FirstOrDefault(f => f.Buttons.Any(b => b is ("decision", "allow")))
                          ?? throw new InvalidOperationException($"Neither a sign-in nor a consent form on {request.RequestUri}:\n{html}");
            var answer = consent.Hidden.ToDictionary();
            answer["decision"] = "allow";
            request = new HttpRequestMessage(HttpMethod.Post, consent.Action) { Content = new FormUrlEncodedContent(answer) };
        }
        throw new InvalidOperationException("No redirect to the app after 20 pages: " + string.Join(", ", Visited));
    }

    private sealed record Form(Uri Action, List<KeyValuePair<string, string>> Hidden, List<(string Name, string Value)> Buttons, bool HasPassword);

    private static List<Form> Forms(string html, Uri page)
    {
        var forms = new List<Form>();
        foreach (Match form in FormPattern().Matches(html))
        {
            var action = new Uri(page, WebUtility.HtmlDecode(Attribute(form.Groups["attrs"].Value, "action") ?? ""));
            var inner = form.Groups["inner"].Value;
            var hidden = new List<KeyValuePair<string, string>>();
            var password = false;
            foreach (Match input in InputPattern().Matches(inner))
            {
                var type = Attribute(input.Groups["attrs"].Value, "type") ?? "text";
                if (type == "password") password = true;
                if (type == "hidden" && Attribute(input.Groups["attrs"].Value, "name") is { } name)
                    hidden.Add(KeyValuePair.Create(name, WebUtility.HtmlDecode(Attribute(input.Groups["attrs"].Value, "value") ?? "")));
            }
            var buttons = ButtonPattern().Matches(inner)
                .Select(b => (Attribute(b.Groups["attrs"].Value, "name") ?? "", Attribute(b.Groups["attrs"].Value, "value") ?? "")).ToList();
            forms.Add(new Form(action, hidden, buttons, password));
        }
        return forms;
    }

    private static string? Attribute(string attributes, string name)
    {
        var match = Regex.Match(attributes, $@"\b{name}\s*=\s*""(?<v>[^""]*)""");
        return match.Success ? match.Groups["v"].Value : null;
    }

    public void Dispose() => _http.Dispose();

    [GeneratedRegex(@"<form\b(?<attrs>[^>]*)>(?<inner>.*?)</form>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex FormPattern();

    [GeneratedRegex(@"<input\b(?<attrs>[^>]*)>", RegexOptions.IgnoreCase)]
    private static partial Regex InputPattern();

    [GeneratedRegex(@"<button\b(?<attrs>[^>]*)>", RegexOptions.IgnoreCase)]
    private static partial Regex ButtonPattern();
}

/// <summary>An app's loopback redirect receiver (RFC 8252 §7.3): 127.0.0.1 on a port picked at run time.</summary>
public sealed class LoopbackReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    public string RedirectUri { get; }

    public LoopbackReceiver()
    {
        var port = Infrastructure.ServiceProcess.FreePort();
        RedirectUri = $"http://127.0.0.1:{port}/callback";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
    }

    /// <summary>The next request the receiver gets (answered with a short page), as the full URL it was sent to.</summary>
    public async Task<Uri> NextAsync()
    {
        var context = await _listener.GetContextAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var url = context.Request.Url!;
        var body = "<!doctype html><title>Done</title><h1 id=\"done\">The app received the answer.</h1>"u8.ToArray();
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.OutputStream.WriteAsync(body);
        context.Response.Close();
        return url;
    }

    public void Dispose() => _listener.Close();
}
