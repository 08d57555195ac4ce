using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Webhooks;

/// <summary>Deliveries to a real receiver on loopback, verified with an independent Standard Webhooks implementation.</summary>
public abstract class WebhookTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private static async Task<(ApiClient Owner, WebhookReceiver Receiver, JsonObject Endpoint)> SetupAsync(SwitchboardFactory node, string events = "[\"contact.*\"]")
    {
        var owner = node.Client();
        await owner.SignupAsync();
        var receiver = await WebhookReceiver.StartAsync();
        var created = await owner.SendRawAsync(HttpMethod.Post, "/api/v1/webhooks",
            "{\"url\":\"" + receiver.Url + "\",\"events\":" + events + ",\"name\":\"CRM sync\",\"headers\":{\"X-Tenant-Token\":\"abc123\"}}");
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        return (owner, receiver, await ApiClient.ReadAsync(created));
    }

    private static async Task<string> CreateContactAsync(ApiClient owner, string name = "Ada")
    {
        var response = await owner.SendRawAsync(HttpMethod.Post, "/api/v1/contacts", $$"""{"firstName":"{{name}}","email":"{{name.ToLowerInvariant()}}@example.com"}""");
        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        return (await ApiClient.ReadAsync(response))["id"]!.GetValue<string>();
    }

    [Fact]
    public async Task AReceiverThatDoesNotAnswerDoesNotHoldUpOtherEndpoints()
    {
        // Another organization's receiver takes its time (held unanswered); the node's delivery loop must not wait on it.
        using var stalled = node.Client();
        await stalled.SignupAsync();
        await using var slow = await WebhookReceiver.StartAsync();
        var slowEndpoint = await ApiClient.ReadAsync(await stalled.PostAsync("/api/v1/webhooks", new { url = slow.Url, events = new[] { "contact.created" } }));
        var (owner, receiver, _) = await SetupAsync(node);
        await using var __ = receiver;
        slow.Hold();
        try
        {
            await CreateContactAsync(stalled, "Stalled");
            await slow.WaitForAsync(_ => true); // in flight, unanswered
            var ids = new List<string>();
            for (var i = 0; i < 5; i++) ids.Add(await CreateContactAsync(owner, $"Flowing{i}"));
            // Within a few seconds, while the held delivery is still in flight (attempts time out after 15 s).
            await receiver.WaitForAsync(r => ids.Any(id => r.Body.Contains(id, StringComparison.Ordinal)), count: 5, timeoutMs: 6_000);
            slow.Requests.Count.ShouldBe(1);
        }
        finally { slow.Release(); }

        // Answered at last, the held delivery is recorded as any other: succeeded, one attempt.
        var delivery = await stalled.SingleDeliveryOnceAsync(slowEndpoint["id"]!.GetValue<string>(), "succeeded");
        delivery["status"]!.GetValue<string>().ShouldBe("succeeded");
        delivery["attempts"]!.GetValue<int>().ShouldBe(1);
        slow.Requests.Count.ShouldBe(1);
    }

    [Fact]
    public async Task AChangeIsDeliveredWithStandardWebhooksSignatures()
    {
        var (owner, receiver, endpoint) = await SetupAsync(node);
        await using var _ = receiver;
        var secret = endpoint["secret"]!.GetValue<string>();
        secret.ShouldStartWith("whsec_");
        var contactId = await CreateContactAsync(owner);

        var got = (await receiver.WaitForAsync(r => r.Body.Contains(contactId, StringComparison.Ordinal))).Single();
        WebhookReceiver.Verifies(got, secret).ShouldBeTrue("webhook-signature must verify under the Standard Webhooks scheme");
        WebhookReceiver.VerifiesSimple(got, secret).ShouldBeTrue("X-Webhook-Signature must be the hex HMAC of the body");
        WebhookReceiver.Verifies(got, "whsec_" + Convert.ToBase64String(new byte[32])).ShouldBeFalse();
        got.Headers["content-type"].ShouldStartWith("application/json");
        got.Headers["x-webhook-event"].ShouldBe("contact.created");
        got.Headers["x-tenant-token"].ShouldBe("abc123");
        long.Parse(got.Headers["webhook-timestamp"], System.Globalization.CultureInfo.InvariantCulture).ShouldBeInRange(
            node.Clock.GetUtcNow().ToUnixTimeSeconds() - 60, node.Clock.GetUtcNow().ToUnixTimeSeconds() + 5);
        var body = JsonNode.Parse(got.Body)!.AsObject();
        body["id"]!.GetValue<string>().ShouldBe(got.Headers["webhook-id"]);
        body["id"]!.GetValue<string>().ShouldStartWith("evt_");
        body["type"]!.GetValue<string>().ShouldBe("contact.created");
        body["data"]!["id"]!.GetValue<string>().ShouldBe(contactId);
        body["data"]!["firstName"]!.GetValue<string>().ShouldBe("Ada");
        body.ContainsKey("previousAttributes").ShouldBeFalse();

        (await owner.SendRawAsync(HttpMethod.Patch, $"/api/v1/contacts/{contactId}", """{"firstName":"Augusta"}""")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var updated = (await receiver.WaitForAsync(r => r.Headers["x-webhook-event"] == "contact.updated")).Single();
        JsonNode.Parse(updated.Body)!["previousAttributes"]!["firstName"]!.GetValue<string>().ShouldBe("Ada");
    }

    [Fact]
    public async Task OnlySubscribedTypesAreDelivered()
    {
        var (owner, receiver, _) = await SetupAsync(node, "[\"deal.won\", \"task.*\"]");
        await using var _r = receiver;
        await CreateContactAsync(owner);
        (await owner.SendRawAsync(HttpMethod.Post, "/api/v1/deals", """{"name":"Big","stage":"won"}""")).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await owner.SendRawAsync(HttpMethod.Post, "/api/v1/tasks", """{"title":"Call"}""")).StatusCode.ShouldBe(HttpStatusCode.Created);
        await receiver.WaitForAsync(r => r.Headers["x-webhook-event"] == "task.created");
        await Task.Delay(300);
        receiver.Requests.Select(r => r.Headers["x-webhook-event"]).ShouldBe(["task.created"], ignoreOrder: true);
    }

    [Fact]
    public async Task AFailingReceiverGetsRetriesUntilItAnswers2xxAndEveryAttemptIsLogged()
    {
        var (owner, receiver, endpoint) = await SetupAsync(node);
        await using var _ = receiver;
        receiver.Answer(500, times: 2);
        var contactId = await CreateContactAsync(owner);
        var got = await receiver.WaitForAsync(r => r.Body.Contains(contactId, StringComparison.Ordinal), count: 3);
        got.Select(r => r.Headers["webhook-id"]).Distinct().Count().ShouldBe(1, "a retry keeps the message id");

        JsonObject delivery = null!;
        for (var i = 0; i < 40; i++)
        {
            delivery = (await owner.GetJsonAsync($"/api/v1/webhooks/{endpoint["id"]}/deliveries"))["data"]!.AsArray().Single()!.AsObject();
            if (delivery["status"]!.GetValue<string>() == "succeeded") break;
            await Task.Delay(100);
        }
        delivery["status"]!.GetValue<string>().ShouldBe("succeeded");
        delivery["attempts"]!.GetValue<int>().ShouldBe(3);
        var log = delivery["attemptLog"]!.AsArray();
        log.Select(a => a!["statusCode"]!.GetValue<int>()).ShouldBe([500, 500, 200]);
        log[0]!["responseBody"]!.GetValue<string>().ShouldBe("scripted 500");
        var health = (await owner.GetJsonAsync($"/api/v1/webhooks/{endpoint["id"]}"))["health"]!;
        health["lastSuccessAt"].ShouldNotBeNull();
        health["failingSince"].ShouldBeNull();
        health["attemptsLast24h"]!.GetValue<long>().ShouldBe(3);
        health["successRateLast24h"]!.GetValue<double>().ShouldBe(33.3);
        health["nextRetryAt"].ShouldBeNull();
    }

    [Fact]
    public async Task ExhaustedDeliveriesAreDeadLettersThatCanBeRetriedByHand()
    {
        var (owner, receiver, endpoint) = await SetupAsync(node);
        await using var _ = receiver;
        receiver.Answer(503, times: 3);
        var contactId = await CreateContactAsync(owner);
        await receiver.WaitForAsync(r => r.Body.Contains(contactId, StringComparison.Ordinal), count: 3);
        JsonObject delivery = null!;
        for (var i = 0; i < 40; i++)
        {
            delivery = (await owner.GetJsonAsync($"/api/v1/webhooks/{endpoint["id"]}/deliveries?status=dead"))["data"]!.AsArray().SingleOrDefault()?.AsObject()!;
            if (delivery is not null) break;
            await Task.Delay(100);
        }
        delivery.ShouldNotBeNull();
        delivery["attempts"]!.GetValue<int>().ShouldBe(3);
        (await node.EventsForAsync(endpoint["id"]!.GetValue<string>())).Select(e => e.Type).ShouldContain("webhook.delivery_exhausted");

        (await owner.PostAsync($"/api/v1/webhooks/deliveries/{delivery["id"]}/retry", new { })).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await receiver.WaitForAsync(r => r.Body.Contains(contactId, StringComparison.Ordinal), count: 4);
    }

    [Fact]
    public async Task A410DisablesTheEndpointAtOnce()
    {
        var (owner, receiver, endpoint) = await SetupAsync(node);
        await using var _ = receiver;
        receiver.Answer(410);
        await CreateContactAsync(owner);
        await receiver.WaitForAsync(_ => true);
        JsonObject shown = null!;
        for (var i = 0; i < 40; i++)
        {
            shown = await owner.GetJsonAsync($"/api/v1/webhooks/{endpoint["id"]}");
            if (!shown["isActive"]!.GetValue<bool>()) break;
            await Task.Delay(100);
        }
        shown["isActive"]!.GetValue<bool>().ShouldBeFalse();
        shown["disabledReason"]!.GetValue<string>().ShouldContain("410");
        (await node.EventsForAsync(endpoint["id"]!.GetValue<string>())).Select(e => e.Type).ShouldContain("webhook.endpoint_disabled");
        await CreateContactAsync(owner, "Later");
        await Task.Delay(400);
        receiver.Requests.Count.ShouldBe(1, "a disabled endpoint gets nothing more");
    }

    [Fact]
    public async Task RetryAfterIsHonoured()
    {
        var (owner, receiver, _) = await SetupAsync(node);
        await using var _r = receiver;
        receiver.Answer(429, retryAfter: "2");
        var contactId = await CreateContactAsync(owner);
        var got = await receiver.WaitForAsync(r => r.Body.Contains(contactId, StringComparison.Ordinal), count: 2);
        (got[1].At - got[0].At).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1.9));
    }

    [Fact]
    public async Task DuringRotationBothSecretsSign()
    {
        var (owner, receiver, endpoint) = await SetupAsync(node);
        await using var _ = receiver;
        var oldSecret = endpoint["secret"]!.GetValue<string>();
        var rotated = await owner.PostAsync($"/api/v1/webhooks/{endpoint["id"]}/rotate-secret", new { });
        rotated.StatusCode.ShouldBe(HttpStatusCode.OK);
        var newSecret = (await ApiClient.ReadAsync(rotated))["secret"]!.GetValue<string>();
        newSecret.ShouldNotBe(oldSecret);
        var contactId = await CreateContactAsync(owner);
        var got = (await receiver.WaitForAsync(r => r.Body.Contains(contactId, StringComparison.Ordinal))).Single();
        got.Headers["webhook-signature"].Split(' ').Length.ShouldBe(2);
        WebhookReceiver.Verifies(got, newSecret).ShouldBeTrue();
        WebhookReceiver.Verifies(got, oldSecret).ShouldBeTrue();
        WebhookReceiver.VerifiesSimple(got, newSecret).ShouldBeTrue();
    }

    [Fact]
    public async Task ReceiverUrlsAreNotLogged()
    {
        var owner = node.Client();
        await owner.SignupAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        // A receiver URL with a token in it, as many are.
        var url = receiver.Url + "?token=tok-9f3c2e7a&key=secret-in-query";
        var created = await owner.PostAsync("/api/v1/webhooks", new { url, events = new[] { "contact.*" } });
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var endpoint = await ApiClient.ReadAsync(created);
        (await owner.PostAsync($"/api/v1/webhooks/{endpoint["id"]}/test", new { })).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await receiver.WaitForAsync(r => r.Headers["x-webhook-event"] == "webhook.test");
        await Task.Delay(200); // the attempt's bookkeeping and any log line after it
        // Not the query (HttpClient's own log would show it as "?*"), nor the URL at all (its path may be the token).
        var hostAndPort = new Uri(receiver.Url).Authority;
        node.Logs.Lines.Where(l => l.Contains("tok-9f3c2e7a", StringComparison.Ordinal) || l.Contains("secret-in-query", StringComparison.Ordinal)
            || l.Contains(hostAndPort, StringComparison.Ordinal)).ShouldBeEmpty();
    }

    [Fact]
    public async Task TestReplayAndTheCatalogWork()
    {
        var (owner, receiver, endpoint) = await SetupAsync(node);
        await using var _ = receiver;
        (await owner.PostAsync($"/api/v1/webhooks/{endpoint["id"]}/test", new { })).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await receiver.WaitForAsync(r => r.Headers["x-webhook-event"] == "webhook.test");

        var since = DateTime.UtcNow.AddSeconds(-1);
        await CreateContactAsync(owner, "Replay1");
        await CreateContactAsync(owner, "Replay2");
        await receiver.WaitForAsync(r => r.Headers["x-webhook-event"] == "contact.created", count: 2);
        var replayResponse = await owner.PostAsync($"/api/v1/webhooks/{endpoint["id"]}/replay", new { since });
        replayResponse.StatusCode.ShouldBe(HttpStatusCode.OK, await replayResponse.Content.ReadAsStringAsync());
        var replay = await ApiClient.ReadAsync(replayResponse);
        replay["deliveries"]!.GetValue<int>().ShouldBe(2);
        await receiver.WaitForAsync(r => r.Headers["x-webhook-event"] == "contact.created", count: 4);
        await (await owner.PostAsync($"/api/v1/webhooks/{endpoint["id"]}/replay", new { })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");

        var catalog = (await owner.GetJsonAsync("/api/v1/webhooks/event-types"))["data"]!.AsArray();
        var types = catalog.Select(t => t!["type"]!.GetValue<string>()).ToList();
        foreach (var t in new[] { "contact.created", "lead.converted", "deal.stage_changed", "task.completed", "call.started", "call.ended",
                     "chat.message_received", "payment.completed", "payment.failed", "quota.warning", "quota.exceeded",
                     "webhook.endpoint_disabled", "webhook.delivery_exhausted" })
            types.ShouldContain(t);
        catalog.Single(t => t!["type"]!.GetValue<string>() == "contact.created")!["schema"]!["properties"]!["email"].ShouldNotBeNull();
    }

    [Fact]
    public async Task SecretsAndHeadersAreWriteOnlyAndEndpointsArePerTenant()
    {
        var (owner, receiver, endpoint) = await SetupAsync(node);
        await using var _ = receiver;
        var shown = await owner.GetAsync($"/api/v1/webhooks/{endpoint["id"]}");
        var text = await shown.Content.ReadAsStringAsync();
        text.ShouldNotContain(endpoint["secret"]!.GetValue<string>());
        text.ShouldNotContain("abc123");
        (await ApiClient.ReadAsync(shown))["headerNames"]!.AsArray().Single()!.GetValue<string>().ShouldBe("X-Tenant-Token");

        using var other = node.Client();
        await other.SignupAsync();
        await (await other.GetAsync($"/api/v1/webhooks/{endpoint["id"]}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await other.DeleteAsync($"/api/v1/webhooks/{endpoint["id"]}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        (await other.GetJsonAsync("/api/v1/webhooks"))["data"]!.AsArray().Count.ShouldBe(0);

        var bad = await owner.SendRawAsync(HttpMethod.Post, "/api/v1/webhooks", """{"url":"ftp://example.com/x","events":["contact.exploded"],"secret":"nope"}""");
        var errors = (await bad.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!.AsObject();
        errors.ContainsKey("url").ShouldBeTrue();
        errors.ContainsKey("events").ShouldBeTrue();
        errors.ContainsKey("secret").ShouldBeTrue();

        // The rules of the body as a whole speak once every field sent is valid: first the bad url alone, then what is missing.
        var badUrl = await owner.SendRawAsync(HttpMethod.Post, "/api/v1/webhooks", """{"url":"ftp://example.com/x"}""");
        (await badUrl.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!.AsObject().Select(e => e.Key).ShouldBe(["url"]);
        var missing = await owner.SendRawAsync(HttpMethod.Post, "/api/v1/webhooks", """{"name":"no url"}""");
        (await missing.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!.AsObject().Select(e => e.Key).ShouldBe(["url", "events"]);
        var secret = await owner.SendRawAsync(HttpMethod.Patch, $"/api/v1/webhooks/{endpoint["id"]}", """{"secret":"whsec_dGhpcyBpcyBub3QgYSByZWFsIHNlY3JldCwgYnV0IGl0IGlzIGxvbmc="}""");
        (await secret.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["secret"]![0]!.GetValue<string>()
            .ShouldBe("Use POST /api/v1/webhooks/{id}/rotate-secret to change the secret.");
    }
}

public abstract class WebhookThrottleTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    [Fact]
    public async Task TheWorkersHoldAnEndpointToItsDeliveriesPerSecond()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var created = await owner.PostAsync("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "contact.created" }, maxDeliveriesPerSecond = 2 });
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await ApiClient.ReadAsync(created))["maxDeliveriesPerSecond"]!.GetValue<int>().ShouldBe(2);
        for (var i = 0; i < 6; i++)
            (await owner.SendRawAsync(HttpMethod.Post, "/api/v1/contacts", $$"""{"firstName":"T{{i}}"}""")).StatusCode.ShouldBe(HttpStatusCode.Created);

        var got = (await receiver.WaitForAsync(_ => true, count: 6)).OrderBy(r => r.At).ToList();
        // A bucket of 2 refilled at 2 per second: 6 deliveries take at least (6 - 2) / 2 = 2 seconds.
        (got[^1].At - got[0].At).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1.8));
        for (var i = 0; i + 3 < got.Count; i++)
            (got[i + 3].At - got[i].At).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(0.9), "no 4 deliveries within a second");
    }

    [Fact]
    public async Task FinishedDeliveriesArePrunedAfterRetention()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var endpoint = await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "contact.created" } }));
        (await owner.SendRawAsync(HttpMethod.Post, "/api/v1/contacts", """{"firstName":"Old"}""")).StatusCode.ShouldBe(HttpStatusCode.Created);
        await receiver.WaitForAsync(_ => true);
        JsonArray deliveries = [];
        for (var i = 0; i < 40; i++)
        {
            deliveries = (await owner.GetJsonAsync($"/api/v1/webhooks/{endpoint["id"]}/deliveries?status=succeeded"))["data"]!.AsArray();
            if (deliveries.Count == 1) break;
            await Task.Delay(100);
        }
        deliveries.Count.ShouldBe(1);
        using var reader = node.Client().WithApiKey((await owner.CreateKeyAsync("webhooks:read"))["key"]!.GetValue<string>());
        node.Clock.Advance(TimeSpan.FromDays(31));
        await node.Services.GetRequiredService<Switchboard.Webhooks.WebhookPruner>().PruneAsync(CancellationToken.None);
        (await reader.GetJsonAsync($"/api/v1/webhooks/{endpoint["id"]}/deliveries"))["data"]!.AsArray().Count.ShouldBe(0);
    }
}

