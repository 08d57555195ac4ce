namespace Switchboard.Usage;

/// <summary>The response stream of a <see cref="CountingBody"/>: counts what is written through it into the body's count.</summary>
internal sealed class CountingStream(Stream inner, CountingBody counter) : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) { counter.Written += count; inner.Write(buffer, offset, count); }
    public override void Write(ReadOnlySpan<byte> buffer) { counter.Written += buffer.Length; inner.Write(buffer); }
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        counter.Written += count;
        return inner.WriteAsync(buffer, offset, count, cancellationToken);
    }
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        counter.Written += buffer.Length;
        return inner.WriteAsync(buffer, cancellationToken);
    }
}
