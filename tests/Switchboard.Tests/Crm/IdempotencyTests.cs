using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Crm;

public abstract class IdempotencyTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private static Task<HttpResponseMessage> PostAsync(ApiClient client, string path, string body, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", key);
        return client.Http.SendAsync(request);
    }

    private async Task<int> CountAsync(string organizationId)
    {
        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        return await db.Set<Switchboard.Crm.Contacts.Contact>().IgnoreQueryFilters().CountAsync(c => c.OrganizationId == organizationId);
    }

    [Fact]
    public async Task ARetryWithTheSameKeyAndBodyReplaysTheFirstResponse()
    {
        using var client = node.Client();
        await client.SignupAsync();
        const string body = """{"firstName":"Once","email":"once@example.com"}""";
        var first = await PostAsync(client, "/api/v1/contacts", body, "retry-1");
        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        first.Headers.Contains("Idempotent-Replayed").ShouldBeFalse();
        var second = await PostAsync(client, "/api/v1/contacts", body, "retry-1");
        second.StatusCode.ShouldBe(HttpStatusCode.Created);
        second.Headers.GetValues("Idempotent-Replayed").Single().ShouldBe("true");
        (await second.Content.ReadAsStringAsync()).ShouldBe(await first.Content.ReadAsStringAsync());
        second.Headers.Location.ShouldBe(first.Headers.Location);
        second.Headers.ETag.ShouldBe(first.Headers.ETag);
        (await CountAsync(client.OrganizationId!)).ShouldBe(1);
        (await node.EventsForAsync((await ApiClient.ReadAsync(first))["id"]!.GetValue<string>())).Count.ShouldBe(1);
    }

    [Fact]
    public async Task ARecordedResponseIsEncryptedAtRestAndReplayedInTheClear()
    {
        using var client = node.Client();
        await client.SignupAsync();
        const string body = """{"name":"shown once","scopes":["contacts:read"]}""";
        var first = await PostAsync(client, "/api/v1/api-keys", body, "secret-once");
        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        var secret = (await ApiClient.ReadAsync(first))["key"]!.GetValue<string>();

        await using (var scope = node.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            var stored = await db.IdempotencyRecords.SingleAsync(r => r.OrganizationId == client.OrganizationId && r.Key == "secret-once");
            stored.ResponseBody.ShouldNotBeNull();
            stored.ResponseBody[0].ShouldBe(Switchboard.Platform.Security.SecretProtector.BytesFormatVersion);
            Encoding.UTF8.GetString(stored.ResponseBody).ShouldNotContain(secret);
            Encoding.UTF8.GetString(stored.ResponseBody).ShouldNotContain("shown once");
        }

        var replay = await PostAsync(client, "/api/v1/api-keys", body, "secret-once");
        replay.Headers.GetValues("Idempotent-Replayed").Single().ShouldBe("true");
        (await ApiClient.ReadAsync(replay))["key"]!.GetValue<string>().ShouldBe(secret);
    }

    [Fact]
    public async Task TheSameKeyWithAnotherBodyIs422()
    {
        using var client = node.Client();
        await client.SignupAsync();
        (await PostAsync(client, "/api/v1/contacts", """{"firstName":"A"}""", "k-422")).StatusCode.ShouldBe(HttpStatusCode.Created);
        await (await PostAsync(client, "/api/v1/contacts", """{"firstName":"B"}""", "k-422")).ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "idempotency_key_reused");
        await (await PostAsync(client, "/api/v1/deals", """{"firstName":"A"}""", "k-422")).ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "idempotency_key_reused");
    }

    [Fact]
    public async Task ARetryWhileTheFirstIsInFlightIs409AndAnAbandonedKeyIsTakenOver()
    {
        using var client = node.Client();
        await client.SignupAsync();
        const string body = """{"firstName":"InFlight"}""";
        // A node that claimed the key and has not answered yet (or died): the claimed row, as the middleware writes it.
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("POST\n/api/v1/contacts\n" + body)));
        await using (var scope = node.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            var now = node.Clock.GetUtcNow().UtcDateTime;
            db.IdempotencyRecords.Add(new Switchboard.Platform.Idempotency.IdempotencyRecord
            {
                OrganizationId = client.OrganizationId!, Key = "k-409", RequestHash = hash, CreatedAt = now, ExpiresAt = now.AddHours(24), LockedUntil = now.AddSeconds(60),
            });
            await db.SaveChangesAsync();
        }
        var busy = await PostAsync(client, "/api/v1/contacts", body, "k-409");
        await busy.ShouldBeProblemAsync(HttpStatusCode.Conflict, "idempotency_request_in_progress");
        busy.Headers.RetryAfter.ShouldNotBeNull();
        (await CountAsync(client.OrganizationId!)).ShouldBe(0);

        node.Clock.Advance(TimeSpan.FromSeconds(61));
        var takenOver = await PostAsync(client, "/api/v1/contacts", body, "k-409");
        takenOver.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await CountAsync(client.OrganizationId!)).ShouldBe(1);
    }

    [Fact]
    public async Task ConcurrentRetriesCreateOneRecord()
    {
        using var client = node.Client();
        await client.SignupAsync();
        const string body = """{"firstName":"Burst"}""";
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostAsync(node.Client().WithBearer(client.AccessToken), "/api/v1/contacts", body, "burst")));
        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.Created || r.StatusCode == HttpStatusCode.Conflict);
        (await CountAsync(client.OrganizationId!)).ShouldBe(1);
        var ids = new HashSet<string>();
        foreach (var r in responses.Where(r => r.StatusCode == HttpStatusCode.Created)) ids.Add((await ApiClient.ReadAsync(r))["id"]!.GetValue<string>());
        ids.Count.ShouldBe(1);
    }

    [Fact]
    public async Task KeysBelongToOneOrganizationAndValidationErrorsAreReplayedToo()
    {
        using var alice = node.Client();
        await alice.SignupAsync();
        using var bob = node.Client();
        await bob.SignupAsync();
        (await PostAsync(alice, "/api/v1/contacts", """{"firstName":"Alice's"}""", "shared")).StatusCode.ShouldBe(HttpStatusCode.Created);
        var bobs = await PostAsync(bob, "/api/v1/contacts", """{"firstName":"Bob's"}""", "shared");
        bobs.StatusCode.ShouldBe(HttpStatusCode.Created);
        bobs.Headers.Contains("Idempotent-Replayed").ShouldBeFalse();

        (await PostAsync(alice, "/api/v1/contacts", """{"email":"bad"}""", "invalid")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var replayed = await PostAsync(alice, "/api/v1/contacts", """{"email":"bad"}""", "invalid");
        replayed.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        replayed.Headers.GetValues("Idempotent-Replayed").Single().ShouldBe("true");

        await (await PostAsync(alice, "/api/v1/contacts", "{}", new string('k', 300))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "idempotency_key_invalid");
    }

    [Fact]
    public async Task KeysExpireAfter24Hours()
    {
        using var client = node.Client();
        await client.SignupAsync();
        (await PostAsync(client, "/api/v1/contacts", """{"firstName":"Old"}""", "expiring")).StatusCode.ShouldBe(HttpStatusCode.Created);
        node.Clock.Advance(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(1));
        // The access token expired with the clock; the refresh token (30 days) still works.
        client.UseSession(await ApiClient.ReadAsync(await client.Anonymous().PostAsync("/api/v1/auth/refresh", new { refreshToken = client.RefreshToken })));
        var again = await PostAsync(client, "/api/v1/contacts", """{"firstName":"New body"}""", "expiring");
        again.StatusCode.ShouldBe(HttpStatusCode.Created);
        again.Headers.Contains("Idempotent-Replayed").ShouldBeFalse();
    }
}

public sealed class IdempotencyTestsOnSqlite(SqliteSwitchboard node) : IdempotencyTests<SqliteSwitchboard>(node);
public sealed class IdempotencyTestsOnPostgres(PostgresSwitchboard node) : IdempotencyTests<PostgresSwitchboard>(node);
