using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations.TestProviders;

/// <summary>
/// The provider behind <see cref="TestOAuth.TestOAuthConnector"/> and <see cref="TestKey.TestKeyConnector"/>, on a
/// <see cref="FakeProvider"/>: an OAuth 2.0 authorization server as RFC 6749 and RFC 7636 describe it (the authorize
/// request's parameters, the code bound to its redirect URI and PKCE challenge, client_secret_basic at the token
/// endpoint, refresh tokens that rotate: a used one is dead) and an API that takes only the current access token.
/// </summary>
public sealed class FakeOAuthProvider : IAsyncDisposable
{
    public const string ClientId = "client-7f3a", ClientSecret = "s3cr3t-client-9b1c", ApiKey = "tk_live_4242";

    private sealed record Grant(string RedirectUri, string Challenge, string Scope);

    private readonly ConcurrentDictionary<string, Grant> _codes = new();
    private readonly object _gate = new();
    private string? _access, _refresh;
    private int _refreshGrants, _codeGrants;

    public FakeProvider Http { get; private set; } = null!;
    public string BaseUrl => Http.BaseUrl;
    /// <summary>Seconds until an issued access token expires (as <c>expires_in</c> says).</summary>
    public int ExpiresIn { get; set; } = 3600;
    /// <summary>Refuse refresh grants with <c>invalid_grant</c> (the user revoked the app).</summary>
    public bool RefuseRefresh { get; set; }
    /// <summary>Makes <c>/v1/me</c> refuse the token's scope, as a provider does when the user granted less than asked.</summary>
    public bool RefuseProfile { get; set; }
    /// <summary>The workspace the provider names in the callback's query (as QuickBooks names the company's realmId).</summary>
    public const string Workspace = "W-90210";
    /// <summary>How long the token endpoint takes (so concurrent callers really overlap).</summary>
    public TimeSpan TokenDelay { get; set; }
    public int RefreshGrants => Volatile.Read(ref _refreshGrants);
    public int CodeGrants => Volatile.Read(ref _codeGrants);
    public ConcurrentQueue<string> Revoked { get; } = new();
    public string? CurrentAccessToken { get { lock (_gate) return _access; } }
    public string? CurrentRefreshToken { get { lock (_gate) return _refresh; } }

    /// <summary>The provider stops taking the current access token (revoked, or expired early).</summary>
    public void RevokeAccess() { lock (_gate) _access = "revoked-" + Guid.NewGuid(); }

    public static async Task<FakeOAuthProvider> StartAsync()
    {
        var fake = new FakeOAuthProvider();
        fake.Http = await FakeProvider.StartAsync((app, http) => fake.Map(app, http));
        return fake;
    }

    /// <summary>The settings that point a node's test providers at this fake, with the operator's OAuth client.</summary>
    public IEnumerable<(string Key, string Value)> Settings() =>
    [
        ("Switchboard:Integrations:Providers:test_oauth:ClientId", ClientId),
        ("Switchboard:Integrations:Providers:test_oauth:ClientSecret", ClientSecret),
        ("Switchboard:Integrations:Providers:test_oauth:AuthorizeUrl", BaseUrl + "/oauth/authorize"),
        ("Switchboard:Integrations:Providers:test_oauth:TokenUrl", BaseUrl + "/oauth/token"),
        ("Switchboard:Integrations:Providers:test_oauth:RevokeUrl", BaseUrl + "/oauth/revoke"),
        ("Switchboard:Integrations:Providers:test_oauth:BaseUrls:api", BaseUrl),
        ("Switchboard:Integrations:Providers:test_key:BaseUrls:api", BaseUrl),
    ];

    /// <summary>
    /// The user's browser at the authorize URL, consenting: checks the request as the provider would and answers the
    /// callback URL the provider would redirect to (with a code, or <paramref name="error"/>).
    /// </summary>
    public string Approve(string authorizeUrl, string? error = null)
    {
        var uri = new Uri(authorizeUrl);
        var fake = Http;
        fake.Require(uri.GetLeftPart(UriPartial.Path) == BaseUrl + "/oauth/authorize", $"authorize URL {uri.GetLeftPart(UriPartial.Path)}");
        var q = QueryHelpers.ParseQuery(uri.Query);
        string P(string name) => q.TryGetValue(name, out var v) && v.Count == 1 ? v[0]! : "";
        fake.Require(P("response_type") == "code", "response_type must be code");
        fake.Require(P("client_id") == ClientId, "client_id must be the operator's client");
        fake.Require(P("redirect_uri").EndsWith("/api/v1/integrations/oauth/callback", StringComparison.Ordinal), "redirect_uri " + P("redirect_uri"));
        fake.Require(P("scope") == "messages:write,channels:read", "scope joined with the provider's separator: " + P("scope"));
        fake.Require(P("code_challenge_method") == "S256", "PKCE S256 required");
        fake.Require(P("code_challenge").Length == 43, "code_challenge is base64url SHA-256");
        fake.Require(P("access_type") == "offline", "access_type=offline for a refresh token");
        fake.Require(P("state").Length > 20, "state required");
        var redirect = P("redirect_uri");
        var state = Uri.EscapeDataString(P("state"));
        if (error is not null) return $"{redirect}?error={Uri.EscapeDataString(error)}&state={state}";
        var code = "code-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        _codes[code] = new Grant(redirect, P("code_challenge"), P("scope"));
        return $"{redirect}?code={code}&state={state}&workspace={Workspace}";
    }

