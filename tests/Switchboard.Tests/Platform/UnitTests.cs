using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Switchboard.ApiKeys;
using Switchboard.Identity;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Security;

namespace Switchboard.Tests.Platform;

public sealed class ApiKeyFormatTests
{
    [Fact]
    public void GeneratedKeysHaveThePrefixLengthAndAValidChecksum()
    {
        var keys = Enumerable.Range(0, 200).Select(_ => ApiKeyFormat.Generate()).ToList();
        keys.ShouldAllBe(k => k.StartsWith("sbk_") && k.Length == 42 && ApiKeyFormat.IsWellFormed(k));
        keys.Distinct().Count().ShouldBe(200);
    }

    [Fact]
    public void EverySingleCharacterTypoIsCaughtByTheChecksum()
    {
        var key = ApiKeyFormat.Generate();
        for (var i = 4; i < key.Length; i++)
        {
            var c = key[i] == 'x' ? 'y' : 'x';
            ApiKeyFormat.IsWellFormed(key[..i] + c + key[(i + 1)..]).ShouldBeFalse($"typo at {i}");
        }
        ApiKeyFormat.IsWellFormed(key[..^1]).ShouldBeFalse();
        ApiKeyFormat.IsWellFormed("ghp_" + key[4..]).ShouldBeFalse();
        ApiKeyFormat.IsWellFormed(null).ShouldBeFalse();
    }

    [Fact]
    public void Crc32MatchesTheStandardCheckValue() =>
        // The CRC-32/ISO-HDLC check value of "123456789" (Greg Cook's CRC catalogue).
        ApiKeyFormat.Crc32("123456789"u8).ShouldBe(0xCBF43926u);
}

public sealed class ScopesTests
{
    [Theory]
    [InlineData("contacts:read", "contacts:read", true)]
    [InlineData("contacts:write", "contacts:read", true)]
    [InlineData("contacts:read", "contacts:write", false)]
    [InlineData("*:read", "deals:read", true)]
    [InlineData("*:read", "deals:write", false)]
    [InlineData("*:write", "deals:read", true)]
    [InlineData("*:read", "audit_logs:read", false)]
    [InlineData("*:write", "members:write", false)]
    [InlineData("admin", "audit_logs:read", true)]
    [InlineData("admin", "admin", true)]
    [InlineData("*:write", "admin", false)]
    public void GrantsFollowsTheScopeRules(string granted, string required, bool expected) =>
        Scopes.Grants([granted], required).ShouldBe(expected);

    [Fact]
    public void CoversRefusesAnythingStrongerThanWhatIsHeld()
    {
        Scopes.Covers(["*:read"], ["contacts:read", "deals:read"]).ShouldBeTrue();
        Scopes.Covers(["contacts:read"], ["*:read"]).ShouldBeFalse();
        Scopes.Covers(["*:write"], ["*:read"]).ShouldBeTrue();
        Scopes.Covers(["*:write"], ["admin"]).ShouldBeFalse();
        Scopes.Covers(["admin"], ["admin", "*:write"]).ShouldBeTrue();
    }

    [Fact]
    public void OnlyKnownScopesAreValid()
    {
        Scopes.IsValid("contacts:read").ShouldBeTrue();
        Scopes.IsValid("admin").ShouldBeTrue();
        Scopes.IsValid("contacts:delete").ShouldBeFalse();
        Scopes.IsValid("spaceships:read").ShouldBeFalse();
        Scopes.IsValid(":read").ShouldBeFalse();
    }
}

public sealed class PasswordHasherTests
{
    private static PasswordHasher Hasher(int iterations) =>
        new(Options.Create(new SwitchboardOptions { Auth = new AuthOptions { PasswordHashIterations = iterations } }));

    [Fact]
    public void TheDefaultIsPbkdf2Sha256With600000Iterations()
    {
        var options = new SwitchboardOptions();
        options.Auth.PasswordHashIterations.ShouldBe(600_000);
        var hash = Hasher(options.Auth.PasswordHashIterations).Hash("correct horse");
        hash.ShouldStartWith("pbkdf2-sha256$600000$");
        Hasher(600_000).Verify(hash, "correct horse").ShouldBe(PasswordVerification.Success);
    }

