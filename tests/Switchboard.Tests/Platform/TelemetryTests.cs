using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Platform;

/// <summary>
/// The spans a node's tracer provider exported, kept for a test to read (the in-memory exporter writes from the threads
/// that end spans; the test reads while they do).
/// </summary>
public sealed class SpanCollection : ICollection<Activity>
{
    private readonly List<Activity> _spans = [];
    private readonly Lock _gate = new();

    public List<Activity> Snapshot() { lock (_gate) return [.. _spans]; }
    public void Add(Activity item) { lock (_gate) _spans.Add(item); }
    public void Clear() { lock (_gate) _spans.Clear(); }
    public bool Contains(Activity item) { lock (_gate) return _spans.Contains(item); }
    public void CopyTo(Activity[] array, int arrayIndex) { lock (_gate) _spans.CopyTo(array, arrayIndex); }
    public bool Remove(Activity item) { lock (_gate) return _spans.Remove(item); }
    public int Count { get { lock (_gate) return _spans.Count; } }
    public bool IsReadOnly => false;
    public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A node's <c>/metrics</c>, read with the operator token, as series (name and labels) and values.</summary>
internal static class PrometheusText
{
    public static async Task<Dictionary<string, double>> ScrapeAsync(SwitchboardFactory node)
    {
        using var client = node.Client();
        using var scrape = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        scrape.Headers.Add("X-Admin-Token", node.AdminToken);
        var response = await client.Http.SendAsync(scrape);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/plain");
        // Prometheus text format: "name{labels} value [timestamp]"; comments start with #.
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var end = line.LastIndexOf('}');
            var space = line.IndexOf(' ', end < 0 ? 0 : end);
            var rest = line[(space + 1)..].Split(' ');
            if (double.TryParse(rest[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) metrics[line[..space]] = value;
        }
        return metrics;
    }

    /// <summary>The sum of a metric's series whose labels include all of <paramref name="labels"/>.</summary>
    public static double Sum(Dictionary<string, double> metrics, string name, params string[] labels) => metrics
        .Where(m => (m.Key == name || m.Key.StartsWith(name + "{", StringComparison.Ordinal)) && labels.All(l => m.Key.Contains(l, StringComparison.Ordinal)))
        .Sum(m => m.Value);
}

/// <summary>
/// A node with telemetry on (no OTLP collector: the spans go to an in-memory exporter) and Prometheus at /metrics, and a
/// rate limit small enough to reach.
/// </summary>
internal static class TelemetryNode
{
    public static void Apply(SwitchboardFactory node) => node
        .With("Switchboard:Telemetry:Enabled", "true")
        .With("Switchboard:Telemetry:Prometheus", "true")
        .With("Switchboard:Telemetry:QueueDepthCacheSeconds", "1");

    public static void AddExporter(IWebHostBuilder builder, SpanCollection spans) =>
        builder.ConfigureTestServices(services => services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)));
}

public sealed class TelemetrySqliteSwitchboard : SqliteSwitchboard
{
    public SpanCollection Spans { get; } = new();
    public TelemetrySqliteSwitchboard() => TelemetryNode.Apply(this);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        TelemetryNode.AddExporter(builder, Spans);
    }
}

public sealed class TelemetryPostgresSwitchboard : PostgresSwitchboard
{
    public SpanCollection Spans { get; } = new();
    public TelemetryPostgresSwitchboard() => TelemetryNode.Apply(this);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        TelemetryNode.AddExporter(builder, Spans);
    }
}

