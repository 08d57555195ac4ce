using System.Text;
using System.Text.Json;

namespace Switchboard.Platform.Http;

/// <summary>
/// A request body that fails its read, as malformed JSON, on the first byte sequence that is not UTF-8 (RFC 8259 §8.1;
/// RFC 3629 §3: overlong forms, surrogates and code points past U+10FFFF are invalid), and as 413 past
/// <c>limit</c> bytes. System.Text.Json checks UTF-8 only in what it decodes, so invalid bytes in a property it skips
/// would pass unseen; here every byte is checked as it passes, sequences split across reads included.
/// </summary>
public sealed class Utf8ValidatingStream(Stream inner, long limit) : Stream
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly Decoder _decoder = Strict.GetDecoder();
    private long _read;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        return Check(buffer.Span, read);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Check(buffer.AsSpan(offset), inner.Read(buffer, offset, count));

    public override int Read(Span<byte> buffer) => Check(buffer, inner.Read(buffer));

    private int Check(ReadOnlySpan<byte> buffer, int read)
    {
        _read += read;
        if (_read > limit)
            throw new BadHttpRequestException("The request body is larger than this API accepts.", StatusCodes.Status413PayloadTooLarge);
        try
        {
            // A sequence cut by the end of a read is kept by the decoder and completed by the next; the end of the body flushes
            // it (a zero-byte read into an empty buffer only waits for data, it is not the end).
            _decoder.GetCharCount(buffer[..read], flush: read == 0 && buffer.Length > 0);
        }
        catch (DecoderFallbackException e)
        {
            throw new JsonException("The request body is not valid UTF-8 (RFC 8259 §8.1).", e);
        }
        return read;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
