using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Platform;

/// <summary>Passwords, API keys, refresh tokens and private keys never sit in the database or the logs in the clear.</summary>
public abstract class SecretsTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    [Fact]
    public async Task SecretsAreNeitherStoredNorLoggedInTheClear()
    {
        const string password = "a very secret passphrase 42";
        using var owner = node.Client();
        var email = $"secret-{Guid.NewGuid():N}@example.com";
        await owner.SignupAsync(email, password);
        await owner.Anonymous().PostAsync("/api/v1/auth/login", new { email, password });
        await owner.Anonymous().PostAsync("/api/v1/auth/login", new { email, password = password + "x" });
        var key = (await owner.CreateKeyAsync("contacts:read"))["key"]!.GetValue<string>();
        using var withKey = node.Client().WithApiKey(key);
        await withKey.GetAsync("/api/v1/me");
        var webhook = await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/webhooks",
            new { url = "http://127.0.0.1:9/hook", events = new[] { "contact.*" }, headers = new Dictionary<string, string> { ["Authorization"] = "Bearer receiver-credential-xyz" } }));
        var webhookSecret = webhook["secret"]!.GetValue<string>();
        var refresh = owner.RefreshToken!;
        await owner.Anonymous().PostAsync("/api/v1/auth/refresh", new { refreshToken = refresh });
        var secrets = new[] { password, key, refresh, owner.AccessToken!, webhookSecret, webhookSecret["whsec_".Length..], "receiver-credential-xyz" };

        var dump = await DumpDatabaseAsync();
        foreach (var secret in secrets) dump.ShouldNotContain(secret);
        dump.ShouldContain("pbkdf2-sha256$10000$");

        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var signingKey = await db.SigningKeys.FirstAsync();
        signingKey.PrivateKeyEncrypted.ShouldStartWith("v1.");

        var logs = string.Join('\n', node.Logs.Lines);
        logs.ShouldNotBeEmpty();
        foreach (var secret in secrets) logs.ShouldNotContain(secret);
    }

    /// <summary>Every text value of every row of every table, concatenated.</summary>
    private async Task<string> DumpDatabaseAsync()
    {
        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        var tables = db.Model.GetEntityTypes().Select(e => e.GetTableName()!).Distinct().ToList();
        var sb = new System.Text.StringBuilder();
        foreach (var table in tables)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM \"{table}\"";
            await using DbDataReader reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                for (var i = 0; i < reader.FieldCount; i++)
                    sb.Append(reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)).Append('|');
        }
        return sb.ToString();
    }
}

public sealed class SecretsTestsOnSqlite(SqliteSwitchboard node) : SecretsTests<SqliteSwitchboard>(node);
public sealed class SecretsTestsOnPostgres(PostgresSwitchboard node) : SecretsTests<PostgresSwitchboard>(node);
