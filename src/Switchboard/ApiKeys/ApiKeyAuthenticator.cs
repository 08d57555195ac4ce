using System.Collections.Concurrent;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;

namespace Switchboard.ApiKeys;

/// <summary>
/// Verifies API keys. A verified key is kept in memory for <see cref="ApiKeyOptions.CacheSeconds"/>, so a busy key
/// costs a SHA-256 and a dictionary read, not a database round trip; an unknown key is remembered as unknown for
/// <see cref="ApiKeyOptions.NegativeCacheSeconds"/> (keys are random: an unknown one cannot start existing).
/// Revocation and changes reach every node through <see cref="AuthInvalidationFeed"/>; expiry is checked on each
/// request against the clock, so it is exact.
/// </summary>
public sealed class ApiKeyAuthenticator(
    IServiceScopeFactory scopes,
    TimeProvider time,
    IOptions<SwitchboardOptions> options,
    ApiKeyUsageTracker usage)
{
    private const int MaxNegativeEntries = 100_000;
    private readonly ConcurrentDictionary<Sha256Digest, CachedKey> _byHash = new();
    private readonly ConcurrentDictionary<Sha256Digest, DateTimeOffset> _unknown = new();
    private readonly ConcurrentDictionary<IPAddress, MissWindow> _missesByIp = new();

    private sealed class MissWindow
    {
        public long Minute;
        public int Count;
    }

    public async ValueTask<AuthOutcome> AuthenticateAsync(string presented, IPAddress? clientIp, CancellationToken cancellationToken)
    {
        if (!ApiKeyFormat.IsWellFormed(presented))
            return AuthOutcome.Fail(ErrorCodes.InvalidApiKey, "The API key is malformed or its checksum does not match.");

        var hash = SecretHash.Sha256(presented);
        var now = time.GetUtcNow();
        var key = await FindAsync(hash, now, clientIp, cancellationToken);
        if (key == LookupRefused)
            return AuthOutcome.Fail(ErrorCodes.RateLimited, "Too many unknown API keys from this address; retry in a minute.", 429);
        if (key is null) return AuthOutcome.Fail(ErrorCodes.InvalidApiKey, "The API key does not exist.");
        if (key.RevokedAt is not null) return AuthOutcome.Fail(ErrorCodes.ApiKeyRevoked, "The API key was revoked.");
        if (key.ExpiresAt is { } expires && expires <= now.UtcDateTime)
            return AuthOutcome.Fail(ErrorCodes.ApiKeyExpired, "The API key has expired.");
        if (key.AllowedNetworks.Length > 0 && (clientIp is null || !key.AllowedNetworks.Any(n => n.Contains(clientIp))))
            return AuthOutcome.Fail(ErrorCodes.IpNotAllowed, "The API key does not allow requests from this IP address.", 403);

        usage.Touch(key.Caller.ApiKeyId!, now.UtcDateTime);
        return AuthOutcome.Success(key.Caller);
    }

    private static readonly CachedKey LookupRefused = new(new Caller(CallerKind.ApiKey, "", []), null, null, [], DateTimeOffset.MinValue);

    private async ValueTask<CachedKey?> FindAsync(Sha256Digest hash, DateTimeOffset now, IPAddress? clientIp, CancellationToken cancellationToken)
    {
        var settings = options.Value.ApiKeys;
        var ttl = TimeSpan.FromSeconds(settings.CacheSeconds);
        if (_byHash.TryGetValue(hash, out var cached))
        {
            if (now - cached.LoadedAt < ttl) return cached;
            _byHash.TryRemove(hash, out _);
        }
        if (_unknown.TryGetValue(hash, out var unknownUntil))
        {
            if (now < unknownUntil) return null;
            _unknown.TryRemove(hash, out _);
        }
        var minute = now.ToUnixTimeSeconds() / 60;
        if (clientIp is not null && _missesByIp.TryGetValue(clientIp, out var misses) && Volatile.Read(ref misses.Minute) == minute
            && Volatile.Read(ref misses.Count) >= settings.UnknownKeyLookupsPerIpPerMinute)
            return LookupRefused;

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var hex = hash.ToHex();
        // Authentication runs before a tenant is known, hence IgnoreQueryFilters; the hash is unique installation-wide.
        var row = await db.ApiKeys.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(k => k.KeyHash == hex, cancellationToken);
        if (row is null)
        {
            if (settings.NegativeCacheSeconds > 0)
            {
                if (_unknown.Count >= MaxNegativeEntries) _unknown.Clear();
                _unknown[hash] = now + TimeSpan.FromSeconds(settings.NegativeCacheSeconds);
            }
            if (clientIp is not null) CountMiss(clientIp, minute);
            return null;
        }
        var entry = CachedKey.From(row, now);
        if (ttl > TimeSpan.Zero) _byHash[hash] = entry;
        return entry;
    }

    private void CountMiss(IPAddress ip, long minute)
    {
        if (_missesByIp.Count > MaxNegativeEntries) _missesByIp.Clear();
        var window = _missesByIp.GetOrAdd(ip, _ => new MissWindow());
        lock (window)
        {
            if (window.Minute != minute) (window.Minute, window.Count) = (minute, 0);
            window.Count++;
        }
    }

    /// <summary>Drops a key from this node's cache (it was revoked, rotated or changed).</summary>
    public void Invalidate(string apiKeyId)
    {
        foreach (var (hash, entry) in _byHash)
            if (entry.Caller.ApiKeyId == apiKeyId) _byHash.TryRemove(hash, out _);
    }

    private sealed record CachedKey(Caller Caller, DateTime? ExpiresAt, DateTime? RevokedAt, IPNetwork[] AllowedNetworks, DateTimeOffset LoadedAt)
    {
        public static CachedKey From(ApiKey row, DateTimeOffset now) => new(
            new Caller(CallerKind.ApiKey, row.OrganizationId, row.Scopes, ApiKeyId: row.Id,
                RateLimit: row.RateLimitRequests is { } r && row.RateLimitWindowSeconds is { } w ? (r, w) : null),
            row.ExpiresAt, row.RevokedAt, row.AllowedIps.Select(IpAllowlist.ParseNetwork).ToArray(), now);
    }
}

