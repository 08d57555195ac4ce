using Microsoft.Extensions.DependencyInjection;
using Switchboard.Integrations.Actions;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Platform;
using static Switchboard.Tests.Integrations.ActionsTestKit;

namespace Switchboard.Tests.Integrations;

/// <summary>Two nodes on one PostgreSQL database, one fake Slack: a schedule's due time fires once, whichever node's scheduler gets there.</summary>
public sealed class ActionsTwoNodeTests : IAsyncLifetime
{
    private FakeSlack _slack = null!;
    private PostgresSwitchboard _a = null!;
    private SecondPostgresNode _b = null!;

    public async Task InitializeAsync()
    {
        _slack = await FakeSlack.StartAsync();
        _a = SlackNode.Configure(new PostgresSwitchboard(), _slack);
        _b = SlackNode.Configure(new SecondPostgresNode(_a) { EncryptionKey = _a.EncryptionKey }, _slack);
    }

    public async Task DisposeAsync()
    {
        await _b.DisposeAsync();
        await _a.DisposeAsync();
        await _slack.DisposeAsync();
    }

    [Fact]
    public async Task EachDueTimeOfAScheduleFiresOnceAcrossTwoNodes()
    {
        using var owner = _a.Client();
        await owner.SignupAsync();
        using var _ = _b.Client(); // started: its scheduler polls too
        var channel = $"twonode-{Guid.NewGuid():N}";
        var installation = await InstallAsync(_a, owner.OrganizationId!, "slack", new { channel }, botToken: true);
        var rule = await CreateRuleAsync(owner, installation, new { action = "post_message", input = new { text = "tick {{data.scheduledFor}}" }, schedule = "* * * * *" });

        for (var round = 1; round <= 2; round++)
        {
            var due = (await owner.GetJsonAsync($"/api/v1/integrations/{installation}/rules/{rule}"))["nextScheduledAt"]!.GetValue<DateTime>().ToUniversalTime();
            var by = due - _a.Clock.GetUtcNow().UtcDateTime + TimeSpan.FromSeconds(1);
            _a.Clock.Advance(by);
            _b.Clock.Advance(by);
            // Both nodes' background schedulers race, and so do these passes of each.
            await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
                (i % 2 == 0 ? _a : (SwitchboardFactory)_b).Services.GetRequiredService<RuleScheduler>().RunOnceAsync(CancellationToken.None)));
            var text = $"tick {due:yyyy-MM-dd'T'HH:mm:ss'Z'}";
            await _slack.WaitForPostAsync(m => m["text"]?.GetValue<string>() == text);
            await Task.Delay(800);
            _slack.Posted.Count(m => m["channel"]?.GetValue<string>() == channel).ShouldBe(round, "one message per due time");
            (await RunsAsync(owner, installation, r => r.Count >= round)).Count.ShouldBe(round, "one run per due time");
        }
        _slack.Provider.AssertNoViolations();
    }
}
