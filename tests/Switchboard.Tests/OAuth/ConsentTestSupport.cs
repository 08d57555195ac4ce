using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.Identity;
using Switchboard.OAuth;
using Switchboard.Platform;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth;

/// <summary>Apps, accounts and authorization requests for the consent tests, made the way the other parts would make them.</summary>
public static class ConsentTestSupport
{
    public const string Password = "correct horse battery staple";

    /// <summary>An app registered by <paramref name="organizationId"/>, inserted as the apps API would store it (secret hashed).</summary>
    public static async Task<OAuthApp> CreateAppAsync(SwitchboardFactory node, string organizationId, string name, string[] scopes, string[] redirectUris,
        string? logoUrl = null, string? homepageUrl = null) =>
        (await CreateAppWithSecretAsync(node, organizationId, name, scopes, redirectUris, logoUrl, homepageUrl)).App;

    public static async Task<(OAuthApp App, string Secret)> CreateAppWithSecretAsync(SwitchboardFactory node, string organizationId, string name,
        string[] scopes, string[] redirectUris, string? logoUrl = null, string? homepageUrl = null)
    {
        var secret = "sbs_" + SecretHash.RandomToken(32);
        var app = new OAuthApp
        {
            Id = Ids.New("app"), OrganizationId = organizationId, ClientId = "sbc_" + SecretHash.RandomToken(18), Name = name,
            HomepageUrl = homepageUrl, LogoUrl = logoUrl, RedirectUris = redirectUris, Scopes = scopes, Type = OAuthAppTypes.Confidential,
            SecretHash = SecretHash.Sha256Hex(secret), SecretPrefix = secret[..8], CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
        };
        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        db.OAuthApps.Add(app);
        await db.SaveChangesAsync();
        return (app, secret);
    }

    public sealed record Account(string Email, string UserId, string OrganizationId);

    public static async Task<Account> NewAccountAsync(SwitchboardFactory node, string organization = "Acme")
    {
        using var api = node.Client();
        var email = $"user-{Guid.NewGuid():N}@example.com";
        await api.SignupAsync(email, Password, organization);
        return new Account(email, api.UserId!, api.OrganizationId!);
    }

    /// <summary>Makes the user a member of another organization too (as an accepted invitation would).</summary>
    public static async Task JoinAsync(SwitchboardFactory node, string userId, string organizationId, string role)
    {
        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        db.Memberships.Add(new Membership
        {
            Id = Ids.New("mem"), OrganizationId = organizationId, UserId = userId, Role = role, CreatedAt = DateTime.UtcNow.AddSeconds(1), UpdatedAt = DateTime.UtcNow,
        });
        await db.SaveChangesAsync();
    }

    public static async Task<List<OAuthGrant>> GrantsAsync(SwitchboardFactory node, string userId, string appId)
    {
        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        return await db.OAuthGrants.IgnoreQueryFilters().AsNoTracking().Where(g => g.UserId == userId && g.AppId == appId).ToListAsync();
    }

    /// <summary>The authorize URL an app would send the browser to (PKCE S256, a fresh verifier).</summary>
    public static string AuthorizeUrl(OAuthApp app, string redirectUri, string scope, string state, string? prompt = null, int? maxAge = null,
        string? verifier = null)
    {
        verifier ??= SecretHash.RandomToken(32);
        var challenge = Base64Url.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code", ["client_id"] = app.ClientId, ["redirect_uri"] = redirectUri, ["scope"] = scope, ["state"] = state,
            ["code_challenge"] = challenge, ["code_challenge_method"] = "S256",
        };
        if (prompt is not null) query["prompt"] = prompt;
        if (maxAge is not null) query["max_age"] = maxAge.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return QueryHelpers.AddQueryString("/oauth/authorize", query);
    }

    /// <summary>Starts an authorization as the app would and returns the consent page's address /oauth/authorize sent the browser to.</summary>
    public static async Task<string> AuthorizeAsync(FormBrowser browser, OAuthApp app, string redirectUri, string scope, string state = "st-123",
        string? prompt = null, int? maxAge = null)
    {
        var answer = await browser.GetAsync(AuthorizeUrl(app, redirectUri, scope, state, prompt, maxAge));
        answer.Status.ShouldBe(HttpStatusCode.SeeOther, answer.Html);
        answer.Location.ShouldStartWith("/oauth/consent?request=azr_");
        return answer.Location!;
    }

    public static Dictionary<string, string> QueryOf(string url) =>
        QueryHelpers.ParseQuery(new Uri(url).Query).ToDictionary(p => p.Key, p => p.Value.ToString());
}

/// <summary>An app's redirect URI on 127.0.0.1 (RFC 8252 §7.3): records each authorization response and shows a page.</summary>
public sealed class LoopbackRedirectReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    public ConcurrentQueue<Dictionary<string, string>> Responses { get; } = new();
    public string RedirectUri { get; }

    private LoopbackRedirectReceiver(WebApplication app, string redirectUri) => (_app, RedirectUri) = (app, redirectUri);

    public static async Task<LoopbackRedirectReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        LoopbackRedirectReceiver? receiver = null;
        app.MapGet("/callback", (HttpContext http) =>
        {
            var query = http.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString());
            receiver!.Responses.Enqueue(query);
            var shown = string.Join("", query.Select(q => $"<li id=\"{WebUtility.HtmlEncode(q.Key)}\">{WebUtility.HtmlEncode(q.Key)} = {WebUtility.HtmlEncode(q.Value)}</li>"));
            return Results.Content($"<!doctype html><title>Example app</title><h1>Example app received</h1><ul>{shown}</ul>", "text/html");
        });
        await app.StartAsync();
        receiver = new LoopbackRedirectReceiver(app, app.Urls.Single() + "/callback");
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