    [Fact]
    public void AWrongPasswordOrACorruptHashFails()
    {
        var hasher = Hasher(10_000);
        var hash = hasher.Hash("right");
        hasher.Verify(hash, "wrong").ShouldBe(PasswordVerification.Failed);
        hasher.Verify(hash.Replace("$10000$", "$10001$", StringComparison.Ordinal), "right").ShouldBe(PasswordVerification.Failed);
        hasher.Verify("garbage", "right").ShouldBe(PasswordVerification.Failed);
        hasher.Verify(null, "right").ShouldBe(PasswordVerification.Failed);
        hasher.Hash("right").ShouldNotBe(hash, "each hash has its own salt");
    }

    [Fact]
    public void AHashWithFewerIterationsThanConfiguredAsksToBeRehashed() =>
        Hasher(20_000).Verify(Hasher(10_000).Hash("pw"), "pw").ShouldBe(PasswordVerification.SuccessRehashNeeded);
}

public sealed class SecretProtectorTests
{
    private static byte[] NewKey() => RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void RoundTripsAndNeverRepeatsACiphertext()
    {
        var protector = new SecretProtector(NewKey());
        var a = protector.Protect("provider secret", "purpose");
        var b = protector.Protect("provider secret", "purpose");
        a.ShouldNotBe(b);
        a.ShouldNotContain("provider secret");
        protector.Unprotect(a, "purpose").ShouldBe("provider secret");
    }

    [Fact]
    public void ATamperedCiphertextOrAnotherPurposeFails()
    {
        var protector = new SecretProtector(NewKey());
        var sealedValue = protector.Protect("s3cret", "integration:1");
        Should.Throw<CryptographicException>(() => protector.Unprotect(sealedValue, "integration:2"));
        var bytes = Convert.FromBase64String(sealedValue.Split('.')[2]);
        bytes[^1] ^= 1;
        var tampered = $"v1.{sealedValue.Split('.')[1]}.{Convert.ToBase64String(bytes)}";
        Should.Throw<CryptographicException>(() => protector.Unprotect(tampered, "integration:1"));
    }

    [Fact]
    public void ValuesSealedWithAPreviousKeyStillOpenAfterAKeyChange()
    {
        var oldKey = NewKey();
        var sealedValue = new SecretProtector(oldKey).Protect("kept", "p");
        new SecretProtector(NewKey(), [oldKey]).Unprotect(sealedValue, "p").ShouldBe("kept");
        Should.Throw<CryptographicException>(() => new SecretProtector(NewKey()).Unprotect(sealedValue, "p"));
    }

    [Fact]
    public void BytesRoundTripUnderTheirPurposeAndKeyAndFailWhenTamperedWith()
    {
        var oldKey = NewKey();
        var plain = "{\"key\":\"sk_live_shown_once\"}"u8.ToArray();
        var sealedBytes = new SecretProtector(oldKey).ProtectBytes(plain, "idem:1");
        SecretProtector.IsProtectedBytes(sealedBytes).ShouldBeTrue();
        SecretProtector.IsProtectedBytes(plain).ShouldBeFalse();
        System.Text.Encoding.UTF8.GetString(sealedBytes).ShouldNotContain("sk_live");
        var protector = new SecretProtector(NewKey(), [oldKey]);
        protector.UnprotectBytes(sealedBytes, "idem:1").ShouldBe(plain);
        Should.Throw<CryptographicException>(() => protector.UnprotectBytes(sealedBytes, "idem:2"));
        sealedBytes[^1] ^= 1;
        Should.Throw<CryptographicException>(() => protector.UnprotectBytes(sealedBytes, "idem:1"));
    }
}

public sealed class IdsTests
{
    [Fact]
    public void IdsArePrefixedUniqueAndSortByCreationTime()
    {
        var clock = new Infrastructure.TestClock();
        var ids = new List<string>();
        for (var i = 0; i < 50; i++)
        {
            ids.Add(Ids.New("con", clock));
            clock.Advance(TimeSpan.FromMilliseconds(2));
        }
        ids.ShouldAllBe(id => Ids.LooksValid(id, "con"));
        ids.Order(StringComparer.Ordinal).ShouldBe(ids);
        ids.Distinct().Count().ShouldBe(50);
        Ids.LooksValid("con_" + new string('I', 26), "con").ShouldBeFalse("I is not a Crockford base32 digit");
        Ids.LooksValid(ids[0], "lead").ShouldBeFalse();
    }

