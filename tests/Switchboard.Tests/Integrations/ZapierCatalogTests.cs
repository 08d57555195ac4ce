using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Providers.Zapier;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>A node whose operator points the catalog's Zapier entry at their own copy of the app (its invite link).</summary>
public abstract class ZapierCatalogNode : IAsyncLifetime
{
    public const string InviteLink = "https://zapier.com/developer/public-invite/4242/5f1c0e/";
    public SwitchboardFactory Node { get; private set; } = null!;
    protected abstract SwitchboardFactory Create();

    public Task InitializeAsync()
    {
        Node = Create().With("Switchboard:Integrations:Providers:zapier:BaseUrls:setup", InviteLink);
        _ = Node.Services; // starts the node
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Node.DisposeAsync();
}

public sealed class ZapierCatalogSqliteNode : ZapierCatalogNode
{
    protected override SwitchboardFactory Create() => new SqliteSwitchboard();
}

public sealed class ZapierCatalogPostgresNode : ZapierCatalogNode
{
    protected override SwitchboardFactory Create() => new PostgresSwitchboard();
}

/// <summary>
/// Zapier in the catalog: an <c>external</c> provider, set up from the Switchboard app in Zapier. The catalog points at
/// the operator's copy of the app, lists the events its REST hooks subscribe to (the app's own list), and refuses an
/// install.
/// </summary>
public abstract class ZapierCatalogTests<TNode>(TNode fixture) : IClassFixture<TNode> where TNode : ZapierCatalogNode
{
    private const string Providers = "/api/v1/integrations/providers";

    [Fact]
    public async Task ZapierIsListedWithTheOperatorsAppLinkAndTheAppsTriggersAndCannotBeInstalled()
    {
        using var owner = fixture.Node.Client();
        await owner.SignupAsync();

        var zapier = await owner.GetJsonAsync(Providers + "/zapier");
        zapier["category"]!.GetValue<string>().ShouldBe("automation");
        zapier["auth"]!["kind"]!.GetValue<string>().ShouldBe("external");
        zapier["auth"]!["setupUrl"]!.GetValue<string>().ShouldBe(ZapierCatalogNode.InviteLink.TrimEnd('/'));
        zapier["actions"]!.AsArray().ShouldBeEmpty();
        zapier["configSchema"]!["additionalProperties"]!.GetValue<bool>().ShouldBeFalse();
        // Other providers carry no setup link.
        (await owner.GetJsonAsync(Providers + "/slack"))["auth"]!["setupUrl"].ShouldBeNull();

        // The events are the ones the Zapier app's REST-hook triggers subscribe to, read from the app's source.
        var hooks = await File.ReadAllTextAsync(Path.Combine(NodeTools.RepositoryRoot() ?? throw new InvalidOperationException("No repository root above the tests."), "integrations", "zapier", "triggers", "hooks.js"));
        var appEvents = Regex.Matches(hooks, @"events:\s*\[([^\]]*)\]").SelectMany(m => Regex.Matches(m.Groups[1].Value, "'([a-z_.]+)'").Select(e => e.Groups[1].Value))
            .Distinct().Order(StringComparer.Ordinal).ToList();
        appEvents.Count.ShouldBeGreaterThan(3);
        zapier["triggers"]!.AsArray().Select(t => t!.GetValue<string>()).Order(StringComparer.Ordinal).ShouldBe(appEvents);

        // Filters know the kind.
        var external = (await owner.GetJsonAsync(Providers + "?auth=external"))["data"]!.AsArray().Select(p => p!["key"]!.GetValue<string>()).ToList();
        external.ShouldBe(["zapier"]);
        (await owner.GetJsonAsync(Providers + "?trigger=deal.stage_changed"))["data"]!.AsArray().Select(p => p!["key"]!.GetValue<string>()).ShouldContain("zapier");

        // Nothing to install: a clear conflict that says where to go, and nothing stored.
        var refused = await owner.PostAsync("/api/v1/integrations", new { provider = "zapier", config = new { } });
        var problem = await refused.ShouldBeProblemAsync(HttpStatusCode.Conflict, "conflict");
        problem["detail"]!.GetValue<string>().ShouldContain(ZapierCatalogNode.InviteLink.TrimEnd('/'));
        (await owner.GetJsonAsync("/api/v1/integrations"))["data"]!.AsArray().ShouldBeEmpty();
    }

    [Fact]
    public void ThePortalPageSaysWhereToSetItUp()
    {
        var page = ProviderPages.Markdown(new ZapierConnector().Definition);
        page.ShouldContain("set up from Zapier's side");
        page.ShouldContain("<https://zapier.com/apps/switchboard/integrations>");
        page.ShouldContain("REST hooks");
        page.ShouldContain("## Events its triggers subscribe to");
        page.ShouldNotContain("POST /api/v1/integrations`");
    }
}

public sealed class ZapierCatalogTestsOnSqlite(ZapierCatalogSqliteNode node) : ZapierCatalogTests<ZapierCatalogSqliteNode>(node);
public sealed class ZapierCatalogTestsOnPostgres(ZapierCatalogPostgresNode node) : ZapierCatalogTests<ZapierCatalogPostgresNode>(node);
