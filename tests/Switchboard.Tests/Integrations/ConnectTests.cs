using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Switchboard.Integrations;
using Switchboard.Integrations.Connections;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Integrations.TestProviders;

namespace Switchboard.Tests.Integrations;

/// <summary>OAuth connections to a provider: the authorize URL, the callback, the state's protection, refresh and its failure.</summary>
public abstract class ConnectTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory, IIntegrationNode
{
    private const string Base = IntegrationSteps.Base;

    private static async Task<HttpResponseMessage> BrowserAsync(ApiClient client, string url)
    {
        using var browser = client.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url).PathAndQuery);
        request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"); // what a browser sends
        return await browser.Http.SendAsync(request);
    }

    [Fact]
    public async Task ConnectingExchangesTheCodeWithPkceAndStoresTheTokensEncrypted()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var created = await owner.InstallChatAsync();
        var id = created["id"]!.GetValue<string>();
        created["status"]!.GetValue<string>().ShouldBe("pending_auth");
        created["connected"]!.GetValue<bool>().ShouldBeFalse();

        var grantsBefore = node.Fake.CodeGrants;
        var connect = await owner.GetJsonAsync($"{Base}/{id}/connect");
        var authorize = connect["authorizeUrl"]!.GetValue<string>();
        connect["expiresAt"]!.GetValue<DateTime>().ShouldBeGreaterThan(DateTime.UtcNow);
        var query = QueryHelpers.ParseQuery(new Uri(authorize).Query);
        query["client_id"].ToString().ShouldBe(FakeOAuthProvider.ClientId);
        new Uri(query["redirect_uri"].ToString()).AbsolutePath.ShouldBe("/api/v1/integrations/oauth/callback");
        authorize.ShouldNotContain(FakeOAuthProvider.ClientSecret);
        authorize.ShouldNotContain("code_verifier");

        var callback = node.Fake.Approve(authorize);
        var page = await BrowserAsync(owner, callback);
        var html = await page.Content.ReadAsStringAsync();
        page.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        page.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        html.ShouldContain("Connected to Test Chat");
        html.ShouldContain("close this window");
        page.Headers.CacheControl!.NoStore.ShouldBeTrue();
        node.Fake.CodeGrants.ShouldBe(grantsBefore + 1);

        var installed = await owner.GetJsonAsync($"{Base}/{id}");
        installed["status"]!.GetValue<string>().ShouldBe("active");
        installed["connected"]!.GetValue<bool>().ShouldBeTrue();
        var token = node.Fake.CurrentAccessToken!;
        var row = await node.RowAsync(id);
        row.TokensEncrypted.ShouldNotBeNull();
        row.TokensEncrypted.ShouldNotContain(token);
        row.TokenExpiresAt.ShouldNotBeNull();
        installed.ToJsonString().ShouldNotContain(token);
        var refresh = node.Fake.CurrentRefreshToken!;
        row.TokensEncrypted.ShouldNotContain(refresh);
        installed.ToJsonString().ShouldNotContain(refresh);
        // Neither the tokens nor the operator's client secret reach the node's logs.
        foreach (var secret in (string[])[token, refresh, FakeOAuthProvider.ClientSecret])
            node.Logs.Lines.ShouldNotContain(l => l.Contains(secret, StringComparison.Ordinal), secret);

        // The tokens work: the provider's API takes them.
        (await ApiClient.ReadAsync(await owner.PostAsync($"{Base}/{id}/test", null)))["success"]!.GetValue<bool>().ShouldBeTrue();
        // The code is single use at the provider: the same callback again fails and changes nothing.
        (await BrowserAsync(owner, callback)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await owner.GetJsonAsync($"{Base}/{id}"))["status"]!.GetValue<string>().ShouldBe("active");
        node.Fake.Http.AssertNoViolations();
    }

    [Fact]
    public async Task AnAlteredOrExpiredStateIsRefused()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var id = (await owner.InstallChatAsync())["id"]!.GetValue<string>();
        var callback = node.Fake.Approve((await owner.GetJsonAsync($"{Base}/{id}/connect"))["authorizeUrl"]!.GetValue<string>());
        var grants = node.Fake.CodeGrants;
        var state = QueryHelpers.ParseQuery(new Uri(callback).Query)["state"].ToString();
        var code = QueryHelpers.ParseQuery(new Uri(callback).Query)["code"].ToString();

        // One character changed anywhere: AES-GCM's tag fails.
        var altered = state[..10] + (state[10] == 'A' ? 'B' : 'A') + state[11..];
        var tampered = await BrowserAsync(owner, $"http://x{ConnectApi.CallbackPath}?code={code}&state={altered}");
        tampered.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await tampered.Content.ReadAsStringAsync()).ShouldContain("not valid");
        (await BrowserAsync(owner, $"http://x{ConnectApi.CallbackPath}?code={code}")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        // Not a browser: a problem, not a page.
        using (var script = owner.Anonymous())
            await (await script.GetAsync($"{ConnectApi.CallbackPath}?code={code}&state={altered}")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "bad_request");
        node.Fake.CodeGrants.ShouldBe(grants); // nothing reached the provider

        node.Clock.Advance(TimeSpan.FromMinutes(11)); // the state lives 10 minutes
        try
        {
            var expired = await BrowserAsync(owner, callback);
            expired.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        }
        finally { node.Clock.Advance(TimeSpan.FromMinutes(-11)); }
        (await owner.GetJsonAsync($"{Base}/{id}"))["status"]!.GetValue<string>().ShouldBe("pending_auth");
        node.Fake.CodeGrants.ShouldBe(grants);
    }

    [Fact]
    public async Task ARefusalAtTheProviderLeavesTheInstallationPendingAndAReturnUrlGetsTheOutcome()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var id = (await owner.InstallChatAsync())["id"]!.GetValue<string>();
        var denied = await BrowserAsync(owner, node.Fake.Approve((await owner.GetJsonAsync($"{Base}/{id}/connect"))["authorizeUrl"]!.GetValue<string>(), error: "access_denied"));
        denied.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await denied.Content.ReadAsStringAsync()).ShouldContain("was not granted");
        (await owner.GetJsonAsync($"{Base}/{id}"))["status"]!.GetValue<string>().ShouldBe("pending_auth");

        // Not a local path: refused before anything (no open redirect).
        await (await owner.GetAsync($"{Base}/{id}/connect?returnUrl=" + Uri.EscapeDataString("//evil.example/x"))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        await (await owner.GetAsync($"{Base}/{id}/connect?returnUrl=" + Uri.EscapeDataString("https://evil.example/"))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");

        var withReturn = (await owner.GetJsonAsync($"{Base}/{id}/connect?returnUrl=" + Uri.EscapeDataString("/dashboard/integrations?tab=mine")))["authorizeUrl"]!.GetValue<string>();
        // A browser's view: the redirect itself, not where it leads.
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = owner.Http.BaseAddress };
        var refused = await browser.GetAsync(new Uri(node.Fake.Approve(withReturn, error: "access_denied")).PathAndQuery);
        refused.StatusCode.ShouldBe(HttpStatusCode.SeeOther);
        refused.Headers.Location!.ToString().ShouldBe($"/dashboard/integrations?tab=mine&integration={id}&error=access_denied");
        withReturn = (await owner.GetJsonAsync($"{Base}/{id}/connect?returnUrl=" + Uri.EscapeDataString("/dashboard")))["authorizeUrl"]!.GetValue<string>();
        var done = await browser.GetAsync(new Uri(node.Fake.Approve(withReturn)).PathAndQuery);
        done.StatusCode.ShouldBe(HttpStatusCode.SeeOther);
        done.Headers.Location!.ToString().ShouldBe($"/dashboard?integration={id}&connected=true");
        (await owner.GetJsonAsync($"{Base}/{id}"))["status"]!.GetValue<string>().ShouldBe("active");

        // A provider without OAuth has nothing to connect.
        var ledger = (await owner.InstallAsync(new { provider = "test_key", config = new { apiKey = FakeOAuthProvider.ApiKey, account = "a" } }))["id"]!.GetValue<string>();
        await (await owner.GetAsync($"{Base}/{ledger}/connect")).ShouldBeProblemAsync(HttpStatusCode.Conflict, "conflict");
        node.Fake.Http.AssertNoViolations();
    }

    [Fact]
    public async Task WhatTheConnectorLearnsWhenTheConnectionCompletesIsKeptWithTheTokensAndARefusalThereDropsThem()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var id = (await owner.InstallChatAsync())["id"]!.GetValue<string>();
        var connected = await BrowserAsync(owner, node.Fake.Approve((await owner.GetJsonAsync($"{Base}/{id}/connect"))["authorizeUrl"]!.GetValue<string>()));
        connected.StatusCode.ShouldBe(HttpStatusCode.OK, await connected.Content.ReadAsStringAsync());
        var row = await node.RowAsync(id);
        var tokens = node.Services.GetRequiredService<IntegrationSecrets>().Tokens(row)!;
        tokens.ExtraValue("workspace").ShouldBe(FakeOAuthProvider.Workspace);   // from the callback's query
        tokens.ExtraValue("team_id").ShouldBe("T-7");                            // from the provider, with the new token
        tokens.AccessToken.ShouldBe(node.Fake.CurrentAccessToken);
        row.TokensEncrypted!.ShouldNotContain(FakeOAuthProvider.Workspace);     // encrypted with the tokens

        // The provider refuses the follow-up call: the connection fails, and the tokens just issued are not kept.
        var second = (await owner.InstallChatAsync())["id"]!.GetValue<string>();
        node.Fake.RefuseProfile = true;
        try
        {
            var refused = await BrowserAsync(owner, node.Fake.Approve((await owner.GetJsonAsync($"{Base}/{second}/connect"))["authorizeUrl"]!.GetValue<string>()));
            refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            (await refused.Content.ReadAsStringAsync()).ShouldContain("refused to complete the connection");
        }
        finally { node.Fake.RefuseProfile = false; }
        var failed = await owner.GetJsonAsync($"{Base}/{second}");
        failed["status"]!.GetValue<string>().ShouldBe("needs_reauth");
        failed["connected"]!.GetValue<bool>().ShouldBeFalse();
        (await node.RowAsync(second)).TokensEncrypted.ShouldBeNull();

        // The connector's own refusal (here: no workspace named in the callback) is the user's to fix: 400, not 502.
        var third = (await owner.InstallChatAsync())["id"]!.GetValue<string>();
        var withoutWorkspace = node.Fake.Approve((await owner.GetJsonAsync($"{Base}/{third}/connect"))["authorizeUrl"]!.GetValue<string>())
            .Replace("&workspace=" + FakeOAuthProvider.Workspace, "", StringComparison.Ordinal);
        var unnamed = await BrowserAsync(owner, withoutWorkspace);
        unnamed.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await unnamed.Content.ReadAsStringAsync()).ShouldContain("named no workspace");
        (await owner.GetJsonAsync($"{Base}/{third}"))["status"]!.GetValue<string>().ShouldBe("needs_reauth");
        node.Fake.Http.AssertNoViolations();
    }

    [Fact]
    public async Task AnExpiringTokenIsRefreshedInTheBackgroundAndARefusedRefreshNeedsReauthorization()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        // Tokens that live two minutes: inside the refresh window (five minutes) from the start. No clock moves: the
        // caller's own access token would expire with it.
        node.Fake.ExpiresIn = 120;
        try
        {
            var id = await owner.InstallConnectedChatAsync(node.Fake);
            var before = node.Fake.RefreshGrants;
            node.Fake.ExpiresIn = 3600;
            var refresher = node.Services.GetServices<IHostedService>().OfType<TokenRefresher>().Single();
            await refresher.RefreshDueAsync(CancellationToken.None);
            node.Fake.RefreshGrants.ShouldBeGreaterThan(before);
            (await node.RowAsync(id)).TokenExpiresAt!.Value.ShouldBeGreaterThan(node.Clock.GetUtcNow().UtcDateTime.AddMinutes(30));
            (await ApiClient.ReadAsync(await owner.PostAsync($"{Base}/{id}/test", null)))["success"]!.GetValue<bool>().ShouldBeTrue();
            var grants = node.Fake.RefreshGrants;
            await refresher.RefreshDueAsync(CancellationToken.None); // nothing due now
            node.Fake.RefreshGrants.ShouldBe(grants);

            // The user revoked the app at the provider: the API refuses the token (401), the one refresh it forces is refused too.
            node.Fake.RefuseRefresh = true;
            node.Fake.RevokeAccess();
            var outcome = await ApiClient.ReadAsync(await owner.PostAsync($"{Base}/{id}/test", null));
            outcome["success"]!.GetValue<bool>().ShouldBeFalse(outcome.ToJsonString());
            outcome["status"]!.GetValue<string>().ShouldBe("needs_reauth");
            outcome["providerError"]!.GetValue<string>().ShouldContain("invalid_grant");
            node.Fake.RefreshGrants.ShouldBe(grants + 1);
            var installed = await owner.GetJsonAsync($"{Base}/{id}");
            installed["status"]!.GetValue<string>().ShouldBe("needs_reauth");
            installed["statusReason"]!.GetValue<string>().ShouldContain("invalid_grant");
            var failed = (await node.EventsForAsync(id)).Single(e => e.Type == IntegrationResources.AuthFailedEvent);
            var data = JsonNode.Parse(failed.Data)!;
            data["installationId"]!.GetValue<string>().ShouldBe(id);
            data["status"]!.GetValue<string>().ShouldBe("needs_reauth");
            // No retry storm: another test does not go to the token endpoint again.
            (await ApiClient.ReadAsync(await owner.PostAsync($"{Base}/{id}/test", null)))["success"]!.GetValue<bool>().ShouldBeFalse();
            node.Fake.RefreshGrants.ShouldBe(grants + 1);

            // Connecting again makes it active.
            node.Fake.RefuseRefresh = false;
            var again = node.Fake.Approve((await owner.GetJsonAsync($"{Base}/{id}/connect"))["authorizeUrl"]!.GetValue<string>());
            (await BrowserAsync(owner, again)).StatusCode.ShouldBe(HttpStatusCode.OK);
            (await owner.GetJsonAsync($"{Base}/{id}"))["status"]!.GetValue<string>().ShouldBe("active");
            (await ApiClient.ReadAsync(await owner.PostAsync($"{Base}/{id}/test", null)))["success"]!.GetValue<bool>().ShouldBeTrue();
        }
        finally
        {
            node.Fake.RefuseRefresh = false;
            node.Fake.ExpiresIn = 3600;
        }
        node.Fake.Http.AssertNoViolations();
    }
}

public sealed class ConnectTestsOnSqlite(IntegrationSqliteNode node) : ConnectTests<IntegrationSqliteNode>(node);
public sealed class ConnectTestsOnPostgres(IntegrationPostgresNode node) : ConnectTests<IntegrationPostgresNode>(node);
