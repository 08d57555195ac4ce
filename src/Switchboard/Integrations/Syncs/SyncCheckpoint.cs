using System.Text.Json;
using System.Text.Json.Serialization;

namespace Switchboard.Integrations.Syncs;

/// <summary>
/// How far a run has got, stored in <see cref="IntegrationSyncRun.Checkpoint"/> with each committed page: the phase
/// (pulling provider pages, then pushing local changes), the provider's cursor of the next page to pull, the high-water
/// mark seen so far, and the last local id pushed. A resumed run starts exactly here.
/// </summary>
public sealed record SyncCheckpoint(
    [property: JsonPropertyName("phase")] string Phase,
    [property: JsonPropertyName("page")] string? Page = null,
    [property: JsonPropertyName("mark")] string? HighWaterMark = null,
    [property: JsonPropertyName("after")] string? PushedAfter = null)
{
    public const string Pull = "pull", Push = "push";

    public static SyncCheckpoint Parse(string? text) =>
        string.IsNullOrEmpty(text) ? new SyncCheckpoint(Pull) : JsonSerializer.Deserialize<SyncCheckpoint>(text) ?? new SyncCheckpoint(Pull);

    public string Serialize() => JsonSerializer.Serialize(this);
}
