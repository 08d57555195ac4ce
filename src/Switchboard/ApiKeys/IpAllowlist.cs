using System.Net;

namespace Switchboard.ApiKeys;

/// <summary>CIDR allowlists (RFC 4632 for IPv4, RFC 4291 §2.3 for IPv6). A bare address means a single host.</summary>
public static class IpAllowlist
{
    public static bool TryNormalize(string? entry, out string normalized)
    {
        normalized = "";
        if (string.IsNullOrWhiteSpace(entry)) return false;
        var text = entry.Trim();
        if (!text.Contains('/', StringComparison.Ordinal))
        {
            if (!IPAddress.TryParse(text, out var ip)) return false;
            text += ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "/128" : "/32";
        }
        // A block with host bits set beyond its prefix ("10.0.0.1/8") is refused, as almost always a mistake. (.NET 10's
        // IPNetwork.TryParse accepts it and clears them, so the base address is compared with the one written.)
        if (!IPNetwork.TryParse(text, out var network)) return false;
        if (!IPAddress.TryParse(text.AsSpan(0, text.IndexOf('/', StringComparison.Ordinal)), out var written) || !written.Equals(network.BaseAddress))
            return false;
        normalized = network.ToString();
        return true;
    }

    public static IPNetwork ParseNetwork(string normalized) => IPNetwork.Parse(normalized);
}
