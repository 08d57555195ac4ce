using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Switchboard.Tests.Infrastructure;

/// <summary>
/// A loopback stand-in for a third-party provider (Slack, HubSpot, Google, …): a real HTTP server on 127.0.0.1 whose
/// routes a test (or a provider's fake class) maps to answer with the provider's documented success and error shapes.
/// Every request is recorded; what a route finds wrong with a request against the provider's documentation (method,
/// path, auth header, required fields, paging) it reports with <see cref="Violation"/>, and tests assert there were
/// none (<see cref="AssertNoViolations"/>): a connector that drifts from the provider's API fails its tests even when
/// the fake answers it.
/// </summary>
public sealed class FakeProvider : IAsyncDisposable
{
    /// <summary>
    /// Waits (up to <paramref name="timeoutMs"/>) until <paramref name="received"/> holds <paramref name="count"/> items
    /// matching <paramref name="match"/>, and answers them; otherwise fails naming <paramref name="provider"/> and what it got.
    /// </summary>
    public static async Task<List<T>> WaitForAsync<T>(IEnumerable<T> received, Func<T, bool> match, string provider, int count = 1, int timeoutMs = 15_000)
        where T : System.Text.Json.Nodes.JsonNode
    {
        for (var waited = 0; waited < timeoutMs; waited += 50)
        {
            var found = received.Where(match).ToList();
            if (found.Count >= count) return found;
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"{provider} got too few matching requests; it got: " + string.Join(" | ", received.Select(r => r.ToJsonString())));
    }

    public sealed record Recorded(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body, DateTimeOffset At);

    private readonly WebApplication _app;
    public ConcurrentQueue<Recorded> Requests { get; } = new();
    public ConcurrentQueue<string> Violations { get; } = new();
    /// <summary>The server's root, e.g. http://127.0.0.1:41234 (no trailing slash); set once it listens.</summary>
    public string BaseUrl { get; private set; } = "";

    private FakeProvider(WebApplication app) => _app = app;

    /// <summary>Starts a fake whose routes <paramref name="map"/> adds (it gets the fake, to report violations).</summary>
    public static async Task<FakeProvider> StartAsync(Action<WebApplication, FakeProvider> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FakeProvider? fake = null;
        app.Use(async (http, next) =>
        {
            http.Request.EnableBuffering();
            using var reader = new StreamReader(http.Request.Body, Encoding.UTF8, leaveOpen: true);
            var body = await reader.ReadToEndAsync();
            http.Request.Body.Position = 0;
            fake!.Requests.Enqueue(new Recorded(http.Request.Method, http.Request.Path.Value ?? "", http.Request.QueryString.Value ?? "",
                http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body, DateTimeOffset.UtcNow));
            await next(http);
        });
        // A route the fake does not know is itself a violation: the connector called something the provider lacks.
        app.MapFallback((HttpContext http) =>
        {
            fake!.Violation($"{http.Request.Method} {http.Request.Path} is not an endpoint of this provider's API");
            return Results.Json(new { error = "not_found" }, statusCode: 404);
        });
        fake = new FakeProvider(app);
        map(app, fake);
        await app.StartAsync();
        fake.BaseUrl = app.Urls.Single().TrimEnd('/');
        return fake;
    }

    public void Violation(string text) => Violations.Enqueue(text);

    /// <summary>Records a violation when <paramref name="condition"/> is false.</summary>
    public bool Require(bool condition, string text)
    {
        if (!condition) Violation(text);
        return condition;
    }

    public void AssertNoViolations()
    {
        if (!Violations.IsEmpty) throw new Xunit.Sdk.XunitException("The fake provider found requests that its API documentation does not allow:\n- " + string.Join("\n- ", Violations));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
