using System.Text.Json.Nodes;

namespace Switchboard.Integrations.Syncs;

/// <summary>
/// Which side wins a field both sides changed since the last sync: <c>newest</c> (last write wins, by the two
/// modification times), <c>remote</c> or <c>local</c>; per mapped field, with <c>*</c> for the rest, from the
/// installation's <c>conflictWinner</c> configuration (e.g. <c>{"email": "remote", "*": "newest"}</c>).
/// </summary>
public sealed class SyncConflictPolicy
{
    public const string Newest = "newest", Remote = "remote", Local = "local";
    public static readonly IReadOnlyList<string> Winners = [Newest, Remote, Local];

    private readonly Dictionary<string, string> _winners = new(StringComparer.Ordinal);

    public static SyncConflictPolicy From(JsonObject config)
    {
        var policy = new SyncConflictPolicy();
        if (config["conflictWinner"] is JsonObject winners)
            foreach (var (field, value) in winners)
                if (value is JsonValue v && v.TryGetValue<string>(out var winner) && Winners.Contains(winner)) policy._winners[field] = winner;
        return policy;
    }

    public string WinnerOf(string field) => _winners.GetValueOrDefault(field) ?? _winners.GetValueOrDefault("*") ?? Newest;

    /// <summary>Whether the remote value of <paramref name="field"/> wins, the remote record modified at <paramref name="remoteAt"/> and the local one at <paramref name="localAt"/>.</summary>
    public bool RemoteWins(string field, DateTime remoteAt, DateTime localAt) => WinnerOf(field) switch
    {
        Remote => true,
        Local => false,
        _ => remoteAt > localAt, // a tie keeps the local value: it is already in place, and the next push sends it
    };
}
