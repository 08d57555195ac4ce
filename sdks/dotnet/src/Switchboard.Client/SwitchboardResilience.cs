using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Switchboard.Client;

/// <summary>
/// The client's retry pipeline, built with Microsoft.Extensions.Http.Resilience (Polly): retries with exponential backoff and
/// jitter on network errors, attempt timeouts, 429, 502, 503, 504 and 409 idempotency_request_in_progress, waiting out <c>Retry-After</c> (seconds or an HTTP
/// date, RFC 9110 §10.2.3) when the answer has one; then a timeout per attempt. POSTs carry an <c>Idempotency-Key</c> that
/// stays the same across the retries of one call, so the API replays a request that did happen instead of doing it twice.
/// </summary>
public static class SwitchboardResilience
{
    /// <summary>A handler chain for a hand-made <see cref="HttpClient"/>: the pipeline over a pooled <see cref="SocketsHttpHandler"/>.</summary>
    public static HttpMessageHandler CreateHandler(SwitchboardClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = options.TimeProvider };
        Configure(builder, options);
        return new ResilienceHandler(builder.Build())
        {
            InnerHandler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AutomaticDecompression = DecompressionMethods.All },
        };
    }

    /// <summary>Adds the retry and attempt-timeout strategies to <paramref name="builder"/>.</summary>
    public static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> builder, SwitchboardClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                ShouldRetryAfterHeader = false, // RetryAfterDelay below waits it out, and refuses one longer than MaxRetryAfter
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, options)),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } response ? RetryAfterOf(response, options.TimeProvider) : null),
            });
        }
        builder.AddTimeout(options.Timeout);
    }

    private static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, SwitchboardClientOptions options)
    {
        if (outcome.Exception is not null)
            return outcome.Exception is HttpRequestException or TimeoutRejectedException;
        var response = outcome.Result!;
        // A 409 with Retry-After is idempotency_request_in_progress (the first request with this key is still running): its
        // answer will be replayed once it finishes. Other 409s are conflicts that a retry would not change.
        var retryable = response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout
                        || (response.StatusCode == HttpStatusCode.Conflict && response.Headers.RetryAfter is not null);
        if (!retryable) return false;
        // A Retry-After beyond what the caller is willing to wait is not worth sleeping on: the error goes back at once.
        return RetryAfterOf(response, options.TimeProvider) is not { } wait || wait <= options.MaxRetryAfter;
    }

    /// <summary>The answer's <c>Retry-After</c> as a delay (delta-seconds or an HTTP date), or null.</summary>
    public static TimeSpan? RetryAfterOf(HttpResponseMessage response, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header?.Date is { } date)
        {
            var wait = date - timeProvider.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }
}
