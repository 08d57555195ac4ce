using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Crm.Activities;
using Switchboard.Crm.Leads;
using Switchboard.Integrations;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;
using static Switchboard.Tests.Integrations.ActionsTestKit;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// The Calendly connector against <see cref="CalendlyFake"/>: the webhook subscription made once (paging through the
/// organization's subscriptions to find it) and deleted on uninstall; deliveries signed as Calendly signs them (computed
/// here: HMAC-SHA256 of "t.body", hex) making a lead and a meeting, a cancellation cancelling it, a redelivery changing
/// nothing, a forged or stale one refused; the booking link replied in a chat; Calendly's errors surfaced.
/// </summary>
public abstract class CalendlyTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    private const string SigningKey = "whsk_9c1e5b7f3a2d4e6f8a0b1c2d3e4f5a6b";

    private CalendlyFake Fake => node switch
    {
        CalendlySqliteNode s => s.Calendly,
        CalendlyPostgresNode p => p.Calendly,
        _ => throw new InvalidOperationException(),
    };

    private async Task<(ApiClient Owner, string Installation)> InstallAsync(string token = CalendlyFake.PersonalToken, string signingKey = SigningKey)
    {
        var owner = node.Client();
        await owner.SignupAsync();
        var response = await owner.PostAsync("/api/v1/integrations", new
        {
            provider = "calendly", name = "Bookings", config = new { personalAccessToken = token, webhookSigningKey = signingKey, scope = "organization" },
        });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var installation = await ApiClient.ReadAsync(response);
        installation["status"]!.GetValue<string>().ShouldBe("active", "a personal access token needs no OAuth connection");
        installation.ToJsonString().ShouldNotContain(token);
        installation.ToJsonString().ShouldNotContain(signingKey);
        return (owner, installation["id"]!.GetValue<string>());
    }

    private static string Callback(string installation) => $"{CalendlySqliteNode.PublicBaseUrl}/api/v1/integrations/{installation}/inbound/events";

    private async Task<T> WithConnectorAsync<T>(string installationId, Func<Connector, ConnectorContext, Task<T>> use)
    {
        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var installation = await db.Set<IntegrationInstallation>().IgnoreQueryFilters().SingleAsync(i => i.Id == installationId);
        var (connector, context) = scope.ServiceProvider.GetRequiredService<ConnectorContexts>().For(installation, scope.ServiceProvider);
        return await use(connector, context);
    }

    private Task<ProviderResponse> SubscribeAsync(string installation) =>
        WithConnectorAsync(installation, (connector, context) => connector.RunActionAsync(context, "subscribe_webhooks", [], CancellationToken.None));

    [Fact]
    public async Task TheConnectionTestReadsTheCurrentUserAndReportsCalendlysError()
    {
        var (owner, installation) = await InstallAsync();
        using var _ = owner;
        var ok = await ApiClient.ReadAsync(await owner.PostAsync($"/api/v1/integrations/{installation}/test", null));
        ok["success"]!.GetValue<bool>().ShouldBeTrue(ok.ToJsonString());
        Fake.Provider.Requests.ShouldContain(r => r.Method == "GET" && r.Path == "/users/me");

        (await owner.PatchAsync($"/api/v1/integrations/{installation}", new { config = new { personalAccessToken = "a-token-calendly-never-issued-000000" } })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var refused = await ApiClient.ReadAsync(await owner.PostAsync($"/api/v1/integrations/{installation}/test", null));
        refused["success"]!.GetValue<bool>().ShouldBeFalse();
        refused["providerStatus"]!.GetValue<int>().ShouldBe(401);
        refused["providerError"]!.GetValue<string>().ShouldBe("Unauthenticated: The access token is invalid");
        refused["status"]!.GetValue<string>().ShouldBe("active", "a personal token is fixed by changing the installation, not by reconnecting");
    }

    [Fact]
    public async Task SubscribingCreatesOneSubscriptionAndFindsItAgainAcrossPages()
    {
        var (owner, installation) = await InstallAsync();
        using var _ = owner;
        var first = JsonNode.Parse((await SubscribeAsync(installation)).Body)!;
        first["created"]!.GetValue<bool>().ShouldBeTrue();
        first["schedulingUrl"]!.GetValue<string>().ShouldBe(CalendlyFake.SchedulingUrl);
        var subscription = Fake.For(Callback(installation)).ShouldHaveSingleItem();
        subscription["events"]!.AsArray().Select(e => e!.GetValue<string>()).ShouldBe(["invitee.created", "invitee.canceled"]);
        subscription["scope"]!.GetValue<string>().ShouldBe("organization");
        Fake.SigningKeys[Callback(installation)].ShouldBe(SigningKey);

        // Again: the organization's subscriptions are listed (more than one page: 130 others) and this one is found.
        var again = JsonNode.Parse((await SubscribeAsync(installation)).Body)!;
        again["created"]!.GetValue<bool>().ShouldBeFalse();
        Fake.For(Callback(installation)).Count().ShouldBe(1);
        Fake.Provider.Requests.Count(r => r.Method == "POST" && r.Path == "/webhook_subscriptions").ShouldBeGreaterThanOrEqualTo(1);
        Fake.Provider.Requests.ShouldContain(r => r.Method == "GET" && r.Path == "/webhook_subscriptions" && r.Query.Contains("page_token=", StringComparison.Ordinal));

        // Calendly disabled it (deliveries kept failing): it is replaced by an active one.
        subscription["state"] = "disabled";
        (JsonNode.Parse((await SubscribeAsync(installation)).Body)!)["created"]!.GetValue<bool>().ShouldBeTrue();
        Fake.For(Callback(installation)).ShouldHaveSingleItem()["state"]!.GetValue<string>().ShouldBe("active");
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task CalendlysErrorsAreSurfacedAndItsRateLimitIsWaitedOut()
    {
        var (owner, installation) = await InstallAsync();
        using var _ = owner;
        Fake.FailNext("/users/me", 403, "Permission Denied", "You do not have permission to access this resource.",
            [new JsonObject { ["parameter"] = "scope", ["message"] = "requires webhooks:write" }]);
        var refused = await Should.ThrowAsync<ProviderException>(() => SubscribeAsync(installation));
        refused.Status.ShouldBe(403);
        refused.Retryable.ShouldBeFalse();
        refused.ProviderError.ShouldBe("Permission Denied: You do not have permission to access this resource. (scope: requires webhooks:write)");

        Fake.FailNext("/users/me", 429, "Too Many Requests", "You have exceeded the rate limit.");
        var limited = await Should.ThrowAsync<ProviderException>(() => SubscribeAsync(installation));
        limited.Retryable.ShouldBeTrue();
        limited.RetryAfter.ShouldBe(TimeSpan.FromSeconds(1), "X-RateLimit-Reset: the seconds until the window resets");
        Fake.For(Callback(installation)).ShouldBeEmpty();
    }

    /// <summary>A delivery as Calendly sends it (webhooks overview, the invitee payload).</summary>
    private static string Delivery(string type, string invitee, string email, string name, DateTime start, string? reason = null) => new JsonObject
    {
        ["event"] = type, ["created_at"] = "2026-12-04T10:00:00.000000Z", ["created_by"] = CalendlyFake.UserUri,
        ["payload"] = new JsonObject
        {
            ["uri"] = invitee, ["email"] = email, ["name"] = name, ["first_name"] = null, ["last_name"] = null,
            ["status"] = type == "invitee.canceled" ? "canceled" : "active", ["timezone"] = "America/New_York", ["text_reminder_number"] = "+1 415 555 0142",
            ["event"] = invitee[..invitee.IndexOf("/invitees/", StringComparison.Ordinal)], ["rescheduled"] = false,
            ["scheduled_event"] = new JsonObject
            {
                ["uri"] = invitee[..invitee.IndexOf("/invitees/", StringComparison.Ordinal)], ["name"] = "30 Minute Discovery Call", ["status"] = type == "invitee.canceled" ? "canceled" : "active",
                ["start_time"] = start.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture),
                ["end_time"] = start.AddMinutes(30).ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture),
                ["event_type"] = "https://api.calendly.com/event_types/CCCCCCCCCCCCCCCC",
                ["location"] = new JsonObject { ["type"] = "zoom", ["join_url"] = "https://zoom.example/j/123", ["status"] = "pushed" },
            },
            ["questions_and_answers"] = new JsonArray(new JsonObject { ["question"] = "What would you like to discuss?", ["answer"] = "Pricing", ["position"] = 0 }),
            ["cancel_url"] = "https://calendly.com/cancellations/" + Guid.NewGuid().ToString("N"), ["reschedule_url"] = "https://calendly.com/reschedulings/" + Guid.NewGuid().ToString("N"),
            ["cancellation"] = reason is null ? null : new JsonObject { ["canceled_by"] = name, ["reason"] = reason, ["canceler_type"] = "invitee" },
        },
    }.ToJsonString();

    private static string Invitee() =>
        $"https://api.calendly.com/scheduled_events/EV{Guid.NewGuid():N}"[..60] + $"/invitees/IN{Guid.NewGuid():N}"[..26];

    private async Task<HttpResponseMessage> DeliverAsync(string installation, string body, string key = SigningKey, TimeSpan? age = null, Func<string, string>? tamper = null)
    {
        using var anonymous = node.Client();
        var t = (node.Clock.GetUtcNow() - (age ?? TimeSpan.Zero)).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        // Calendly's recipe: v1 = hex HMAC-SHA256(signing key, "{t}.{raw body}").
        var v1 = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes($"{t}.{body}")));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/integrations/{installation}/inbound/events")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Calendly-Webhook-Signature", tamper is null ? $"t={t},v1={v1}" : tamper($"t={t},v1={v1}"));
        return await anonymous.Http.SendAsync(request);
    }

    private static async Task<JsonArray> ListAsync(ApiClient owner, string path) => (await owner.GetJsonAsync(path))["data"]!.AsArray();

    [Fact]
    public async Task ABookingMakesALeadAndAMeetingACancellationCancelsItAndRedeliveriesChangeNothing()
    {
        var (owner, installation) = await InstallAsync();
        using var _ = owner;
        var invitee = Invitee();
        var start = new DateTime(2026, 12, 10, 15, 0, 0, DateTimeKind.Utc);
        var created = Delivery("invitee.created", invitee, "Jane.Smith@Prospect.example", "Jane Smith", start);

        (await DeliverAsync(installation, created)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await DeliverAsync(installation, created)).StatusCode.ShouldBe(HttpStatusCode.OK); // Calendly retries
        var lead = (await ListAsync(owner, "/api/v1/leads")).ShouldHaveSingleItem()!;
        lead["name"]!.GetValue<string>().ShouldBe("Jane Smith");
        lead["email"]!.GetValue<string>().ShouldBe("jane.smith@prospect.example");
        lead["source"]!.GetValue<string>().ShouldBe("calendly");
        lead["phone"]!.GetValue<string>().ShouldBe("+14155550142");
        var meeting = (await ListAsync(owner, "/api/v1/activities")).ShouldHaveSingleItem()!;
        meeting["type"]!.GetValue<string>().ShouldBe("meeting");
        meeting["subject"]!.GetValue<string>().ShouldBe("30 Minute Discovery Call with Jane Smith");
        meeting["leadId"]!.GetValue<string>().ShouldBe(lead["id"]!.GetValue<string>());
        meeting["occurredAt"]!.GetValue<DateTime>().ToUniversalTime().ShouldBe(start);
        meeting["notes"]!.GetValue<string>().ShouldContain("What would you like to discuss?: Pricing");
        meeting["metadata"]!["calendlyStatus"]!.GetValue<string>().ShouldBe("scheduled");
        meeting["metadata"]!["location"]!.GetValue<string>().ShouldBe("https://zoom.example/j/123");
        var meetingId = meeting["id"]!.GetValue<string>();
        (await EventsOfTypeAsync(node, meetingId, "activity.created")).ShouldHaveSingleItem();

        var canceled = Delivery("invitee.canceled", invitee, "jane.smith@prospect.example", "Jane Smith", start, reason: "Something came up");
        (await DeliverAsync(installation, canceled)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await DeliverAsync(installation, canceled)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var after = await owner.GetJsonAsync($"/api/v1/activities/{meetingId}");
        after["subject"]!.GetValue<string>().ShouldBe("Canceled: 30 Minute Discovery Call with Jane Smith");
        after["metadata"]!["calendlyStatus"]!.GetValue<string>().ShouldBe("canceled");
        after["metadata"]!["cancelReason"]!.GetValue<string>().ShouldBe("Something came up");
        var updated = (await EventsOfTypeAsync(node, meetingId, "activity.updated")).ShouldHaveSingleItem();
        JsonNode.Parse(updated.PreviousAttributes!)!["subject"]!.GetValue<string>().ShouldBe("30 Minute Discovery Call with Jane Smith");
        (await ListAsync(owner, "/api/v1/leads")).Count.ShouldBe(1);
        (await ListAsync(owner, "/api/v1/activities")).Count.ShouldBe(1);
    }

    [Fact]
    public async Task AnInviteeIsMatchedToAnExistingContactOrLeadByEmail()
    {
        var (owner, installation) = await InstallAsync();
        using var _ = owner;
        var contact = await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/contacts", new { firstName = "Known", lastName = "Contact", email = "known@customer.example" }));
        var leadId = await CreateLeadAsync(owner, new { name = "Known Lead", email = "lead@prospect.example" });

        (await DeliverAsync(installation, Delivery("invitee.created", Invitee(), "KNOWN@customer.example", "Known Contact", DateTime.UtcNow.AddDays(2)))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await DeliverAsync(installation, Delivery("invitee.created", Invitee(), "lead@prospect.example", "Known Lead", DateTime.UtcNow.AddDays(3)))).StatusCode.ShouldBe(HttpStatusCode.OK);

        var meetings = await ListAsync(owner, "/api/v1/activities");
        meetings.Count.ShouldBe(2);
        meetings.ShouldContain(m => m!["contactId"] != null && m["contactId"]!.GetValue<string>() == contact["id"]!.GetValue<string>() && m["leadId"] == null);
        meetings.ShouldContain(m => m!["leadId"] != null && m["leadId"]!.GetValue<string>() == leadId);
        (await ListAsync(owner, "/api/v1/leads")).Count.ShouldBe(1, "no lead is made for someone the CRM knows");
    }

    [Fact]
    public async Task AForgedOrStaleDeliveryIs401AndChangesNothing()
    {
        var (owner, installation) = await InstallAsync();
        using var _ = owner;
        var body = Delivery("invitee.created", Invitee(), "mallory@attacker.example", "Mallory", DateTime.UtcNow.AddDays(1));
        var flip = (string s) => s[..^1] + (s[^1] == '0' ? '1' : '0');

        var attempts = new[]
        {
            await DeliverAsync(installation, body, tamper: flip),                                   // forged signature
            await DeliverAsync(installation, body, key: "someone-elses-signing-key-000000"),        // another key
            await DeliverAsync(installation, body, age: TimeSpan.FromMinutes(4)),                   // stale: outside the tolerance
            await DeliverAsync(installation, body, age: -TimeSpan.FromMinutes(4)),                  // from the future
            await DeliverAsync(installation, body, tamper: s => s.Split(',')[1]),                   // no timestamp
            await DeliverAsync(installation, body, tamper: _ => ""),                                // unsigned
        };
        foreach (var attempt in attempts) await attempt.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        (await ListAsync(owner, "/api/v1/leads")).ShouldBeEmpty();
        (await ListAsync(owner, "/api/v1/activities")).ShouldBeEmpty();
        (await node.WithDbAsync(db => db.Set<Lead>().IgnoreQueryFilters().CountAsync(l => l.Email == "mallory@attacker.example"))).ShouldBe(0);
    }

    [Fact]
    public async Task UninstallingDeletesTheSubscriptionAtCalendly()
    {
        var (owner, installation) = await InstallAsync();
        using var _ = owner;
        await SubscribeAsync(installation);
        Fake.For(Callback(installation)).ShouldHaveSingleItem();
        var others = Fake.Subscriptions.Count;

        (await owner.DeleteAsync($"/api/v1/integrations/{installation}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        Fake.For(Callback(installation)).ShouldBeEmpty();
        Fake.Subscriptions.Count.ShouldBe(others - 1, "only this installation's subscription is deleted");
        Fake.Provider.Requests.ShouldContain(r => r.Method == "DELETE" && r.Path.StartsWith("/webhook_subscriptions/", StringComparison.Ordinal));
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AChatMessageIsAnsweredWithTheBookingLinkOnce()
    {
        var (owner, installation) = await InstallAsync();
        using var _ = owner;
        await CreateRuleAsync(owner, installation, new
        {
            events = new[] { "chat.message_received" }, action = "offer_booking_link", input = new { sessionId = "{{data.sessionId}}", text = "Happy to talk! Pick a time:" },
        });
        var sent = await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/chat/message", new { body = "Can we talk about pricing?", visitorName = "Pat" }));
        var sessionId = sent["session"]!["id"]!.GetValue<string>();

        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "succeeded")).Single()!;
        run["attemptLog"]![0]!["responseBody"]!.GetValue<string>().ShouldContain(CalendlyFake.SchedulingUrl);
        var messages = (await owner.GetJsonAsync($"/api/v1/chat/sessions/{sessionId}/messages"))["data"]!.AsArray();
        messages.Count.ShouldBe(2);
        var reply = messages[1]!;
        reply["author"]!.GetValue<string>().ShouldBe("bot");
        reply["body"]!.GetValue<string>().ShouldBe($"Happy to talk! Pick a time: {CalendlyFake.SchedulingUrl}");
        (await owner.PostAsync($"/api/v1/integrations/{installation}/action-runs/{run["id"]}/retry", null)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await RunsAsync(owner, installation, r => r[0]!["attempts"]!.GetValue<int>() == 2);
        (await owner.GetJsonAsync($"/api/v1/chat/sessions/{sessionId}/messages"))["data"]!.AsArray().Count.ShouldBe(2, "a retried run does not reply twice");
    }

    [Fact]
    public async Task AnOAuthConnectionWhoseTokenCalendlyRefusesIsRefreshedOnceThenRevokedOnUninstall()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var installation = await ConnectOAuthAsync(owner);
        var refreshes = Fake.Refreshes;
        var test = await ApiClient.ReadAsync(await owner.PostAsync($"/api/v1/integrations/{installation}/test", null));
        test["success"]!.GetValue<bool>().ShouldBeTrue(test.ToJsonString());
        (Fake.Refreshes - refreshes).ShouldBe(1, "one refresh, then the call succeeded");
        (JsonNode.Parse((await SubscribeAsync(installation)).Body)!)["created"]!.GetValue<bool>().ShouldBeTrue();
        Fake.SigningKeys[Callback(installation)].ShouldBeNull("an OAuth app's subscriptions are signed with the app's key; none is sent");
        (Fake.Refreshes - refreshes).ShouldBe(1);

        (await owner.DeleteAsync($"/api/v1/integrations/{installation}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        Fake.For(Callback(installation)).ShouldBeEmpty();
        Fake.Revoked.ShouldNotBeEmpty();
        Fake.RefreshTokens.Keys.ShouldNotContain(Fake.Revoked.Last());
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AnUninstallWhoseSubscriptionCleanupFailsStillRevokesTheToken()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var installation = await ConnectOAuthAsync(owner);
        (JsonNode.Parse((await SubscribeAsync(installation)).Body)!)["created"]!.GetValue<bool>().ShouldBeTrue();
        var revoked = Fake.Revoked.Count;
        // The first call of the cleanup (who the token belongs to) fails: the subscriptions stay, the token is revoked.
        Fake.FailNext("/users/me", 500, "Internal Server Error", "The server encountered an unexpected condition.");

        await UninstallTestKit.UninstallAsync(node, owner, installation);
        Fake.For(Callback(installation)).ShouldHaveSingleItem();
        Fake.Revoked.Count.ShouldBe(revoked + 1, "the revocation does not depend on the cleanup");
        await UninstallTestKit.ShouldBeGoneAsync(node, installation);
    }

    /// <summary>An installation connected by OAuth as the callback stores it, whose access token Calendly has stopped taking.</summary>
    private async Task<string> ConnectOAuthAsync(ApiClient owner)
    {
        var created = await owner.PostAsync("/api/v1/integrations", new { provider = "calendly", config = new { webhookSigningKey = SigningKey } });
        var installation = (await ApiClient.ReadAsync(created))["id"]!.GetValue<string>();
        (await owner.GetJsonAsync($"/api/v1/integrations/{installation}"))["status"]!.GetValue<string>().ShouldBe("pending_auth");
        // Connected as the OAuth callback stores it; Calendly has since stopped taking the access token.
        var refresh = $"cal-refresh-{Guid.NewGuid():N}";
        Fake.RefreshTokens[refresh] = true;
        await node.Services.GetRequiredService<ProviderTokenStore>().StoreAsync(installation,
            new ProviderTokens("cal-access-expired", refresh, node.Clock.GetUtcNow().UtcDateTime.AddHours(1), "users:read webhooks:read webhooks:write", "Bearer"),
            CancellationToken.None);
        await node.WithDbAsync(db => db.Set<IntegrationInstallation>().IgnoreQueryFilters().Where(i => i.Id == installation)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.Status, InstallationStatus.Active)));
        return installation;
    }

    [Fact]
    public async Task AnotherOrganizationsInstallationCannotBeUsed()
    {
        var (owner, installation) = await InstallAsync();
        using var _ = owner;
        var (other, theirs) = await InstallAsync(signingKey: "their-own-signing-key-0123456789");
        using var __ = other;
        (await other.GetAsync($"/api/v1/integrations/{installation}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.DeleteAsync($"/api/v1/integrations/{installation}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.PostAsync($"/api/v1/integrations/{installation}/rules", new { events = new[] { "chat.message_received" }, action = "offer_booking_link", input = new { sessionId = "{{data.sessionId}}" } }))
            .StatusCode.ShouldBe(HttpStatusCode.NotFound);

        // Signed with the other installation's key, a delivery to this installation's URL is refused; to theirs it lands in their CRM only.
        var body = Delivery("invitee.created", Invitee(), "someone@elsewhere.example", "Someone", DateTime.UtcNow.AddDays(1));
        (await DeliverAsync(installation, body, key: "their-own-signing-key-0123456789")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await DeliverAsync(theirs, body, key: "their-own-signing-key-0123456789")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ListAsync(owner, "/api/v1/leads")).ShouldBeEmpty();
        (await ListAsync(other, "/api/v1/leads")).Count.ShouldBe(1);
    }
}

public sealed class CalendlyTestsOnSqlite(CalendlySqliteNode node) : CalendlyTests<CalendlySqliteNode>(node);
public sealed class CalendlyTestsOnPostgres(CalendlyPostgresNode node) : CalendlyTests<CalendlyPostgresNode>(node);
