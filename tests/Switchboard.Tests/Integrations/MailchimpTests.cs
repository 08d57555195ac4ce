using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Crm.Activities;
using Switchboard.Integrations;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;
using static Switchboard.Tests.Integrations.ActionsTestKit;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// The Mailchimp connector against <see cref="MailchimpFake"/>: the connection completed from the metadata endpoint (and a
/// hostile api_endpoint refused); members upserted by subscriber hash (computed here from Mailchimp's rule) and tagged with
/// the lead's source through a rule on lead.created, a retry changing nothing; bad input refused before calling; Mailchimp's
/// refusals and its 429; a revoked token asking for reconnection; a journey step and a campaign triggered once; the audience
/// webhook made once with a secret in its URL, its GET validation answered, an unsubscribe recorded on the contact once and a
/// forged delivery refused.
/// </summary>
public abstract class MailchimpTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    private MailchimpFake Fake => node switch
    {
        MailchimpSqliteNode s => s.Mailchimp,
        MailchimpPostgresNode p => p.Mailchimp,
        _ => throw new InvalidOperationException(),
    };

    private async Task<(ApiClient Owner, string Installation, string Token)> InstallAsync()
    {
        var owner = node.Client();
        await owner.SignupAsync();
        var response = await owner.PostAsync("/api/v1/integrations", new { provider = "mailchimp", name = "Newsletter", config = new { listId = MailchimpFake.ListId, statusIfNew = "pending" } });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var installation = (await ApiClient.ReadAsync(response))["id"]!.GetValue<string>();
        (await owner.GetJsonAsync($"/api/v1/integrations/{installation}"))["status"]!.GetValue<string>().ShouldBe("pending_auth");
        var token = Fake.IssueToken();
        // Mailchimp's token answer: no expires_in that matters ("0": tokens do not expire), no refresh token.
        await node.Services.GetRequiredService<ProviderTokenStore>().StoreAsync(installation, new ProviderTokens(token, null, null, null, "bearer"), CancellationToken.None);
        return (owner, installation, token);
    }

    private async Task<T> WithConnectorAsync<T>(string installationId, Func<Connector, ConnectorContext, Task<T>> use)
    {
        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var installation = await db.Set<IntegrationInstallation>().IgnoreQueryFilters().SingleAsync(i => i.Id == installationId);
        var (connector, context) = scope.ServiceProvider.GetRequiredService<ConnectorContexts>().For(installation, scope.ServiceProvider);
        return await use(connector, context);
    }

    private Task<ProviderResponse> ActAsync(string installation, string action, JsonObject input) =>
        WithConnectorAsync(installation, (connector, context) => connector.RunActionAsync(context, action, input, CancellationToken.None));

    [Fact]
    public async Task TheConnectionLearnsItsDataCentreRefusesAForeignEndpointAndARevokedTokenAsksToReconnect()
    {
        var (owner, installation, token) = await InstallAsync();
        using var _ = owner;
        var extra = await WithConnectorAsync(installation, (c, ctx) => c.CompleteConnectionAsync(ctx, new Dictionary<string, string>(), CancellationToken.None));
        extra!["dc"].ShouldBe("us19");
        extra["api_endpoint"].ShouldBe("https://us19.api.mailchimp.com");
        Fake.Provider.Requests.ShouldContain(r => r.Path == "/oauth2/metadata" && r.Headers["authorization"] == "OAuth " + token);

        Fake.ApiEndpoint = "https://us19.api.mailchimp.com.attacker.example";
        try
        {
            var refused = await Should.ThrowAsync<ProviderException>(() => WithConnectorAsync(installation, (c, ctx) => c.CompleteConnectionAsync(ctx, new Dictionary<string, string>(), CancellationToken.None)));
            refused.ProviderError.ShouldBe("unexpected_api_endpoint");
        }
        finally { Fake.ApiEndpoint = "https://us19.api.mailchimp.com"; }

        var ok = await ApiClient.ReadAsync(await owner.PostAsync($"/api/v1/integrations/{installation}/test", null));
        ok["success"]!.GetValue<bool>().ShouldBeTrue(ok.ToJsonString());
        Fake.AccessTokens.TryRemove(token, out var __); // the user revoked the app in Mailchimp
        var lost = await ApiClient.ReadAsync(await owner.PostAsync($"/api/v1/integrations/{installation}/test", null));
        lost["success"]!.GetValue<bool>().ShouldBeFalse();
        (await owner.GetJsonAsync($"/api/v1/integrations/{installation}"))["status"]!.GetValue<string>().ShouldBe("needs_reauth");
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task ALeadBecomesATaggedMemberOnceAndBadInputAndMailchimpsRefusalsAreFinal()
    {
        var (owner, installation, _) = await InstallAsync();
        using var _ = owner;
        await CreateRuleAsync(owner, installation, new
        {
            events = new[] { "lead.created" }, action = "upsert_member", input = new { email = "{{data.email}}", firstName = "{{data.name}}", tag = "{{data.source}}" },
        });
        await CreateLeadAsync(owner, new { name = "Grace", email = "Grace.Hopper@Navy.example", source = "webinar" });
        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "succeeded")).Single()!;
        run["status"]!.GetValue<string>().ShouldBe("succeeded", run.ToJsonString());
        // Mailchimp's rule: the MD5 of the lower-cased email.
        var hash = MailchimpFake.Hash("grace.hopper@navy.example");
        var member = Fake.Members[hash];
        member["status"]!.GetValue<string>().ShouldBe("pending");
        member["merge_fields"]!["FNAME"]!.GetValue<string>().ShouldBe("Grace");
        Fake.Tags[hash].ShouldBe(["webinar"]);

        (await owner.PostAsync($"/api/v1/integrations/{installation}/action-runs/{run["id"]}/retry", null)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await RunsAsync(owner, installation, r => r[0]!["attempts"]!.GetValue<int>() == 2 && r[0]!["status"]!.GetValue<string>() == "succeeded");
        Fake.Members.Count.ShouldBe(1);
        Fake.Tags[hash].ShouldBe(["webinar"]);

        var puts = Fake.Provider.Requests.Count(r => r.Method == "PUT");
        var bad = await Should.ThrowAsync<ProviderException>(() => ActAsync(installation, "upsert_member", new JsonObject { ["email"] = "not an email" }));
        bad.Retryable.ShouldBeFalse();
        bad.Status.ShouldBeNull();
        Fake.Provider.Requests.Count(r => r.Method == "PUT").ShouldBe(puts);

        var invalid = await Should.ThrowAsync<ProviderException>(() => ActAsync(installation, "upsert_member", new JsonObject { ["email"] = "bot@invalid.example" }));
        invalid.Status.ShouldBe(400);
        invalid.Retryable.ShouldBeFalse();
        invalid.ProviderError.ShouldBe("Invalid Resource: bot@invalid.example looks fake or invalid, please enter a real email address.");

        Fake.FailNext("/3.0/lists/", 429, "Too Many Requests", "You have exceeded the limit of 10 simultaneous connections.");
        var limited = await Should.ThrowAsync<ProviderException>(() => ActAsync(installation, "upsert_member", new JsonObject { ["email"] = "someone@else.example" }));
        limited.Retryable.ShouldBeTrue();
        limited.RetryAfter.ShouldBe(TimeSpan.FromMinutes(1));
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AJourneyStepAndACampaignAreTriggeredOnce()
    {
        var (owner, installation, _) = await InstallAsync();
        using var _ = owner;
        var input = new JsonObject { ["journeyId"] = "1234", ["stepId"] = "5678", ["email"] = "buyer@customer.example" };
        JsonNode.Parse((await ActAsync(installation, "trigger_journey", input)).Body)!["triggered"]!.GetValue<bool>().ShouldBeTrue();
        JsonNode.Parse((await ActAsync(installation, "trigger_journey", input)).Body)!["alreadyTriggered"]!.GetValue<bool>().ShouldBeTrue();
        Fake.Triggers.Count(t => t == "1234/5678/buyer@customer.example").ShouldBe(1);
        (await Should.ThrowAsync<ProviderException>(() => ActAsync(installation, "trigger_journey", new JsonObject { ["journeyId"] = "x", ["stepId"] = "1", ["email"] = "a@b.example" })))
            .Retryable.ShouldBeFalse();

        JsonNode.Parse((await ActAsync(installation, "send_campaign", new JsonObject { ["campaignId"] = "c0ffee1234" })).Body)!["sent"]!.GetValue<bool>().ShouldBeTrue();
        JsonNode.Parse((await ActAsync(installation, "send_campaign", new JsonObject { ["campaignId"] = "c0ffee1234" })).Body)!["alreadySent"]!.GetValue<bool>().ShouldBeTrue();
        Fake.Sends.ShouldBe(1);
        var missing = await Should.ThrowAsync<ProviderException>(() => ActAsync(installation, "send_campaign", new JsonObject { ["campaignId"] = "nosuch" }));
        missing.Status.ShouldBe(404);
        missing.ProviderError.ShouldBe("Resource Not Found: The requested resource could not be found.");
        Fake.Provider.AssertNoViolations();
    }

    private async Task<HttpResponseMessage> DeliverAsync(string installation, string? secret, string form, HttpMethod? method = null)
    {
        using var anonymous = node.Client();
        var url = $"/api/v1/integrations/{installation}/inbound/events" + (secret is null ? "" : "?secret=" + Uri.EscapeDataString(secret));
        using var request = new HttpRequestMessage(method ?? HttpMethod.Post, url);
        if (method is null) request.Content = new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded");
        request.Headers.UserAgent.ParseAdd("MailChimp");
        return await anonymous.Http.SendAsync(request);
    }

    [Fact]
    public async Task TheAudienceWebhookIsMadeOnceAndAnUnsubscribeIsRecordedOnTheContactWhileForgedOnesAre401()
    {
        var (owner, installation, _) = await InstallAsync();
        using var _ = owner;
        var contact = (await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/contacts", new { firstName = "Ada", email = "ada@customer.example" })))["id"]!.GetValue<string>();
        JsonNode.Parse((await ActAsync(installation, "subscribe_webhooks", [])).Body)!["created"]!.GetValue<bool>().ShouldBeTrue();
        JsonNode.Parse((await ActAsync(installation, "subscribe_webhooks", [])).Body)!["created"]!.GetValue<bool>().ShouldBeFalse();
        var callback = $"{MailchimpNode.PublicBaseUrl}/api/v1/integrations/{installation}/inbound/events?secret=";
        var hook = Fake.Webhooks.Values.Where(w => w["url"]!.GetValue<string>().StartsWith(callback, StringComparison.Ordinal)).ShouldHaveSingleItem();
        hook["sources"]!["api"]!.GetValue<bool>().ShouldBeFalse("the connector's own writes do not come back");
        var secret = hook["url"]!.GetValue<string>()[callback.Length..];
        secret.Length.ShouldBe(64);

        (await DeliverAsync(installation, secret, "", HttpMethod.Get)).StatusCode.ShouldBe(HttpStatusCode.OK); // Mailchimp's validation GET
        (await DeliverAsync(installation, "wrong", "", HttpMethod.Get)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var form = $"type=unsubscribe&fired_at=2026-12-04+10%3A15%3A00&data%5Baction%5D=unsub&data%5Breason%5D=manual&data%5Bid%5D=8a25ff1d98&data%5Blist_id%5D={MailchimpFake.ListId}" +
            "&data%5Bemail%5D=Ada%40customer.example&data%5Bemail_type%5D=html&data%5Bmerges%5D%5BEMAIL%5D=ada%40customer.example&data%5Bip_opt%5D=10.20.10.30";
        foreach (var forged in new[] { null, "", secret[..^1] + (secret[^1] == '0' ? '1' : '0'), secret + "0" })
            (await DeliverAsync(installation, forged, form)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await node.WithDbAsync(db => db.Set<Activity>().IgnoreQueryFilters().CountAsync(a => a.ContactId == contact))).ShouldBe(0);

        (await DeliverAsync(installation, secret, form)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await DeliverAsync(installation, secret, form)).StatusCode.ShouldBe(HttpStatusCode.OK); // Mailchimp retries
        var note = (await node.WithDbAsync(db => db.Set<Activity>().IgnoreQueryFilters().Where(a => a.ContactId == contact).ToListAsync())).ShouldHaveSingleItem();
        note.Subject.ShouldBe("Unsubscribed from the Mailchimp audience");
        note.Metadata["mailchimpEvent"].ShouldBe("unsubscribe");
        (await EventsOfTypeAsync(node, note.Id, "activity.created")).ShouldHaveSingleItem();

        // Someone the CRM does not know: acknowledged, nothing recorded.
        (await DeliverAsync(installation, secret, form.Replace("Ada%40customer.example", "stranger%40else.example", StringComparison.Ordinal))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await node.WithDbAsync(db => db.Set<Activity>().IgnoreQueryFilters().CountAsync(a => a.OrganizationId == note.OrganizationId))).ShouldBe(1);
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task TheCatalogListsItWithItsCapabilitiesPortalPageAndIcon()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var mailchimp = await owner.GetJsonAsync("/api/v1/integrations/providers/mailchimp");
        mailchimp["category"]!.GetValue<string>().ShouldBe("marketing");
        mailchimp["auth"]!["kind"]!.GetValue<string>().ShouldBe("oauth2");
        mailchimp["actions"]!.AsArray().Select(a => a!["name"]!.GetValue<string>()).ShouldBe(["upsert_member", "trigger_journey", "send_campaign", "subscribe_webhooks"]);
        mailchimp["inbound"]!.AsArray().Select(a => a!.GetValue<string>()).ShouldBe(["events"]);
        mailchimp["configSchema"]!["required"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldBe(["listId"]);
        (await owner.GetJsonAsync("/api/v1/integrations/providers?trigger=lead.created"))["data"]!.AsArray().Select(p => p!["key"]!.GetValue<string>()).ShouldContain("mailchimp");
        var icon = await owner.GetAsync("/api/v1/integrations/providers/mailchimp/icon.svg");
        icon.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await icon.Content.ReadAsStringAsync()).ShouldStartWith("<svg");
        var page = await owner.Http.GetAsync("/developers/integrations-mailchimp");
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await page.Content.ReadAsStringAsync()).ShouldContain("upsert_member");
        await (await owner.PostAsync("/api/v1/integrations", new { provider = "mailchimp", config = new { listId = "not a list id!" } })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task UninstallDeletesTheAudienceWebhookUninstallsEvenWhenMailchimpFailsAndTheInboundUrlIsGone()
    {
        var (owner, installation, token) = await InstallAsync();
        using var _ = owner;
        JsonObject Mine(string id) => Fake.Webhooks.Values.SingleOrDefault(w => w["url"]!.GetValue<string>()
            .StartsWith($"{MailchimpNode.PublicBaseUrl}/api/v1/integrations/{id}/inbound/events?", StringComparison.Ordinal))!;
        JsonNode.Parse((await ActAsync(installation, "subscribe_webhooks", [])).Body)!["created"]!.GetValue<bool>().ShouldBeTrue();
        var hook = Mine(installation)["id"]!.GetValue<string>();
        var others = Fake.Webhooks.Count - 1;

        await UninstallTestKit.UninstallAsync(node, owner, installation);
        var delete = Fake.Provider.Requests.Where(r => r.Method == "DELETE" && r.Path == $"/3.0/lists/{MailchimpFake.ListId}/webhooks/{hook}").ShouldHaveSingleItem();
        delete.Headers["authorization"].ShouldBe("Bearer " + token);
        Mine(installation).ShouldBeNull();
        Fake.Webhooks.Count.ShouldBe(others, "only this installation's webhook");
        await UninstallTestKit.ShouldBeGoneAsync(node, installation, HttpMethod.Get);
        await UninstallTestKit.ShouldBeGoneAsync(node, installation);

        var (otherOwner, failing, _) = await InstallAsync();
        using var __ = otherOwner;
        JsonNode.Parse((await ActAsync(failing, "subscribe_webhooks", [])).Body)!["created"]!.GetValue<bool>().ShouldBeTrue();
        var kept = Mine(failing)["id"]!.GetValue<string>();
        Fake.FailNext($"/3.0/lists/{MailchimpFake.ListId}/webhooks/", 500, "Internal Server Error", "An unexpected internal error has occurred.");
        await UninstallTestKit.UninstallAsync(node, otherOwner, failing);
        Fake.Provider.Requests.ShouldContain(r => r.Method == "DELETE" && r.Path == $"/3.0/lists/{MailchimpFake.ListId}/webhooks/{kept}");
        Mine(failing).ShouldNotBeNull();
        await UninstallTestKit.ShouldBeGoneAsync(node, failing);
        Fake.Provider.AssertNoViolations();
    }
}

public sealed class MailchimpTestsOnSqlite(MailchimpSqliteNode node) : MailchimpTests<MailchimpSqliteNode>(node);
public sealed class MailchimpTestsOnPostgres(MailchimpPostgresNode node) : MailchimpTests<MailchimpPostgresNode>(node);