public sealed class WebhookThrottleTestsOnSqlite(SqliteSwitchboard node) : WebhookThrottleTests<SqliteSwitchboard>(node);
public sealed class WebhookThrottleTestsOnPostgres(PostgresSwitchboard node) : WebhookThrottleTests<PostgresSwitchboard>(node);

public sealed class WebhookTestsOnSqlite(SqliteSwitchboard node) : WebhookTests<SqliteSwitchboard>(node);
public sealed class WebhookTestsOnPostgres(PostgresSwitchboard node) : WebhookTests<PostgresSwitchboard>(node);

/// <summary>The SSRF guard, on (as in production): literal internal addresses are refused when saved, names at connect time.</summary>
public sealed class SsrfGuardTests : IAsyncLifetime
{
    private readonly SqliteSwitchboard _node = new();

    public Task InitializeAsync()
    {
        _node.With("Switchboard:Webhooks:AllowPrivateNetworks", "false");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Theory]
    [InlineData("http://example.com/hook", "https")]
    [InlineData("https://127.0.0.1/hook", "internal")]
    [InlineData("https://[::1]/hook", "internal")]
    [InlineData("https://169.254.169.254/latest/meta-data", "internal")]
    [InlineData("https://10.1.2.3/hook", "internal")]
    [InlineData("https://192.168.0.10/hook", "internal")]
    [InlineData("https://100.64.0.1/hook", "internal")]
    [InlineData("https://[::ffff:127.0.0.1]/hook", "internal")]
    [InlineData("https://user:pass@example.com/hook", "credentials")]
    public async Task InternalOrUnsafeUrlsAreRefusedWhenSaved(string url, string reason)
    {
        using var owner = _node.Client();
        await owner.SignupAsync();
        var response = await owner.PostAsync("/api/v1/webhooks", new { url, events = new[] { "*" } });
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        problem["errors"]!["url"]!.ToJsonString().ShouldContain(reason);
    }

