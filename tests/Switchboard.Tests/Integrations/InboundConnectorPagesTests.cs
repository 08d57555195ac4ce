using System.Net;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// The WhatsApp Business and Calendly connectors in the catalog (category, schema, capabilities, icon) and on their
/// developer-portal pages, written from their definitions and served by the node.
/// </summary>
public sealed class InboundConnectorPagesTests(SqliteSwitchboard node) : IClassFixture<SqliteSwitchboard>
{
    [Fact]
    public async Task WhatsAppAndCalendlyAreInTheCatalogWithTheirCategorySchemaAndCapabilities()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var whatsapp = await owner.GetJsonAsync("/api/v1/integrations/providers/whatsapp_business");
        whatsapp["category"]!.GetValue<string>().ShouldBe("communication");
        whatsapp["actions"]!.AsArray().Select(a => a!["name"]!.GetValue<string>()).ShouldBe(["notify_lead"]);
        whatsapp["inbound"]!.AsArray().Select(a => a!.GetValue<string>()).ShouldBe(["events"]);
        whatsapp["configSchema"]!["properties"]!["recipients"]!["items"]!["pattern"]!.GetValue<string>().ShouldBe("^\\+[1-9][0-9]{6,14}$");
        whatsapp["configSchema"]!["properties"]!["appSecret"]!["writeOnly"]!.GetValue<bool>().ShouldBeTrue();

        var calendly = await owner.GetJsonAsync("/api/v1/integrations/providers/calendly");
        calendly["category"]!.GetValue<string>().ShouldBe("calendar");
        calendly["auth"]!["kind"]!.GetValue<string>().ShouldBe("oauth2");
        calendly["actions"]!.AsArray().Select(a => a!["name"]!.GetValue<string>()).ShouldBe(["subscribe_webhooks", "offer_booking_link"]);
        calendly["configSchema"]!["properties"]!["webhookSigningKey"]!["writeOnly"]!.GetValue<bool>().ShouldBeTrue();

        var listed = (await owner.GetJsonAsync("/api/v1/integrations/providers?trigger=chat.message_received"))["data"]!.AsArray();
        listed.Select(p => p!["key"]!.GetValue<string>()).ShouldContain("calendly");
        foreach (var key in new[] { "whatsapp_business", "calendly" })
        {
            var icon = await owner.GetAsync($"/api/v1/integrations/providers/{key}/icon.svg");
            icon.StatusCode.ShouldBe(HttpStatusCode.OK);
            icon.Content.Headers.ContentType!.MediaType.ShouldBe("image/svg+xml");
            (await icon.Content.ReadAsStringAsync()).ShouldStartWith("<svg");
        }
    }

    /// <summary>QuickBooks, Xero and Jira send every connected account's traffic to one URL per app: the catalog and their pages say so.</summary>
    [Fact]
    public async Task ProvidersWithOneUrlPerAppListTheirInboundAsAppWideAndTheirPagesNameTheUrl()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        foreach (var (key, page) in new[] { ("quickbooks", "integrations-quickbooks"), ("xero", "integrations-xero"), ("jira", "integrations-jira") })
        {
            var provider = await owner.GetJsonAsync($"/api/v1/integrations/providers/{key}");
            provider["capabilities"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldContain("inbound", key);
            provider["inbound"]!.AsArray().ShouldBeEmpty(key + ": nothing on an installation's own URL");
            provider["appInbound"]!.AsArray().Select(a => a!.GetValue<string>()).ShouldBe(["events"], key);
            var html = await owner.Http.GetStringAsync($"/developers/{page}");
            html.ShouldContain($"/api/v1/integrations/providers/{key}/inbound/{{kind}}");
        }
        var slack = await owner.GetJsonAsync("/api/v1/integrations/providers/slack");
        slack["appInbound"]!.AsArray().ShouldBeEmpty();
    }

    [Fact]
    public async Task EachHasItsPortalPageWrittenFromItsDefinition()
    {
        using var client = node.Client();
        var whatsapp = await client.Http.GetAsync("/developers/integrations-whatsapp-business");
        whatsapp.StatusCode.ShouldBe(HttpStatusCode.OK);
        var html = await whatsapp.Content.ReadAsStringAsync();
        html.ShouldContain("WhatsApp Business (Cloud API) integration");
        html.ShouldContain("notify_lead");
        html.ShouldContain("verifyToken");
        html.ShouldContain("a credential: encrypted, never returned");

        var calendly = await client.Http.GetAsync("/developers/integrations-calendly");
        calendly.StatusCode.ShouldBe(HttpStatusCode.OK);
        var page = await calendly.Content.ReadAsStringAsync();
        page.ShouldContain("Calendly integration");
        page.ShouldContain("subscribe_webhooks");
        page.ShouldContain("offer_booking_link");
        page.ShouldContain("webhooks:write");
    }
}
