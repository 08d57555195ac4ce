using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Chat;
using Switchboard.Integrations;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Providers.WhatsApp;
using Switchboard.Tests.Infrastructure;
using static Switchboard.Tests.Integrations.ActionsTestKit;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// The WhatsApp Business (Cloud API) connector against <see cref="WhatsAppFake"/>: installed through the API (its
/// configuration schema validates E.164 numbers), lead notifications as template messages with the event's values as
/// body parameters, Meta's throttling codes backed off and retried without messaging anyone twice, a permanent refusal
/// dead at once with Meta's own error; and the webhook: the hub.challenge handshake, X-Hub-Signature-256 computed here
/// with Meta's recipe (not the connector's code), messages into the CRM's chat once however often Meta delivers them.
/// </summary>
public abstract class WhatsAppTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    private const string AppSecret = "3f1c2b9a8d7e6f5a4b3c2d1e0f9a8b7c";
    private const string VerifyToken = "switchboard-verify-token-7d1f0a";

    private WhatsAppFake Fake => node switch
    {
        WhatsAppSqliteNode s => s.WhatsApp,
        WhatsAppPostgresNode p => p.WhatsApp,
        _ => throw new InvalidOperationException(),
    };

    private static string Number() => "+1415555" + Random.Shared.Next(1000, 9999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private async Task<(ApiClient Owner, string Installation)> InstallAsync(string[] recipients, string template = "new_lead_alert", string accessToken = WhatsAppFake.AccessToken)
    {
        var owner = node.Client();
        await owner.SignupAsync();
        var response = await owner.PostAsync("/api/v1/integrations", new
        {
            provider = "whatsapp_business", name = "Sales alerts",
            config = new
            {
                phoneNumberId = WhatsAppFake.PhoneNumberId, recipients, templateName = template, languageCode = "en_US",
                accessToken, appSecret = AppSecret, verifyToken = VerifyToken,
            },
        });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var installation = await ApiClient.ReadAsync(response);
        installation["status"]!.GetValue<string>().ShouldBe("active");
        installation.ToJsonString().ShouldNotContain(accessToken);
        installation.ToJsonString().ShouldNotContain(AppSecret);
        return (owner, installation["id"]!.GetValue<string>());
    }

    private static readonly object LeadRule = new
    {
        events = new[] { "lead.created" }, action = "notify_lead",
        input = new { parameters = new[] { "{{data.name}}", "{{data.company}}", "{{data.score}}" } },
    };

    [Fact]
    public async Task TheConfigurationSchemaRefusesNumbersThatAreNotE164()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var response = await owner.PostAsync("/api/v1/integrations", new
        {
            provider = "whatsapp_business",
            config = new { phoneNumberId = WhatsAppFake.PhoneNumberId, recipients = new[] { "+14155550100", "0044 20 7946 0000" }, accessToken = WhatsAppFake.AccessToken },
        });
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        problem["errors"]!.AsObject().Select(e => e.Key).ShouldContain(k => k.StartsWith("config.recipients", StringComparison.Ordinal), problem.ToJsonString());
        problem.ToJsonString().ShouldNotContain(WhatsAppFake.AccessToken);
    }

    [Fact]
    public async Task ANewLeadSendsTheApprovedTemplateToEveryConfiguredNumber()
    {
        string[] recipients = [Number(), Number()];
        var (owner, installation) = await InstallAsync(recipients);
        using var _ = owner;
        await CreateRuleAsync(owner, installation, LeadRule);
        var leadId = await CreateLeadAsync(owner, new { name = "Ada Lovelace", company = "Analytical Engines", score = 91 });

        var sent = await Fake.WaitForSentAsync(m => recipients.Contains(m["to"]!.GetValue<string>()), 2);
        sent.Select(m => m["to"]!.GetValue<string>()).Order().ShouldBe(recipients.Order());
        foreach (var message in sent)
        {
            message["type"]!.GetValue<string>().ShouldBe("template");
            message["template"]!["name"]!.GetValue<string>().ShouldBe("new_lead_alert");
            message["template"]!["language"]!["code"]!.GetValue<string>().ShouldBe("en_US");
            message["template"]!["components"]![0]!["parameters"]!.AsArray().Select(p => p!["text"]!.GetValue<string>())
                .ShouldBe(["Ada Lovelace", "Analytical Engines", "91"]);
        }
        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "succeeded")).Single()!;
        run["status"]!.GetValue<string>().ShouldBe("succeeded");
        run["attemptLog"]![0]!["responseBody"]!.GetValue<string>().ShouldContain("wamid.");
        Fake.Provider.Requests.Where(r => r.Body.Contains(leadId, StringComparison.Ordinal)).ShouldBeEmpty("only the template's parameters are sent, not the record");
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AThrottlingCodeIsBackedOffAndTheRetryMessagesNoOneTwice()
    {
        string[] recipients = [Number(), Number()];
        var (owner, installation) = await InstallAsync(recipients);
        using var _ = owner;
        // The second number's first message meets the number's throughput limit (HTTP 429, code 130429).
        Fake.FailNext(recipients[1], 429, 130429, "(#130429) Rate limit hit");
        await CreateRuleAsync(owner, installation, LeadRule);
        await CreateLeadAsync(owner, new { name = "Grace Hopper", company = "Navy", score = 80 });

        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "succeeded")).Single()!;
        var log = run["attemptLog"]!.AsArray();
        log.Select(a => a!["statusCode"]?.GetValue<int>()).ShouldBe([429, 200]);
        log[0]!["error"]!.GetValue<string>().ShouldContain("130429");
        var retried = Fake.Sends(recipients[1]).OrderBy(r => r.At).ToList();
        retried.Count.ShouldBe(2);
        // The run's schedule would have retried after 0.3 s; Meta's throughput limit is waited out for a second.
        (retried[1].At - retried[0].At).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(0.95));
        Fake.Sends(recipients[0]).Count().ShouldBe(1, "the first number already had its message; the retry does not send it again");
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public void MetasThrottlingCodesAreRetryableWithTheirWaitAndOtherCodesAreFinal()
    {
        static ProviderException Read(int status, long code)
        {
            using var message = new HttpResponseMessage((HttpStatusCode)status);
            var body = new JsonObject
            {
                ["error"] = new JsonObject { ["message"] = $"(#{code}) test", ["type"] = "OAuthException", ["code"] = code, ["error_subcode"] = 2494055, ["fbtrace_id"] = "Az8or2yhqkZfEZ-_4Qn_Bam" },
            }.ToJsonString();
            return WhatsAppErrors.From(new ProviderResponse(status, body, message.Headers, 1), TimeProvider.System);
        }
        var pair = Read(400, 131056);
        pair.Retryable.ShouldBeTrue();
        pair.RetryAfter.ShouldBe(TimeSpan.FromSeconds(6));
        pair.ProviderError!.ShouldContain("fbtrace_id Az8or2yhqkZfEZ-_4Qn_Bam");
        pair.ProviderError!.ShouldContain("subcode 2494055");
        Read(400, 80007).RetryAfter.ShouldBe(TimeSpan.FromMinutes(1));
        Read(400, 4).Retryable.ShouldBeTrue();
        Read(400, 132001).Retryable.ShouldBeFalse();
        Read(401, 190).Retryable.ShouldBeFalse();
        Read(500, 131000).Retryable.ShouldBeTrue();
    }

    [Fact]
    public async Task ATemplateMetaDoesNotKnowIsDeadAtOnceWithMetasError()
    {
        var (owner, installation) = await InstallAsync([Number()], template: "no_such_template");
        using var _ = owner;
        var rule = await CreateRuleAsync(owner, installation, LeadRule);
        await CreateLeadAsync(owner, new { name = "Nobody" });

        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "dead")).Single()!;
        run["attempts"]!.GetValue<int>().ShouldBe(1);
        run["lastStatusCode"]!.GetValue<int>().ShouldBe(400);
        var error = run["lastError"]!.GetValue<string>();
        error.ShouldContain("Template name does not exist in the translation");
        error.ShouldContain("code 132001");
        error.ShouldContain("fbtrace_id AbCdEfGhIjKlMnOp");
        var failed = (await EventsOfTypeAsync(node, installation, "integration.action_failed")).ShouldHaveSingleItem();
        JsonNode.Parse(failed.Data)!["reason"]!.GetValue<string>().ShouldContain(rule);
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task TheConnectionTestReadsThePhoneNumberAndReportsMetasRefusal()
    {
        var (owner, installation) = await InstallAsync([Number()]);
        using var _ = owner;
        var ok = await owner.PostAsync($"/api/v1/integrations/{installation}/test", null);
        var result = await ApiClient.ReadAsync(ok);
        result["success"]!.GetValue<bool>().ShouldBeTrue(result.ToJsonString());

        (await owner.PatchAsync($"/api/v1/integrations/{installation}", new { config = new { accessToken = "EAAJB3-a-token-meta-never-issued-0000" } })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var refused = await ApiClient.ReadAsync(await owner.PostAsync($"/api/v1/integrations/{installation}/test", null));
        refused["success"]!.GetValue<bool>().ShouldBeFalse();
        refused["providerStatus"]!.GetValue<int>().ShouldBe(401);
        refused["providerError"]!.GetValue<string>().ShouldContain("code 190");
        Fake.Provider.Requests.ShouldContain(r => r.Method == "GET" && r.Path == $"/v21.0/{WhatsAppFake.PhoneNumberId}");
    }

    private async Task<HttpResponseMessage> HandshakeAsync(string installation, string query)
    {
        using var anonymous = node.Client();
        return await anonymous.Http.GetAsync($"/api/v1/integrations/{installation}/inbound/events?{query}");
    }

    [Fact]
    public async Task TheHubChallengeIsAnsweredOnlyForTheRightVerifyToken()
    {
        var (owner, installation) = await InstallAsync([Number()]);
        using var _ = owner;
        var right = await HandshakeAsync(installation, $"hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={VerifyToken}");
        right.StatusCode.ShouldBe(HttpStatusCode.OK);
        right.Content.Headers.ContentType!.MediaType.ShouldBe("text/plain");
        (await right.Content.ReadAsStringAsync()).ShouldBe("1158201444");

        await (await HandshakeAsync(installation, "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=switchboard-verify-token-7d1f0b"))
            .ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        await (await HandshakeAsync(installation, $"hub.mode=unsubscribe&hub.challenge=1158201444&hub.verify_token={VerifyToken}"))
            .ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        await (await HandshakeAsync(installation, "hub.mode=subscribe&hub.challenge=1158201444"))
            .ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        (await HandshakeAsync("ins_01JAAAAAAAAAAAAAAAAAAAAAAA", $"hub.mode=subscribe&hub.challenge=1&hub.verify_token={VerifyToken}")).StatusCode.ShouldBe(HttpStatusCode.Gone);
    }

    /// <summary>A messages notification as Meta sends it (webhooks reference, "messages" field, text message).</summary>
    private static string Notification(string waId, string name, params (string Id, string Text)[] messages) => new JsonObject
    {
        ["object"] = "whatsapp_business_account",
        ["entry"] = new JsonArray(new JsonObject
        {
            ["id"] = "102290129340398",
            ["changes"] = new JsonArray(new JsonObject
            {
                ["value"] = new JsonObject
                {
                    ["messaging_product"] = "whatsapp",
                    ["metadata"] = new JsonObject { ["display_phone_number"] = "15550783881", ["phone_number_id"] = WhatsAppFake.PhoneNumberId },
                    ["contacts"] = new JsonArray(new JsonObject { ["profile"] = new JsonObject { ["name"] = name }, ["wa_id"] = waId }),
                    ["messages"] = new JsonArray(messages.Select(m => (JsonNode)new JsonObject
                    {
                        ["from"] = waId, ["id"] = m.Id, ["timestamp"] = "1749416383", ["type"] = "text", ["text"] = new JsonObject { ["body"] = m.Text },
                    }).ToArray()),
                },
                ["field"] = "messages",
            }),
        }),
    }.ToJsonString();

    private static string Status(string wamid) => $$"""
        {"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp",
        "metadata":{"display_phone_number":"15550783881","phone_number_id":"{{WhatsAppFake.PhoneNumberId}}"},
        "statuses":[{"id":"{{wamid}}","status":"delivered","timestamp":"1750857384","recipient_id":"16505551234"}]},"field":"messages"}]}]}
        """;

    private async Task<HttpResponseMessage> DeliverAsync(string installation, string body, string? secret = AppSecret, Func<string, string>? tamper = null)
    {
        using var anonymous = node.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/integrations/{installation}/inbound/events")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (secret is not null)
        {
            // Meta's recipe: sha256= and the hex HMAC-SHA256 of the raw payload, keyed with the app secret.
            var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));
            request.Headers.Add("X-Hub-Signature-256", tamper is null ? signature : tamper(signature));
        }
        return await anonymous.Http.SendAsync(request);
    }

    private static string WamId() => "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQz" + Guid.NewGuid().ToString("N")[..16].ToUpperInvariant();

    private static async Task<JsonArray> SessionsAsync(ApiClient owner) => (await owner.GetJsonAsync("/api/v1/chat/sessions?channel=whatsapp"))["data"]!.AsArray();

    [Fact]
    public async Task AnInboundMessageBecomesAChatMessageOnceHoweverOftenMetaDeliversIt()
    {
        var (owner, installation) = await InstallAsync([Number()]);
        using var _ = owner;
        var contact = await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/contacts", new { firstName = "Sheena", lastName = "Nelson", phone = "+16505551234" }));
        var first = WamId();
        var body = Notification("16505551234", "Sheena Nelson", (first, "Does it come in another color?"));

        (await DeliverAsync(installation, body)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await DeliverAsync(installation, body)).StatusCode.ShouldBe(HttpStatusCode.OK); // Meta redelivers
        var session = (await SessionsAsync(owner)).ShouldHaveSingleItem()!;
        session["visitorName"]!.GetValue<string>().ShouldBe("Sheena Nelson");
        session["contactId"]!.GetValue<string>().ShouldBe(contact["id"]!.GetValue<string>());
        var sessionId = session["id"]!.GetValue<string>();
        var messages = (await owner.GetJsonAsync($"/api/v1/chat/sessions/{sessionId}/messages"))["data"]!.AsArray();
        var message = messages.ShouldHaveSingleItem()!;
        message["author"]!.GetValue<string>().ShouldBe("visitor");
        message["body"]!.GetValue<string>().ShouldBe("Does it come in another color?");
        message["metadata"]!["whatsappMessageId"]!.GetValue<string>().ShouldBe(first);
        var received = (await node.EventsForAsync(message["id"]!.GetValue<string>())).Where(e => e.Type == "chat.message_received").ShouldHaveSingleItem();
        JsonNode.Parse(received.Data)!["sessionId"]!.GetValue<string>().ShouldBe(sessionId);

        // The customer writes again: the same session; a delivery status is acknowledged and changes nothing.
        (await DeliverAsync(installation, Notification("16505551234", "Sheena Nelson", (WamId(), "And in blue?")))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await DeliverAsync(installation, Status(first))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await SessionsAsync(owner)).Count.ShouldBe(1);
        (await owner.GetJsonAsync($"/api/v1/chat/sessions/{sessionId}"))["messageCount"]!.GetValue<int>().ShouldBe(2);
    }

    [Fact]
    public async Task AForgedOrUnsignedDeliveryIs401AndChangesNothing()
    {
        var (owner, installation) = await InstallAsync([Number()]);
        using var _ = owner;
        var body = Notification("16505559876", "Mallory", (WamId(), "Hi"));
        var flip = (string s) => s[..^1] + (s[^1] == '0' ? '1' : '0');

        await (await DeliverAsync(installation, body, tamper: flip)).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        await (await DeliverAsync(installation, body, secret: "another-apps-secret-000000000000")).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        await (await DeliverAsync(installation, body, secret: null)).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        await (await DeliverAsync(installation, body, tamper: s => s.ToUpperInvariant())).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        (await SessionsAsync(owner)).ShouldBeEmpty();
        (await node.WithDbAsync(db => db.Set<ChatMessage>().IgnoreQueryFilters().CountAsync(m => m.Body == "Hi" && m.AuthorName == "Mallory"))).ShouldBe(0);
    }

    [Fact]
    public async Task AnotherOrganizationsInstallationCannotBeUsed()
    {
        var (owner, installation) = await InstallAsync([Number()]);
        using var _ = owner;
        using var other = node.Client();
        await other.SignupAsync();
        (await other.GetAsync($"/api/v1/integrations/{installation}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.PostAsync($"/api/v1/integrations/{installation}/rules", LeadRule)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.PostAsync($"/api/v1/integrations/{installation}/test", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        // The other organization's own WhatsApp app secret does not make a delivery to this installation's URL valid.
        var theirs = await InstallAsync([Number()]);
        using var __ = theirs.Owner;
        var body = Notification("16505550000", "Eve", (WamId(), "Let me in"));
        (await DeliverAsync(installation, body, secret: "their-own-app-secret-0123456789")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        // A valid delivery lands in the installation's organization only.
        (await DeliverAsync(installation, body)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await SessionsAsync(owner)).Count.ShouldBe(1);
        (await SessionsAsync(other)).ShouldBeEmpty();
        (await SessionsAsync(theirs.Owner)).ShouldBeEmpty();
    }
}

public sealed class WhatsAppTestsOnSqlite(WhatsAppSqliteNode node) : WhatsAppTests<WhatsAppSqliteNode>(node);
public sealed class WhatsAppTestsOnPostgres(WhatsAppPostgresNode node) : WhatsAppTests<WhatsAppPostgresNode>(node);
