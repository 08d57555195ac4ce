using Microsoft.Extensions.DependencyInjection;
using Switchboard.Developers;
using Switchboard.Integrations.Catalog;
using Switchboard.Tests.Integrations.TestProviders.TestKey;
using Switchboard.Tests.Integrations.TestProviders.TestOAuth;

namespace Switchboard.Tests.Integrations;

/// <summary>A provider's portal page is written from its definition: every field, credential flag, action, event, sync.</summary>
public sealed class CatalogPortalPageTests
{
    [Fact]
    public void APagePerProviderSaysWhatItsDefinitionSays()
    {
        var markdown = ProviderPages.Markdown(new TestOAuthConnector().Definition);
        var page = PortalMarkdown.Render("integrations-test-oauth", markdown, new Dictionary<string, Func<string>>());
        page.Title.ShouldBe("Test Chat integration");
        page.Html.ShouldContain("OAuth 2.0 with PKCE");
        page.Html.ShouldContain("messages:write");
        page.Html.ShouldContain("signingSecret");
        page.Html.ShouldContain("a credential: encrypted, never returned");
        page.Html.ShouldContain("send_message");
        page.Html.ShouldContain("lead.*");
        page.Html.ShouldContain("members");
        page.Html.ShouldContain("/developers/integrations"); // the link to the guide points into the portal

        var ledger = PortalMarkdown.Render("integrations-test-key", ProviderPages.Markdown(new TestKeyConnector().Definition), new Dictionary<string, Func<string>>());
        ledger.Html.ShouldContain("An API key of your account");
        ledger.Html.ShouldContain("two-way");
        ledger.Html.ShouldContain("<table>");
    }
}

/// <summary>Every provider of the catalog has its portal page, including connectors made with services (HubSpot, Google Calendar, Gmail).</summary>
public sealed class CatalogPortalPagesServedTests : IAsyncLifetime
{
    private readonly Infrastructure.SqliteSwitchboard _node = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task EachProviderOfTheCatalogHasItsPage()
    {
        using var http = _node.CreateClient();
        var providers = _node.Services.GetRequiredService<ProviderCatalog>().All;
        providers.Select(p => p.Key).ShouldContain("hubspot");
        providers.Select(p => p.Key).ShouldContain("google_calendar");
        providers.Select(p => p.Key).ShouldContain("gmail");
        providers.Select(p => p.Key).ShouldContain("salesforce");
        providers.Select(p => p.Key).ShouldContain("pipedrive");
        foreach (var provider in providers)
        {
            var response = await http.GetAsync($"/developers/{ProviderPages.SlugPrefix}{provider.Key.Replace('_', '-')}");
            response.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK, provider.Key);
            (await response.Content.ReadAsStringAsync()).ShouldContain(System.Net.WebUtility.HtmlEncode(provider.Name));
        }
    }
}