public abstract class TelemetryTests<TFactory>(TFactory node, Func<TFactory, SpanCollection> spansOf) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    /// <summary>
    /// The API write and the webhook delivery it causes are one trace: the request continues the caller's traceparent; the
    /// delivery attempt (made later by the worker, from the trace context stored with the event) is a descendant of the
    /// request's server span; the receiver gets a traceparent of that trace, whose parent is the delivery's HTTP client
    /// span. The request's database calls are spans of the same trace.
    /// </summary>
    [Fact]
    public async Task AnApiWriteAndItsWebhookDeliveryAreOneConnectedTrace()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var owner = node.Client();
        await owner.SignupAsync();
        (await owner.PostAsync("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "contact.created" } })).StatusCode.ShouldBe(HttpStatusCode.Created);

        var traceId = ActivityTraceId.CreateRandom();
        var callerSpan = ActivitySpanId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/contacts")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { firstName = "Trace", lastName = "Able", email = $"trace-{Guid.NewGuid():N}@example.com" }),
        };
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{traceId}-{callerSpan}-01");
        // A client of its own, which sends the traceparent as given: this process's HttpClient instrumentation would put
        // one of its own in its place (an unsampled root, as this node's sampler starts no trace for a parentless call).
        using var caller = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = owner.Http.BaseAddress };
        request.Headers.Authorization = owner.Http.DefaultRequestHeaders.Authorization;
        var created = await caller.SendAsync(request);
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var contactId = (await ApiClient.ReadAsync(created))["id"]!.GetValue<string>();

        var delivered = (await receiver.WaitForAsync(r => r.Body.Contains(contactId, StringComparison.Ordinal))).Single();
        delivered.Headers.ShouldContainKey("traceparent");
        var received = delivered.Headers["traceparent"].Split('-');
        received.Length.ShouldBe(4);
        received[1].ShouldBe(traceId.ToHexString(), "the receiver's traceparent continues the API write's trace");

        // The delivery span ends once the receiver has answered; the exporter gets it then.
        var spans = await WaitForSpansAsync(traceId, s => s.Any(a => a.DisplayName == "webhook deliver"));
        var byId = spans.GroupBy(s => s.SpanId).ToDictionary(g => g.Key, g => g.First());
        var server = spans.Single(s => s.Kind == ActivityKind.Server && s.ParentSpanId == callerSpan);
        server.Source.Name.ShouldBe("Microsoft.AspNetCore");
        var deliver = spans.Single(s => s.DisplayName == "webhook deliver");
        deliver.Source.Name.ShouldBe("Switchboard");
        deliver.GetTagItem("switchboard.webhook.event_type").ShouldBe("contact.created");
        deliver.GetTagItem("http.response.status_code").ShouldBe(200);
        Ancestors(deliver, byId).ShouldContain(server.SpanId, "the delivery's parent chain reaches the request's span");

        // The receiver's parent is the delivery's HTTP client span, itself a child of the delivery span.
        var post = byId.GetValueOrDefault(ActivitySpanId.CreateFromString(received[2]));
        post.ShouldNotBeNull("the traceparent the receiver got names an exported span");
        post.Kind.ShouldBe(ActivityKind.Client);
        post.ParentSpanId.ShouldBe(deliver.SpanId);

        // The request's database calls are in its trace (Npgsql's spans on PostgreSQL, EF Core's on SQLite).
        spans.Where(s => s.Kind == ActivityKind.Client && (s.GetTagItem("db.system") ?? s.GetTagItem("db.system.name")) is not null)
            .Where(s => Ancestors(s, byId).Contains(server.SpanId)).ShouldNotBeEmpty();

        // The event kept the trace context it was written in.
        var stored = (await node.EventsForAsync(contactId)).Single(e => e.Type == "contact.created");
        stored.TraceParent.ShouldNotBeNull().ShouldContain(traceId.ToHexString());
    }

    /// <summary>After some load, /metrics (with the operator token) lists the named instruments with values at least what was done.</summary>
    [Fact]
    public async Task MetricsListTheInstrumentsWithPlausibleValues()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var owner = node.Client();
        await owner.SignupAsync();
        (await owner.PostAsync("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "contact.created" } })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var created = await owner.PostAsync("/api/v1/contacts", new { firstName = "Metric", lastName = "Ally", email = $"m-{Guid.NewGuid():N}@example.com" });
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var contactId = (await ApiClient.ReadAsync(created))["id"]!.GetValue<string>();
        await receiver.WaitForAsync(r => r.Body.Contains(contactId, StringComparison.Ordinal));

        // A key allowed 5 requests: 8 reads are 5 allowed and 3 refused.
        var key = await owner.CreateKeyAsync(new { name = "metered", scopes = new[] { "contacts:read" }, rateLimit = new { requests = 5, windowSeconds = 3600 } });
        using var limited = node.Client().WithApiKey(key["key"]!.GetValue<string>());
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++) statuses.Add((await limited.GetAsync("/api/v1/contacts")).StatusCode);
        statuses.Count(s => s == HttpStatusCode.OK).ShouldBe(5);
        statuses.Count(s => s == HttpStatusCode.TooManyRequests).ShouldBe(3);

        // A token issued by the client_credentials grant.
        var app = await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/oauth/apps", new
        {
            name = "Metered app", type = "confidential", redirectUris = new[] { "https://app.example.com/callback" }, scopes = new[] { "contacts:read" },
        }));
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = "contacts:read" }),
        };
        tokenRequest.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(
            $"{Uri.EscapeDataString(app["clientId"]!.GetValue<string>())}:{Uri.EscapeDataString(app["clientSecret"]!.GetValue<string>())}")));
        var token = await owner.Http.SendAsync(tokenRequest);
        token.StatusCode.ShouldBe(HttpStatusCode.OK, await token.Content.ReadAsStringAsync());

        // The exporter caches a scrape briefly, and the delivery's measurement lands when its attempt ends: scrape until it shows.
        Dictionary<string, double> metrics = [];
        for (var attempt = 0; attempt < 100; attempt++)
        {
            metrics = await ScrapeAsync();
            if (PrometheusText.Sum(metrics, "switchboard_webhook_delivery_duration_seconds_count", "switchboard_outcome=\"success\"") >= 1
                && PrometheusText.Sum(metrics, "switchboard_rate_limit_decisions_total", "switchboard_outcome=\"refused\"", "switchboard_rate_limit_policy=\"api_key\"") >= 3
                && PrometheusText.Sum(metrics, "switchboard_oauth_tokens_issued_total", "oauth_grant_type=\"client_credentials\"") >= 1)
                break;
            await Task.Delay(100);
        }
        PrometheusText.Sum(metrics, "switchboard_rate_limit_decisions_total", "switchboard_outcome=\"refused\"", "switchboard_rate_limit_policy=\"api_key\"").ShouldBeGreaterThanOrEqualTo(3);
        PrometheusText.Sum(metrics, "switchboard_rate_limit_decisions_total", "switchboard_outcome=\"allowed\"", "switchboard_rate_limit_policy=\"api_key\"").ShouldBeGreaterThanOrEqualTo(5);
        PrometheusText.Sum(metrics, "switchboard_webhook_delivery_duration_seconds_count", "switchboard_outcome=\"success\"", "switchboard_webhook_endpoint_kind=\"webhook\"")
            .ShouldBeGreaterThanOrEqualTo(1);
        PrometheusText.Sum(metrics, "switchboard_oauth_tokens_issued_total", "oauth_grant_type=\"client_credentials\"").ShouldBeGreaterThanOrEqualTo(1);
        // ASP.NET Core's own request metric, by route and status: the 8 reads (and the 429s among them).
        PrometheusText.Sum(metrics, "http_server_request_duration_seconds_count", "http_route=\"/api/v1/contacts/\"", "http_request_method=\"GET\"").ShouldBeGreaterThanOrEqualTo(8);
        PrometheusText.Sum(metrics, "http_server_request_duration_seconds_count", "http_route=\"/api/v1/contacts/\"", "http_response_status_code=\"429\"").ShouldBeGreaterThanOrEqualTo(3);
        // The queue depth gauge is there (what it reads depends on what else this node's tests left pending), and the runtime's metrics.
        metrics.Keys.Any(k => k.StartsWith("switchboard_webhook_queue_depth", StringComparison.Ordinal)).ShouldBeTrue();
        metrics.Where(k => k.Key.StartsWith("switchboard_webhook_queue_depth", StringComparison.Ordinal)).ShouldAllBe(k => k.Value >= 0);
        metrics.Keys.Any(k => k.StartsWith("dotnet_", StringComparison.Ordinal)).ShouldBeTrue();
    }

    [Fact]
    public async Task MetricsNeedTheOperatorToken()
    {
        using var anonymous = node.Client();
        await (await anonymous.GetAsync("/metrics")).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        wrong.Headers.Add("X-Admin-Token", node.AdminToken + "x");
        await (await anonymous.Http.SendAsync(wrong)).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
    }

    private Task<Dictionary<string, double>> ScrapeAsync() => PrometheusText.ScrapeAsync(node);

    private static List<ActivitySpanId> Ancestors(Activity span, Dictionary<ActivitySpanId, Activity> byId)
    {
        var chain = new List<ActivitySpanId>();
        for (var parent = span.ParentSpanId; parent != default && chain.Count < 100; parent = byId.TryGetValue(parent, out var p) ? p.ParentSpanId : default)
            chain.Add(parent);
        return chain;
    }

    private async Task<List<Activity>> WaitForSpansAsync(ActivityTraceId traceId, Func<List<Activity>, bool> done)
    {
        var log = spansOf(node);
        for (var attempt = 0; ; attempt++)
        {
            var spans = log.Snapshot().Where(s => s.TraceId == traceId).ToList();
            if (done(spans) || attempt >= 150) return spans;
            await Task.Delay(100);
        }
    }
}

