using Switchboard.Platform.Security;
using Switchboard.RateLimiting;

namespace Switchboard.OAuth.Protocol;

/// <summary>
/// Remembers one-time values (DPoP proof <c>jti</c>s, RFC 9449 §11.1; client assertion <c>jti</c>s, RFC 7523 §3 item 7)
/// for as long as they could be replayed. It is the rate-limit counter store with a limit of one use per lifetime: in
/// memory on SQLite (one node), the shared table on PostgreSQL, so a value used on one node is refused on every other.
/// </summary>
public sealed class ReplayCache(IRateLimitStore store, TimeProvider time)
{
    /// <summary>True the first time <paramref name="value"/> is seen in its <paramref name="kind"/>, false on any later use within <paramref name="lifetime"/>.</summary>
    public async Task<bool> FirstUseAsync(string kind, string value, TimeSpan lifetime, CancellationToken ct)
    {
        if (lifetime < TimeSpan.FromSeconds(1)) lifetime = TimeSpan.FromSeconds(1);
        var policy = new RateLimitPolicy("replay", $"replay:{kind}:{SecretHash.Sha256Hex(value)}", LimitKind.TokenBucket, 1, lifetime);
        var decisions = await store.AcquireAsync([policy], time.GetUtcNow().UtcDateTime, ct);
        return decisions[0].Allowed;
    }
}
