using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Integrations;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform.Cli;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Integrations;

namespace Switchboard.Tests.Platform;

/// <summary>
/// A change of encryption key, as docs/operations.md tells an operator to make it: the new key as <c>Key</c> and the old
/// one under <c>PreviousKeys</c>, <c>admin re-encrypt</c>, then the old key dropped. Every kind of value encrypted at rest
/// is made under the old key through the API (a signing key, a webhook's secret, previous secret and headers, an
/// installation's credentials and tokens, an idempotent response); after the command a node that knows only the new key
/// uses each of them.
/// </summary>
public abstract class ReEncryptionTests
{
    protected abstract string Provider { get; }
    protected abstract string ConnectionString { get; }

    /// <summary>A node on the test's database with <paramref name="key"/> and no previous key; the caller disposes it.</summary>
    protected abstract SwitchboardFactory Node(string key);

    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private static string KeyId(string key) => new SecretProtector(Convert.FromBase64String(key)).CurrentKeyId;

    private async Task<(int Exit, string Output)> ReEncryptAsync(string key, string? previous, params string[] options)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration["Switchboard:Database:Provider"] = Provider;
        builder.Configuration["ConnectionStrings:Switchboard"] = ConnectionString;
        builder.Configuration["Switchboard:Encryption:Key"] = key;
        if (previous is not null) builder.Configuration["Switchboard:Encryption:PreviousKeys:0"] = previous;
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await AdminCli.RunAsync(builder, ["re-encrypt", .. options], new StringReader(""), stdout, stderr);
        return (exit, stdout + stderr.ToString());
    }

    private static Task<HttpResponseMessage> CreateKeyOnceAsync(ApiClient client, string idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/api-keys")
        {
            Content = new StringContent("""{"name":"replayed","scopes":["contacts:read"]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return client.Http.SendAsync(request);
    }

    [Fact]
    public async Task AfterReEncryptTheOldKeyIsNoLongerNeededForAnyStoredSecret()
    {
        var (oldKey, newKey) = (NewKey(), NewKey());
        var (oldId, newId) = (KeyId(oldKey), KeyId(newKey));
        await using var receiver = await WebhookReceiver.StartAsync();
        var tokens = new ProviderTokens("provider-access-" + Guid.NewGuid().ToString("N"), "provider-refresh", null, "read write", "Bearer");

        // Under the old key: every kind of stored secret, made the way users make them.
        string accessToken, refreshToken, webhookId, firstSecret, secondSecret, installationId, keyCreated;
        await using (var before = Node(oldKey))
        {
            using var owner = before.Client();
            await owner.SignupAsync(organization: "Rotating Keys");
            (accessToken, refreshToken) = (owner.AccessToken!, owner.RefreshToken!);
            var webhook = await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/webhooks",
                new { url = receiver.Url, events = new[] { "contact.*" }, headers = new Dictionary<string, string> { ["X-Receiver-Token"] = "receiver-token-1" } }));
            (webhookId, firstSecret) = (webhook["id"]!.GetValue<string>(), webhook["secret"]!.GetValue<string>());
            var rotated = await owner.PostAsync($"/api/v1/webhooks/{webhookId}/rotate-secret", new { });
            rotated.StatusCode.ShouldBe(HttpStatusCode.OK, await rotated.Content.ReadAsStringAsync());
            secondSecret = (await ApiClient.ReadAsync(rotated))["secret"]!.GetValue<string>();
            var installed = await owner.PostAsync("/api/v1/integrations",
                new { provider = "discord", name = "Sales channel", config = new { webhookUrl = DiscordFake.WebhookUrl(), username = "Switchboard CRM" } });
            installed.StatusCode.ShouldBe(HttpStatusCode.Created, await installed.Content.ReadAsStringAsync());
            installationId = (await ApiClient.ReadAsync(installed))["id"]!.GetValue<string>();
            var created = await CreateKeyOnceAsync(owner, "create-key-once");
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
            keyCreated = await created.Content.ReadAsStringAsync();

            // Provider tokens come from an OAuth connection to the provider; written here the way the connection writes them.
            await using var scope = before.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            var sealedTokens = scope.ServiceProvider.GetRequiredService<IntegrationSecrets>().ProtectTokens(installationId, tokens);
            (await db.Set<IntegrationInstallation>().IgnoreQueryFilters().Where(i => i.Id == installationId)
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.TokensEncrypted, sealedTokens))).ShouldBe(1);
        }

        string[] columns =
        [
            "signing_keys.private_key_encrypted", "webhook_endpoints.secret_encrypted", "webhook_endpoints.previous_secret_encrypted",
            "webhook_endpoints.headers_encrypted", "integration_installations.credentials_encrypted", "integration_installations.tokens_encrypted",
            "idempotency_keys.response_body",
        ];

        // The new key alone cannot read them: each column says so, and nothing changes.
        var (exit, output) = await ReEncryptAsync(newKey, previous: null);
        exit.ShouldBe(1, output);
        foreach (var column in columns)
            output.ShouldContain($"{column}: 0 moved to key {newId}, 0 already under key {newId}\n  1 cannot be read: under key {oldId}, which is not configured", Case.Sensitive, output);
        output.ShouldContain("Add the key that encrypted them under Switchboard:Encryption:PreviousKeys");

        (exit, output) = await ReEncryptAsync(newKey, oldKey, "--check");
        exit.ShouldBe(1, output);
        foreach (var column in columns) output.ShouldContain($"{column}: 1 under other keys, 0 already under key {newId}", Case.Sensitive, output);
        output.ShouldContain("7 values are under other keys: run admin re-encrypt.");

        (exit, output) = await ReEncryptAsync(newKey, oldKey);
        exit.ShouldBe(0, output);
        foreach (var column in columns) output.ShouldContain($"{column}: 1 moved to key {newId}, 0 already under key {newId}", Case.Sensitive, output);

        // Run again, and checked: nothing is left under the old key.
        (exit, output) = await ReEncryptAsync(newKey, oldKey);
        exit.ShouldBe(0, output);
        foreach (var column in columns) output.ShouldContain($"{column}: 0 moved to key {newId}, 1 already under key {newId}", Case.Sensitive, output);
        (exit, output) = await ReEncryptAsync(newKey, oldKey, "--check");
        exit.ShouldBe(0, output);
        output.ShouldContain($"Every encrypted value is under key {newId}.");

        // A node with the new key only: every secret still works.
        await using var after = Node(newKey);
        using var client = after.Client().WithBearer(accessToken);
        (await client.GetAsync("/api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.OK, "the old session's token verifies (public key)");
        // A new token is signed with the re-encrypted private key.
        var refreshed = await after.Client().PostAsync("/api/v1/auth/refresh", new { refreshToken });
        refreshed.StatusCode.ShouldBe(HttpStatusCode.OK, await refreshed.Content.ReadAsStringAsync());
        using var renewed = after.Client().WithBearer((await ApiClient.ReadAsync(refreshed))["accessToken"]!.GetValue<string>());
        (await renewed.GetAsync("/api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var installation = await client.GetAsync($"/api/v1/integrations/{installationId}");
        installation.StatusCode.ShouldBe(HttpStatusCode.OK, await installation.Content.ReadAsStringAsync());
        (await ApiClient.ReadAsync(installation))["credentialsSet"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldBe(["webhookUrl"]);
        await using (var scope = after.Services.CreateAsyncScope())
        {
            var row = await scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>().Set<IntegrationInstallation>().IgnoreQueryFilters()
                .AsNoTracking().SingleAsync(i => i.Id == installationId);
            scope.ServiceProvider.GetRequiredService<IntegrationSecrets>().Tokens(row).ShouldBe(tokens with { Extra = null });
        }

        var replay = await CreateKeyOnceAsync(client, "create-key-once");
        replay.StatusCode.ShouldBe(HttpStatusCode.Created);
        replay.Headers.GetValues("Idempotent-Replayed").Single().ShouldBe("true");
        (await replay.Content.ReadAsStringAsync()).ShouldBe(keyCreated, "the replayed response, decrypted under the new key");

        (await client.PostAsync("/api/v1/contacts", new { firstName = "Signed", email = "signed@example.com" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var delivery = (await receiver.WaitForAsync(r => r.Body.Contains("\"contact.created\"", StringComparison.Ordinal))).Single();
        delivery.Headers["x-receiver-token"].ShouldBe("receiver-token-1");
        WebhookReceiver.Verifies(delivery, secondSecret).ShouldBeTrue("signed with the current secret");
        WebhookReceiver.Verifies(delivery, firstSecret).ShouldBeTrue("and, within the rotation's overlap, with the previous one");
        delivery.Headers["webhook-signature"].Split(' ').Length.ShouldBe(2);
    }
}

public sealed class ReEncryptionTestsOnSqlite : ReEncryptionTests, IDisposable
{
    private readonly string _path = SqliteSwitchboard.NewPath();
    protected override string Provider => "sqlite";
    protected override string ConnectionString => $"Data Source={_path}";
    protected override SwitchboardFactory Node(string key) => SqliteSwitchboard.OnFile(_path).With("Switchboard:Encryption:Key", key);
    public void Dispose() => SqliteSwitchboard.DeleteFile(_path);
}

public sealed class ReEncryptionTestsOnPostgres : ReEncryptionTests, IDisposable
{
    private readonly PostgresDatabase _database = PostgresDatabase.Create();
    protected override string Provider => "postgres";
    protected override string ConnectionString => _database.ConnectionString;
    protected override SwitchboardFactory Node(string key) => new PostgresNode(_database.Share()).With("Switchboard:Encryption:Key", key);
    public void Dispose() => _database.Release();

    private sealed class PostgresNode(PostgresDatabase database) : PostgresSwitchboard(database);
}
