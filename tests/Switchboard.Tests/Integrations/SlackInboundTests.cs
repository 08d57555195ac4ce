using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;
using static Switchboard.Tests.Integrations.ActionsTestKit;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// Slack's requests to an installation: the slash command and the lead card's button, signed as Slack signs them
/// (computed here independently: v0 HMAC-SHA256 of "v0:{timestamp}:{body}"), verified, and answered from or applied to
/// the organization's CRM; a forged, unsigned or stale request is 401 and changes nothing.
/// </summary>
public abstract class SlackInboundTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    private const string SigningSecret = "8f742231b10e8888abcd99yyyzzz85a5";

    private async Task<(ApiClient Owner, string Installation)> SetupAsync()
    {
        var owner = node.Client();
        await owner.SignupAsync();
        var installation = await InstallAsync(node, owner.OrganizationId!, "slack", new { channel = "C0123456789" }, new { signingSecret = SigningSecret }, botToken: true);
        return (owner, installation);
    }

    private async Task<HttpResponseMessage> SendAsync(string installation, string kind, string body, string? secret = SigningSecret, TimeSpan? age = null,
        Func<string, string>? tamper = null)
    {
        using var anonymous = node.Client();
        var timestamp = (node.Clock.GetUtcNow() - (age ?? TimeSpan.Zero)).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/integrations/{installation}/inbound/{kind}")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Headers.Add("X-Slack-Request-Timestamp", timestamp);
        if (secret is not null)
        {
            var signature = "v0=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"v0:{timestamp}:{body}")));
            request.Headers.Add("X-Slack-Signature", tamper is null ? signature : tamper(signature));
        }
        return await anonymous.Http.SendAsync(request);
    }

    private static string Command(string text) =>
        $"token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=acme&channel_id=C2147483705&channel_name=sales&user_id=U2147483697&user_name=ada" +
        $"&command=%2Fswitchboard&text={Uri.EscapeDataString(text)}&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1234%2F5678&trigger_id=13345224609.738474920.8088930838d88f008e0";

    private static string Button(string leadId)
    {
        var payload = new JsonObject
        {
            ["type"] = "block_actions", ["user"] = new JsonObject { ["id"] = "U2147483697", ["username"] = "ada", ["team_id"] = "T0001" },
            ["api_app_id"] = "A0001", ["token"] = "gIkuvaNzQIHg97ATvDxqgjtO", ["trigger_id"] = "12466734323.1395872398", ["team"] = new JsonObject { ["id"] = "T0001", ["domain"] = "acme" },
            ["channel"] = new JsonObject { ["id"] = "C0123456789", ["name"] = "sales" }, ["response_url"] = "https://hooks.slack.com/actions/T0001/1234/abcd",
            ["actions"] = new JsonArray(new JsonObject
            {
                ["action_id"] = "switchboard_mark_contacted", ["block_id"] = "lead_actions", ["type"] = "button", ["value"] = leadId,
                ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = "Mark contacted" }, ["action_ts"] = "1548426417.840180",
            }),
        };
        return "payload=" + Uri.EscapeDataString(payload.ToJsonString());
    }

    [Fact]
    public async Task TheSlashCommandAnswersTheOrganizationsNewestLeadsAndCalls()
    {
        var (owner, installation) = await SetupAsync();
        using var _ = owner;
        await CreateLeadAsync(owner, new { name = "Ada Lovelace", company = "Engines", score = 88 });
        (await owner.PostAsync("/api/v1/calls", new { direction = "outbound", fromNumber = "+14155550100", toNumber = "+14155550199", status = "completed", durationSeconds = 125 }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        using (var other = node.Client())
        {
            await other.SignupAsync();
            await CreateLeadAsync(other, new { name = "Someone Else's" });
        }

        var leads = await SendAsync(installation, "commands", Command("leads"));
        leads.StatusCode.ShouldBe(HttpStatusCode.OK, await leads.Content.ReadAsStringAsync());
        leads.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        var answer = await ApiClient.ReadAsync(leads);
        answer["response_type"]!.GetValue<string>().ShouldBe("ephemeral");
        answer["text"]!.GetValue<string>().ShouldContain("Ada Lovelace");
        answer["text"]!.GetValue<string>().ShouldContain("score 88");
        answer.ToJsonString().ShouldNotContain("Someone Else");

        var calls = await ApiClient.ReadAsync(await SendAsync(installation, "commands", Command("calls")));
        calls["text"]!.GetValue<string>().ShouldContain("+14155550199");
        calls["text"]!.GetValue<string>().ShouldContain("125 s");

        (await ApiClient.ReadAsync(await SendAsync(installation, "commands", Command("weather"))))["text"]!.GetValue<string>().ShouldContain("Usage");
    }

    [Fact]
    public async Task TheButtonMarksTheLeadContactedThroughTheCrmWritePath()
    {
        var (owner, installation) = await SetupAsync();
        using var _ = owner;
        var leadId = await CreateLeadAsync(owner, new { name = "Button Pressed", score = 60 });

        var response = await SendAsync(installation, "interactions", Button(leadId));
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var lead = await owner.GetJsonAsync($"/api/v1/leads/{leadId}");
        lead["status"]!.GetValue<string>().ShouldBe("contacted");
        var updated = (await node.EventsForAsync(leadId)).Where(e => e.Type == "lead.updated").ShouldHaveSingleItem();
        JsonNode.Parse(updated.PreviousAttributes!)!["status"]!.GetValue<string>().ShouldBe("new");

        // Pressed again: already contacted, nothing more happens.
        (await SendAsync(installation, "interactions", Button(leadId))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await node.EventsForAsync(leadId)).Count(e => e.Type == "lead.updated").ShouldBe(1);
    }

    [Fact]
    public async Task AForgedUnsignedOrStaleRequestIs401AndChangesNothing()
    {
        var (owner, installation) = await SetupAsync();
        using var _ = owner;
        var leadId = await CreateLeadAsync(owner, new { name = "Untouchable" });
        var flip = (string s) => s[..^1] + (s[^1] == '0' ? '1' : '0');

        var attempts = new[]
        {
            await SendAsync(installation, "interactions", Button(leadId), tamper: flip),                               // forged signature
            await SendAsync(installation, "interactions", Button(leadId), secret: "another-apps-signing-secret"),     // someone else's secret
            await SendAsync(installation, "interactions", Button(leadId), secret: null),                              // unsigned
            await SendAsync(installation, "interactions", Button(leadId), age: TimeSpan.FromMinutes(6)),              // replayed after the window
            await SendAsync(installation, "interactions", Button(leadId), age: -TimeSpan.FromMinutes(6)),             // from the future
        };
        foreach (var attempt in attempts) await attempt.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        (await SendAsync(installation, "commands", Command("leads"), tamper: flip)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        (await owner.GetJsonAsync($"/api/v1/leads/{leadId}"))["status"]!.GetValue<string>().ShouldBe("new");
        (await node.EventsForAsync(leadId)).ShouldNotContain(e => e.Type == "lead.updated");
    }

    [Fact]
    public async Task AnUnknownInstallationIs410AnIllFormedIdOrUnknownKind404()
    {
        var (owner, installation) = await SetupAsync();
        using var _ = owner;
        // A well-formed id naming no installation (an uninstalled one): Gone, so the provider stops calling.
        await (await SendAsync("ins_01JAAAAAAAAAAAAAAAAAAAAAAA", "commands", Command("leads"))).ShouldBeProblemAsync(HttpStatusCode.Gone, "gone");
        (await SendAsync("ins_not-an-id", "commands", Command("leads"))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await SendAsync(installation, "events", Command("leads"))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        // Another organization's lead id in a validly signed click changes nothing (the tenant is the installation's).
        using var other = node.Client();
        await other.SignupAsync();
        var theirs = await CreateLeadAsync(other, new { name = "Not Yours" });
        (await SendAsync(installation, "interactions", Button(theirs))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await other.GetJsonAsync($"/api/v1/leads/{theirs}"))["status"]!.GetValue<string>().ShouldBe("new");
    }
}

public sealed class SlackInboundTestsOnSqlite(SqliteSwitchboard node) : SlackInboundTests<SqliteSwitchboard>(node);
public sealed class SlackInboundTestsOnPostgres(PostgresSwitchboard node) : SlackInboundTests<PostgresSwitchboard>(node);
