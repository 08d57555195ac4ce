using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.OAuth.Browser;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Integrations;
using Switchboard.Tests.Integrations.TestProviders.TestOAuth;
using Switchboard.Tests.OAuth;
using static Switchboard.Tests.Dashboard.DashboardTestSupport;

namespace Switchboard.Tests.Dashboard.Integrations;

/// <summary>
/// The integrations pages over plain HTTP, on a node whose catalog also has the test providers (pointed at a loopback
/// fake): the marketplace's filters, the generated install form and its refusals, the installation's buttons (each the
/// code of an API operation), the rules editor, uninstalling, and what a viewer, a forger and another tenant get.
/// </summary>
public abstract partial class IntegrationPagesTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory, IIntegrationNode
{
    private const string Marketplace = "/dashboard/integrations/marketplace";

    private static string MainPart(FormBrowser.Page page) => page.Html[page.Html.IndexOf("<main", StringComparison.Ordinal)..];

    /// <summary>The page as text: Blazor writes characters outside ASCII as character references.</summary>
    private static string Text(FormBrowser.Page page) => WebUtility.HtmlDecode(page.Html);

    private static string InstallationIdIn(string? location) =>
        InstallationId().Match(location ?? "").Groups["id"].Value is { Length: > 0 } id ? id : throw new ShouldAssertException($"No installation in {location}");

    [GeneratedRegex("/dashboard/integrations/(?<id>ins_[0-9A-Za-z]+)")]
    private static partial Regex InstallationId();

    private static async Task<string> InstallCustomHttpAsync(ApiClient api, string url = "https://hooks.example.com/crm") =>
        (await api.InstallAsync(new { provider = "custom_http", name = "Ops hook", config = new { url, authType = "bearer", bearerToken = "tok-3f9a-secret" } }))["id"]!.GetValue<string>();

    [Fact]
    public async Task TheMarketplaceFiltersByTextAndCategoryKeptInTheUrl()
    {
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        using var browser = await SignedInAsync(node, owner.Email);

        var all = await browser.GetAsync(Marketplace);
        all.Status.ShouldBe(HttpStatusCode.OK);
        foreach (var key in new[] { "slack", "hubspot", "custom_http", "google_calendar" }) all.Html.ShouldContain($"id=\"provider-{key}\"");
        all.Html.ShouldContain("src=\"/api/v1/integrations/providers/slack/icon.svg\"");
        all.Html.ShouldContain("No reviews yet");

        var found = await browser.GetAsync(Marketplace + "?q=slack");
        found.Html.ShouldContain("id=\"provider-slack\"");
        found.Html.ShouldNotContain("id=\"provider-hubspot\"");
        found.Html.ShouldContain("value=\"slack\""); // the search box keeps the text

        var calendars = await browser.GetAsync(Marketplace + "?category=calendar");
        calendars.Html.ShouldContain("id=\"provider-google_calendar\"");
        calendars.Html.ShouldNotContain("id=\"provider-slack\"");
        calendars.Html.ShouldContain("<option value=\"calendar\" selected");

        var bad = await browser.GetAsync(Marketplace + "?category=astrology");
        bad.Status.ShouldBe(HttpStatusCode.BadRequest);
        bad.Html.ShouldContain("category: Must be one of");

        var missing = await browser.GetAsync(Marketplace + "/no_such_provider");
        missing.Status.ShouldBe(HttpStatusCode.NotFound);
        missing.Response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html"); // a page, not the API's problem document
        missing.Html.ShouldContain("There is nothing at this address");
    }

