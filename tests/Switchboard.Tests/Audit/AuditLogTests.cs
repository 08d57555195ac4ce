using System.Net;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Audit;

public abstract class AuditLogTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private static async Task<JsonArray> EntriesAsync(ApiClient client, string query = "") =>
        (await client.GetJsonAsync("/api/v1/audit-logs?limit=100" + query))["data"]!.AsArray();

    [Fact]
    public async Task SecurityEventsAreRecordedWithActorTargetAndRequest()
    {
        using var owner = node.Client();
        var email = $"audit-{Guid.NewGuid():N}@example.com";
        await owner.SignupAsync(email, "a long enough password");
        (await owner.Anonymous().PostAsync("/api/v1/auth/login", new { email, password = "wrong password!!" })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await owner.Anonymous().PostAsync("/api/v1/auth/login", new { email, password = "a long enough password" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var key = await owner.CreateKeyAsync("contacts:read");
        var keyId = key["id"]!.GetValue<string>();
        var rotated = await ApiClient.ReadAsync(await owner.PostAsync($"/api/v1/api-keys/{keyId}/rotate", new { gracePeriodSeconds = 60 }));
        (await owner.DeleteAsync($"/api/v1/api-keys/{rotated["id"]!.GetValue<string>()}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var entries = await EntriesAsync(owner);
        var actions = entries.Select(e => e!["action"]!.GetValue<string>()).ToList();
        actions.ShouldContain("auth.signup");
        actions.ShouldContain("auth.login_failed");
        actions.ShouldContain("auth.login");
        actions.ShouldContain("api_key.created");
        actions.ShouldContain("api_key.rotated");
        actions.ShouldContain("api_key.revoked");

        var created = entries.First(e => e!["action"]!.GetValue<string>() == "api_key.created")!;
        created["actorType"]!.GetValue<string>().ShouldBe("user");
        created["actorId"]!.GetValue<string>().ShouldBe(owner.UserId);
        created["targetId"]!.GetValue<string>().ShouldBe(keyId);
        created["ipAddress"]!.GetValue<string>().ShouldBe("127.0.0.1");
        created["requestId"]!.GetValue<string>().ShouldNotBeNullOrEmpty();
        created["details"]!["scopes"]!.AsArray().Single()!.GetValue<string>().ShouldBe("contacts:read");
        entries.ToJsonString().ShouldNotContain(key["key"]!.GetValue<string>());

        var filtered = await EntriesAsync(owner, "&action=api_key.rotated");
        filtered.Count.ShouldBe(1);
        filtered[0]!["details"]!["replacedBy"]!.GetValue<string>().ShouldBe(rotated["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnApiKeyActingIsRecordedAsTheKey()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var admin = await owner.CreateKeyAsync("admin");
        using var automation = node.Client().WithApiKey(admin["key"]!.GetValue<string>());
        await automation.CreateKeyAsync("contacts:read");

        var byKey = await EntriesAsync(owner, "&actorId=" + admin["id"]!.GetValue<string>());
        byKey.Count.ShouldBe(1);
        byKey[0]!["actorType"]!.GetValue<string>().ShouldBe("api_key");
        byKey[0]!["action"]!.GetValue<string>().ShouldBe("api_key.created");
    }
}

public sealed class AuditLogTestsOnSqlite(SqliteSwitchboard node) : AuditLogTests<SqliteSwitchboard>(node);
public sealed class AuditLogTestsOnPostgres(PostgresSwitchboard node) : AuditLogTests<PostgresSwitchboard>(node);
