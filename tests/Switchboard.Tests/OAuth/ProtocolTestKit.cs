using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Identity;
using Switchboard.OAuth;
using Switchboard.OAuth.Protocol;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth;

/// <summary>An app registered straight in the database (the apps API is another part's): its ids and secret.</summary>
public sealed record TestApp(string Id, string ClientId, string? Secret, string OrganizationId, string[] RedirectUris);

/// <summary>
/// A client of the authorization server for the protocol tests: real HTTP to the node, redirects not followed, and the
/// user's approval given through <see cref="AuthorizationRequests"/> (the consent page is another part's).
/// </summary>
public sealed class OAuthTestClient : IDisposable
{
    public SwitchboardFactory Node { get; }
    public HttpClient Http { get; }
    public string BaseUrl { get; }
    /// <summary>The issuer identifier: <c>Switchboard:PublicBaseUrl</c> when the node has one, else the node's own URL.</summary>
    public string Issuer { get; }

    public OAuthTestClient(SwitchboardFactory node, string? issuer = null)
    {
        Node = node;
        Uri address;
        using (var started = node.Client()) address = started.Http.BaseAddress!; // starts the server
        Http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = address };
        BaseUrl = Http.BaseAddress!.GetLeftPart(UriPartial.Authority);
        Issuer = issuer ?? BaseUrl;
    }

    public void Dispose() => Http.Dispose();

    public static string NewVerifier() => SecretHash.RandomToken(48);
    public static string Challenge(string verifier) => Base64Url.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    public async Task<TestApp> CreateAppAsync(string organizationId, string type = OAuthAppTypes.Confidential,
        string[]? redirectUris = null, string[]? scopes = null, string? jwks = null, string? previousSecret = null, DateTime? previousSecretExpiresAt = null)
    {
        var secret = type == OAuthAppTypes.Confidential ? "sbs_" + SecretHash.RandomToken(32) : null;
        var app = new OAuthApp
        {
            Id = Switchboard.Platform.Ids.New("app"), OrganizationId = organizationId, ClientId = "sbc_" + SecretHash.RandomToken(18),
            Name = "Test app", Type = type, RedirectUris = redirectUris ?? ["https://client.example/cb"],
            Scopes = scopes ?? ["contacts:read", "contacts:write"], SecretHash = secret is null ? null : SecretHash.Sha256Hex(secret),
            SecretPrefix = secret?[..8], Jwks = jwks,
            PreviousSecretHash = previousSecret is null ? null : SecretHash.Sha256Hex(previousSecret), PreviousSecretExpiresAt = previousSecretExpiresAt,
            CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
        };
        await using var scope = Node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        db.OAuthApps.Add(app);
        await db.SaveChangesAsync();
        return new TestApp(app.Id, app.ClientId, secret, organizationId, app.RedirectUris);
    }

    /// <summary>Adds <paramref name="userId"/> to the organization with <paramref name="role"/>.</summary>
    public async Task AddMemberAsync(string organizationId, string userId, string role)
    {
        await using var scope = Node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        db.Memberships.Add(new Membership { Id = Switchboard.Platform.Ids.New("mem"), OrganizationId = organizationId, UserId = userId, Role = role, CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow });
        await db.SaveChangesAsync();
    }

    public static string AuthorizeQuery(TestApp app, string challenge, string? scope = "contacts:read", string state = "xyz",
        string? redirectUri = null, params (string Key, string Value)[] extra)
    {
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code", ["client_id"] = app.ClientId, ["redirect_uri"] = redirectUri ?? app.RedirectUris[0],
            ["state"] = state, ["code_challenge"] = challenge, ["code_challenge_method"] = "S256",
        };
        if (scope is not null) query["scope"] = scope;
        foreach (var (k, v) in extra) query[k] = v;
        return QueryHelpers.AddQueryString("/oauth/authorize", query);
    }

    /// <summary>Sends the authorization request and returns the pending request's id from the 303 to the consent page.</summary>
    public async Task<string> StartAsync(string authorizeUrl)
    {
        var response = await Http.GetAsync(authorizeUrl);
        response.StatusCode.ShouldBe(HttpStatusCode.SeeOther, await response.Content.ReadAsStringAsync());
        var location = response.Headers.Location!.OriginalString;
        location.ShouldStartWith("/oauth/consent?request=");
        return Uri.UnescapeDataString(location["/oauth/consent?request=".Length..]);
    }

    /// <summary>What the consent page does when the user approves: returns the redirect back to the client.</summary>
    public async Task<Uri> ApproveAsync(string requestId, string userId, string organizationId, IReadOnlyList<string>? scopes = null,
        DateTime? authenticatedAt = null)
    {
        await using var scope = Node.Services.CreateAsyncScope();
        var requests = scope.ServiceProvider.GetRequiredService<AuthorizationRequests>();
        var pending = await requests.FindPendingAsync(requestId, CancellationToken.None);
        pending.ShouldNotBeNull();
        return await requests.ApproveAsync(pending, userId, organizationId, scopes ?? pending.RequestedScopes, authenticatedAt,
            new DefaultHttpContext { RequestServices = scope.ServiceProvider }, CancellationToken.None);
    }

    public static Dictionary<string, string> Query(Uri redirect) =>
        QueryHelpers.ParseQuery(redirect.Query).ToDictionary(q => q.Key, q => q.Value.ToString());

    /// <summary>The whole front channel: authorize, approve, and the code from the redirect.</summary>
    public async Task<string> CodeAsync(TestApp app, string verifier, string userId, string organizationId, string scope = "contacts:read",
        params (string Key, string Value)[] extra)
    {
        var id = await StartAsync(AuthorizeQuery(app, Challenge(verifier), scope, extra: extra));
        var redirect = await ApproveAsync(id, userId, organizationId);
        var query = Query(redirect);
        query.ShouldContainKey("code", redirect.ToString());
        query["state"].ShouldBe("xyz");
        query["iss"].ShouldBe(Issuer);
        return query["code"];
    }

    public async Task<HttpResponseMessage> PostFormAsync(string path, IDictionary<string, string> form, TestApp? basicAuth = null,
        string? dpopProof = null, string? secret = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        if (basicAuth is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(
                $"{Uri.EscapeDataString(basicAuth.ClientId)}:{Uri.EscapeDataString(secret ?? basicAuth.Secret!)}")));
        if (dpopProof is not null) request.Headers.Add("DPoP", dpopProof);
        return await Http.SendAsync(request);
    }

    public Task<HttpResponseMessage> ExchangeAsync(TestApp app, string code, string verifier, string? redirectUri = null, string? dpopProof = null)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = redirectUri ?? app.RedirectUris[0], ["code_verifier"] = verifier };
        if (app.Secret is null) form["client_id"] = app.ClientId;
        return PostFormAsync("/oauth/token", form, app.Secret is null ? null : app, dpopProof);
    }

    public Task<HttpResponseMessage> RefreshAsync(TestApp app, string refreshToken, string? dpopProof = null)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken };
        if (app.Secret is null) form["client_id"] = app.ClientId;
        return PostFormAsync("/oauth/token", form, app.Secret is null ? null : app, dpopProof);
    }

    public Task<HttpResponseMessage> ClientCredentialsAsync(TestApp app, string? scope = null, string? dpopProof = null)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials" };
        if (scope is not null) form["scope"] = scope;
        return PostFormAsync("/oauth/token", form, app, dpopProof);
    }

    public static async Task<JsonObject> JsonAsync(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(expected, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Asserts an RFC 6749 §5.2 error and returns its body.</summary>
    public static async Task<JsonObject> ShouldBeOAuthErrorAsync(HttpResponseMessage response, string error, HttpStatusCode status = HttpStatusCode.BadRequest)
    {
        var body = await JsonAsync(response, status);
        body["error"]!.GetValue<string>().ShouldBe(error, body.ToJsonString());
        body["error_description"].ShouldNotBeNull();
        response.Headers.CacheControl?.NoStore.ShouldBeTrue();
        return body;
    }

    /// <summary>A GET of the API with an access token under a scheme, optionally with a DPoP proof.</summary>
    public async Task<HttpResponseMessage> CallApiAsync(string path, string token, string scheme = "Bearer", string? dpopProof = null, HttpMethod? method = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue(scheme, token);
        if (dpopProof is not null) request.Headers.Add("DPoP", dpopProof);
        return await Http.SendAsync(request);
    }

    public static JsonObject Payload(string jwt) =>
        JsonNode.Parse(Base64Url.Decode(jwt.Split('.')[1]))!.AsObject();
    public static JsonObject Header(string jwt) =>
        JsonNode.Parse(Base64Url.Decode(jwt.Split('.')[0]))!.AsObject();
}

/// <summary>A DPoP key pair (ES256) that makes proofs (RFC 9449 §4.2).</summary>
public sealed class DpopKey(TimeProvider clock) : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    public JsonObject PublicJwk => new() { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = X, ["y"] = Y };
    public string Thumbprint => Base64Url.Encode(SHA256.HashData(Encoding.UTF8.GetBytes($$"""{"crv":"P-256","kty":"EC","x":"{{X}}","y":"{{Y}}"}""")));
    private string X => Base64Url.Encode(_key.ExportParameters(false).Q.X!);
    private string Y => Base64Url.Encode(_key.ExportParameters(false).Q.Y!);

    public string Proof(string method, string url, string? accessToken = null, string? jti = null, long? iat = null,
        string typ = "dpop+jwt", JsonObject? jwk = null)
    {
        var header = new JsonObject { ["typ"] = typ, ["alg"] = "ES256", ["jwk"] = (jwk ?? PublicJwk).DeepClone() };
        var payload = new JsonObject
        {
            ["jti"] = jti ?? Guid.NewGuid().ToString("N"), ["htm"] = method, ["htu"] = url,
            ["iat"] = iat ?? clock.GetUtcNow().ToUnixTimeSeconds(),
        };
        if (accessToken is not null) payload["ath"] = Base64Url.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));
        return Sign(header, payload, _key);
    }

    public static string Sign(JsonObject header, JsonObject payload, ECDsa key)
    {
        var input = Base64Url.Encode(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url.Encode(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        var signature = key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return input + "." + Base64Url.Encode(signature);
    }

    public void Dispose() => _key.Dispose();
}

internal static class TestDb
{
    public static async Task<T> WithDbAsync<T>(this SwitchboardFactory node, Func<SwitchboardDbContext, Task<T>> work)
    {
        await using var scope = node.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>());
    }

    public static Task<OAuthGrant?> GrantAsync(this SwitchboardFactory node, string grantId) =>
        node.WithDbAsync(db => db.OAuthGrants.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(g => g.Id == grantId));
}
