using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Platform.Security;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.OAuth;
using Switchboard.Webhooks;
using static Switchboard.Tests.Dashboard.DashboardTestSupport;

namespace Switchboard.Tests.Webhooks;

/// <summary>
/// Links to the embeddable webhook portal: minted, listed and revoked through <c>/api/v1/webhooks/portal-links</c> (admin
/// only, the token shown once and stored as its hash, bad input answered 400, each organization seeing its own), and the
/// webhook pages they open over plain HTTP: the headers that let only the link's origins frame them, the capabilities
/// (controls not rendered, forged forms refused), and the pages of an ended link.
/// </summary>
public abstract class PortalLinkTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    private const string Host = "https://crm.example.com";

    private static async Task<JsonObject> MintAsync(ApiClient api, object body)
    {
        var response = await api.PostAsync("/api/v1/webhooks/portal-links", body);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await ApiClient.ReadAsync(response);
    }

    /// <summary>The link's path on this node (the URL is absolute, on the node's own origin).</summary>
    private string PathOf(JsonObject link)
    {
        var url = new Uri(link["url"]!.GetValue<string>());
        url.GetLeftPart(UriPartial.Authority).ShouldBe(Dashboard.DashboardBrowser.Origin(node));
        return url.AbsolutePath;
    }

    [Fact]
    public async Task AnOwnerMintsALinkWhoseTokenIsShownOnceAndStoredOnlyAsItsHash()
    {
        var (_, api) = await NewOrganizationAsync(node);
        using var _ = api;
        var link = await MintAsync(api, new { capabilities = new[] { "manage_endpoints", "retry" }, allowedOrigins = new[] { "https://CRM.example.com", "http://localhost:5173" } });
        link["id"]!.GetValue<string>().ShouldStartWith("wpl_");
        link["capabilities"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldBe(["view", "manage_endpoints", "retry"]); // view implied
        link["allowedOrigins"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldBe(["https://crm.example.com", "http://localhost:5173"]);
        link["status"]!.GetValue<string>().ShouldBe("active");
        var expiresAt = link["expiresAt"]!.GetValue<DateTime>().ToUniversalTime();
        (expiresAt - node.Clock.GetUtcNow().UtcDateTime).TotalSeconds.ShouldBeInRange(3590, 3600); // the default hour
        var path = PathOf(link);
        path.ShouldStartWith("/embed/webhooks/sbwp_");
        var token = path["/embed/webhooks/".Length..];

        // At rest: the SHA-256 of the token, never the token.
        var id = link["id"]!.GetValue<string>();
        var row = await node.WithDbAsync(db => db.Set<WebhookPortalLink>().IgnoreQueryFilters().SingleAsync(l => l.Id == id));
        row.TokenHash.ShouldBe(SecretHash.Sha256Hex(token));
        row.TokenHash.ShouldNotContain(token);
        var stored = await node.WithDbAsync(async db =>
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            await db.Database.OpenConnectionAsync();
            command.CommandText = "SELECT token_hash, capabilities, allowed_origins FROM webhook_portal_links WHERE id = '" + id + "'";
            await using var reader = await command.ExecuteReaderAsync();
            (await reader.ReadAsync()).ShouldBeTrue();
            return $"{reader.GetString(0)}|{reader.GetString(1)}|{reader.GetString(2)}";
        });
        stored.ShouldNotContain(token);

        // Listed without the URL; the audit log has the mint.
        var listed = (await api.GetJsonAsync("/api/v1/webhooks/portal-links"))["data"]!.AsArray().Single()!.AsObject();
        listed["id"]!.GetValue<string>().ShouldBe(id);
        listed.ContainsKey("url").ShouldBeFalse();
        listed.ToJsonString().ShouldNotContain(token);
        var audit = (await api.GetJsonAsync("/api/v1/audit-logs?action=webhook.portal_link_created"))["data"]!.AsArray().Single()!;
        audit["targetId"]!.GetValue<string>().ShouldBe(id);
        audit.ToJsonString().ShouldNotContain(token);

        var longer = await MintAsync(api, new { allowedOrigins = new[] { Host }, expiresInSeconds = 86_400 });
        longer["capabilities"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldBe(["view"]);
        (longer["expiresAt"]!.GetValue<DateTime>().ToUniversalTime() - node.Clock.GetUtcNow().UtcDateTime).TotalHours.ShouldBeInRange(23.9, 24);
    }

    [Theory]
    [InlineData("capabilities", """{"capabilities":["admin"],"allowedOrigins":["https://crm.example.com"]}""")]
    [InlineData("capabilities", """{"capabilities":[null],"allowedOrigins":["https://crm.example.com"]}""")]
    [InlineData("allowedOrigins", """{"capabilities":["view"]}""")]
    [InlineData("allowedOrigins", """{"allowedOrigins":[]}""")]
    [InlineData("allowedOrigins", """{"allowedOrigins":["https://crm.example.com/settings"]}""")]
    [InlineData("allowedOrigins", """{"allowedOrigins":["https://crm.example.com/"]}""")]
    [InlineData("allowedOrigins", """{"allowedOrigins":["https://*.example.com"]}""")]
    [InlineData("allowedOrigins", """{"allowedOrigins":["*"]}""")]
    [InlineData("allowedOrigins", """{"allowedOrigins":["http://crm.example.com"]}""")]
    [InlineData("allowedOrigins", """{"allowedOrigins":["https://user:pw@crm.example.com"]}""")]
    [InlineData("allowedOrigins", """{"allowedOrigins":["crm.example.com"]}""")]
    [InlineData("allowedOrigins", """{"allowedOrigins":["javascript:alert(1)"]}""")]
    [InlineData("allowedOrigins", """{"allowedOrigins":["https://crm.example.com?x=1"]}""")]
    [InlineData("allowedOrigins", """{"allowedOrigins":["https://crm.example.com:443"]}""")]
    [InlineData("allowedOrigins", """{"allowedOrigins":[null]}""")]
    [InlineData("expiresInSeconds", """{"allowedOrigins":["https://crm.example.com"],"expiresInSeconds":86401}""")]
    [InlineData("expiresInSeconds", """{"allowedOrigins":["https://crm.example.com"],"expiresInSeconds":0}""")]
    public async Task BadInputIsAValidationProblemAndMintsNothing(string field, string body)
    {
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        var response = await api.SendRawAsync(HttpMethod.Post, "/api/v1/webhooks/portal-links", body);
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        problem["errors"]!.AsObject().ContainsKey(field).ShouldBeTrue(problem.ToJsonString());
        (await node.WithDbAsync(db => db.Set<WebhookPortalLink>().IgnoreQueryFilters().CountAsync(l => l.OrganizationId == owner.OrganizationId))).ShouldBe(0);
    }

    [Fact]
    public async Task OnlyAdminCredentialsMintListOrRevokeLinks()
    {
        var (_, api) = await NewOrganizationAsync(node);
        using var _ = api;
        var link = await MintAsync(api, new { allowedOrigins = new[] { Host } });
        var writer = node.Client().WithApiKey((await api.CreateKeyAsync("webhooks:write"))["key"]!.GetValue<string>());
        using var __ = writer;
        await (await writer.PostAsync("/api/v1/webhooks/portal-links", new { allowedOrigins = new[] { Host } })).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        await (await writer.GetAsync("/api/v1/webhooks/portal-links")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        await (await writer.DeleteAsync($"/api/v1/webhooks/portal-links/{link["id"]}")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        await (await node.Client().PostAsync("/api/v1/webhooks/portal-links", new { allowedOrigins = new[] { Host } })).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");

        var admin = node.Client().WithApiKey((await api.CreateKeyAsync("admin"))["key"]!.GetValue<string>());
        using var ___ = admin;
        (await admin.PostAsync("/api/v1/webhooks/portal-links", new { allowedOrigins = new[] { Host } })).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task AnotherOrganizationNeitherSeesNorRevokesALinkAndALinkShowsOnlyItsOrganizationsEndpoints()
    {
        var (_, api) = await NewOrganizationAsync(node, "Acme Corporation");
        var (_, other) = await NewOrganizationAsync(node, "Globex");
        using var _ = api;
        using var __ = other;
        (await api.PostAsync("/api/v1/webhooks", new { url = "https://hooks.example.com/acme", events = new[] { "*" }, name = "Acme hook" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var theirs = await ApiClient.ReadAsync(await other.PostAsync("/api/v1/webhooks", new { url = "https://hooks.example.com/globex", events = new[] { "*" }, name = "Globex hook" }));
        var link = await MintAsync(api, new { allowedOrigins = new[] { Host } });
        var id = link["id"]!.GetValue<string>();

        (await other.GetJsonAsync("/api/v1/webhooks/portal-links"))["data"]!.AsArray().ShouldBeEmpty();
        await (await other.DeleteAsync($"/api/v1/webhooks/portal-links/{id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await api.DeleteAsync("/api/v1/webhooks/portal-links/wpl_nothing")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");

        using var browser = new FormBrowser(node);
        var path = PathOf(link);
        var list = await browser.GetAsync(path);
        list.Status.ShouldBe(HttpStatusCode.OK, list.Html);
        list.Html.ShouldContain("Acme hook");
        list.Html.ShouldContain("Acme Corporation");
        list.Html.ShouldNotContain("Globex");
        (await browser.GetAsync($"{path}/{theirs["id"]}")).Status.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task EmbedPagesMayBeFramedOnlyByTheLinksOriginsAndKeepTheLinksPrefix()
    {
        var (_, api) = await NewOrganizationAsync(node);
        using var _ = api;
        var hook = await ApiClient.ReadAsync(await api.PostAsync("/api/v1/webhooks", new { url = "https://hooks.example.com/in", events = new[] { "*" }, name = "CRM sync" }));
        var link = await MintAsync(api, new { allowedOrigins = new[] { Host, "http://127.0.0.1:8080" } });
        var path = PathOf(link);
        using var browser = new FormBrowser(node);
        foreach (var page in new[] { path, $"{path}/{hook["id"]}", $"{path}/events" })
        {
            var answer = await browser.GetAsync(page);
            answer.Status.ShouldBe(HttpStatusCode.OK, answer.Html);
            var csp = answer.Response.Headers.GetValues("Content-Security-Policy").Single();
            csp.ShouldContain($"frame-ancestors {Host} http://127.0.0.1:8080");
            csp.ShouldNotContain("frame-ancestors 'none'");
            csp.ShouldContain("default-src 'none'"); // the rest as the dashboard's
            answer.Response.Headers.Contains("X-Frame-Options").ShouldBeFalse();
            answer.Response.Headers.GetValues("Referrer-Policy").Single().ShouldBe("no-referrer");
            answer.Response.Headers.CacheControl!.NoStore.ShouldBeTrue();
            // No dashboard navigation and no link out of the portal.
            answer.Html.ShouldNotContain("class=\"side\"");
            System.Text.RegularExpressions.Regex.IsMatch(answer.Html, "<a [^>]*href=\"/dashboard").ShouldBeFalse(page);
        }
        var list = await browser.GetAsync(path);
        list.Html.ShouldContain($"href=\"{path}/{hook["id"]}\"");
        list.Html.ShouldContain($"href=\"{path}/events\"");

        // The dashboard itself is still framed by nobody.
        var dashboard = await browser.GetAsync("/dashboard/webhooks");
        dashboard.Response.Headers.GetValues("X-Frame-Options").Single().ShouldBe("DENY");
    }

    [Fact]
    public async Task AViewOnlyLinkRendersNoWriteControlsAndRefusesForgedForms()
    {
        var (owner, api) = await NewOrganizationAsync(node);
        using var _ = api;
        var hook = await ApiClient.ReadAsync(await api.PostAsync("/api/v1/webhooks", new { url = "https://hooks.example.com/in", events = new[] { "*" } }));
        var hookId = hook["id"]!.GetValue<string>();
        var link = await MintAsync(api, new { capabilities = new[] { "view" }, allowedOrigins = new[] { Host } });
        var path = PathOf(link);
        using var browser = new FormBrowser(node);
        var list = await browser.GetAsync(path);
        list.Html.ShouldNotContain("create-title");
        list.Html.ShouldNotContain("method=\"post\"");
        var page = await browser.GetAsync($"{path}/{hookId}");
        page.Status.ShouldBe(HttpStatusCode.OK);
        page.Html.ShouldNotContain("method=\"post\"");
        page.Html.ShouldNotContain("Rotate secret");
        page.Html.ShouldContain("id=\"delivery-log\"");

        // Forged forms, with a valid form token of this link: refused before anything runs.
        var token = PortalFormToken.For(node, link);
        var create = await browser.PostAsync(path, ("_handler", "create-webhook"), ("csrf", token), ("url", "https://hooks.example.com/forged"), ("events", "*"));
        create.Status.ShouldBe(HttpStatusCode.Forbidden, create.Html);
        create.Html.ShouldContain("does not allow manage endpoints");
        var rotate = await browser.PostAsync($"{path}/{hookId}", ("_handler", "rotate"), ("csrf", token));
        rotate.Status.ShouldBe(HttpStatusCode.Forbidden);
        rotate.Html.ShouldNotContain("whsec_");
        (await browser.PostAsync($"{path}/{hookId}", ("_handler", "toggle"), ("csrf", token))).Status.ShouldBe(HttpStatusCode.Forbidden);
        (await api.GetJsonAsync($"/api/v1/webhooks/{hookId}"))["isActive"]!.GetValue<bool>().ShouldBeTrue();
        (await node.WithDbAsync(db => db.Set<WebhookEndpoint>().IgnoreQueryFilters().CountAsync(w => w.OrganizationId == owner.OrganizationId))).ShouldBe(1);
    }

    [Fact]
    public async Task CapabilitiesOpenOnlyTheirOwnControlsAndFormsNeedTheLinksFormToken()
    {
        var (_, api) = await NewOrganizationAsync(node);
        using var _ = api;
        var hook = await ApiClient.ReadAsync(await api.PostAsync("/api/v1/webhooks", new { url = "https://hooks.example.com/in", events = new[] { "*" } }));
        var hookId = hook["id"]!.GetValue<string>();
        var link = await MintAsync(api, new { capabilities = new[] { "secrets" }, allowedOrigins = new[] { Host } });
        var path = PathOf(link);
        using var browser = new FormBrowser(node);
        var page = await browser.GetAsync($"{path}/{hookId}");
        page.Html.ShouldContain("id=\"rotate-form\"");
        page.Html.ShouldNotContain("id=\"toggle-form\"");
        page.Html.ShouldNotContain("id=\"retry-form\"");
        page.Html.ShouldNotContain("id=\"replay-form\"");
        var token = FormToken(page);

        // Another link's form token, or none, is not this link's.
        var otherLink = await MintAsync(api, new { capabilities = new[] { "secrets" }, allowedOrigins = new[] { Host } });
        var otherToken = PortalFormToken.For(node, otherLink);
        (await browser.PostAsync($"{path}/{hookId}", ("_handler", "rotate"), ("csrf", otherToken))).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await browser.PostAsync($"{path}/{hookId}", ("_handler", "rotate"))).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await browser.PostAsync($"{path}/{hookId}", ("_handler", "replay"), ("csrf", token), ("since", "2026-01-01T00:00"))).Status.ShouldBe(HttpStatusCode.Forbidden);

        var rotated = await browser.PostAsync($"{path}/{hookId}", ("_handler", "rotate"), ("csrf", token));
        rotated.Status.ShouldBe(HttpStatusCode.OK, rotated.Html);
        rotated.Html.ShouldContain("The secret was rotated");
        // The audit log names the link as the actor.
        var entry = (await api.GetJsonAsync("/api/v1/audit-logs?action=webhook.secret_rotated"))["data"]!.AsArray().Single()!;
        entry["actorType"]!.GetValue<string>().ShouldBe("webhook_portal_link");
        entry["actorId"]!.GetValue<string>().ShouldBe(link["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task ARevokedOrExpiredLinkAnswersAClearPageAndAnUnknownOneIsNotFound()
    {
        var (_, api) = await NewOrganizationAsync(node);
        using var _ = api;
        var revoked = await MintAsync(api, new { allowedOrigins = new[] { Host } });
        var expired = await MintAsync(api, new { allowedOrigins = new[] { Host } });
        using var browser = new FormBrowser(node);
        (await browser.GetAsync(PathOf(revoked))).Status.ShouldBe(HttpStatusCode.OK);

        (await api.DeleteAsync($"/api/v1/webhooks/portal-links/{revoked["id"]}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await api.DeleteAsync($"/api/v1/webhooks/portal-links/{revoked["id"]}")).StatusCode.ShouldBe(HttpStatusCode.NoContent); // again: nothing more to do
        var gone = await browser.GetAsync(PathOf(revoked));
        gone.Status.ShouldBe(HttpStatusCode.Gone);
        gone.Html.ShouldContain("was revoked");
        gone.Response.Headers.GetValues("Content-Security-Policy").Single().ShouldContain($"frame-ancestors {Host}"); // shown in place
        (await api.GetJsonAsync("/api/v1/audit-logs?action=webhook.portal_link_revoked"))["data"]!.AsArray().Single()!["targetId"]!.GetValue<string>()
            .ShouldBe(revoked["id"]!.GetValue<string>());
        (await browser.PostAsync(PathOf(revoked), ("_handler", "create-webhook"))).Status.ShouldBe(HttpStatusCode.Gone);

        var expiredId = expired["id"]!.GetValue<string>();
        await node.WithDbAsync(db => db.Set<WebhookPortalLink>().IgnoreQueryFilters().Where(l => l.Id == expiredId)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAt, node.Clock.GetUtcNow().UtcDateTime.AddSeconds(-1))));
        var ended = await browser.GetAsync(PathOf(expired) + "/events");
        ended.Status.ShouldBe(HttpStatusCode.Gone);
        ended.Html.ShouldContain("has expired");
        var statuses = (await api.GetJsonAsync("/api/v1/webhooks/portal-links"))["data"]!.AsArray().ToDictionary(l => l!["id"]!.GetValue<string>(), l => l!["status"]!.GetValue<string>());
        statuses[expiredId].ShouldBe("expired");
        statuses[revoked["id"]!.GetValue<string>()].ShouldBe("revoked");

        var unknown = await browser.GetAsync("/embed/webhooks/sbwp_" + new string('A', 43));
        unknown.Status.ShouldBe(HttpStatusCode.NotFound);
        unknown.Response.Headers.GetValues("Content-Security-Policy").Single().ShouldContain("frame-ancestors 'none'");
        (await browser.GetAsync("/embed/webhooks/nonsense")).Status.ShouldBe(HttpStatusCode.NotFound);
    }
}

/// <summary>The form token a page of a portal link carries, computed as the node does (for forged posts).</summary>
internal static class PortalFormToken
{
    public static string For(SwitchboardFactory node, JsonObject link)
    {
        var token = new Uri(link["url"]!.GetValue<string>()).AbsolutePath["/embed/webhooks/".Length..];
        return node.Services.GetRequiredService<Switchboard.OAuth.Browser.FormTokens>()
            .For(SecretHash.Sha256Hex(token), Switchboard.Dashboard.DashboardSession.PortalFormPurpose);
    }
}

public sealed class PortalLinkTestsOnSqlite(SqliteSwitchboard node) : PortalLinkTests<SqliteSwitchboard>(node);
public sealed class PortalLinkTestsOnPostgres(PostgresSwitchboard node) : PortalLinkTests<PostgresSwitchboard>(node);
