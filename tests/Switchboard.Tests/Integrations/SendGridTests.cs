using System.Net;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;
using static Switchboard.Tests.Integrations.ActionsTestKit;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// The SendGrid connector end to end over real HTTP: installed through the API (the API key write-only), rules on CRM
/// events → Mail Send (a dynamic template with the lead as its data, or a text template) and Marketing contact upserts
/// tagged by lead source, at a loopback SendGrid that checks what SendGrid documents; a 429 waited out until
/// X-RateLimit-Reset; an unverified sender's 403 a dead run with SendGrid's message; the connection test
/// (GET /v3/scopes); catalog, icon and portal page.
/// </summary>
public abstract class SendGridTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    private const string TemplateId = "d-5b6f2c1e9a8d4e7f8a9b0c1d2e3f4a5b";

    private SendGridFake SendGrid => node switch
    {
        SendGridSqliteNode s => s.SendGrid,
        SendGridPostgresNode p => p.SendGrid,
        _ => throw new InvalidOperationException(),
    };

    private async Task<(ApiClient Owner, string Installation)> InstallAsync(object? extra = null)
    {
        var owner = node.Client();
        await owner.SignupAsync();
        var config = new JsonObject
        {
            ["apiKey"] = SendGridFake.ApiKey, ["fromEmail"] = SendGridFake.VerifiedSender, ["fromName"] = "Acme Sales", ["categories"] = new JsonArray("crm"),
            ["listIds"] = new JsonArray(SendGridFake.AllList), ["sourceFieldId"] = SendGridFake.SourceFieldId,
            ["listsBySource"] = new JsonObject { ["web"] = SendGridFake.WebList, ["event"] = SendGridFake.EventList },
        };
        if (extra is not null)
            foreach (var (name, value) in System.Text.Json.JsonSerializer.SerializeToNode(extra)!.AsObject()) config[name] = value?.DeepClone();
        var response = await owner.PostAsync("/api/v1/integrations", new { provider = "sendgrid", name = "Transactional mail", config });
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.Created, text);
        text.ShouldNotContain(SendGridFake.ApiKey, Case.Sensitive, "the API key is a credential: never in a response");
        var installation = JsonNode.Parse(text)!;
        installation["status"]!.GetValue<string>().ShouldBe("active");
        installation["credentialsSet"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldBe(["apiKey"]);
        installation["config"]!["fromEmail"]!.GetValue<string>().ShouldBe(SendGridFake.VerifiedSender);
        return (owner, installation["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task ANewLeadGetsTheDynamicTemplateMailWithTheLeadAsItsData()
    {
        var (owner, installation) = await InstallAsync();
        using var _ = owner;
        await CreateRuleAsync(owner, installation, new
        {
            events = new[] { "lead.created" }, action = "send_email",
            input = new { to = "{{data.email}}", toName = "{{data.name}}", templateId = TemplateId, dynamicTemplateData = new { lead = "{{data}}", score = "{{data.score}}" }, categories = new[] { "new-lead" } },
        });
        var leadId = await CreateLeadAsync(owner, new { name = "Ada Lovelace", email = "ada@example.com", score = 91, source = "web" });

        var mail = await SendGridFake.WaitForAsync(SendGrid.Mails, m => m.ToJsonString().Contains(leadId, StringComparison.Ordinal));
        mail["template_id"]!.GetValue<string>().ShouldBe(TemplateId);
        mail["from"]!["email"]!.GetValue<string>().ShouldBe(SendGridFake.VerifiedSender);
        mail["from"]!["name"]!.GetValue<string>().ShouldBe("Acme Sales");
        mail["content"].ShouldBeNull("the template has the content");
        mail["categories"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldBe(["crm", "new-lead"]);
        var personalization = mail["personalizations"]![0]!;
        personalization["to"]![0]!["email"]!.GetValue<string>().ShouldBe("ada@example.com");
        personalization["to"]![0]!["name"]!.GetValue<string>().ShouldBe("Ada Lovelace");
        personalization["dynamic_template_data"]!["lead"]!["id"]!.GetValue<string>().ShouldBe(leadId);
        personalization["dynamic_template_data"]!["score"]!.GetValue<int>().ShouldBe(91, "a whole template variable keeps its JSON type");
        personalization["custom_args"]!["switchboard_event"]!.GetValue<string>().ShouldStartWith("evt_");
        personalization["custom_args"]!["switchboard_installation"]!.GetValue<string>().ShouldBe(installation);
        SendGrid.Calls("/v3/mail/send").Last().Headers["authorization"].ShouldBe("Bearer " + SendGridFake.ApiKey);

        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "succeeded")).Single()!;
        run["attemptLog"]![0]!["statusCode"]!.GetValue<int>().ShouldBe(202);
        run["attemptLog"]![0]!["responseBody"]!.GetValue<string>().ShouldContain("\"messageId\":\"W3fQm2");
        run.ToJsonString().ShouldNotContain(SendGridFake.ApiKey);
        node.Logs.Lines.Where(l => l.Contains(SendGridFake.ApiKey, StringComparison.Ordinal)).ShouldBeEmpty();
        (await owner.GetJsonAsync("/api/v1/audit-logs")).ToJsonString().ShouldNotContain(SendGridFake.ApiKey);
        SendGrid.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task ATextTemplateIsSentAsPlainTextWithItsSubjectFilledFromTheRecord()
    {
        var (owner, installation) = await InstallAsync();
        using var _ = owner;
        await CreateRuleAsync(owner, installation, new
        {
            events = new[] { "lead.created" }, filter = "score >= 50", action = "send_email",
            input = new { to = "{{data.email}}", subject = "Welcome, {{data.name}}", text = "Hello {{data.name}},\n\nThanks for your interest in {{data.company}}." },
        });
        await CreateLeadAsync(owner, new { name = "Bob <b>Bold</b>", email = "bob@example.com", company = "Acme & Co", score = 60 });

        var mail = await SendGridFake.WaitForAsync(SendGrid.Mails, m => m["subject"]?.GetValue<string>() == "Welcome, Bob <b>Bold</b>");
        mail["template_id"].ShouldBeNull();
        var content = mail["content"]!.AsArray().ShouldHaveSingleItem()!;
        content["type"]!.GetValue<string>().ShouldBe("text/plain", "a body written from CRM values is never sent as HTML");
        content["value"]!.GetValue<string>().ShouldBe("Hello Bob <b>Bold</b>,\n\nThanks for your interest in Acme & Co.");
        SendGrid.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task ALeadIsUpsertedAsAMarketingContactToItsListsAndTaggedByItsSource()
    {
        var (owner, installation) = await InstallAsync();
        using var _ = owner;
        await CreateRuleAsync(owner, installation, new { events = new[] { "lead.created" }, action = "upsert_contact", input = new { contact = "{{data}}" } });
        await CreateLeadAsync(owner, new { name = "Ada King Lovelace", email = "ada.king@example.com", source = "event" });

        var upsert = await SendGridFake.WaitForAsync(SendGrid.ContactUpserts, u => u.ToJsonString().Contains("ada.king@example.com", StringComparison.Ordinal));
        upsert["list_ids"]!.AsArray().Select(l => l!.GetValue<string>()).ShouldBe([SendGridFake.AllList, SendGridFake.EventList]);
        var contact = upsert["contacts"]!.AsArray().ShouldHaveSingleItem()!;
        contact["first_name"]!.GetValue<string>().ShouldBe("Ada");
        contact["last_name"]!.GetValue<string>().ShouldBe("King Lovelace");
        contact["custom_fields"]![SendGridFake.SourceFieldId]!.GetValue<string>().ShouldBe("event");
        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "succeeded")).Single()!;
        run["attemptLog"]![0]!["statusCode"]!.GetValue<int>().ShouldBe(202);
        run["attemptLog"]![0]!["responseBody"]!.GetValue<string>().ShouldContain("job_id");
        SendGrid.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task A429IsBackedOffUntilXRateLimitResetAndThenSent()
    {
        var (owner, installation) = await InstallAsync();
        using var _ = owner;
        await CreateRuleAsync(owner, installation, new { events = new[] { "lead.created" }, action = "upsert_contact", input = new { contact = "{{data}}", source = "web" } });
        SendGrid.ThrottleNext(2);
        await CreateLeadAsync(owner, new { name = "Grace", email = "grace.429@example.com" });

        var upsert = await SendGridFake.WaitForAsync(SendGrid.ContactUpserts, u => u.ToJsonString().Contains("grace.429@example.com", StringComparison.Ordinal));
        upsert["list_ids"]!.AsArray().Select(l => l!.GetValue<string>()).ShouldBe([SendGridFake.AllList, SendGridFake.WebList], "the rule's source picks the web list");
        var calls = SendGrid.Calls("/v3/marketing/contacts").Where(c => c.Body.Contains("grace.429@", StringComparison.Ordinal)).OrderBy(c => c.At).ToList();
        calls.Count.ShouldBe(2);
        // The reset is a whole unix second 2 s after the 429: at least a second later, never the schedule's 0.3 s.
        (calls[1].At - calls[0].At).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1));
        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "succeeded")).Single()!;
        var log = run["attemptLog"]!.AsArray();
        log.Select(a => a!["statusCode"]!.GetValue<int>()).ShouldBe([429, 202]);
        log[0]!["error"]!.GetValue<string>().ShouldContain("too many requests");
        SendGrid.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AnUnverifiedSenderEndsAsADeadRunWithSendGridsErrorAndBadInputNeverReachesSendGrid()
    {
        var (owner, installation) = await InstallAsync();
        using var _ = owner;
        await CreateRuleAsync(owner, installation, new
        {
            events = new[] { "lead.created" }, action = "send_email",
            input = new { to = "{{data.email}}", fromEmail = "nobody@elsewhere.example", subject = "Hi", text = "Hello" },
        });
        await CreateLeadAsync(owner, new { name = "Unverified", email = "unverified@example.com" });

        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "dead")).Single()!;
        run["attempts"]!.GetValue<int>().ShouldBe(1, "a 403 is final");
        var attempt = run["attemptLog"]![0]!;
        attempt["statusCode"]!.GetValue<int>().ShouldBe(403);
        attempt["error"]!.GetValue<string>().ShouldContain("from: The from address does not match a verified Sender Identity");
        (await EventsOfTypeAsync(node, installation, "integration.action_failed")).ShouldHaveSingleItem();

        // A lead without an email is refused before any call: nothing SendGrid would take.
        var (other, second) = await InstallAsync();
        using var __ = other;
        await CreateRuleAsync(other, second, new { events = new[] { "lead.created" }, action = "send_email", input = new { to = "{{data.email}}", subject = "Hi", text = "Hello" } });
        var calls = SendGrid.Calls("/v3/mail/send").Count();
        await CreateLeadAsync(other, new { name = "No email" });
        var refused = (await RunsAsync(other, second, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "dead")).Single()!;
        refused["attemptLog"]![0]!["error"]!.GetValue<string>().ShouldContain("input.to is required");
        SendGrid.Calls("/v3/mail/send").Count().ShouldBe(calls);
        SendGrid.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task TheConnectionTestReadsScopesAndReportsABadKeyAndAKeyThatCannotSend()
    {
        var (owner, installation) = await InstallAsync();
        using var _ = owner;
        var ok = await ApiClient.ReadAsync(await owner.PostAsync($"/api/v1/integrations/{installation}/test", null));
        ok["success"]!.GetValue<bool>().ShouldBeTrue(ok.ToJsonString());
        ok["providerStatus"]!.GetValue<int>().ShouldBe(200);
        SendGrid.Calls("/v3/scopes").Last().Headers["authorization"].ShouldBe("Bearer " + SendGridFake.ApiKey);

        const string Revoked = "SG.revoked-key-revoked-key.revoked-key-revoked-key";
        (await owner.PatchAsync($"/api/v1/integrations/{installation}", new { config = new { apiKey = Revoked } })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var refused = await ApiClient.ReadAsync(await owner.PostAsync($"/api/v1/integrations/{installation}/test", null));
        refused["success"]!.GetValue<bool>().ShouldBeFalse();
        refused["providerStatus"]!.GetValue<int>().ShouldBe(401);
        refused["providerError"]!.GetValue<string>().ShouldBe("The provided authorization grant is invalid, expired, or revoked");
        refused.ToJsonString().ShouldNotContain(Revoked);

        (await owner.PatchAsync($"/api/v1/integrations/{installation}", new { config = new { apiKey = SendGridFake.RestrictedKey } })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var restricted = await ApiClient.ReadAsync(await owner.PostAsync($"/api/v1/integrations/{installation}/test", null));
        restricted["success"]!.GetValue<bool>().ShouldBeFalse();
        restricted["providerError"]!.GetValue<string>().ShouldBe("missing_scope: mail.send");
        var got = await owner.GetJsonAsync($"/api/v1/integrations/{installation}");
        got["consecutiveFailures"]!.GetValue<int>().ShouldBe(2);
        got.ToJsonString().ShouldNotContain("SG.");
        SendGrid.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task TheCatalogIconAndPortalPageDescribeSendGrid()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var provider = await owner.GetJsonAsync("/api/v1/integrations/providers/sendgrid");
        provider["category"]!.GetValue<string>().ShouldBe("email");
        provider["auth"]!["kind"]!.GetValue<string>().ShouldBe("api_key");
        provider["configSchema"]!["properties"]!["apiKey"]!["writeOnly"]!.GetValue<bool>().ShouldBeTrue();
        provider["actions"]!.AsArray().Select(a => a!["name"]!.GetValue<string>()).ShouldBe(["send_email", "upsert_contact"]);
        (await owner.GetJsonAsync("/api/v1/integrations/providers?action=upsert_contact"))["data"]!.AsArray()
            .Select(p => p!["key"]!.GetValue<string>()).ShouldContain("sendgrid");
        // A configuration the schema refuses is a 400 naming the field, the key not echoed.
        var invalid = await owner.PostAsync("/api/v1/integrations", new { provider = "sendgrid", config = new { apiKey = SendGridFake.ApiKey, listIds = new[] { "not-a-uuid" } } });
        var problem = await invalid.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        problem["errors"]!.AsObject().Select(e => e.Key).ShouldContain(k => k.StartsWith("config.listIds", StringComparison.Ordinal));
        problem.ToJsonString().ShouldNotContain(SendGridFake.ApiKey);

        var icon = await owner.GetAsync("/api/v1/integrations/providers/sendgrid/icon.svg");
        icon.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await icon.Content.ReadAsStringAsync()).ShouldStartWith("<svg");
        var page = await owner.GetAsync("/developers/integrations-sendgrid");
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        var html = await page.Content.ReadAsStringAsync();
        html.ShouldContain("SendGrid integration");
        html.ShouldContain("upsert_contact");
        html.ShouldContain("An API key of your account");
    }
}

public sealed class SendGridTestsOnSqlite(SendGridSqliteNode node) : SendGridTests<SendGridSqliteNode>(node);
public sealed class SendGridTestsOnPostgres(SendGridPostgresNode node) : SendGridTests<SendGridPostgresNode>(node);
