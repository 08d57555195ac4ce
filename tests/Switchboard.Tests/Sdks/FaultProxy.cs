using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Switchboard.Tests.Sdks;

/// <summary>
/// A loopback reverse proxy in front of a node that injects faults from a script: answer a status itself (with a
/// Retry-After) without forwarding, or forward the request and then lose the node's answer (answer 502 instead), as a
/// broken network path would. It records every request it sees (method, path, Idempotency-Key) and each answer it passed on.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    public sealed record Seen(string Method, string Path, string? IdempotencyKey, int Status, bool Replayed);

    private abstract record Fault;
    private sealed record Answer(int Status, string? RetryAfter) : Fault;
    private sealed record LoseAnswer : Fault;

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Fault> _script = new();
    private readonly HttpClient _upstream;

    public ConcurrentQueue<Seen> Requests { get; } = new();
    public Uri Url { get; }

    private FaultProxy(WebApplication app, HttpClient upstream)
    {
        _app = app;
        _upstream = upstream;
        Url = new Uri(app.Urls.Single());
    }

    public static async Task<FaultProxy> StartAsync(Uri node)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var upstream = new HttpClient { BaseAddress = node };
        FaultProxy? proxy = null;
        app.Run(async http => await proxy!.HandleAsync(http));
        await app.StartAsync();
        proxy = new FaultProxy(app, upstream);
        return proxy;
    }

    /// <summary>The next <paramref name="times"/> requests are answered <paramref name="status"/> by the proxy itself.</summary>
    public void Fail(int status, int times = 1, string? retryAfter = null)
    {
        for (var i = 0; i < times; i++) _script.Enqueue(new Answer(status, retryAfter));
    }

    /// <summary>The next request reaches the node, but its answer is replaced by a 502.</summary>
    public void LoseNextAnswer() => _script.Enqueue(new LoseAnswer());

    private async Task HandleAsync(HttpContext http)
    {
        var key = http.Request.Headers["Idempotency-Key"].ToString() is { Length: > 0 } k ? k : null;
        var path = http.Request.Path + http.Request.QueryString;
        _script.TryDequeue(out var fault);
        if (fault is Answer answer)
        {
            Requests.Enqueue(new Seen(http.Request.Method, path, key, answer.Status, false));
            if (answer.RetryAfter is not null) http.Response.Headers.RetryAfter = answer.RetryAfter;
            http.Response.StatusCode = answer.Status;
            await http.Response.WriteAsync("injected fault");
            return;
        }

        using var request = new HttpRequestMessage(new HttpMethod(http.Request.Method), path);
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body);
        if (body.Length > 0 || http.Request.ContentType is not null)
        {
            request.Content = new ByteArrayContent(body.ToArray());
            if (http.Request.ContentType is { } type) request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
        }
        foreach (var (name, values) in http.Request.Headers)
        {
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase) || name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase)) continue;
            request.Headers.TryAddWithoutValidation(name, values.ToArray());
        }
        using var response = await _upstream.SendAsync(request);
        var replayed = response.Headers.TryGetValues("Idempotent-Replayed", out var r) && r.Contains("true");
        var content = await response.Content.ReadAsByteArrayAsync();
        if (fault is LoseAnswer)
        {
            Requests.Enqueue(new Seen(http.Request.Method, path, key, 502, replayed));
            http.Response.StatusCode = 502;
            await http.Response.WriteAsync("answer lost");
            return;
        }
        Requests.Enqueue(new Seen(http.Request.Method, path, key, (int)response.StatusCode, replayed));
        http.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)) continue;
            http.Response.Headers[name] = values.ToArray();
        }
        await http.Response.Body.WriteAsync(content);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}