/// <summary>Records when each key was last used, in memory, and writes it in batches so requests never wait on it.</summary>
public sealed class ApiKeyUsageTracker(IServiceScopeFactory scopes, IOptions<SwitchboardOptions> options, TimeProvider time, ILogger<ApiKeyUsageTracker> logger)
    : BackgroundService
{
    // Ticks rather than DateTime: the dictionary updates a long in place, where a DateTime value took a new node per request.
    private ConcurrentDictionary<string, long> _pending = new(StringComparer.Ordinal);

    public void Touch(string apiKeyId, DateTime at) => _pending[apiKeyId] = at.Ticks;

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var batch = Interlocked.Exchange(ref _pending, new ConcurrentDictionary<string, long>(StringComparer.Ordinal));
        if (batch.IsEmpty) return;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        foreach (var (id, ticks) in batch)
        {
            var stamp = new DateTime(ticks - ticks % 10, DateTimeKind.Utc);
            await db.ApiKeys.IgnoreQueryFilters()
                .Where(k => k.Id == id && (k.LastUsedAt == null || k.LastUsedAt < stamp))
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, stamp), cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.Value.ApiKeys.LastUsedFlushSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await Task.Delay(interval, time, stoppingToken); }
            catch (OperationCanceledException) { break; }
            try { await FlushAsync(stoppingToken); }
            catch (Exception ex) when (ex is not OperationCanceledException) { logger.LogWarning(ex, "Writing API key last-used times failed"); }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try { await FlushAsync(cancellationToken); }
        catch (Exception ex) { logger.LogWarning(ex, "Final flush of API key last-used times failed"); }
    }
}