    [Fact]
    public void IdsOfOneMillisecondStayInOrderWhenAnotherMillisecondsIdComesBetween()
    {
        // One fixed instant, and another clock's ids in between (another thread a millisecond on, or another node's clock).
        var fixedAt = new FixedClock(DateTimeOffset.UtcNow.AddDays(-3));
        var other = new FixedClock(DateTimeOffset.UtcNow.AddDays(-2));
        for (var round = 0; round < 200; round++)
        {
            var first = Ids.New("evt", fixedAt);
            Ids.New("evt", other);
            var second = Ids.New("evt", fixedAt);
            string.CompareOrdinal(second, first).ShouldBeGreaterThan(0, $"round {round}");
        }
    }

    private sealed class FixedClock(DateTimeOffset at) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => at;
    }

    [Fact]
    public void AccessTokenIdsCarryTheirIssueInstant()
    {
        var clock = new Infrastructure.TestClock();
        var id = Ids.New("at", clock);
        AccessTokenValidator.TryIssuedAt(id, out var issuedAt).ShouldBeTrue();
        (clock.GetUtcNow().UtcDateTime - issuedAt).ShouldBeLessThan(TimeSpan.FromSeconds(1));
        AccessTokenValidator.TryIssuedAt("at_short", out _).ShouldBeFalse();
    }
}

public sealed class OptionsValidationTests
{
    [Fact]
    public void ASettingOutOfRangeDeepInTheOptionsIsRefusedWithItsPath()
    {
        var options = new SwitchboardOptions();
        options.Auth.PasswordHashIterations = 5;
        options.RateLimits.Anonymous.Requests = 0;
        options.Webhooks.TimeoutSeconds = 0;
        var result = new RecursiveOptionsValidator().Validate(null, options);
        result.Failed.ShouldBeTrue();
        result.FailureMessage.ShouldContain("Switchboard:Auth:PasswordHashIterations");
        result.FailureMessage.ShouldContain("Switchboard:RateLimits:Anonymous:Requests");
        result.FailureMessage.ShouldContain("Switchboard:Webhooks:TimeoutSeconds");
        new RecursiveOptionsValidator().Validate(null, new SwitchboardOptions()).Succeeded.ShouldBeTrue();
    }

    [Fact]
    public void ANodeWithABadNestedSettingDoesNotStart()
    {
        using var node = new Infrastructure.SqliteSwitchboard();
        node.With("Switchboard:Auth:PasswordHashIterations", "5");
        var error = Should.Throw<Microsoft.Extensions.Options.OptionsValidationException>(() => node.Client());
        error.Message.ShouldContain("PasswordHashIterations");
    }
}

/// <summary>A database that cannot serve is 503 with Retry-After (the client may retry), not a 500 (a bug).</summary>
public sealed class DatabaseUnavailableClassificationTests
{
    public static TheoryData<string> Unavailable => ["postgres unreachable", "postgres wrapped by EF", "sqlite busy", "sqlite locked"];

    private static Exception Make(string kind) => kind switch
    {
        "postgres unreachable" => new Npgsql.NpgsqlException("Failed to connect to 127.0.0.1:5432", new System.Net.Sockets.SocketException(111)),
        "postgres wrapped by EF" => new Microsoft.EntityFrameworkCore.DbUpdateException("An error occurred while saving",
            new Npgsql.NpgsqlException("Exception while reading from stream", new IOException("Connection reset"))),
        "sqlite busy" => new Microsoft.Data.Sqlite.SqliteException("database is locked", 5),
        "sqlite locked" => new Microsoft.Data.Sqlite.SqliteException("database table is locked", 6),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(Unavailable))]
    public void AnUnavailableDatabaseIs503(string kind)
    {
        var (status, code, _, _) = Switchboard.Platform.Errors.ApiExceptionHandler.Classify(Make(kind));
        status.ShouldBe(503);
        code.ShouldBe(Switchboard.Platform.Errors.ErrorCodes.ServiceUnavailable);
    }

    [Fact]
    public void OtherDatabaseFailuresRemain500()
    {
        // A constraint violation or a broken query is a fault of the service, not a reason to retry.
        Switchboard.Platform.Errors.ApiExceptionHandler.Classify(new Microsoft.Data.Sqlite.SqliteException("UNIQUE constraint failed", 19)).Status.ShouldBe(500);
        Switchboard.Platform.Errors.ApiExceptionHandler.Classify(new InvalidOperationException("boom")).Status.ShouldBe(500);
    }
}

