using Microsoft.AspNetCore.Http.Features;
using Switchboard.Platform.Errors;

namespace Switchboard.Platform.Http;

/// <summary>
/// The pipeline's first refusal: a body whose declared length (Content-Length) is past the configured limit gets 413
/// <c>payload_too_large</c>, before authentication, rate limits or authorization could answer (401, 429, 403) and leave
/// it unread. Whatever answers first, an unread body past the server's limit makes the server close the connection
/// with data still coming, and TCP resets it: the client, still writing, sees EPIPE instead of any answer. Bodies of
/// unknown length (chunked) are measured as they are read (<see cref="RequestGuardMiddleware"/>).
/// </summary>
public sealed class BodySizeLimitMiddleware(RequestDelegate next, Microsoft.Extensions.Options.IOptions<SwitchboardOptions> options)
{
    private readonly long _limit = options.Value.Api.MaxRequestBodyBytes;

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength is not { } length) return next(context);
        var size = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        return length > (size?.MaxRequestBodySize ?? _limit) ? RefuseTooLargeAsync(context, size) : next(context);
    }

    /// <summary>Bodies up to this size are read and dropped before a 413, so that the client can finish sending and read it.</summary>
    private const long DrainBytes = 64 * 1024 * 1024;
    private static readonly TimeSpan DrainTime = TimeSpan.FromSeconds(10);

    /// <summary>
    /// 413 for a declared length past the limit. A client that sent <c>Expect: 100-continue</c> waits for this answer
    /// and sends nothing more. Any other is already sending: closing the connection on unread data makes TCP reset it,
    /// and the client sees EPIPE instead of the answer (RFC 9112 §9.6 asks servers to read on a while before closing);
    /// so the body is read and dropped first, up to <see cref="DrainBytes"/> within <see cref="DrainTime"/>, and past
    /// those the answer goes with <c>Connection: close</c>.
    /// </summary>
    private static async Task RefuseTooLargeAsync(HttpContext context, IHttpMaxRequestBodySizeFeature? size)
    {
        var request = context.Request;
        var expectsContinue = request.Headers.Expect.Any(e => string.Equals(e, "100-continue", StringComparison.OrdinalIgnoreCase));
        if (!expectsContinue && request.ContentLength <= DrainBytes && size is { IsReadOnly: false })
        {
            size.MaxRequestBodySize = null;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(DrainTime);
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                while (await request.Body.ReadAsync(buffer, timeout.Token) > 0) { }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or BadHttpRequestException)
            {
                context.Response.Headers.Connection = "close";
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        else
        {
            context.Response.Headers.Connection = "close";
        }
        if (!context.RequestAborted.IsCancellationRequested)
            await ApiProblem.WriteAsync(context, 413, ErrorCodes.PayloadTooLarge, "The request body is larger than this API accepts.");
    }

}