[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTestsOnSqlite(TelemetrySqliteSwitchboard node) : TelemetryTests<TelemetrySqliteSwitchboard>(node, n => n.Spans);
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTestsOnPostgres(TelemetryPostgresSwitchboard node) : TelemetryTests<TelemetryPostgresSwitchboard>(node, n => n.Spans);

/// <summary>
/// The telemetry tests run one class at a time: a node with tracing on listens to activity sources process-wide (what
/// .NET's ActivityListener does), so while one runs, a node with telemetry off in the same process would see spans too.
/// </summary>
[CollectionDefinition(Name)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry";
}

/// <summary>Telemetry off (the default): no /metrics, and events keep no trace context.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryOffTests
{
    [Fact]
    public async Task WithoutAnExporterThereIsNoMetricsEndpointAndNoStoredTraceContext()
    {
        await using var node = new SqliteSwitchboard();
        using var owner = node.Client();
        await owner.SignupAsync();
        using var scrape = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        scrape.Headers.Add("X-Admin-Token", node.AdminToken);
        (await owner.Http.SendAsync(scrape)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var created = await owner.PostAsync("/api/v1/contacts", new { firstName = "No", lastName = "Trace", email = $"n-{Guid.NewGuid():N}@example.com" });
        var contactId = (await ApiClient.ReadAsync(created))["id"]!.GetValue<string>();
        (await node.EventsForAsync(contactId)).ShouldAllBe(e => e.TraceParent == null);
    }
}

/// <summary>Prometheus on a listener of its own: /metrics there without a token, and none on the API's port.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryListenerTests
{
    [Fact]
    public async Task MetricsOnASeparateListenerNeedNoTokenAndLeaveTheApiPortAlone()
    {
        var port = FreePort();
        await using var node = new SqliteSwitchboard();
        node.With("Switchboard:Telemetry:PrometheusListenUrl", $"http://127.0.0.1:{port}/");
        using var owner = node.Client();
        await owner.SignupAsync();
        (await owner.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var scraper = new HttpClient();
        var scraped = await scraper.GetAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        var text = await scraped.Content.ReadAsStringAsync();
        scraped.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        text.ShouldContain("http_server_request_duration_seconds");

        using var onApiPort = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        onApiPort.Headers.Add("X-Admin-Token", node.AdminToken);
        (await owner.Http.SendAsync(onApiPort)).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        // An endpoint's custom headers may not stand in for the trace context.
        var refused = await owner.PostAsync("/api/v1/webhooks", new
        {
            url = "https://receiver.example.com/hook", events = new[] { "contact.created" }, headers = new Dictionary<string, string> { ["traceparent"] = "00-x" },
        });
        await refused.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}

/// <summary>
/// OTLP over HTTP to a collector on loopback (the OpenTelemetry protocol's <c>http/protobuf</c> binding,
/// https://opentelemetry.io/docs/specs/otlp/#otlphttp): the node posts its spans to <c>/v1/traces</c> and its metrics to
/// <c>/v1/metrics</c> under the configured endpoint, as protobuf.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryOtlpTests
{
    [Fact]
    public async Task SpansAndMetricsAreExportedToTheConfiguredCollector()
    {
        var received = new System.Collections.Concurrent.ConcurrentQueue<(string Path, string? ContentType, long Length)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var collector = builder.Build();
        collector.MapPost("/otlp/v1/{signal}", async (string signal, HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            received.Enqueue(("/otlp/v1/" + signal, http.Request.ContentType, body.Length));
            return Results.Ok();
        });
        await collector.StartAsync();
        var endpoint = collector.Urls.Single() + "/otlp";

        await using var node = new SqliteSwitchboard();
        node.With("Switchboard:Telemetry:OtlpEndpoint", endpoint)
            .With("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
            .With("OTEL_BSP_SCHEDULE_DELAY", "200")
            .With("OTEL_METRIC_EXPORT_INTERVAL", "500");
        using var owner = node.Client();
        await owner.SignupAsync();
        (await owner.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK);

        for (var i = 0; i < 150 && !(received.Any(r => r.Path == "/otlp/v1/traces") && received.Any(r => r.Path == "/otlp/v1/metrics")); i++)
            await Task.Delay(100);
        received.Select(r => r.Path).Distinct().Order().ShouldBe(["/otlp/v1/metrics", "/otlp/v1/traces"]);
        received.ShouldAllBe(r => r.ContentType == "application/x-protobuf" && r.Length > 0);
    }
}

/// <summary>
/// Rate limits fail open: a request whose counter store fails is admitted without a verdict. That must not be silent:
/// each such admission counts <c>failed_open</c> for the policies it would have counted against.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryFailedOpenTests
{
    /// <summary>Fails every verdict, or (<paramref name="anonymousWorks"/>) all but the per-IP ones, so that a test can sign up.</summary>
    private sealed class BrokenStore(bool anonymousWorks) : Switchboard.RateLimiting.IRateLimitStore
    {
        public Task<IReadOnlyList<Switchboard.RateLimiting.RateLimitDecision>> AcquireAsync(IReadOnlyList<Switchboard.RateLimiting.RateLimitPolicy> policies,
            DateTime now, CancellationToken cancellationToken) => anonymousWorks && policies.All(p => p.Name == "ip")
            ? Task.FromResult<IReadOnlyList<Switchboard.RateLimiting.RateLimitDecision>>(
                policies.Select(p => new Switchboard.RateLimiting.RateLimitDecision(p, true, p.Limit, p.Window, TimeSpan.Zero)).ToList())
            : throw new InvalidOperationException("the counter store is unreachable");
    }

    private sealed class BrokenStoreNode : SqliteSwitchboard
    {
        private readonly bool _failOpen;

        public BrokenStoreNode(bool failOpen = true)
        {
            _failOpen = failOpen;
            TelemetryNode.Apply(this);
            if (!failOpen) With("Switchboard:RateLimits:FailOpen", "false");
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services => services.AddSingleton<Switchboard.RateLimiting.IRateLimitStore>(new BrokenStore(anonymousWorks: !_failOpen)));
        }
    }

    [Fact]
    public async Task AdmissionsWithoutAVerdictAreCountedAsFailedOpen()
    {
        await using var node = new BrokenStoreNode();
        using var owner = node.Client();
        await owner.SignupAsync();
        for (var i = 0; i < 3; i++) (await owner.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var metrics = await PrometheusText.ScrapeAsync(node);
        PrometheusText.Sum(metrics, "switchboard_rate_limit_decisions_total", "switchboard_outcome=\"failed_open\"", "switchboard_rate_limit_policy=\"user\"")
            .ShouldBeGreaterThanOrEqualTo(3);
    }

    [Fact]
    public async Task FailingClosedRefusesWith503AndRetryAfterAndCountsFailedClosed()
    {
        await using var node = new BrokenStoreNode(failOpen: false);
        using var owner = node.Client();
        await owner.SignupAsync(); // the per-IP verdicts of this store work, so that the test can sign up
        var refused = await owner.GetAsync("/api/v1/contacts");
        await refused.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable, "service_unavailable");
        refused.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(1));

        var metrics = await PrometheusText.ScrapeAsync(node);
        PrometheusText.Sum(metrics, "switchboard_rate_limit_decisions_total", "switchboard_outcome=\"failed_closed\"", "switchboard_rate_limit_policy=\"user\"")
            .ShouldBeGreaterThanOrEqualTo(1);
        PrometheusText.Sum(metrics, "switchboard_rate_limit_decisions_total", "switchboard_outcome=\"failed_open\"").ShouldBe(0);
    }
}
