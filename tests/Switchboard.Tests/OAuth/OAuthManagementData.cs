using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Identity;
using Switchboard.OAuth;
using Switchboard.Platform;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth;

/// <summary>
/// What the management API tests need of the protocol side, made straight in the database: grants and refresh-token
/// families (as the token endpoint would store them), and access tokens issued the way it issues them.
/// </summary>
internal static class OAuthManagementData
{
    public const string Confidential = "confidential";

    public static object App(string name = "Scheduler", string type = Confidential, string[]? scopes = null, string[]? redirectUris = null) => new
    {
        name, type, scopes = scopes ?? ["contacts:read"], redirectUris = redirectUris ?? ["https://scheduler.example.com/oauth/callback"],
    };

    public static async Task<JsonObject> CreateAppAsync(this ApiClient client, object? body = null)
    {
        var response = await client.PostAsync("/api/v1/oauth/apps", body ?? App());
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await ApiClient.ReadAsync(response);
    }

    public static string Id(this JsonNode record) => record["id"]!.GetValue<string>();

    public static async Task<T> DbAsync<T>(this SwitchboardFactory node, Func<SwitchboardDbContext, Task<T>> read)
    {
        await using var scope = node.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>());
    }

    public static Task<OAuthApp> AppRowAsync(this SwitchboardFactory node, string id) =>
        node.DbAsync(db => db.OAuthApps.IgnoreQueryFilters().AsNoTracking().SingleAsync(a => a.Id == id));

    /// <summary>A user's grant to an app, as the consent step stores it.</summary>
    public static Task<OAuthGrant> GrantAsync(this SwitchboardFactory node, string organizationId, string appId, string userId, params string[] scopes) =>
        node.DbAsync(async db =>
        {
            var now = node.Clock.GetUtcNow().UtcDateTime;
            var grant = new OAuthGrant
            {
                Id = Ids.New(OAuthResources.Authorizations, node.Clock), OrganizationId = organizationId, AppId = appId, UserId = userId,
                Scopes = scopes.Length > 0 ? scopes : ["contacts:read"], CreatedAt = now, UpdatedAt = now, LastUsedAt = now,
            };
            db.OAuthGrants.Add(grant);
            await db.SaveChangesAsync();
            return grant;
        });

    /// <summary>A rotated refresh-token chain of the grant (its family is the grant's id): one used link and the live one.</summary>
    public static Task<List<string>> RefreshFamilyAsync(this SwitchboardFactory node, OAuthGrant grant) =>
        node.DbAsync(async db =>
        {
            var now = node.Clock.GetUtcNow().UtcDateTime;
            var rows = Enumerable.Range(0, 2).Select(i => new RefreshToken
            {
                Id = Ids.New("rt", node.Clock), FamilyId = grant.Id, TokenHash = SecretHash.Sha256Hex(SecretHash.RandomToken()), UserId = grant.UserId,
                OrganizationId = grant.OrganizationId, CreatedAt = now, ExpiresAt = now.AddDays(30), UsedAt = i == 0 ? now : null,
            }).ToList();
            db.RefreshTokens.AddRange(rows);
            await db.SaveChangesAsync();
            return rows.Select(r => r.Id).ToList();
        });

    public static Task<List<RefreshToken>> RefreshTokensAsync(this SwitchboardFactory node, IReadOnlyCollection<string> ids) =>
        node.DbAsync(db => db.RefreshTokens.AsNoTracking().Where(t => ids.Contains(t.Id)).ToListAsync());

    /// <summary>An access token issued under the grant to the app (delegated: its user, the grant's id as sid).</summary>
    public static string AccessToken(this SwitchboardFactory node, OAuthGrant grant, string clientId, string role = "owner") =>
        node.Services.GetRequiredService<AccessTokenService>().CreateForClient(node.OAuthIssuer(), Switchboard.OAuth.Protocol.OAuthIssuer.Audience(node.OAuthIssuer()),
            grant.UserId, clientId, grant.OrganizationId, role, grant.Id, grant.Scopes, jkt: null);

    /// <summary>A client_credentials token of the app: the app is its own subject (RFC 9068 §2.2), its id the sid.</summary>
    public static string ClientCredentialsToken(this SwitchboardFactory node, string organizationId, string appId, string clientId, params string[] scopes) =>
        node.Services.GetRequiredService<AccessTokenService>().CreateForClient(node.OAuthIssuer(), Switchboard.OAuth.Protocol.OAuthIssuer.Audience(node.OAuthIssuer()),
            clientId, clientId, organizationId, role: null, appId, scopes, jkt: null);

    /// <summary>The node's OAuth issuer as its clients reach it (no PublicBaseUrl in these tests: its own loopback origin).</summary>
    private static string OAuthIssuer(this SwitchboardFactory node)
    {
        using var client = node.Client();
        return client.Http.BaseAddress!.GetLeftPart(UriPartial.Authority);
    }

    /// <summary>A second person in the owner's organization with <paramref name="role"/>, signed in.</summary>
    public static async Task<ApiClient> InviteAsync(this ApiClient owner, string role)
    {
        var email = $"{role}-{Guid.NewGuid():N}@example.com";
        var invite = await owner.PostAsync("/api/v1/invitations", new { email, role });
        invite.StatusCode.ShouldBe(HttpStatusCode.Created, await invite.Content.ReadAsStringAsync());
        var token = (await ApiClient.ReadAsync(invite))["token"]!.GetValue<string>();
        var invitee = owner.Node.Client();
        var accepted = await invitee.PostAsync("/api/v1/auth/accept-invitation", new { token, name = role, password = "invitee password 1" });
        accepted.StatusCode.ShouldBe(HttpStatusCode.OK, await accepted.Content.ReadAsStringAsync());
        invitee.UseSession(await ApiClient.ReadAsync(accepted));
        return invitee;
    }

    public static async Task<HttpResponseMessage> SendWithIfMatchAsync(this ApiClient client, HttpMethod method, string path, string etag, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = System.Net.Http.Json.JsonContent.Create(body);
        request.Headers.TryAddWithoutValidation("If-Match", etag);
        return await client.Http.SendAsync(request);
    }
}