    /// <summary>Gives out a first token pair as if a connection had happened (for tests that start connected).</summary>
    private IResult Issue(Grant grant)
    {
        string access, refresh;
        lock (_gate)
        {
            _access = access = "at-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
            _refresh = refresh = "rt-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        }
        return Results.Json(new { access_token = access, token_type = "Bearer", expires_in = ExpiresIn, refresh_token = refresh, scope = grant.Scope });
    }

    private static IResult Error(string error, int status = 400, string? description = null) =>
        Results.Json(new { error, error_description = description }, statusCode: status);

    private void Map(WebApplication app, FakeProvider fake)
    {
        app.MapPost("/oauth/token", async (HttpContext http) =>
        {
            // RFC 6749 §2.3.1: client_secret_basic, id and secret form-urlencoded inside the Basic credentials.
            var auth = http.Request.Headers.Authorization.ToString();
            var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.EscapeDataString(ClientId) + ":" + Uri.EscapeDataString(ClientSecret)));
            if (!fake.Require(auth == expected, "token endpoint: client_secret_basic with the operator's client")) return Error("invalid_client", 401);
            var form = await http.Request.ReadFormAsync();
            fake.Require(!form.ContainsKey("client_secret"), "the client secret must not be in the body when Basic is used");
            if (TokenDelay > TimeSpan.Zero) await Task.Delay(TokenDelay);
            switch (form["grant_type"].ToString())
            {
                case "authorization_code":
                    Interlocked.Increment(ref _codeGrants);
                    if (!_codes.TryRemove(form["code"].ToString(), out var grant)) return Error("invalid_grant", description: "unknown or used code");
                    if (!fake.Require(form["redirect_uri"] == grant.RedirectUri, "redirect_uri must be the authorize request's")) return Error("invalid_grant");
                    var verifier = form["code_verifier"].ToString();
                    var challenge = Base64UrlChallenge(verifier);
                    if (!fake.Require(challenge == grant.Challenge, "code_verifier does not match the code_challenge (S256)")) return Error("invalid_grant");
                    return Issue(grant);
                case "refresh_token":
                    Interlocked.Increment(ref _refreshGrants);
                    if (RefuseRefresh) return Error("invalid_grant", description: "The refresh token was revoked.");
                    lock (_gate)
                        if (form["refresh_token"] != _refresh)
                        {
                            fake.Violation("a refresh token was used after it was rotated (two refreshes raced)");
                            return Error("invalid_grant", description: "refresh token already used");
                        }
                    return Issue(new Grant("", "", "messages:write,channels:read"));
                default:
                    fake.Violation("unsupported grant_type " + form["grant_type"]);
                    return Error("unsupported_grant_type");
            }
        });
        app.MapPost("/oauth/revoke", async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync();
            fake.Require(http.Request.Headers.Authorization.ToString().StartsWith("Basic ", StringComparison.Ordinal), "revocation needs client authentication (RFC 7009 §2.1)");
            Revoked.Enqueue(form["token"].ToString());
            return Results.Ok();
        });
        app.MapGet("/v1/me", (HttpContext http) =>
        {
            var auth = http.Request.Headers.Authorization.ToString();
            if (!auth.StartsWith("Bearer ", StringComparison.Ordinal)) { fake.Violation("/v1/me without a bearer token"); return Error("not_authed", 401); }
            if (auth["Bearer ".Length..] != CurrentAccessToken) return Error("invalid_auth", 401);
            return RefuseProfile ? Error("missing_scope", 403) : Results.Json(new { ok = true, user = "switchboard-bot", team_id = "T-7" });
        });
        app.MapGet("/ping", (HttpContext http) =>
        {
            fake.Require(http.Request.Headers.Authorization.Count == 0, "an API-key provider gets no bearer token");
            return http.Request.Headers["X-Api-Key"] == ApiKey ? Results.Json(new { pong = true })
                : Results.Json(new { message = "The API key is not valid." }, statusCode: 403);
        });
    }

    private static string Base64UrlChallenge(string verifier) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public ValueTask DisposeAsync() => Http.DisposeAsync();
}
