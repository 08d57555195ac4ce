using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Switchboard.Platform.Errors;

namespace Switchboard.Platform.Http;

/// <summary>
/// Gives the server's own refusals a problem+json body. Kestrel answers a request it cannot parse (a request line
/// past its limit: 414; headers past theirs: 431; a malformed request line, header or chunk, a NUL in the target: 400;
/// an unknown HTTP version: 505) before any middleware runs, with an empty body, and offers no hook to change that.
/// Those answers are recognised on the connection's way out (a 4xx/5xx head with <c>Content-Length: 0</c> and
/// <c>Connection: close</c>, written in one piece: nothing the application sends looks like that, every problem of
/// its own has a body) and written again with the body every other refusal of the API carries.
/// </summary>
public static class ServerRefusals
{
    public static void Use(ListenOptions listen) => listen.Use(next => connection =>
    {
        connection.Transport = new Pipe(connection.Transport);
        return next(connection);
    });

    private sealed class Pipe(IDuplexPipe inner) : IDuplexPipe
    {
        public PipeReader Input => inner.Input;
        public PipeWriter Output { get; } = new Writer(inner.Output);
    }

    /// <summary>Passes every write through, looking only at the first bytes of each (a few comparisons per write).</summary>
    private sealed class Writer(PipeWriter inner) : PipeWriter
    {
        private Memory<byte> _memory;

        public override Memory<byte> GetMemory(int sizeHint = 0) => _memory = inner.GetMemory(sizeHint);
        public override Span<byte> GetSpan(int sizeHint = 0) => (_memory = inner.GetMemory(sizeHint)).Span;

        public override void Advance(int bytes)
        {
            if (bytes is > 16 and < 2048 && bytes <= _memory.Length && Rewrite(_memory.Span[..bytes]) is { } answer)
            {
                // The refusal was written into memory the pipe has not taken yet; the full answer replaces it.
                _memory = default;
                inner.Write(answer);
                return;
            }
            _memory = default;
            inner.Advance(bytes);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);
        public override void CancelPendingFlush() => inner.CancelPendingFlush();
        public override void Complete(Exception? exception = null) => inner.Complete(exception);
        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;
        public override long UnflushedBytes => inner.UnflushedBytes;
    }

    private static ReadOnlySpan<byte> Http11 => "HTTP/1.1 "u8;
    private static ReadOnlySpan<byte> EmptyBody => "\r\nContent-Length: 0\r\n"u8;
    private static ReadOnlySpan<byte> Close => "\r\nConnection: close\r\n"u8;
    private static ReadOnlySpan<byte> End => "\r\n\r\n"u8;

    /// <summary>The full answer for one of the server's empty refusals, or null for anything else.</summary>
    internal static byte[]? Rewrite(ReadOnlySpan<byte> head)
    {
        if (!head.StartsWith(Http11) || head[9] is not ((byte)'4' or (byte)'5') || !head.EndsWith(End)
            || head.IndexOf(EmptyBody) < 0 || head.IndexOf(Close) < 0) return null;
        var status = (head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0');
        var (code, detail) = status switch
        {
            414 => (ErrorCodes.UriTooLong, "The request target (path and query) is longer than this server accepts."),
            431 => (ErrorCodes.HeaderFieldsTooLarge, "The request's header fields are larger or more numerous than this server accepts."),
            413 => (ErrorCodes.PayloadTooLarge, "The request body is larger than this API accepts."),
            505 => (ErrorCodes.HttpVersionNotSupported, "Send HTTP/1.1 or HTTP/2."),
            _ => (ApiProblem.DefaultCodeFor(status), "The request is not valid HTTP: its request line, a header or its framing is malformed."),
        };
        var requestId = Ids.New(Resources.ResourceRegistry.Requests);
        // The same problem document every other refusal carries (ApiProblem.Create: type, title, status, detail, code).
        var problem = ApiProblem.Create(status, code, detail);
        problem.Extensions["requestId"] = requestId;
        var body = JsonSerializer.SerializeToUtf8Bytes(problem);
        var text = Encoding.ASCII.GetString(head[..^4]);
        var lines = text.Split("\r\n").Where(l => !l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        var answer = string.Join("\r\n", lines) + $"\r\nContent-Type: {ApiProblem.ContentType}\r\nContent-Length: {body.Length}\r\nX-Request-Id: {requestId}\r\n\r\n";
        return [.. Encoding.ASCII.GetBytes(answer), .. body];
    }
}
