using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Polly.Timeout;

namespace Switchboard.Client;

/// <summary>
/// The Switchboard API: one property per resource (<c>client.Contacts</c>, <c>client.Leads</c>, <c>client.Webhooks</c>,
/// ...), one method per operation of the v1 document. Thread-safe; make one and share it (or inject it, see
/// <see cref="SwitchboardServiceCollectionExtensions.AddSwitchboardClient"/>).
/// </summary>
public sealed partial class SwitchboardClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <summary>A client with its own connection pool and the retry pipeline of <see cref="SwitchboardResilience"/>.</summary>
    public SwitchboardClient(SwitchboardClientOptions options)
        : this(new HttpClient(SwitchboardResilience.CreateHandler(options ?? throw new ArgumentNullException(nameof(options))), disposeHandler: true), options, ownsHttp: true)
    {
    }

    /// <summary>
    /// A client over an <see cref="HttpClient"/> you manage (<see cref="SwitchboardServiceCollectionExtensions.AddSwitchboardClient"/>
    /// gives it the retry pipeline; one you make yourself should have it too: <see cref="SwitchboardResilience.CreateHandler"/>).
    /// </summary>
    public SwitchboardClient(HttpClient httpClient, SwitchboardClientOptions options) : this(httpClient, options, ownsHttp: false)
    {
    }

    private SwitchboardClient(HttpClient httpClient, SwitchboardClientOptions options, bool ownsHttp)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _http = httpClient;
        _ownsHttp = ownsHttp;
        // Each attempt has its own timeout inside the pipeline; the caller's CancellationToken bounds the whole call.
        _http.Timeout = System.Threading.Timeout.InfiniteTimeSpan;
    }

    /// <summary>The options this client was made with.</summary>
    public SwitchboardClientOptions Options { get; }

    internal static byte[] Serialize<T>(T body, JsonTypeInfo<T> typeInfo) => JsonSerializer.SerializeToUtf8Bytes(body, typeInfo);

    internal async Task<T> SendAsync<T>(ApiRequest request, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        using var response = await SendCoreAsync(request, cancellationToken);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await JsonSerializer.DeserializeAsync(stream, typeInfo, cancellationToken)
               ?? throw new SwitchboardException($"{request.Method} {request.Path} answered an empty body.");
    }

    internal async Task SendAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        using var response = await SendCoreAsync(request, cancellationToken);
    }

    internal async Task<string> SendForTextAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        using var response = await SendCoreAsync(request, cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    internal async IAsyncEnumerable<T> PaginateAsync<T>(ApiRequest request, JsonTypeInfo<Page<T>> typeInfo,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var current = request;
        while (true)
        {
            var page = await SendAsync(current, typeInfo, cancellationToken);
            foreach (var item in page.Data) yield return item;
            if (!page.HasMore || string.IsNullOrEmpty(page.NextCursor)) yield break;
            // The cursor carries the rest of the first request's parameters; an offset no longer applies.
            current = request with { Cursor = page.NextCursor };
        }
    }

    private async Task<HttpResponseMessage> SendCoreAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(request.Method, new Uri(Options.BaseAddress, request.PathAndQuery()));
        if (request.Body is not null)
        {
            // Bytes, not a stream: the retry pipeline can send them again unchanged, as idempotent replay requires.
            message.Content = new ByteArrayContent(request.Body);
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }
        message.Headers.Accept.ParseAdd("application/json");
        message.Headers.UserAgent.ParseAdd(Options.UserAgent);
        await AuthenticateAsync(message, request.Auth, cancellationToken);
        var options = request.Options;
        if (request.Method == HttpMethod.Post && request.Auth != OperationAuth.None)
            message.Headers.TryAddWithoutValidation("Idempotency-Key", options?.IdempotencyKey ?? Guid.NewGuid().ToString());
        if (options?.IfMatch is { } ifMatch) message.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        foreach (var (name, value) in options?.Headers ?? new Dictionary<string, string>())
            message.Headers.TryAddWithoutValidation(name, value);

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (TimeoutRejectedException e)
        {
            throw new SwitchboardTimeoutException($"{request.Method} {request.Path} timed out (each attempt {Options.Timeout.TotalSeconds:0.###} s).", e);
        }
        catch (HttpRequestException e)
        {
            throw new SwitchboardConnectionException($"{request.Method} {request.Path} could not reach {Options.BaseAddress}: {e.Message}", e);
        }
        if (response.IsSuccessStatusCode) return response;
        using (response)
            throw await ErrorOfAsync(response, cancellationToken);
    }

    private async ValueTask AuthenticateAsync(HttpRequestMessage message, OperationAuth auth, CancellationToken cancellationToken)
    {
        switch (auth)
        {
            case OperationAuth.None:
                return;
            case OperationAuth.Admin:
                if (Options.AdminToken is null) throw new InvalidOperationException("This operation needs SwitchboardClientOptions.AdminToken (the installation's operator token).");
                message.Headers.TryAddWithoutValidation("X-Admin-Token", Options.AdminToken);
                return;
        }
        if (Options.ApiKey is { } key)
            message.Headers.TryAddWithoutValidation("X-API-Key", key);
        else if (Options.AccessToken is { } token)
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        else if (Options.TokenSource is { } source)
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await source.GetAccessTokenAsync(cancellationToken));
        else
            throw new InvalidOperationException("No credential: set SwitchboardClientOptions.ApiKey, AccessToken or TokenSource.");
    }

    private async Task<SwitchboardApiException> ErrorOfAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var requestId = response.Headers.TryGetValues("X-Request-Id", out var ids) ? ids.FirstOrDefault() : null;
        Problem? problem = null;
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (text.Length > 0 && response.Content.Headers.ContentType?.MediaType is { } media && media.EndsWith("json", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                problem = JsonSerializer.Deserialize(text, SwitchboardJsonContext.Default.Problem);
            }
            catch (JsonException)
            {
                // Not a problem document (a proxy's error page, say): the status still tells what happened.
            }
        }
        return SwitchboardApiException.Create(response.StatusCode, problem, requestId, SwitchboardResilience.RetryAfterOf(response, Options.TimeProvider));
    }

    /// <summary>Releases the connection pool when the client made its own.</summary>
    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }
}
