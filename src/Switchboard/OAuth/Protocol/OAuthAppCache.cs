using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Switchboard.Platform;

namespace Switchboard.OAuth.Protocol;

/// <summary>
/// Registered apps by <c>client_id</c>, kept in memory for <see cref="OAuthOptions.AppCacheSeconds"/>, so that a busy
/// client's token requests cost a dictionary read instead of a database round trip (as API keys do,
/// <see cref="ApiKeys.ApiKeyAuthenticator"/>). Every change to an app (update, secret rotation, deletion) stages an
/// <see cref="Platform.Auth.InvalidationKinds.OAuthApp"/> revocation, which drops it here on every node within a poll
/// interval; the time to live bounds what a missed poll could leave. The cached apps are shared: never modified.
/// </summary>
public sealed class OAuthAppCache(IOptions<SwitchboardOptions> options, TimeProvider time)
{
    private const int MaxEntries = 100_000;
    private readonly ConcurrentDictionary<string, (OAuthApp App, DateTimeOffset LoadedAt)> _byClientId = new(StringComparer.Ordinal);

    public async Task<OAuthApp?> FindAsync(string clientId, Func<string, CancellationToken, Task<OAuthApp?>> load, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_byClientId.TryGetValue(clientId, out var cached))
        {
            if (now - cached.LoadedAt < TimeSpan.FromSeconds(options.Value.OAuth.AppCacheSeconds)) return cached.App;
            _byClientId.TryRemove(clientId, out _);
        }
        var app = await load(clientId, ct);
        // Unknown client ids are not remembered: a flood of made-up ones must not fill memory.
        if (app is not null && _byClientId.Count < MaxEntries) _byClientId[clientId] = (app, now);
        return app;
    }

    public void Invalidate(string clientId) => _byClientId.TryRemove(clientId, out _);
}
