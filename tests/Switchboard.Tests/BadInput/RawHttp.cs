using System.Net.Sockets;
using System.Text;

namespace Switchboard.Tests.BadInput;

/// <summary>
/// Bytes on a socket, for requests no HTTP client would send. Writes and reads at once (a server may answer before the
/// request is complete); a reset while writing or reading fails the caller.
/// </summary>
public static class RawHttp
{
    public static async Task<(int Status, string Headers, string Body)> ExchangeAsync(int port, byte[] request)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port), timeout.Token);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var writing = Task.Run(async () =>
        {
            for (var at = 0; at < request.Length; at += 64 * 1024)
                await stream.WriteAsync(request.AsMemory(at, Math.Min(64 * 1024, request.Length - at)), timeout.Token);
        });

        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int headerEnd = -1, contentLength = -1;
        while (true)
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0) break;
            received.Write(buffer, 0, read);
            var text = Encoding.Latin1.GetString(received.GetBuffer(), 0, (int)received.Length);
            if (headerEnd < 0 && (headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
            {
                var length = text[..headerEnd].Split("\r\n").FirstOrDefault(l => l.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase));
                contentLength = length is null ? -1 : int.Parse(length["content-length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
            if (headerEnd >= 0 && contentLength >= 0 && received.Length >= headerEnd + 4 + contentLength) break;
            if (headerEnd >= 0 && contentLength < 0 && text.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal)) break; // chunked, complete
        }
        // The request must have gone out whole: a server that stops reading and closes makes this throw (EPIPE, reset).
        await writing;
        var all = Encoding.UTF8.GetString(received.GetBuffer(), 0, (int)received.Length);
        if (headerEnd < 0) return (0, all, "");
        var headers = all[..headerEnd];
        var status = int.Parse(headers.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var body = all[(headerEnd + 4)..];
        if (contentLength < 0 && headers.Contains("transfer-encoding: chunked", StringComparison.OrdinalIgnoreCase))
            body = Dechunk(body);
        return (status, headers, body);
    }

    private static string Dechunk(string chunked)
    {
        var body = new StringBuilder();
        for (var at = 0; ;)
        {
            var end = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = int.Parse(chunked[at..end].Split(';')[0], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            if (size == 0) return body.ToString();
            body.Append(chunked, end + 2, size);
            at = end + 2 + size + 2;
        }
    }
}
