using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Switchboard.Platform;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;

namespace Switchboard.Identity;

/// <summary>
/// The installation's JWT key ring, kept in the database so that every node signs with the same key and
/// verifies every node's tokens. Keys are ES256 (RFC 7518 §3.4); private keys are encrypted at rest.
/// Rotation adds a key that signs from then on, and retires the old one only after every token it
/// signed has expired. Each node reloads the ring every few minutes and at once when it meets an unknown
/// <c>kid</c>, so a key made on one node is honoured on the others before it is used.
/// </summary>
public sealed class SigningKeyRing(IServiceScopeFactory scopes, SecretProtector protector, TimeProvider time,
    IOptions<SwitchboardOptions> options, ILogger<SigningKeyRing> logger) : IDisposable
{
    public const string Algorithm = SecurityAlgorithms.EcdsaSha256;
    private static readonly TimeSpan ReloadEvery = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan UnknownKidReloadGap = TimeSpan.FromSeconds(5);

    private volatile Snapshot _snapshot = Snapshot.Empty;
    private readonly SemaphoreSlim _reload = new(1, 1);
    private DateTimeOffset _lastUnknownKidReload = DateTimeOffset.MinValue;
    private int _backgroundReload;

    private sealed record Snapshot(IReadOnlyDictionary<string, ECDsaSecurityKey> Verification, SigningCredentials? Signing,
        IReadOnlyList<SigningKey> Rows, DateTimeOffset LoadedAt)
    {
        public static readonly Snapshot Empty = new(new Dictionary<string, ECDsaSecurityKey>(), null, [], DateTimeOffset.MinValue);
    }

    /// <summary>Loads the ring, creating the first key on a new installation.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await ReloadAsync(cancellationToken);
        if (_snapshot.Signing is null)
        {
            await CreateKeyAsync(retireOthers: false, cancellationToken);
            await ReloadAsync(cancellationToken);
        }
    }

    /// <summary>Adds a new signing key and schedules the others to retire once their tokens have expired.</summary>
    public async Task<string> RotateAsync(CancellationToken cancellationToken)
    {
        var kid = await CreateKeyAsync(retireOthers: true, cancellationToken);
        await ReloadAsync(cancellationToken);
        return kid;
    }

    public SigningCredentials GetSigningCredentials()
    {
        var snapshot = _snapshot;
        if (time.GetUtcNow() - snapshot.LoadedAt > ReloadEvery && Interlocked.Exchange(ref _backgroundReload, 1) == 0)
        {
            _ = Task.Run(async () =>
            {
                try { await ReloadAsync(CancellationToken.None); }
                catch (Exception ex) { logger.LogWarning(ex, "Reloading the signing key ring failed"); }
                finally { Interlocked.Exchange(ref _backgroundReload, 0); }
            });
        }
        return snapshot.Signing ?? throw new InvalidOperationException("The signing key ring is not initialized.");
    }

    public SecurityKey? FindVerificationKey(string? kid) =>
        kid is not null && _snapshot.Verification.TryGetValue(kid, out var key) ? key : null;

    /// <summary>Makes sure <paramref name="kid"/> is known if it exists, reloading at most once per few seconds.</summary>
    public async ValueTask EnsureKnownAsync(string? kid, CancellationToken cancellationToken)
    {
        if (kid is null || _snapshot.Verification.ContainsKey(kid)) return;
        var now = time.GetUtcNow();
        if (now - _lastUnknownKidReload < UnknownKidReloadGap) return;
        _lastUnknownKidReload = now;
        await ReloadAsync(cancellationToken);
    }

    /// <summary>
    /// The public keys as a JWK Set (RFC 7517 §5), read from the database rather than this node's snapshot so that
    /// a key added by any node (or the admin command) is published at once.
    /// </summary>
    public async Task<object> JwksAsync(CancellationToken cancellationToken)
    {
        var now = time.UtcNow();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var rows = await db.SigningKeys.AsNoTracking().Where(k => k.RetiresAt == null || k.RetiresAt > now)
            .OrderByDescending(k => k.CreatedAt).ToListAsync(cancellationToken);
        return new { keys = rows.Select(k => new { kty = "EC", crv = "P-256", x = k.PublicKeyX, y = k.PublicKeyY, kid = k.Id, use = "sig", alg = "ES256" }) };
    }

    private async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _reload.WaitAsync(cancellationToken);
        try
        {
            var now = time.UtcNow();
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            var rows = await db.SigningKeys.AsNoTracking().Where(k => k.RetiresAt == null || k.RetiresAt > now)
                .OrderByDescending(k => k.CreatedAt).ThenByDescending(k => k.Id).ToListAsync(cancellationToken);
            var verification = new Dictionary<string, ECDsaSecurityKey>(StringComparer.Ordinal);
            foreach (var row in rows)
            {
                var ecdsa = ECDsa.Create(new ECParameters
                {
                    Curve = ECCurve.NamedCurves.nistP256,
                    Q = new ECPoint { X = Base64Url.Decode(row.PublicKeyX), Y = Base64Url.Decode(row.PublicKeyY) },
                });
                verification[row.Id] = new ECDsaSecurityKey(ecdsa) { KeyId = row.Id };
            }
            // The newest key not scheduled to retire signs.
            var active = rows.FirstOrDefault(r => r.RetiresAt is null);
            SigningCredentials? signing = null;
            if (active is not null)
            {
                var ecdsa = ECDsa.Create();
                ecdsa.ImportPkcs8PrivateKey(Convert.FromBase64String(protector.Unprotect(active.PrivateKeyEncrypted, Purpose(active.Id))), out _);
                signing = new SigningCredentials(new ECDsaSecurityKey(ecdsa) { KeyId = active.Id }, Algorithm);
            }
            _snapshot = new Snapshot(verification, signing, rows, time.GetUtcNow());
        }
        finally { _reload.Release(); }
    }

    private async Task<string> CreateKeyAsync(bool retireOthers, CancellationToken cancellationToken)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
        var now = time.UtcNow();
        var kid = Ids.New("sk", time);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        if (retireOthers)
        {
            // Tokens signed by the old key stay verifiable until they expire (plus clock-skew margin).
            var retireAt = now.AddSeconds(options.Value.Auth.AccessTokenLifetimeSeconds).AddMinutes(5);
            await db.SigningKeys.Where(k => k.RetiresAt == null).ExecuteUpdateAsync(s => s.SetProperty(k => k.RetiresAt, retireAt), cancellationToken);
        }
        db.SigningKeys.Add(new SigningKey
        {
            Id = kid,
            Algorithm = "ES256",
            PrivateKeyEncrypted = protector.Protect(Convert.ToBase64String(ecdsa.ExportPkcs8PrivateKey()), Purpose(kid)),
            PublicKeyX = Base64Url.Encode(parameters.Q.X!),
            PublicKeyY = Base64Url.Encode(parameters.Q.Y!),
            CreatedAt = now,
        });
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Created signing key {Kid}", kid);
        return kid;
    }

    public void Dispose() => _reload.Dispose();

    internal static string Purpose(string kid) => "signing-key:" + kid;
}
