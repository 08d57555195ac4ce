using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Switchboard.Tests.Infrastructure;

/// <summary>A real HTTP receiver on 127.0.0.1 that records what it gets and answers with scripted statuses.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public sealed record Received(Dictionary<string, string> Headers, string Body, DateTimeOffset At);

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(int Status, string? RetryAfter)> _script = new();
    public ConcurrentQueue<Received> Requests { get; } = new();
    public string Url { get; }

    private WebhookReceiver(WebApplication app, string url) => (_app, Url) = (app, url);

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        WebhookReceiver? receiver = null;
        app.MapPost("/hook", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            receiver!.Requests.Enqueue(new Received(http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body, DateTimeOffset.UtcNow));
            await receiver._gate.Task; // held (see Hold) until released
            if (receiver._script.TryDequeue(out var answer))
            {
                if (answer.RetryAfter is not null) http.Response.Headers.RetryAfter = answer.RetryAfter;
                return Results.Text($"scripted {answer.Status}", statusCode: answer.Status);
            }
            return Results.Text("ok");
        });
        await app.StartAsync();
        receiver = new WebhookReceiver(app, app.Urls.Single() + "/hook");
        return receiver;
    }

    private volatile TaskCompletionSource _gate = Open();

    private static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    /// <summary>From now on requests are received but not answered until <see cref="Release"/>.</summary>
    public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _gate.TrySetResult();

    /// <summary>The next requests get these statuses (then 200 again).</summary>
    public void Answer(int status, int times = 1, string? retryAfter = null)
    {
        for (var i = 0; i < times; i++) _script.Enqueue((status, retryAfter));
    }

    /// <summary>Forgets the statuses still scripted: from now on every request gets 200.</summary>
    public void ClearAnswers() => _script.Clear();

    public async Task<List<Received>> WaitForAsync(Func<Received, bool> match, int count = 1, int timeoutMs = 15_000)
    {
        var started = DateTime.UtcNow;
        while (true)
        {
            var found = Requests.Where(match).ToList();
            if (found.Count >= count) return found;
            if ((DateTime.UtcNow - started).TotalMilliseconds > timeoutMs)
                throw new TimeoutException($"Expected {count} matching deliveries, got {found.Count} of {Requests.Count} received.");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    /// <summary>
    /// Standard Webhooks verification written from the spec, independently of the service's code: the signed content is
    /// "{webhook-id}.{webhook-timestamp}.{body}", the key is the base64 after "whsec_", and the header may carry several
    /// space-separated "v1,&lt;base64&gt;" signatures, any of which may match.
    /// </summary>
    public static bool Verifies(Received r, string secret)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        using var hmac = new HMACSHA256(key);
        var expected = hmac.ComputeHash(Encoding.UTF8.GetBytes($"{r.Headers["webhook-id"]}.{r.Headers["webhook-timestamp"]}.{r.Body}"));
        return r.Headers["webhook-signature"].Split(' ').Any(s =>
            s.StartsWith("v1,", StringComparison.Ordinal) && CryptographicOperations.FixedTimeEquals(Convert.FromBase64String(s[3..]), expected));
    }

    public static bool VerifiesSimple(Received r, string secret)
    {
        using var hmac = new HMACSHA256(Convert.FromBase64String(secret["whsec_".Length..]));
        return r.Headers["x-webhook-signature"] == "sha256=" + Convert.ToHexString(hmac.ComputeHash(Encoding.UTF8.GetBytes(r.Body))).ToLowerInvariant();
    }
}
