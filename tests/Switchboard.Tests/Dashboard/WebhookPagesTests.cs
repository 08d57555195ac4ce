using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.OAuth.Browser;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.OAuth;
using Switchboard.Webhooks;
using static Switchboard.Tests.Dashboard.DashboardTestSupport;

namespace Switchboard.Tests.Dashboard;

/// <summary>
/// The webhook pages over plain HTTP: the list and its create form, an endpoint's page (its delivery log, filtered from
/// the URL, and every action), the event catalog; and that a role without webhooks:write, or another organization, gets
/// nothing through them.
/// </summary>
public abstract partial class WebhookPagesTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    [GeneratedRegex("id=\"secret-value\" type=\"text\" readonly value=\"(?<secret>whsec_[^\"]+)\"")]
    private static partial Regex SecretShown();

    private static async Task<JsonObject> CreateEndpointAsync(ApiClient api, string url, params string[] events)
    {
        var response = await api.PostAsync("/api/v1/webhooks", new { url, events, name = "CRM sync" });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await ApiClient.ReadAsync(response);
    }

    private Task<int> EndpointCountAsync(string organizationId) =>
        node.WithDbAsync(db => db.Set<WebhookEndpoint>().IgnoreQueryFilters().CountAsync(w => w.OrganizationId == organizationId));

    [Fact]
    public async Task AnOwnerCreatesAnEndpointThroughTheFormAndInvalidFieldsAreExplainedBesideThem()
    {
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        using var browser = await SignedInAsync(node, owner.Email);
        var page = await browser.GetAsync("/dashboard/webhooks");
        page.Status.ShouldBe(HttpStatusCode.OK);
        page.Html.ShouldContain("No endpoints yet.");
        page.Html.ShouldContain("value=\"contact.created\""); // the picker, fed by the catalog
        page.Html.ShouldContain("value=\"deal.*\"");
        var token = FormToken(page);

        var unreadable = await browser.PostAsync("/dashboard/webhooks", ("_handler", "create-webhook"), ("csrf", token), ("url", "https://hooks.example.com/in"),
            ("events", "*"), ("maxDeliveriesPerSecond", "fast"));
        unreadable.Status.ShouldBe(HttpStatusCode.BadRequest);
        unreadable.Html.ShouldContain("id=\"maxDeliveriesPerSecond-error\"");
        var refused = await browser.PostAsync("/dashboard/webhooks", ("_handler", "create-webhook"), ("csrf", token), ("url", "ftp://hooks.example.com/in"));
        refused.Status.ShouldBe(HttpStatusCode.BadRequest);
        refused.Html.ShouldContain("id=\"url-error\"");
        refused.Html.ShouldContain("id=\"events-error\"");
        refused.Html.ShouldContain("value=\"ftp://hooks.example.com/in\"");
        (await EndpointCountAsync(owner.OrganizationId)).ShouldBe(0);

        var created = await browser.PostAsync("/dashboard/webhooks", ("_handler", "create-webhook"), ("csrf", token), ("url", "https://hooks.example.com/in"),
            ("events", "contact.*"), ("events", "deal.won"), ("name", "Billing"), ("description", "Invoices"), ("maxDeliveriesPerSecond", "20"));
        created.Status.ShouldBe(HttpStatusCode.Created, created.Html);
        var secret = SecretShown().Match(created.Html).Groups["secret"].Value;
        secret.ShouldStartWith("whsec_");
        var listed = (await api.GetJsonAsync("/api/v1/webhooks"))["data"]!.AsArray().Single()!;
        listed["events"]!.AsArray().Select(e => e!.GetValue<string>()).ShouldBe(["contact.*", "deal.won"]);
        listed["maxDeliveriesPerSecond"]!.GetValue<int>().ShouldBe(20);
        listed["description"]!.GetValue<string>().ShouldBe("Invoices");
        created.Html.ShouldContain($"href=\"/dashboard/webhooks/{listed["id"]}\"");

        // Shown once: the list afterwards has the endpoint, not the secret.
        var again = await browser.GetAsync("/dashboard/webhooks");
        again.Html.ShouldNotContain(secret);
        again.Html.ShouldContain("Billing");
        again.Html.ShouldContain("Nothing delivered yet");
    }

    [Fact]
    public async Task AViewerSeesNoWriteControlsAndForgedPostsAreRefused()
    {
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        var endpoint = await CreateEndpointAsync(api, "https://hooks.example.com/in", "*");
        var id = endpoint["id"]!.GetValue<string>();
        var viewer = await NewMemberAsync(node, owner.OrganizationId, "viewer");
        using var browser = await SignedInAsync(node, viewer.Email);

        var list = await browser.GetAsync("/dashboard/webhooks");
        list.Status.ShouldBe(HttpStatusCode.OK);
        list.Html.ShouldContain("CRM sync");
        list.Html.ShouldNotContain("Create an endpoint");
        list.Html.ShouldNotContain("_handler");
        var detail = await browser.GetAsync($"/dashboard/webhooks/{id}");
        detail.Status.ShouldBe(HttpStatusCode.OK);
        detail.Html.ShouldContain("https://hooks.example.com/in");
        detail.Html[detail.Html.IndexOf("<main", StringComparison.Ordinal)..].ShouldNotContain("method=\"post\"", Case.Insensitive); // (the side bar's sign-out is one)
        detail.Html.ShouldNotContain("Rotate secret");
        (await browser.GetAsync("/dashboard/webhooks/events")).Status.ShouldBe(HttpStatusCode.OK);

        var token = node.Services.GetRequiredService<FormTokens>().For(browser.Cookie("sb_session")!, "dashboard");
        var forged = await browser.PostAsync("/dashboard/webhooks", ("_handler", "create-webhook"), ("csrf", token), ("url", "https://evil.example/in"), ("events", "*"));
        forged.Status.ShouldBe(HttpStatusCode.Forbidden, forged.Html);
        forged.Html.ShouldContain("webhooks:write");
        foreach (var handler in new[] { "toggle", "rotate", "send-test", "bulk-retry" })
            (await browser.PostAsync($"/dashboard/webhooks/{id}", ("_handler", handler), ("csrf", token), ("confirm", "yes"))).Status.ShouldBe(HttpStatusCode.Forbidden, handler);
        (await EndpointCountAsync(owner.OrganizationId)).ShouldBe(1);
        var after = await api.GetJsonAsync($"/api/v1/webhooks/{id}");
        after["isActive"]!.GetValue<bool>().ShouldBeTrue();
        after["updatedAt"]!.GetValue<DateTime>().ShouldBe(endpoint["updatedAt"]!.GetValue<DateTime>());
        (await node.WithDbAsync(db => db.Set<WebhookDelivery>().IgnoreQueryFilters().CountAsync(d => d.EndpointId == id))).ShouldBe(0); // no test event
    }

    [Fact]
    public async Task AnotherOrganizationsEndpointIsNotFound()
    {
        var (_, api) = await NewOrganizationAsync(node, "Globex");
        using var __ = api;
        var theirs = (await CreateEndpointAsync(api, "https://hooks.example.com/globex", "*"))["id"]!.GetValue<string>();
        var (owner, mine) = await NewOrganizationAsync(node, "Acme");
        using var ___ = mine;
        using var browser = await SignedInAsync(node, owner.Email);

        foreach (var path in new[] { $"/dashboard/webhooks/{theirs}", $"/dashboard/webhooks/{theirs}?status=dead", "/dashboard/webhooks/not-an-id" })
        {
            var page = await browser.GetAsync(path);
            page.Status.ShouldBe(HttpStatusCode.NotFound, path);
            page.Html.ShouldContain("Endpoint not found", Case.Sensitive, path + "\n" + page.Html[..Math.Min(3000, page.Html.Length)]);
            page.Html.ShouldNotContain("hooks.example.com/globex");
        }
        var token = FormToken(await browser.GetAsync("/dashboard/webhooks"));
        var disable = await browser.PostAsync($"/dashboard/webhooks/{theirs}", ("_handler", "toggle"), ("csrf", token));
        ((int)disable.Status).ShouldBeInRange(400, 499);
        (await api.GetJsonAsync($"/api/v1/webhooks/{theirs}"))["isActive"]!.GetValue<bool>().ShouldBeTrue();
    }

    [Fact]
    public async Task ABadFilterIsExplainedBesideItsFieldNeverA500()
    {
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        var id = (await CreateEndpointAsync(api, "https://hooks.example.com/in", "*"))["id"]!.GetValue<string>();
        using var browser = await SignedInAsync(node, owner.Email);

        var page = await browser.GetAsync($"/dashboard/webhooks/{id}?status=failed&createdAfter=yesterday&eventId=nope");
        page.Status.ShouldBe(HttpStatusCode.BadRequest);
        page.Html.ShouldContain("id=\"status-error\"");
        page.Html.ShouldContain("id=\"createdAfter-error\"");
        page.Html.ShouldContain("id=\"eventId-error\"");
        page.Html.ShouldContain("value=\"yesterday\"");
        page.Html.ShouldNotContain("id=\"bulk-form\""); // nothing to retry with a filter that does not read
        var fine = await browser.GetAsync($"/dashboard/webhooks/{id}?status=dead&eventType=contact.*");
        fine.Status.ShouldBe(HttpStatusCode.OK);
        fine.Html.ShouldContain("No delivery matches this filter.");
    }

    [Fact]
    public async Task TheEndpointsPageFiltersTheLogRetriesInBulkAfterCountingAndPerformsEachAction()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        var endpoint = await CreateEndpointAsync(api, receiver.Url, "contact.created", "deal.created");
        var id = endpoint["id"]!.GetValue<string>();
        foreach (var name in new[] { "Ada", "Grace" })
            (await api.PostAsync("/api/v1/contacts", new { firstName = name })).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await api.PostAsync("/api/v1/deals", new { name = "Annual plan", amount = 100, currency = "USD" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        await receiver.WaitForAsync(_ => true, count: 3);
        for (var i = 0; i < 100 && (await api.GetJsonAsync($"/api/v1/webhooks/{id}/deliveries?status=succeeded"))["data"]!.AsArray().Count < 3; i++) await Task.Delay(50);
        // The contacts' deliveries used up their retries.
        await node.WithDbAsync(db => db.Set<WebhookDelivery>().IgnoreQueryFilters().Where(d => d.EndpointId == id && d.EventType == "contact.created")
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DeliveryStatus.Dead).SetProperty(d => d.NextAttemptAt, DateTime.UtcNow.AddDays(30))));
        using var browser = await SignedInAsync(node, owner.Email);

        var all = await browser.GetAsync($"/dashboard/webhooks/{id}");
        all.Status.ShouldBe(HttpStatusCode.OK);
        Regex.Count(all.Html, "<details class=\"delivery\"").ShouldBe(3);
        all.Html.ShouldContain("Annual plan"); // the request body
        all.Html.ShouldContain("<pre class=\"response\">ok</pre>"); // the receiver's answer body
        var filtered = $"/dashboard/webhooks/{id}?eventType=contact.created&status=dead";
        var contacts = await browser.GetAsync(filtered);
        Regex.Count(contacts.Html, "<details class=\"delivery\"").ShouldBe(2);
        contacts.Html.ShouldNotContain("Annual plan");
        var token = FormToken(contacts);

        // Bulk retry: the count first, then the retry, both for the filter in the URL.
        var before = receiver.Requests.Count;
        var counted = await browser.PostAsync(filtered, ("_handler", "bulk-retry"), ("csrf", token), ("confirm", ""));
        counted.Status.ShouldBe(HttpStatusCode.OK, counted.Html);
        counted.Html.ShouldContain("Retry 2 deliveries?");
        receiver.Requests.Count.ShouldBe(before);
        var retried = await browser.PostAsync(filtered, ("_handler", "bulk-retry"), ("csrf", token), ("confirm", "yes"));
        retried.Html.ShouldContain("2 deliveries will be sent again now.");
        await receiver.WaitForAsync(_ => true, count: before + 2);

        // One delivery again.
        var deal = (await api.GetJsonAsync($"/api/v1/webhooks/{id}/deliveries?eventType=deal.created"))["data"]!.AsArray().Single()!["id"]!.GetValue<string>();
        var one = await browser.PostAsync($"/dashboard/webhooks/{id}", ("_handler", "retry-delivery"), ("csrf", token), ("deliveryId", deal));
        one.Html.ShouldContain($"Delivery {deal} will be sent again now.");
        await receiver.WaitForAsync(_ => true, count: before + 3);

        var test = await browser.PostAsync($"/dashboard/webhooks/{id}", ("_handler", "send-test"), ("csrf", token));
        test.Html.ShouldContain("A webhook.test event is on its way");
        await receiver.WaitForAsync(r => r.Body.Contains("\"webhook.test\"", StringComparison.Ordinal));

        var throttled = await browser.PostAsync($"/dashboard/webhooks/{id}", ("_handler", "throttle"), ("csrf", token), ("maxDeliveriesPerSecond", "5"));
        throttled.Html.ShouldContain("limited to 5 per second");
        (await api.GetJsonAsync($"/api/v1/webhooks/{id}"))["maxDeliveriesPerSecond"]!.GetValue<int>().ShouldBe(5);
        var badRate = await browser.PostAsync($"/dashboard/webhooks/{id}", ("_handler", "throttle"), ("csrf", token), ("maxDeliveriesPerSecond", "0"));
        badRate.Status.ShouldBe(HttpStatusCode.BadRequest);
        badRate.Html.ShouldContain("id=\"webhook-message\"");

        var replayed = await browser.PostAsync($"/dashboard/webhooks/{id}", ("_handler", "replay"), ("csrf", token),
            ("since", node.Clock.GetUtcNow().UtcDateTime.AddHours(-1).ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture)));
        replayed.Html.ShouldContain("3 deliveries since");
        var noSince = await browser.PostAsync($"/dashboard/webhooks/{id}", ("_handler", "replay"), ("csrf", token), ("since", ""));
        noSince.Status.ShouldBe(HttpStatusCode.BadRequest);

        var rotated = await browser.PostAsync($"/dashboard/webhooks/{id}", ("_handler", "rotate"), ("csrf", token));
        var secret = SecretShown().Match(rotated.Html).Groups["secret"].Value;
        secret.ShouldStartWith("whsec_");
        secret.ShouldNotBe(endpoint["secret"]!.GetValue<string>());

        var disabled = await browser.PostAsync($"/dashboard/webhooks/{id}", ("_handler", "toggle"), ("csrf", token));
        disabled.Html.ShouldContain("The endpoint was disabled");
        (await api.GetJsonAsync($"/api/v1/webhooks/{id}"))["isActive"]!.GetValue<bool>().ShouldBeFalse();
        (await browser.GetAsync("/dashboard/webhooks")).Html.ShouldContain("Disabled by a user.");
        (await browser.PostAsync($"/dashboard/webhooks/{id}", ("_handler", "toggle"), ("csrf", token))).Html.ShouldContain("The endpoint was enabled.");
        (await api.GetJsonAsync($"/api/v1/webhooks/{id}"))["isActive"]!.GetValue<bool>().ShouldBeTrue();
    }

    [Fact]
    public async Task TheEventCatalogShowsEveryTypeWithItsSchemaAndExampleUnderTheDashboardsHeaders()
    {
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        using var browser = await SignedInAsync(node, owner.Email);
        var page = await browser.GetAsync("/dashboard/webhooks/events");
        page.Status.ShouldBe(HttpStatusCode.OK);
        foreach (var type in EventTypes.All)
            page.Html.ShouldContain($"<section class=\"event-type\" id=\"{type}\"");
        page.Html.ShouldContain("&quot;previousAttributes&quot;");
        page.Html.ShouldContain("&quot;properties&quot;");
        foreach (var path in new[] { "/dashboard/webhooks", "/dashboard/webhooks/events" })
        {
            var answer = await browser.GetAsync(path);
            answer.Response.Headers.GetValues("Content-Security-Policy").Single().ShouldContain("frame-ancestors 'none'");
            answer.Response.Headers.CacheControl!.NoStore.ShouldBeTrue();
        }
        (await browser.GetAsync("/dashboard")).Html.ShouldContain("href=\"/dashboard/webhooks\"");
    }
}

public sealed class WebhookPagesTestsOnSqlite(SqliteSwitchboard node) : WebhookPagesTests<SqliteSwitchboard>(node);
public sealed class WebhookPagesTestsOnPostgres(PostgresSwitchboard node) : WebhookPagesTests<PostgresSwitchboard>(node);
