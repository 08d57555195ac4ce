using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Switchboard.Integrations.Catalog;

namespace Switchboard.Integrations.Connectors;

/// <summary>
/// An installation's HTTP client to its provider. For OAuth providers it sends the access token as a bearer token
/// (RFC 6750 §2.1), refreshed before it expires (<see cref="ProviderTokenStore"/>); a 401 forces one refresh and one
/// retry, no more. A timeout or a connection error throws a retryable <see cref="ProviderException"/>; any HTTP answer
/// is returned as it is, for the connector to read the provider's own success and error shapes.
/// </summary>
public sealed class ProviderClient(HttpClient http, ProviderTokenStore tokens, IntegrationInstallation? installation, ProviderDefinition provider,
    TimeSpan timeout)
{
    /// <summary>The most of a provider's body kept (errors and pages are smaller; a larger answer is cut).</summary>
    public const int MaxBodyChars = 4 * 1024 * 1024;

    /// <summary>
    /// Sends the request <paramref name="build"/> makes (called again for the retry after a refresh: a request message
    /// cannot be sent twice). <paramref name="authenticate"/> false sends it as built (incoming-webhook URLs, token calls).
    /// </summary>
    public async Task<ProviderResponse> SendAsync(Func<HttpRequestMessage> build, CancellationToken cancellationToken, bool authenticate = true)
    {
        var bearer = authenticate && installation is not null && provider.Auth.Kind == ProviderAuthKind.OAuth2;
        ProviderTokens? current = bearer ? await tokens.AccessAsync(installation!, provider, force: false, cancellationToken) : null;
        var response = await SendOnceAsync(build, current?.AccessToken, cancellationToken);
        if (bearer && response.Status == (int)HttpStatusCode.Unauthorized)
        {
            // The token was revoked or expired early: refresh once (or take the one another node just got) and try again.
            current = await tokens.AccessAsync(installation!, provider, force: true, cancellationToken, staleAccessToken: current!.AccessToken);
            response = await SendOnceAsync(build, current.AccessToken, cancellationToken);
        }
        return response;
    }

    /// <summary>The installation's current tokens (refreshed if close to expiry), for what a connector needs beside the access token (<c>instance_url</c>, …).</summary>
    public Task<ProviderTokens> TokensAsync(CancellationToken cancellationToken) => tokens.AccessAsync(
        installation ?? throw new InvalidOperationException("A token request has no installation."), provider, force: false, cancellationToken);

    private async Task<ProviderResponse> SendOnceAsync(Func<HttpRequestMessage> build, string? accessToken, CancellationToken cancellationToken)
    {
        using var request = build();
        if (accessToken is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        request.Headers.UserAgent.ParseAdd("Switchboard-Integrations/1.0");
        var started = Stopwatch.GetTimestamp();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, limit.Token);
            var body = await ReadAsync(response, limit.Token);
            return new ProviderResponse((int)response.StatusCode, body, response.Headers, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or OperationCanceledException or IOException)
        {
            if (cancellationToken.IsCancellationRequested) throw;
            var timedOut = ex is TaskCanceledException or OperationCanceledException;
            throw new ProviderException(
                timedOut ? $"{provider.Name} did not answer within {timeout.TotalSeconds:0} s." : $"{provider.Name} could not be reached: {ex.Message}",
                status: null, providerError: null, retryable: true, inner: ex);
        }
    }

    private static async Task<string> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var buffer = new char[16 * 1024];
        var text = new StringBuilder();
        int read;
        while (text.Length < MaxBodyChars && (read = await reader.ReadAsync(buffer, cancellationToken)) > 0) text.Append(buffer, 0, read);
        return text.ToString();
    }

    /// <summary>The wait a 429 or 503 asks for (<see cref="Platform.Http.RetryAfterHeader"/>), or null.</summary>
    public static TimeSpan? RetryAfter(ProviderResponse response, TimeProvider time) =>
        response.Status is 429 or 503 ? Platform.Http.RetryAfterHeader.Of(response.Headers, time) : null;
}