    [Fact]
    public async Task AMemberReviewsAProviderAndTheRatingFollows()
    {
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        using var browser = await SignedInAsync(node, owner.Email);
        var page = await browser.GetAsync(Marketplace + "/custom_http");
        var token = FormToken(page);

        var refused = await browser.PostAsync(Marketplace + "/custom_http", ("_handler", "review"), ("csrf", token), ("rating", "9"), ("text", "Too many stars"));
        refused.Status.ShouldBe(HttpStatusCode.BadRequest);
        refused.Html.ShouldContain("id=\"rating-error\"");
        refused.Html.ShouldContain("Too many stars"); // kept

        // Reviews are the whole marketplace's (every organization's members): count relative to what others wrote.
        var before = (await api.GetJsonAsync("/api/v1/integrations/providers/custom_http"))["rating"]!["count"]!.GetValue<int>();
        var saved = await browser.PostAsync(Marketplace + "/custom_http", ("_handler", "review"), ("csrf", token), ("rating", "4"), ("text", "Does what it says."));
        saved.Status.ShouldBe(HttpStatusCode.OK, saved.Html);
        saved.Html.ShouldContain("Your review was saved.");
        Text(saved).ShouldContain("★★★★☆</span> (yours)");
        saved.Html.ShouldContain("Does what it says.");
        saved.Html.ShouldContain("Delete your review");
        var rating = (await api.GetJsonAsync("/api/v1/integrations/providers/custom_http"))["rating"]!;
        rating["count"]!.GetValue<int>().ShouldBe(before + 1);
        var average = rating["average"]!.GetValue<double>().ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
        Text(await browser.GetAsync(Marketplace + "?q=custom")).ShouldContain($"★ {average} of 5 ({before + 1} review{(before == 0 ? "" : "s")})");

        var deleted = await browser.PostAsync(Marketplace + "/custom_http", ("_handler", "delete-review"), ("csrf", token));
        deleted.Html.ShouldContain("Your review was deleted.");
        deleted.Html.ShouldNotContain("(yours)");
        (await api.GetJsonAsync("/api/v1/integrations/providers/custom_http"))["rating"]!["count"]!.GetValue<int>().ShouldBe(before);
    }

