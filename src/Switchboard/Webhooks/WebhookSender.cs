using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Switchboard.Platform;
using Switchboard.Platform.Security;

namespace Switchboard.Webhooks;

/// <summary>
/// Posts one delivery to its endpoint, signed (Standard Webhooks and the simple signature), with the endpoint's custom
/// headers, within the timeout; writes nothing. A timeout or a connection error is an answer (no status, an error);
/// cancellation by the caller is not, and propagates.
/// </summary>
public sealed class WebhookSender(IHttpClientFactory clients, SecretProtector protector, IOptions<SwitchboardOptions> options, TimeProvider time)
{
    public const string HttpClientName = "webhooks";

    public async Task<(int? Status, string? Body, string? Error, TimeSpan? RetryAfter, long LatencyMs)> SendAsync(
        WebhookEndpoint endpoint, WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url) { Content = new StringContent(delivery.Payload, Encoding.UTF8, "application/json") };
            var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
            var secrets = Secrets(endpoint);
            request.Headers.TryAddWithoutValidation("webhook-id", delivery.EventId);
            request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation("webhook-signature", string.Join(' ', secrets.Select(s => WebhookSignature.StandardSignature(s, delivery.EventId, timestamp, delivery.Payload))));
            request.Headers.TryAddWithoutValidation("X-Webhook-Event", delivery.EventType);
            request.Headers.TryAddWithoutValidation("X-Webhook-Signature", WebhookSignature.SimpleSignature(secrets[0], delivery.Payload));
            request.Headers.UserAgent.ParseAdd("Switchboard-Webhooks/1.0");
            if (endpoint.HeadersEncrypted is not null)
                foreach (var (name, value) in JsonSerializer.Deserialize<Dictionary<string, string>>(protector.Unprotect(endpoint.HeadersEncrypted, HeadersPurpose(endpoint.Id))) ?? [])
                    request.Headers.TryAddWithoutValidation(name, value);

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.Webhooks.TimeoutSeconds));
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var body = await ReadPrefixAsync(response, timeout.Token);
            TimeSpan? retryAfter = response.StatusCode is System.Net.HttpStatusCode.TooManyRequests or System.Net.HttpStatusCode.ServiceUnavailable
                ? Platform.Http.RetryAfterHeader.Of(response.Headers, time)
                : null;
            return ((int)response.StatusCode, body, null, retryAfter, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or OperationCanceledException or IOException)
        {
            if (cancellationToken.IsCancellationRequested) throw;
            var error = ex is TaskCanceledException or OperationCanceledException ? $"Timed out after {options.Value.Webhooks.TimeoutSeconds} s." : ex.Message;
            return (null, null, error.Length <= 1000 ? error : error[..1000], null, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    /// <summary>The current secret first, then the previous one while its overlap lasts.</summary>
    private List<string> Secrets(WebhookEndpoint endpoint)
    {
        var secrets = new List<string> { protector.Unprotect(endpoint.SecretEncrypted, SecretPurpose(endpoint.Id)) };
        if (endpoint.PreviousSecretEncrypted is not null && endpoint.PreviousSecretExpiresAt > time.UtcNow())
            secrets.Add(protector.Unprotect(endpoint.PreviousSecretEncrypted, SecretPurpose(endpoint.Id)));
        return secrets;
    }

    private static async Task<string?> ReadPrefixAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[4096];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0) read += n;
        return read == 0 ? null : Encoding.UTF8.GetString(buffer, 0, read);
    }

    public static string SecretPurpose(string endpointId) => "webhook-secret:" + endpointId;
    public static string HeadersPurpose(string endpointId) => "webhook-headers:" + endpointId;
}
