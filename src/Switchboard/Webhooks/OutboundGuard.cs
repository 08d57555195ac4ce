using System.Net;
using System.Net.Sockets;

namespace Switchboard.Webhooks;

/// <summary>
/// Keeps webhooks (and connectors) from reaching the service's own network (SSRF). A URL must be http(s), https unless
/// private networks are allowed, without credentials; a literal IP is checked when the URL is saved, and every name is
/// checked again at connect time against the addresses it resolves to then, so DNS rebinding cannot slip through.
/// Refused: loopback, private (RFC 1918, RFC 4193), link-local (incl. the 169.254.169.254 metadata service), CGNAT
/// (RFC 6598), multicast, unspecified, benchmarking and reserved ranges, and IPv4-mapped forms of all of them.
/// </summary>
public static class OutboundGuard
{
    private static readonly IPNetwork[] Refused =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"), IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"), IPNetwork.Parse("192.0.0.0/24"), IPNetwork.Parse("192.0.2.0/24"),
        IPNetwork.Parse("192.168.0.0/16"), IPNetwork.Parse("198.18.0.0/15"), IPNetwork.Parse("198.51.100.0/24"), IPNetwork.Parse("203.0.113.0/24"),
        IPNetwork.Parse("224.0.0.0/4"), IPNetwork.Parse("240.0.0.0/4"), IPNetwork.Parse("168.63.129.16/32"),
        IPNetwork.Parse("::/128"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("fc00::/7"), IPNetwork.Parse("fe80::/10"),
        IPNetwork.Parse("ff00::/8"), IPNetwork.Parse("2001:db8::/32"), IPNetwork.Parse("64:ff9b::/96"),
    ];

    public static bool IsRefused(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return Refused.Any(n => n.Contains(address));
    }

    /// <summary>An error message for a webhook URL, or null when it may be saved.</summary>
    public static string? ValidateUrl(string? url, bool allowPrivateNetworks)
    {
        if (string.IsNullOrWhiteSpace(url) || url.Length > 2048 || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
            return "Must be an absolute URL of at most 2048 characters.";
        if (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) return "Must be an http or https URL.";
        if (uri.Scheme == Uri.UriSchemeHttp && !allowPrivateNetworks) return "Must use https.";
        if (!string.IsNullOrEmpty(uri.UserInfo)) return "Must not contain credentials; use custom headers.";
        if (!allowPrivateNetworks && IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var ip) && IsRefused(ip))
            return "Must not point at a loopback, private, link-local or otherwise internal address.";
        return null;
    }

    /// <summary>
    /// The connect step of every outbound request: resolves the name now and connects only to an address that is
    /// allowed, so what was checked is what is dialled.
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool allowPrivateNetworks, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = allowPrivateNetworks ? addresses : addresses.Where(a => !IsRefused(a)).ToArray();
        if (allowed.Length == 0)
            throw new HttpRequestException(HttpRequestError.ConnectionError, $"Refused to connect to {host}: it resolves only to internal addresses.");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
