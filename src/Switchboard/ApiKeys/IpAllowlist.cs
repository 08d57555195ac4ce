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
        // IPNetwork.TryParse refuses host bits set beyond the prefix ("10.0.0.1/8"), which is what we want:
        // such an entry is almost always a mistake.
        if (!IPNetwork.TryParse(text, out var network)) return false;
        normalized = network.ToString();
        return true;
    }

    public static IPNetwork ParseNetwork(string normalized) => IPNetwork.Parse(normalized);
}