    [Fact]
    public async Task ANameThatResolvesToLoopbackIsRefusedAtConnectTime()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var owner = _node.Client();
        await owner.SignupAsync();
        // "localhost" passes the save-time check (it is a name), and resolves to 127.0.0.1 / ::1 when dialled.
        var url = receiver.Url.Replace("http://127.0.0.1", "https://localhost", StringComparison.Ordinal);
        var created = await owner.PostAsync("/api/v1/webhooks", new { url, events = new[] { "contact.*" } });
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var id = (await ApiClient.ReadAsync(created))["id"]!.GetValue<string>();
        (await owner.SendRawAsync(HttpMethod.Post, "/api/v1/contacts", """{"firstName":"Probe"}""")).StatusCode.ShouldBe(HttpStatusCode.Created);

        JsonObject? attempt = null;
        for (var i = 0; i < 60 && attempt is null; i++)
        {
            await Task.Delay(100);
            attempt = (await owner.GetJsonAsync($"/api/v1/webhooks/{id}/deliveries"))["data"]!.AsArray().FirstOrDefault()?["attemptLog"]?.AsArray().FirstOrDefault()?.AsObject();
        }
        attempt.ShouldNotBeNull();
        attempt["statusCode"].ShouldBeNull();
        attempt["error"]!.GetValue<string>().ShouldContain("internal addresses");
        receiver.Requests.ShouldBeEmpty();
    }
}
