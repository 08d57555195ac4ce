using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Platform;

public abstract class TenantIsolationTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    [Fact]
    public async Task AnotherTenantsKeyIsNotFoundForEveryOperation()
    {
        using var alice = node.Client();
        await alice.SignupAsync(organization: "Alice Inc");
        using var bob = node.Client();
        await bob.SignupAsync(organization: "Bob Ltd");
        var aliceKey = (await alice.CreateKeyAsync("contacts:read"))["id"]!.GetValue<string>();

        await (await bob.GetAsync($"/api/v1/api-keys/{aliceKey}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await bob.PatchAsync($"/api/v1/api-keys/{aliceKey}", new { name = "mine now" })).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await bob.PostAsync($"/api/v1/api-keys/{aliceKey}/rotate", new { gracePeriodSeconds = 0 })).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await bob.DeleteAsync($"/api/v1/api-keys/{aliceKey}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");

        var bobsList = await bob.GetJsonAsync("/api/v1/api-keys");
        bobsList["data"]!.AsArray().Count.ShouldBe(0);
        var alicesKey = await alice.GetJsonAsync($"/api/v1/api-keys/{aliceKey}");
        alicesKey["name"]!.GetValue<string>().ShouldBe("test key");
        alicesKey["revokedAt"].ShouldBeNull();
    }

    [Fact]
    public async Task AuditLogsAndMembersShowOnlyTheCallersOrganization()
    {
        using var alice = node.Client();
        await alice.SignupAsync();
        using var bob = node.Client();
        await bob.SignupAsync();
        await alice.CreateKeyAsync("contacts:read");

        var bobsLog = await bob.GetJsonAsync("/api/v1/audit-logs?limit=100");
        bobsLog["data"]!.AsArray().ShouldAllBe(e => e!["actorId"]!.GetValue<string>() == bob.UserId);
        bobsLog["data"]!.AsArray().ShouldNotContain(e => e!["action"]!.GetValue<string>() == "api_key.created");

        var bobsMembers = await bob.GetJsonAsync("/api/v1/members");
        bobsMembers["data"]!.AsArray().Select(m => m!["userId"]!.GetValue<string>()).ShouldBe([bob.UserId]);
        await (await bob.PatchAsync($"/api/v1/members/{alice.UserId}", new { role = "viewer" })).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task AnApiKeyActsOnlyForItsOwnOrganization()
    {
        using var alice = node.Client();
        await alice.SignupAsync();
        using var bob = node.Client();
        await bob.SignupAsync();
        var bobKeyId = (await bob.CreateKeyAsync("contacts:read"))["id"]!.GetValue<string>();
        using var aliceKey = node.Client().WithApiKey((await alice.CreateKeyAsync("api_keys:read", "api_keys:write"))["key"]!.GetValue<string>());

        await (await aliceKey.GetAsync($"/api/v1/api-keys/{bobKeyId}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        var listed = await aliceKey.GetJsonAsync("/api/v1/api-keys?limit=100");
        listed["data"]!.AsArray().ShouldNotContain(k => k!["id"]!.GetValue<string>() == bobKeyId);
    }
}

public abstract class PooledContextTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    [Fact]
    public async Task APooledContextNeverCarriesATenantIntoTheNextLease()
    {
        using var client = node.Client();
        await client.SignupAsync();
        for (var i = 0; i < 20; i++)
            (await client.SendRawAsync(HttpMethod.Post, "/api/v1/contacts", $$"""{"firstName":"Pooled {{i}}"}""")).StatusCode.ShouldBe(HttpStatusCode.Created);
        // Contexts used by those requests went back to the pool; a lease with no caller must see no tenant's rows.
        for (var i = 0; i < 50; i++)
        {
            await using var scope = node.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<Switchboard.Platform.Storage.SwitchboardDbContext>();
            db.CurrentOrganizationId.ShouldBeNull();
            (await db.Set<Switchboard.Crm.Contacts.Contact>().CountAsync()).ShouldBe(0);
        }
    }
}

public sealed class PooledContextTestsOnSqlite(SqliteSwitchboard node) : PooledContextTests<SqliteSwitchboard>(node);
public sealed class PooledContextTestsOnPostgres(PostgresSwitchboard node) : PooledContextTests<PostgresSwitchboard>(node);

public sealed class TenantIsolationTestsOnSqlite(SqliteSwitchboard node) : TenantIsolationTests<SqliteSwitchboard>(node);
public sealed class TenantIsolationTestsOnPostgres(PostgresSwitchboard node) : TenantIsolationTests<PostgresSwitchboard>(node);
