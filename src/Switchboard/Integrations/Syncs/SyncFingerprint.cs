using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Switchboard.Integrations.Syncs;

/// <summary>
/// SHA-256 (hex) of a record's synced fields: names in ordinal order, null and absent alike (a provider that omits an
/// unset property and one that sends it as null describe the same record). Equal fingerprints mean nothing synced
/// changed, which is how a run recognises the echo of its own write even when the provider moved the record's
/// modification time (HubSpot recomputes properties after a write).
/// </summary>
public static class SyncFingerprint
{
    public static string Of(JsonObject fields)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in fields.Where(f => f.Value is not null).OrderBy(f => f.Key, StringComparer.Ordinal))
            text.Append(name).Append('\u001f').Append(value!.ToJsonString()).Append('\u001e');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