    [Fact]
    public async Task AnOwnerInstallsThroughTheGeneratedFormAndRefusedFieldsAreExplainedWithoutEchoingSecrets()
    {
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        using var browser = await SignedInAsync(node, owner.Email);
        var page = await browser.GetAsync(Marketplace + "/custom_http");
        page.Html.ShouldContain("id=\"cfg-url\" type=\"url\" name=\"config.url\"");
        page.Html.ShouldContain("id=\"cfg-bearerToken\" type=\"password\"");
        page.Html.ShouldContain("<option value=\"POST\" selected");
        var token = FormToken(page);
        const string secret = "tok-never-echoed-77";

        var refused = await browser.PostAsync(Marketplace + "/custom_http", ("_handler", "install"), ("csrf", token), ("name", "Ops"), ("config.url", "not a url"),
            ("config.method", "POST"), ("config.authType", "bearer"), ("config.bearerToken", secret), ("config.apiKeyHeader", "bad header!"));
        refused.Status.ShouldBe(HttpStatusCode.BadRequest);
        refused.Html.ShouldContain("id=\"config.url-error\"");
        refused.Html.ShouldContain("id=\"config.apiKeyHeader-error\"");
        refused.Html.ShouldContain("value=\"not a url\"");
        refused.Html.ShouldNotContain(secret);
        (await api.GetJsonAsync("/api/v1/integrations"))["data"]!.AsArray().ShouldBeEmpty();

        // A whole number that is not one is explained before the API is asked (HubSpot's sync interval).
        var unreadable = await browser.PostAsync(Marketplace + "/hubspot", ("_handler", "install"), ("csrf", token), ("config.syncIntervalSeconds", "ten"));
        unreadable.Status.ShouldBe(HttpStatusCode.BadRequest);
        unreadable.Html.ShouldContain("id=\"config.syncIntervalSeconds-error\"");

        var installed = await browser.PostAsync(Marketplace + "/custom_http", ("_handler", "install"), ("csrf", token), ("name", "Ops hook"),
            ("config.url", "https://hooks.example.com/crm"), ("config.method", "PUT"), ("config.authType", "bearer"), ("config.bearerToken", secret),
            ("config.headers", "{\"X-Env\": \"test\"}"));
        ((int)installed.Status).ShouldBeInRange(300, 399, installed.Html);
        var id = InstallationIdIn(installed.Location);
        installed.Location.ShouldEndWith("?installed=true");
        var created = await api.GetJsonAsync($"/api/v1/integrations/{id}");
        created["name"]!.GetValue<string>().ShouldBe("Ops hook");
        created["config"]!["method"]!.GetValue<string>().ShouldBe("PUT");
        created["config"]!["headers"]!["X-Env"]!.GetValue<string>().ShouldBe("test");
        created["credentialsSet"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldBe(["bearerToken"]);
        created["status"]!.GetValue<string>().ShouldBe("active");

        var shown = await browser.GetAsync(installed.Location!);
        shown.Status.ShouldBe(HttpStatusCode.OK);
        shown.Html.ShouldContain("Installed.");
        shown.Html.ShouldContain("set (never shown)");
        shown.Html.ShouldNotContain(secret);
        var list = await browser.GetAsync("/dashboard/integrations");
        list.Html.ShouldContain($"href=\"/dashboard/integrations/{id}\">Ops hook</a>");
    }

    [Fact]
    public async Task TestConnectionSyncAndConnectPerformTheApiOperationsAndExplainRefusals()
    {
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        using var browser = await SignedInAsync(node, owner.Email);

        // An OAuth provider waiting to be connected: sync is refused with the API's reason, not a 500.
        var chat = (await api.InstallChatAsync())["id"]!.GetValue<string>();
        var path = $"/dashboard/integrations/{chat}";
        var page = await browser.GetAsync(path);
        page.Html.ShouldContain("Waiting to be connected");
        page.Html.ShouldContain("Connect to Test Chat");
        var token = FormToken(page);
        var sync = await browser.PostAsync(path, ("_handler", "sync"), ("csrf", token));
        sync.Status.ShouldBe(HttpStatusCode.Conflict);
        sync.Html.ShouldContain("connect it first");

        // Connect: the browser is sent to the provider's authorize URL (allowed by form-action for that redirect only),
        // and the provider's callback brings it back to this page.
        var connect = await browser.PostAsync($"{path}?returnUrl={Uri.EscapeDataString(path)}", ("_handler", "connect"), ("csrf", token));
        ((int)connect.Status).ShouldBeInRange(300, 399, connect.Html);
        connect.Location!.ShouldStartWith(node.Fake.BaseUrl + "/oauth/authorize?");
        connect.Response.Headers.GetValues("Content-Security-Policy").Single().ShouldContain("form-action 'self' " + node.Fake.BaseUrl);
        var callback = new Uri(node.Fake.Approve(connect.Location!));
        var back = await browser.GetAsync(callback.PathAndQuery);
        back.Status.ShouldBe(HttpStatusCode.SeeOther);
        back.Location.ShouldBe($"{path}?integration={chat}&connected=true");
        var connected = await browser.GetAsync(back.Location!);
        connected.Html.ShouldContain("Connected to Test Chat.");
        connected.Html.ShouldContain("id=\"installation-status\">Active</span>");
        (await api.GetJsonAsync($"/api/v1/integrations/{chat}"))["connected"]!.GetValue<bool>().ShouldBeTrue();

        // Test connection: one real call to the fake, its answer shown.
        var tested = await browser.PostAsync(path, ("_handler", "test"), ("csrf", token));
        tested.Status.ShouldBe(HttpStatusCode.OK, tested.Html);
        tested.Html.ShouldContain("The connection works.");
        node.Fake.Http.Requests.ShouldContain(r => r.Path == "/v1/me");

        // Sync now queues a run of every model, listed with its counts.
        var queued = await browser.PostAsync(path, ("_handler", "sync"), ("csrf", token));
        queued.Status.ShouldBe(HttpStatusCode.OK, queued.Html);
        queued.Html.ShouldContain("Sync queued: members.");
        queued.Html.ShouldMatch("<tr id=\"syr_[0-9A-Za-z]+\">\\s*<td>members</td>\\s*<td>manual</td>");

        // A key-based provider has nothing to connect: the API's refusal is shown.
        var ledger = (await api.InstallAsync(new { provider = "test_key", config = new { account = "acme", apiKey = "tk_wrong_key_0000" } }))["id"]!.GetValue<string>();
        var ledgerPage = await browser.GetAsync($"/dashboard/integrations/{ledger}");
        ledgerPage.Html.ShouldNotContain("id=\"connect-form\"");
        ((int)(await browser.PostAsync($"/dashboard/integrations/{ledger}?returnUrl=%2Fdashboard", ("_handler", "connect"), ("csrf", token))).Status).ShouldBeInRange(400, 499);
        (await api.GetJsonAsync($"/api/v1/integrations/{ledger}"))["connected"]!.GetValue<bool>().ShouldBeFalse();
        var failing = await browser.PostAsync($"/dashboard/integrations/{ledger}", ("_handler", "test"), ("csrf", token));
        failing.Html.ShouldContain("The connection test failed.");
        failing.Html.ShouldContain("The API key is not valid.");
    }

    [Fact]
    public async Task TheRulesEditorCreatesChangesAndDeletesRulesAndExplainsRefusals()
    {
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        var id = await InstallCustomHttpAsync(api);
        using var browser = await SignedInAsync(node, owner.Email);
        var path = $"/dashboard/integrations/{id}";
        var token = FormToken(await browser.GetAsync(path));

        var badJson = await browser.PostAsync(path, ("_handler", "create-rule"), ("csrf", token), ("events", "lead.created"), ("action", "send_request"),
            ("input", "{\"method\": "), ("isActive", "true"));
        badJson.Status.ShouldBe(HttpStatusCode.BadRequest);
        badJson.Html.ShouldContain("id=\"input-error\"");
        badJson.Html.ShouldContain("{&quot;method&quot;: </textarea>"); // kept as typed
        var badEvent = await browser.PostAsync(path, ("_handler", "create-rule"), ("csrf", token), ("events", "lead.exploded"), ("action", "send_request"),
            ("input", "{}"), ("isActive", "true"));
        badEvent.Status.ShouldBe(HttpStatusCode.BadRequest);
        badEvent.Html.ShouldContain("id=\"events-error\"");
        badEvent.Html.ShouldContain("Unknown event type");
        var badInput = await browser.PostAsync(path, ("_handler", "create-rule"), ("csrf", token), ("events", "lead.created"), ("action", "send_request"),
            ("input", "{\"method\": \"TELEPORT\"}"), ("isActive", "true"));
        badInput.Status.ShouldBe(HttpStatusCode.BadRequest);
        badInput.Html.ShouldContain("id=\"input-error\""); // the input's own fields' messages (input.method) under the input

        var created = await browser.PostAsync(path, ("_handler", "create-rule"), ("csrf", token), ("events", "lead.created, deal.won"), ("action", "send_request"),
            ("input", "{\"method\": \"PUT\"}"), ("isActive", "true"));
        created.Status.ShouldBe(HttpStatusCode.Created, created.Html);
        Text(created).ShouldContain("The rule was added: lead.created, deal.won → send_request.");
        var rule = (await api.GetJsonAsync($"/api/v1/integrations/{id}/rules"))["data"]!.AsArray().Single()!;
        var ruleId = rule["id"]!.GetValue<string>();
        rule["input"]!["method"]!.GetValue<string>().ShouldBe("PUT");
        rule["isActive"]!.GetValue<bool>().ShouldBeTrue();

        // Its page changes it (PATCH): disabled, another event.
        var rulePath = $"{path}/rules/{ruleId}";
        var edit = await browser.GetAsync(rulePath);
        edit.Html.ShouldContain("value=\"lead.created, deal.won\"");
        var saved = await browser.PostAsync(rulePath, ("_handler", "update-rule"), ("csrf", token), ("events", "ticket.created"), ("action", "send_request"), ("input", "{}"));
        saved.Status.ShouldBe(HttpStatusCode.OK, saved.Html);
        saved.Html.ShouldContain("The rule was saved.");
        var changed = await api.GetJsonAsync($"/api/v1/integrations/{id}/rules/{ruleId}");
        changed["isActive"]!.GetValue<bool>().ShouldBeFalse();
        changed["events"]!.AsArray().Select(e => e!.GetValue<string>()).ShouldBe(["ticket.created"]);
        (await browser.PostAsync(rulePath, ("_handler", "update-rule"), ("csrf", token), ("events", "ticket.created"), ("action", "explode"), ("input", "{}")))
            .Html.ShouldContain("id=\"action-error\"");

        var deleted = await browser.PostAsync(path, ("_handler", "delete-rule"), ("csrf", token), ("ruleId", ruleId));
        deleted.Html.ShouldContain("The rule was deleted.");
        (await api.GetJsonAsync($"/api/v1/integrations/{id}/rules"))["data"]!.AsArray().ShouldBeEmpty();
        (await browser.PostAsync(path, ("_handler", "delete-rule"), ("csrf", token), ("ruleId", "rul_nonsense"))).Status.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task UninstallingAsksFirstThenRemovesTheInstallationAndItsRules()
    {
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        var id = await InstallCustomHttpAsync(api);
        await ActionsTestKit.CreateRuleAsync(api, id, new { events = new[] { "lead.created" }, action = "send_request", input = new { } });
        using var browser = await SignedInAsync(node, owner.Email);

        (await browser.GetAsync($"/dashboard/integrations/{id}")).Html.ShouldContain($"href=\"/dashboard/integrations/{id}/uninstall\"");
        var confirm = await browser.GetAsync($"/dashboard/integrations/{id}/uninstall");
        confirm.Status.ShouldBe(HttpStatusCode.OK);
        confirm.Html.ShouldContain("Uninstall Ops hook?");
        confirm.Html.ShouldContain("delete its rule and their action runs");
        (await api.GetAsync($"/api/v1/integrations/{id}")).StatusCode.ShouldBe(HttpStatusCode.OK); // asking changed nothing

        var done = await browser.PostAsync($"/dashboard/integrations/{id}/uninstall", ("_handler", "uninstall"), ("csrf", FormToken(confirm)));
        ((int)done.Status).ShouldBeInRange(300, 399, done.Html);
        done.Location!.ShouldEndWith("/dashboard/integrations?uninstalled=true");
        (await api.GetAsync($"/api/v1/integrations/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await browser.GetAsync(done.Location!)).Html.ShouldContain("The integration was uninstalled.");
        (await browser.GetAsync($"/dashboard/integrations/{id}")).Status.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AViewerSeesNoWriteControlsAndForgedPostsAreRefused()
    {
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        var id = await InstallCustomHttpAsync(api);
        var ruleId = await ActionsTestKit.CreateRuleAsync(api, id, new { events = new[] { "lead.created" }, action = "send_request", input = new { } });
        var viewer = await NewMemberAsync(node, owner.OrganizationId, "viewer");
        using var browser = await SignedInAsync(node, viewer.Email);

        foreach (var path in new[] { "/dashboard/integrations", $"/dashboard/integrations/{id}", $"/dashboard/integrations/{id}/rules/{ruleId}", Marketplace, Marketplace + "/custom_http" })
        {
            var page = await browser.GetAsync(path);
            page.Status.ShouldBe(HttpStatusCode.OK, path);
            MainPart(page).ShouldNotContain("method=\"post\"", Case.Insensitive, path);
            MainPart(page).ShouldNotContain("name=\"csrf\"", Case.Insensitive, path);
        }
        (await browser.GetAsync($"/dashboard/integrations/{id}")).Html.ShouldContain("Ops hook");
        (await browser.GetAsync($"/dashboard/integrations/{id}/uninstall")).Status.ShouldBe(HttpStatusCode.Forbidden);

        // A valid form token of the viewer's own session: still refused by role, and nothing changes.
        var token = node.Services.GetRequiredService<FormTokens>().For(browser.Cookie("sb_session")!, "dashboard");
        var reviews = (await api.GetJsonAsync("/api/v1/integrations/providers/custom_http"))["rating"]!["count"]!.GetValue<int>();
        foreach (var (path, fields) in new (string, (string, string)[])[]
                 {
                     ($"/dashboard/integrations/{id}", [("_handler", "test")]),
                     ($"/dashboard/integrations/{id}", [("_handler", "delete-rule"), ("ruleId", ruleId)]),
                     ($"/dashboard/integrations/{id}", [("_handler", "create-rule"), ("events", "lead.created"), ("action", "send_request"), ("input", "{}")]),
                     ($"/dashboard/integrations/{id}/uninstall", [("_handler", "uninstall")]),
                     ($"/dashboard/integrations/{id}/rules/{ruleId}", [("_handler", "delete-rule")]),
                     (Marketplace + "/custom_http", [("_handler", "install"), ("config.url", "https://evil.example.com/")]),
                     (Marketplace + "/custom_http", [("_handler", "review"), ("rating", "1")]),
                 })
        {
            var forged = await browser.PostAsync(path, [("csrf", token), .. fields]);
            forged.Status.ShouldBe(HttpStatusCode.Forbidden, path);
            forged.Html.ShouldContain("integrations:write");
        }
        (await api.GetJsonAsync("/api/v1/integrations"))["data"]!.AsArray().Count.ShouldBe(1);
        (await api.GetJsonAsync($"/api/v1/integrations/{id}/rules"))["data"]!.AsArray().Count.ShouldBe(1);
        (await api.GetJsonAsync("/api/v1/integrations/providers/custom_http"))["rating"]!["count"]!.GetValue<int>().ShouldBe(reviews);
    }

    [Fact]
    public async Task AnotherTenantsInstallationIsNotFoundAndCannotBeTouched()
    {
        var (owner, api) = await NewOrganizationAsync(node, "Acme Corporation");
        using var _ = api;
        var id = await InstallCustomHttpAsync(api);
        var ruleId = await ActionsTestKit.CreateRuleAsync(api, id, new { events = new[] { "lead.created" }, action = "send_request", input = new { } });
        var (stranger, strangerApi) = await NewOrganizationAsync(node, "Umbrella");
        using var __ = strangerApi;
        using var browser = await SignedInAsync(node, stranger.Email);
        var token = FormToken(await browser.GetAsync(Marketplace + "/custom_http"));

        foreach (var path in new[] { $"/dashboard/integrations/{id}", $"/dashboard/integrations/{id}/rules/{ruleId}", $"/dashboard/integrations/{id}/uninstall" })
        {
            var page = await browser.GetAsync(path);
            page.Status.ShouldBe(HttpStatusCode.NotFound, path);
            page.Html.ShouldContain("There is nothing at this address");
            page.Html.ShouldNotContain("Ops hook");
        }
        (await browser.GetAsync("/dashboard/integrations")).Html.ShouldNotContain(id);
        // A page that found nothing renders no form, so a form posted to it anyway is refused before any handler runs.
        foreach (var (path, handler) in new[] { ($"/dashboard/integrations/{id}/uninstall", "uninstall"), ($"/dashboard/integrations/{id}/rules/{ruleId}", "delete-rule"), ($"/dashboard/integrations/{id}", "test") })
        {
            var forged = await browser.PostAsync(path, ("_handler", handler), ("csrf", token));
            forged.Status.ShouldBe(HttpStatusCode.BadRequest, path);
            forged.Html.ShouldNotContain("Ops hook");
            forged.Html.ShouldContain("Nothing was changed.");
        }
        (await api.GetAsync($"/api/v1/integrations/{id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await api.GetJsonAsync($"/api/v1/integrations/{id}/rules"))["data"]!.AsArray().Count.ShouldBe(1);

        // Ids that are not ids at all are the same 404, never a 500.
        foreach (var path in new[] { "/dashboard/integrations/not-an-id", "/dashboard/integrations/ins_%27%22", $"/dashboard/integrations/{id}/rules/nonsense" })
            (await browser.GetAsync(path)).Status.ShouldBe(HttpStatusCode.NotFound, path);
    }
}

public sealed class IntegrationPagesTestsOnSqlite(IntegrationSqliteNode node) : IntegrationPagesTests<IntegrationSqliteNode>(node);
public sealed class IntegrationPagesTestsOnPostgres(IntegrationPostgresNode node) : IntegrationPagesTests<IntegrationPostgresNode>(node);
