using System.Net;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Actions;
using Switchboard.Tests.Infrastructure;
using static Switchboard.Tests.Integrations.ActionsTestKit;

namespace Switchboard.Tests.Integrations;

/// <summary>The rules API: create, read, list, update, delete; every field checked where it is saved, with a clear field error.</summary>
public abstract class RulesApiTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    private async Task<(ApiClient Owner, string Installation)> SetupAsync()
    {
        var owner = node.Client();
        await owner.SignupAsync();
        return (owner, await InstallAsync(node, owner.OrganizationId!, "slack", new { channel = "C0123456789" }, botToken: true));
    }

    [Theory]
    [InlineData("""{"events":["lead.created"],"action":"fly_to_the_moon","input":{}}""", "action", "no action 'fly_to_the_moon'")]
    [InlineData("""{"events":["lead.created"],"action":"notify_lead","input":{}}""", "input", "lead")]
    [InlineData("""{"events":["lead.created"],"action":"post_message","input":{"text":"hi","colour":"red"}}""", "input.colour", "")]
    [InlineData("""{"events":["lead.created"],"action":"post_message","input":{"text":42}}""", "input.text", "")]
    [InlineData("""{"events":["lead.created"],"action":"post_message","input":{"text":"{{lead.name}}"}}""", "input", "names nothing")]
    [InlineData("""{"events":["lead.created"],"action":"post_message","input":{"text":"hi"},"filter":"score >> 80"}""", "filter", "position 8")]
    [InlineData("""{"events":["lead.created"],"action":"post_message","input":{"text":"hi"},"filter":"score = 80"}""", "filter", "'=='")]
    [InlineData("""{"events":["lead.created"],"action":"post_message","input":{"text":"hi"},"filter":"(score > 1"}""", "filter", "')'")]
    [InlineData("""{"events":["lead.made"],"action":"post_message","input":{"text":"hi"}}""", "events", "Unknown event type")]
    [InlineData("""{"action":"post_message","input":{"text":"hi"}}""", "events", "a schedule")]
    [InlineData("""{"action":"send_digest","input":{},"schedule":"every day"}""", "schedule", "five fields")]
    [InlineData("""{"action":"send_digest","input":{},"schedule":"0 9 * * *","scheduleTimeZone":"Mars/Olympus"}""", "scheduleTimeZone", "IANA")]
    [InlineData("""{"events":["lead.created"],"input":{}}""", "action", "Is required")]
    public async Task AnInvalidRuleIsRefusedNamingTheField(string body, string field, string message)
    {
        var (owner, installation) = await SetupAsync();
        using var _ = owner;
        var response = await owner.SendRawAsync(HttpMethod.Post, $"/api/v1/integrations/{installation}/rules", body);
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        var errors = problem["errors"]!.AsObject();
        errors.ContainsKey(field).ShouldBeTrue(problem.ToJsonString());
        string.Join(" | ", errors[field]!.AsArray().Select(e => e!.GetValue<string>())).ShouldContain(message);
    }

    [Fact]
    public async Task ARuleIsCreatedReadListedUpdatedAndDeleted()
    {
        var (owner, installation) = await SetupAsync();
        using var _ = owner;
        // A template variable stands where the schema wants an object: its value is known per event.
        var created = await owner.PostAsync($"/api/v1/integrations/{installation}/rules", new
        {
            events = new[] { "lead.*" }, filter = "score >= 80", action = "notify_lead", input = new { lead = "{{data}}", channel = "C999" },
        });
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var rule = await ApiClient.ReadAsync(created);
        var id = rule["id"]!.GetValue<string>();
        id.ShouldStartWith("rul_");
        created.Headers.Location!.ToString().ShouldBe($"/api/v1/integrations/{installation}/rules/{id}");
        rule["installationId"]!.GetValue<string>().ShouldBe(installation);
        rule["events"]!.AsArray().Single()!.GetValue<string>().ShouldBe("lead.*");
        rule["input"]!["lead"]!.GetValue<string>().ShouldBe("{{data}}");
        rule["isActive"]!.GetValue<bool>().ShouldBeTrue();
        rule["nextScheduledAt"].ShouldBeNull();

        (await owner.GetJsonAsync($"/api/v1/integrations/{installation}/rules"))["data"]!.AsArray().Single()!["id"]!.GetValue<string>().ShouldBe(id);
        (await owner.GetJsonAsync($"/api/v1/integrations/{installation}/rules/{id}"))["filter"]!.GetValue<string>().ShouldBe("score >= 80");

        var patched = await owner.PatchAsync($"/api/v1/integrations/{installation}/rules/{id}", new { filter = (string?)null, schedule = "30 8 * * 1", isActive = false });
        patched.StatusCode.ShouldBe(HttpStatusCode.OK, await patched.Content.ReadAsStringAsync());
        var updated = await ApiClient.ReadAsync(patched);
        updated["filter"].ShouldBeNull();
        updated["schedule"]!.GetValue<string>().ShouldBe("30 8 * * 1");
        updated["nextScheduledAt"]!.GetValue<DateTime>().ToUniversalTime().DayOfWeek.ShouldBe(DayOfWeek.Monday);
        updated["isActive"]!.GetValue<bool>().ShouldBeFalse();
        var badPatch = await owner.PatchAsync($"/api/v1/integrations/{installation}/rules/{id}", new { input = new { channel = "C1" } });
        (await badPatch.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!.AsObject().ContainsKey("input").ShouldBeTrue();

        (await owner.DeleteAsync($"/api/v1/integrations/{installation}/rules/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await owner.GetAsync($"/api/v1/integrations/{installation}/rules/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await owner.GetAsync($"/api/v1/integrations/ins_01JAAAAAAAAAAAAAAAAAAAAAAA/rules")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ReadingRulesNeedsTheIntegrationsReadScopeAndWritingTheWriteScope()
    {
        var (owner, installation) = await SetupAsync();
        using var _ = owner;
        using var reader = node.Client().WithApiKey((await owner.CreateKeyAsync("integrations:read"))["key"]!.GetValue<string>());
        (await reader.GetAsync($"/api/v1/integrations/{installation}/rules")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await reader.GetAsync($"/api/v1/integrations/{installation}/action-runs")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await reader.PostAsync($"/api/v1/integrations/{installation}/rules", new { events = new[] { "*" }, action = "post_message", input = new { text = "x" } }))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        using var stranger = node.Client().WithApiKey((await owner.CreateKeyAsync("leads:read"))["key"]!.GetValue<string>());
        await (await stranger.GetAsync($"/api/v1/integrations/{installation}/rules")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
    }
}

public sealed class RulesApiTestsOnSqlite(SqliteSwitchboard node) : RulesApiTests<SqliteSwitchboard>(node);
public sealed class RulesApiTestsOnPostgres(PostgresSwitchboard node) : RulesApiTests<PostgresSwitchboard>(node);

/// <summary>The filter language and the template, as units.</summary>
public sealed class RulesFilterAndTemplateTests
{
    private static readonly JsonNode Lead = JsonNode.Parse("""
        {"id":"lead_1","name":"Ada","score":87,"status":"new","source":"web","company":{"name":"Engines","size":120},"tags":["a"],"notes":null}
        """)!;

    [Theory]
    [InlineData("score >= 80", true)]
    [InlineData("score > 87", false)]
    [InlineData("score == 87.0", true)]
    [InlineData("score != 87", false)]
    [InlineData("status == \"new\" and source == 'web'", true)]
    [InlineData("status == \"new\" and source == \"ads\" or score < 90", true)]
    [InlineData("status == \"new\" and (source == \"ads\" or score > 90)", false)]
    [InlineData("company.size >= 100 and company.name == \"Engines\"", true)]
    [InlineData("source in [\"ads\", \"web\"]", true)]
    [InlineData("source in (\"ads\", \"event\")", false)]
    [InlineData("missing == null", true)]
    [InlineData("notes == null", true)]
    [InlineData("missing > 3", false)]
    [InlineData("score == \"87\"", false)]
    [InlineData("name < \"B\"", true)]
    [InlineData("tags == null", true)]
    public void FiltersMatchAsDocumented(string filter, bool matches)
    {
        EventFilter.TryParse(filter, out var parsed, out var error).ShouldBeTrue(error);
        parsed!.Matches(Lead).ShouldBe(matches);
    }

    [Theory]
    [InlineData("")]
    [InlineData("score")]
    [InlineData("score >")]
    [InlineData("score > 80 and")]
    [InlineData("score > 80 score < 90")]
    [InlineData("1 == score")]
    [InlineData("status == \"new")]
    [InlineData("source in []")]
    [InlineData("and == 1")]
    public void MalformedFiltersAreRefused(string filter) => EventFilter.TryParse(filter, out _, out var error).ShouldBeFalse(error ?? "parsed");

    [Fact]
    public void DeepNestingIsRefusedNotAStackOverflow() =>
        EventFilter.TryParse(new string('(', 500) + "a == 1" + new string(')', 500), out _, out var error).ShouldBeFalse(error);

    [Fact]
    public void TemplatesSubstituteAndNeverEvaluate()
    {
        var payload = JsonNode.Parse("""{"id":"evt_1","type":"lead.created","timestamp":"2026-01-01T00:00:00Z","data":{"name":"Ada","score":87,"x":{"y":true}}}""");
        var template = JsonNode.Parse("""{"text":"{{type}}: {{data.name}} ({{data.score}}) {{data.nope}}!","score":"{{data.score}}","nested":["{{data.x}}","{{ data.x.y }}"],"code":"{{data.name.constructor}}","raw":"{data.name}"}""")!.AsObject();
        var rendered = ActionTemplate.Render(template, payload);
        rendered["text"]!.GetValue<string>().ShouldBe("lead.created: Ada (87) !");
        rendered["score"]!.GetValue<int>().ShouldBe(87);
        rendered["nested"]![0]!["y"]!.GetValue<bool>().ShouldBeTrue();
        rendered["nested"]![1]!.GetValue<bool>().ShouldBeTrue();
        rendered["code"].ShouldBeNull();
        rendered["raw"]!.GetValue<string>().ShouldBe("{data.name}");
        ActionTemplate.RenderText("{\"n\":\"{{data.name}}\"}", JsonNode.Parse("""{"data":{"name":"a\"b\\c"}}"""), ActionTemplate.JsonEscape)
            .ShouldBe("{\"n\":\"a\\\"b\\\\c\"}");
    }
}
