using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace Switchboard.Usage;

/// <summary>
/// The response body, counting the bytes written through it. It wraps the body feature rather than replacing
/// <c>Response.Body</c>: a replaced stream turns <c>Response.BodyWriter</c> (what the JSON results write to) into a pipe
/// over that stream, with its own buffers, a copy and an async flush per response. Here the writer counts and hands
/// each call to the server's own writer; the stream, for code that writes through it, counts on top of the server's.
/// </summary>
internal sealed class CountingBody(IHttpResponseBodyFeature inner) : PipeWriter, IHttpResponseBodyFeature
{
    private CountingStream? _stream;
    public long Written;

    public Stream Stream => _stream ??= new CountingStream(inner.Stream, this);
    public PipeWriter Writer => this;
    public void DisableBuffering() => inner.DisableBuffering();
    public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);
    public Task CompleteAsync() => inner.CompleteAsync();

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        Written += count ?? Math.Max(0, new FileInfo(path).Length - offset);
        return inner.SendFileAsync(path, offset, count, cancellationToken);
    }

    public override void Advance(int bytes)
    {
        Written += bytes;
        inner.Writer.Advance(bytes);
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) => inner.Writer.GetMemory(sizeHint);
    public override Span<byte> GetSpan(int sizeHint = 0) => inner.Writer.GetSpan(sizeHint);
    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.Writer.FlushAsync(cancellationToken);
    public override void CancelPendingFlush() => inner.Writer.CancelPendingFlush();
    public override void Complete(Exception? exception = null) => inner.Writer.Complete(exception);
    public override ValueTask CompleteAsync(Exception? exception = null) => inner.Writer.CompleteAsync(exception);
    public override bool CanGetUnflushedBytes => inner.Writer.CanGetUnflushedBytes;
    public override long UnflushedBytes => inner.Writer.UnflushedBytes;

    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        Written += source.Length;
        return inner.Writer.WriteAsync(source, cancellationToken);
    }
}