public sealed class PostgresConnectionDefaultsTests
{
    [Fact]
    public void StatementsArePreparedAndKeptUnlessTheConnectionStringSaysOtherwise()
    {
        var plain = new Npgsql.NpgsqlConnectionStringBuilder(
            Switchboard.Platform.Storage.DatabaseSettings.WithPostgresDefaults("Host=127.0.0.1;Username=switchboard;Database=crm"));
        plain.MaxAutoPrepare.ShouldBe(64);
        plain.AutoPrepareMinUsages.ShouldBe(2);
        plain.NoResetOnClose.ShouldBeTrue();
        plain.Database.ShouldBe("crm");

        var chosen = new Npgsql.NpgsqlConnectionStringBuilder(
            Switchboard.Platform.Storage.DatabaseSettings.WithPostgresDefaults("Host=127.0.0.1;Max Auto Prepare=0;NoResetOnClose=false;Auto Prepare Min Usages=5"));
        chosen.MaxAutoPrepare.ShouldBe(0);
        chosen.NoResetOnClose.ShouldBeFalse();
        chosen.AutoPrepareMinUsages.ShouldBe(5);
    }

    [Fact]
    public void TheRelaxedDataSourceAddsSynchronousCommitOffToTheGivenOptions()
    {
        new Npgsql.NpgsqlConnectionStringBuilder(Switchboard.Platform.Storage.DatabaseSetup.Relaxed("Host=127.0.0.1;Database=crm"))
            .Options.ShouldBe("-c synchronous_commit=off");
        var kept = new Npgsql.NpgsqlConnectionStringBuilder(
            Switchboard.Platform.Storage.DatabaseSetup.Relaxed("Host=127.0.0.1;Database=crm;Options=-c search_path=crm"));
        kept.Options.ShouldBe("-c search_path=crm -c synchronous_commit=off");
        kept.Database.ShouldBe("crm");
    }
}

/// <summary>The raw SQLite row reads EF Core's timestamp text exactly as DateTime.Parse reads it, and leaves other forms to it.</summary>
public sealed class SqliteTimestampTests
{
    [Theory]
    [InlineData("2026-11-22 20:32:49")]
    [InlineData("2026-11-22 20:32:49.6")]
    [InlineData("2026-11-22 20:32:49.672748")]
    [InlineData("2026-11-22 20:32:49.6727481")]
    [InlineData("0001-01-01 00:00:00")]
    [InlineData("9999-12-31 23:59:59.9999999")]
    [InlineData("2024-02-29 12:00:00.05")]
    public void CanonicalTimestampsParseAsDateTimeParseDoes(string text)
    {
        Switchboard.Platform.Storage.SqliteTimestamp.TryParse(System.Text.Encoding.UTF8.GetBytes(text), out var value).ShouldBeTrue();
        var expected = DateTime.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        value.ShouldBe(expected);
        value.Kind.ShouldBe(expected.Kind);
    }

