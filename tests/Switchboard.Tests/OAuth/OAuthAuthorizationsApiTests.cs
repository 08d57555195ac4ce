using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth;

/// <summary>
/// Connected apps at /api/v1/oauth/authorizations over real HTTP, on SQLite and PostgreSQL. The grants and refresh tokens
/// are made in the database as the protocol endpoints store them; access tokens are issued the way they issue them.
/// </summary>
public abstract class OAuthAuthorizationsApiTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private static List<string> IdsOf(JsonObject list) => list["data"]!.AsArray().Select(a => a!.Id()).ToList();

    [Fact]
    public async Task EachUserSeesTheirOwnAuthorizationsAndAnAdminAnyMembers()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        using var member = await owner.InviteAsync("member");
        var app = await owner.CreateAppAsync();
        var other = await owner.CreateAppAsync(OAuthManagementData.App("Other"));
        var ownerGrant = await node.GrantAsync(owner.OrganizationId!, app.Id(), owner.UserId!, "contacts:read", "deals:read");
        var memberGrant = await node.GrantAsync(owner.OrganizationId!, app.Id(), member.UserId!);
        var memberOther = await node.GrantAsync(owner.OrganizationId!, other.Id(), member.UserId!);

        var mine = await owner.GetJsonAsync("/api/v1/oauth/authorizations");
        IdsOf(mine).ShouldBe([ownerGrant.Id]);
        var shown = mine["data"]![0]!;
        shown["appId"]!.GetValue<string>().ShouldBe(app.Id());
        shown["appName"]!.GetValue<string>().ShouldBe("Scheduler");
        shown["clientId"]!.GetValue<string>().ShouldBe(app["clientId"]!.GetValue<string>());
        shown["userId"]!.GetValue<string>().ShouldBe(owner.UserId);
        shown["scopes"]!.AsArray().Select(s => s!.GetValue<string>()).ShouldBe(["contacts:read", "deals:read"]);
        shown["status"]!.GetValue<string>().ShouldBe("active");
        shown["createdAt"].ShouldNotBeNull();
        shown["lastUsedAt"].ShouldNotBeNull();

        IdsOf(await member.GetJsonAsync("/api/v1/oauth/authorizations")).ShouldBe([memberOther.Id, memberGrant.Id]);
        IdsOf(await member.GetJsonAsync($"/api/v1/oauth/authorizations?appId={app.Id()}")).ShouldBe([memberGrant.Id]);
        IdsOf(await member.GetJsonAsync($"/api/v1/oauth/authorizations?userId={member.UserId}&limit=1")).ShouldBe([memberOther.Id]);
        // A member manages their own only; an owner (or admin) any member's, as they manage members.
        await (await member.GetAsync($"/api/v1/oauth/authorizations?userId={owner.UserId}")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await member.GetAsync($"/api/v1/oauth/authorizations/{ownerGrant.Id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await member.DeleteAsync($"/api/v1/oauth/authorizations/{ownerGrant.Id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        IdsOf(await owner.GetJsonAsync($"/api/v1/oauth/authorizations?userId={member.UserId}")).ShouldBe([memberOther.Id, memberGrant.Id]);
        (await owner.GetJsonAsync($"/api/v1/oauth/authorizations/{memberGrant.Id}"))["userId"]!.GetValue<string>().ShouldBe(member.UserId);

        await (await owner.GetAsync("/api/v1/oauth/authorizations?userId=bob")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        await (await owner.GetAsync("/api/v1/oauth/authorizations?appId=x")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        await (await owner.GetAsync("/api/v1/oauth/authorizations?status=paused")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        await (await owner.GetAsync("/api/v1/oauth/authorizations/grt_nope")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task RevokingStopsEveryTokenOfTheAuthorizationAndEmitsItsEvent()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        (await owner.PostAsync("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "oauth.*" } })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var app = await owner.CreateAppAsync();
        var clientId = app["clientId"]!.GetValue<string>();
        var grant = await node.GrantAsync(owner.OrganizationId!, app.Id(), owner.UserId!, "contacts:read");
        var family = await node.RefreshFamilyAsync(grant);
        var keep = await node.GrantAsync(owner.OrganizationId!, app.Id(), owner.UserId!, "contacts:read");
        var keptFamily = await node.RefreshFamilyAsync(keep);

        using var appClient = node.Client().WithBearer(node.AccessToken(grant, clientId));
        (await appClient.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await appClient.GetJsonAsync("/api/v1/me"))["kind"]!.GetValue<string>().ShouldBe("oauth_client");
        using var keptClient = node.Client().WithBearer(node.AccessToken(keep, clientId));

        var etag = (await owner.GetAsync($"/api/v1/oauth/authorizations/{grant.Id}")).Headers.ETag!.ToString();
        node.Clock.Advance(TimeSpan.FromMilliseconds(5)); // the revocation is later than the token's issue instant
        (await owner.SendWithIfMatchAsync(HttpMethod.Delete, $"/api/v1/oauth/authorizations/{grant.Id}", etag)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await (await appClient.GetAsync("/api/v1/contacts")).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");
        (await keptClient.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK, "another authorization's tokens keep working");
        (await node.RefreshTokensAsync(family)).ShouldAllBe(t => t.RevokedAt != null);
        (await node.RefreshTokensAsync(keptFamily)).ShouldAllBe(t => t.RevokedAt == null);
        var shown = await owner.GetJsonAsync($"/api/v1/oauth/authorizations/{grant.Id}");
        shown["status"]!.GetValue<string>().ShouldBe("revoked");
        shown["revokedAt"].ShouldNotBeNull();
        IdsOf(await owner.GetJsonAsync("/api/v1/oauth/authorizations?status=active")).ShouldBe([keep.Id]);
        IdsOf(await owner.GetJsonAsync("/api/v1/oauth/authorizations?status=revoked")).ShouldBe([grant.Id]);

        var delivered = (await receiver.WaitForAsync(r => r.Headers["x-webhook-event"] == "oauth.authorization_revoked")).Single();
        var data = JsonNode.Parse(delivered.Body)!["data"]!;
        data["id"]!.GetValue<string>().ShouldBe(grant.Id);
        data["clientId"]!.GetValue<string>().ShouldBe(clientId);
        data["appName"]!.GetValue<string>().ShouldBe("Scheduler");
        data["userId"]!.GetValue<string>().ShouldBe(owner.UserId);
        data["revokedAt"].ShouldNotBeNull();
        var entry = (await owner.GetJsonAsync("/api/v1/audit-logs"))["data"]!.AsArray().First(e => e!["action"]!.GetValue<string>() == "oauth_authorization.revoked")!;
        entry["targetId"]!.GetValue<string>().ShouldBe(grant.Id);

        // Again: nothing changes, no second event; a stale If-Match on a live one is refused.
        (await owner.DeleteAsync($"/api/v1/oauth/authorizations/{grant.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await owner.SendWithIfMatchAsync(HttpMethod.Delete, $"/api/v1/oauth/authorizations/{keep.Id}", etag))
            .ShouldBeProblemAsync(HttpStatusCode.PreconditionFailed, "precondition_failed");
        await Task.Delay(300);
        receiver.Requests.Count(r => r.Headers["x-webhook-event"] == "oauth.authorization_revoked").ShouldBe(1);
    }

    [Fact]
    public async Task AnAdminRevokesAMembersAuthorization()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        using var member = await owner.InviteAsync("member");
        using var admin = await owner.InviteAsync("admin");
        var app = await owner.CreateAppAsync();
        var grant = await node.GrantAsync(owner.OrganizationId!, app.Id(), member.UserId!);
        (await admin.DeleteAsync($"/api/v1/oauth/authorizations/{grant.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await member.GetJsonAsync($"/api/v1/oauth/authorizations/{grant.Id}"))["status"]!.GetValue<string>().ShouldBe("revoked");
        var entry = (await owner.GetJsonAsync("/api/v1/audit-logs"))["data"]!.AsArray().First(e => e!["action"]!.GetValue<string>() == "oauth_authorization.revoked")!;
        entry["actorId"]!.GetValue<string>().ShouldBe(admin.UserId);
    }

    [Fact]
    public async Task ApiKeysAndAppsActingForThemselvesCannotManageAuthorizations()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var app = await owner.CreateAppAsync();
        var clientId = app["clientId"]!.GetValue<string>();
        var grant = await node.GrantAsync(owner.OrganizationId!, app.Id(), owner.UserId!);

        using var key = node.Client().WithApiKey((await owner.CreateKeyAsync("admin"))["key"]!.GetValue<string>());
        await (await key.GetAsync("/api/v1/oauth/authorizations")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await key.DeleteAsync($"/api/v1/oauth/authorizations/{grant.Id}")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");

        using var machine = node.Client().WithBearer(node.ClientCredentialsToken(owner.OrganizationId!, app.Id(), clientId, "admin"));
        await (await machine.GetAsync("/api/v1/oauth/authorizations")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await machine.DeleteAsync($"/api/v1/oauth/authorizations/{grant.Id}")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        (await owner.GetJsonAsync($"/api/v1/oauth/authorizations/{grant.Id}"))["status"]!.GetValue<string>().ShouldBe("active");
    }

    [Fact]
    public async Task AnAppsDelegatedTokenReachesOnlyTheAuthorizationItWasIssuedUnder()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        using var member = await owner.InviteAsync("member");
        var app = await owner.CreateAppAsync();
        var other = await owner.CreateAppAsync(OAuthManagementData.App("Other"));
        var grant = await node.GrantAsync(owner.OrganizationId!, app.Id(), owner.UserId!, "admin");
        var otherAppGrant = await node.GrantAsync(owner.OrganizationId!, other.Id(), owner.UserId!);
        var membersGrant = await node.GrantAsync(owner.OrganizationId!, app.Id(), member.UserId!);

        // Even with admin granted, an app's token is not the owner signed in: it sees its own authorization only.
        using var appClient = node.Client().WithBearer(node.AccessToken(grant, app["clientId"]!.GetValue<string>()));
        IdsOf(await appClient.GetJsonAsync("/api/v1/oauth/authorizations")).ShouldBe([grant.Id]);
        await (await appClient.GetAsync($"/api/v1/oauth/authorizations?userId={member.UserId}")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await appClient.GetAsync($"/api/v1/oauth/authorizations/{otherAppGrant.Id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await appClient.DeleteAsync($"/api/v1/oauth/authorizations/{membersGrant.Id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        // It may disconnect itself.
        (await appClient.DeleteAsync($"/api/v1/oauth/authorizations/{grant.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await owner.GetJsonAsync($"/api/v1/oauth/authorizations/{otherAppGrant.Id}"))["status"]!.GetValue<string>().ShouldBe("active");
        (await owner.GetJsonAsync($"/api/v1/oauth/authorizations/{grant.Id}"))["status"]!.GetValue<string>().ShouldBe("revoked");
    }

    [Fact]
    public async Task AnotherOrganizationsAuthorizationsAreNotFound()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var app = await owner.CreateAppAsync();
        var grant = await node.GrantAsync(owner.OrganizationId!, app.Id(), owner.UserId!);
        using var rival = node.Client();
        await rival.SignupAsync(organization: "Rival");
        await (await rival.GetAsync($"/api/v1/oauth/authorizations/{grant.Id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await rival.DeleteAsync($"/api/v1/oauth/authorizations/{grant.Id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        (await rival.GetJsonAsync($"/api/v1/oauth/authorizations?userId={owner.UserId}"))["data"]!.AsArray().Count.ShouldBe(0);
        (await rival.GetJsonAsync($"/api/v1/oauth/authorizations?appId={app.Id()}"))["data"]!.AsArray().Count.ShouldBe(0);
        (await node.DbAsync(db => db.OAuthGrants.IgnoreQueryFilters().SingleAsync(g => g.Id == grant.Id))).RevokedAt.ShouldBeNull();
    }
}

public sealed class OAuthAuthorizationsApiTestsOnSqlite(SqliteSwitchboard node) : OAuthAuthorizationsApiTests<SqliteSwitchboard>(node);
public sealed class OAuthAuthorizationsApiTestsOnPostgres(PostgresSwitchboard node) : OAuthAuthorizationsApiTests<PostgresSwitchboard>(node);
