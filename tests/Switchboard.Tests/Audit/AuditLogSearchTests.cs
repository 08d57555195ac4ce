using System.Net;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Audit;

/// <summary>The audit log's filters and search (<c>q</c>) on <c>GET /api/v1/audit-logs</c>.</summary>
public abstract class AuditLogSearchTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    [Fact]
    public async Task SearchMatchesPartOfAnActionCaseInsensitivelyOrAWholeId()
    {
        using var owner = node.Client();
        await owner.SignupAsync(organization: "Audit Search");
        var key = await owner.CreateKeyAsync("contacts:read");
        var keyId = key["id"]!.GetValue<string>();
        (await owner.DeleteAsync($"/api/v1/api-keys/{keyId}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var invited = await owner.PostAsync("/api/v1/invitations", new { email = "search@example.com", role = "viewer" });
        invited.StatusCode.ShouldBe(HttpStatusCode.Created);

        string[] Actions(System.Text.Json.Nodes.JsonObject list) => list["data"]!.AsArray().Select(e => e!["action"]!.GetValue<string>()).ToArray();
        Actions(await owner.GetJsonAsync("/api/v1/audit-logs?q=API_KEY.")).ShouldBe(["api_key.revoked", "api_key.created"]);
        Actions(await owner.GetJsonAsync("/api/v1/audit-logs?q=invited")).ShouldBe(["member.invited"]);
        Actions(await owner.GetJsonAsync($"/api/v1/audit-logs?q={keyId}")).ShouldBe(["api_key.revoked", "api_key.created"]);
        Actions(await owner.GetJsonAsync($"/api/v1/audit-logs?q={keyId[..10]}")).ShouldBeEmpty(); // ids match whole, not in part
        Actions(await owner.GetJsonAsync("/api/v1/audit-logs?q=%25")).ShouldBeEmpty(); // no LIKE wildcard
        Actions(await owner.GetJsonAsync($"/api/v1/audit-logs?q=api_key.&actorId={owner.UserId}&action=api_key.created")).ShouldBe(["api_key.created"]);
        var requestId = (await owner.GetJsonAsync("/api/v1/audit-logs?action=member.invited"))["data"]![0]!["requestId"]!.GetValue<string>();
        Actions(await owner.GetJsonAsync($"/api/v1/audit-logs?q={Uri.EscapeDataString(requestId)}")).ShouldBe(["member.invited"]);
    }

    [Fact]
    public async Task ASearchTooLongOrABadTimeIsAValidationProblem()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var problem = await (await owner.GetAsync("/api/v1/audit-logs?q=" + new string('a', 201))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        problem["errors"]!["q"].ShouldNotBeNull();
        problem = await (await owner.GetAsync("/api/v1/audit-logs?createdAfter=soon")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        problem["errors"]!["createdAfter"].ShouldNotBeNull();
    }

    [Fact]
    public async Task SearchNeverReachesAnotherOrganization()
    {
        using var alice = node.Client();
        await alice.SignupAsync(organization: "Alice Audit");
        using var bob = node.Client();
        await bob.SignupAsync(organization: "Bob Audit");
        var bobKey = await bob.CreateKeyAsync("contacts:read");
        (await alice.GetJsonAsync($"/api/v1/audit-logs?q={bobKey["id"]}"))["data"]!.AsArray().ShouldBeEmpty();
        (await alice.GetJsonAsync("/api/v1/audit-logs?q=api_key."))["data"]!.AsArray().ShouldBeEmpty();
    }
}

public sealed class AuditLogSearchTestsOnSqlite(SqliteSwitchboard node) : AuditLogSearchTests<SqliteSwitchboard>(node);
public sealed class AuditLogSearchTestsOnPostgres(PostgresSwitchboard node) : AuditLogSearchTests<PostgresSwitchboard>(node);