    [Theory]
    [InlineData("2026-11-22 20:32:49")]
    [InlineData("2026-11-22 20:32:49.6")]
    [InlineData("2026-11-22 20:32:49.672748")]
    [InlineData("2026-11-22 20:32:49.6727481")]
    [InlineData("2026-11-22 20:32:49.0000001")]
    [InlineData("0001-01-01 00:00:00")]
    [InlineData("9999-12-31 23:59:59.9999999")]
    [InlineData("2024-02-29 12:00:00.05")]
    public void TimestampsAreWrittenAsMicrosoftDataSqliteWritesThem(string text)
    {
        var value = DateTime.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        Span<byte> buffer = stackalloc byte[27];
        var written = Switchboard.Platform.Storage.SqliteTimestamp.Write(value, buffer);
        System.Text.Encoding.UTF8.GetString(buffer[..written]).ShouldBe(text);
        // The form the provider itself writes a DateTime parameter in.
        System.Text.Encoding.UTF8.GetString(buffer[..written]).ShouldBe(
            value.ToString(@"yyyy\-MM\-dd HH\:mm\:ss.FFFFFFF", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void WrittenTimestampsReadBackExactly()
    {
        var random = new Random(20261123);
        Span<byte> buffer = stackalloc byte[27];
        for (var i = 0; i < 10_000; i++)
        {
            var value = new DateTime(random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), DateTimeKind.Utc);
            if (i % 3 == 0) value = new DateTime(value.Ticks - value.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
            if (i % 3 == 1) value = new DateTime(value.Ticks - value.Ticks % 10, DateTimeKind.Utc);
            var written = Switchboard.Platform.Storage.SqliteTimestamp.Write(value, buffer);
            Switchboard.Platform.Storage.SqliteTimestamp.TryParse(buffer[..written], out var back).ShouldBeTrue();
            back.Ticks.ShouldBe(value.Ticks);
        }
    }

    [Theory]
    [InlineData("2026-11-22T20:32:49")]
    [InlineData("2026-11-22 20:32:49.")]
    [InlineData("2026-11-22 20:32:49.12345678")]
    [InlineData("2026-11-22 20:32:49+02:00")]
    [InlineData("2026-02-30 00:00:00")]
    [InlineData("2026-11-22 24:00:00")]
    [InlineData("2026-1x-22 20:32:49")]
    [InlineData("")]
    public void AnythingElseIsLeftToTheFullParser(string text) =>
        Switchboard.Platform.Storage.SqliteTimestamp.TryParse(System.Text.Encoding.UTF8.GetBytes(text), out _).ShouldBeFalse();
}

/// <summary>Entity tags keep their form, and If-None-Match is read as RFC 9110 §13.1.2 has it: a list, compared weakly.</summary>
public sealed class ETagTests
{
    [Fact]
    public void ATagIsTheFirstTwelveBytesOfTheSha256OfIdVersionAndTicks()
    {
        var at = new DateTime(2026, 11, 23, 1, 2, 3, DateTimeKind.Utc).AddTicks(4567);
        var expected = "\"" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes($"con_01ABC:7:{at.Ticks}")).AsSpan(0, 12)) + "\"";
        Switchboard.Platform.Http.ETags.For("con_01ABC", 7, at).ShouldBe(expected);
        var longId = new string('é', 300);
        Switchboard.Platform.Http.ETags.For(longId, 1, at).ShouldBe("\"" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes($"{longId}:1:{at.Ticks}")).AsSpan(0, 12)) + "\"");
    }

    [Theory]
    [InlineData("\"abc\"", true)]
    [InlineData("W/\"abc\"", true)]
    [InlineData("\"x\", \"abc\"", true)]
    [InlineData("\"x\",W/\"abc\" ", true)]
    [InlineData("*", true)]
    [InlineData("\"x\", *", true)]
    [InlineData("\"abcd\"", false)]
    [InlineData("\"ab\"", false)]
    [InlineData("abc", false)]
    [InlineData("", false)]
    [InlineData("\"x\", \"y\"", false)]
    public void IfNoneMatchIsAListComparedWeakly(string header, bool hits)
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.Headers.IfNoneMatch = header;
        Switchboard.Platform.Http.ETags.IfNoneMatchHits(context.Request, "\"abc\"").ShouldBe(hits);
    }

    [Fact]
    public void IfNoneMatchReadsEveryFieldLine()
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.Headers.IfNoneMatch = new Microsoft.Extensions.Primitives.StringValues(["\"x\"", "\"abc\""]);
        Switchboard.Platform.Http.ETags.IfNoneMatchHits(context.Request, "\"abc\"").ShouldBeTrue();
        Switchboard.Platform.Http.ETags.IfNoneMatchHits(new Microsoft.AspNetCore.Http.DefaultHttpContext().Request, "\"abc\"").ShouldBeFalse();
    }
}

/// <summary>The digest value the API-key cache is keyed by is the stored hex digest, by value.</summary>
public sealed class SecretHashTests
{
    [Theory]
    [InlineData("sbk_live_abc")]
    [InlineData("")]
    [InlineData("ключ-é-🔑")]
    public void TheDigestIsSha256OfTheUtf8(string secret)
    {
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret)));
        Switchboard.Platform.Security.SecretHash.Sha256(secret).ToHex().ShouldBe(expected);
        Switchboard.Platform.Security.SecretHash.Sha256Hex(secret).ShouldBe(expected);
        Switchboard.Platform.Security.SecretHash.Sha256(secret).ShouldBe(Switchboard.Platform.Security.SecretHash.Sha256(secret));
        Switchboard.Platform.Security.SecretHash.Sha256(secret).ShouldNotBe(Switchboard.Platform.Security.SecretHash.Sha256(secret + "x"));
    }

    [Fact]
    public void LongSecretsHashToo()
    {
        var secret = new string('k', 5_000);
        Switchboard.Platform.Security.SecretHash.Sha256(secret).ToHex().ShouldBe(
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret))));
    }
}
