using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Integrations;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Integrations.TestProviders;
using Switchboard.Tests.Integrations.TestProviders.TestKey;
using Switchboard.Tests.Integrations.TestProviders.TestOAuth;

namespace Switchboard.Tests.Integrations;

/// <summary>A node whose catalog also has the test-only providers, pointed at its own <see cref="FakeOAuthProvider"/>.</summary>
public interface IIntegrationNode
{
    FakeOAuthProvider Fake { get; }
}

internal static class IntegrationNodeSetup
{
    public static FakeOAuthProvider StartFake(SwitchboardFactory node)
    {
        var fake = FakeOAuthProvider.StartAsync().GetAwaiter().GetResult();
        Point(node, fake);
        return fake;
    }

    public static void Point(SwitchboardFactory node, FakeOAuthProvider fake)
    {
        foreach (var (key, value) in fake.Settings()) node.With(key, value);
    }

    public static void AddTestProviders(IWebHostBuilder builder) => builder.ConfigureTestServices(services =>
    {
        services.AddSingleton<Connector, TestOAuthConnector>();
        services.AddSingleton<Connector, TestKeyConnector>();
    });
}

public sealed class IntegrationSqliteNode : SqliteSwitchboard, IIntegrationNode
{
    public FakeOAuthProvider Fake { get; }
    public IntegrationSqliteNode() => Fake = IntegrationNodeSetup.StartFake(this);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        IntegrationNodeSetup.AddTestProviders(builder);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Fake.DisposeAsync();
    }
}

public class IntegrationPostgresNode : PostgresSwitchboard, IIntegrationNode
{
    public FakeOAuthProvider Fake { get; }
    public IntegrationPostgresNode() => Fake = IntegrationNodeSetup.StartFake(this);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        IntegrationNodeSetup.AddTestProviders(builder);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Fake.DisposeAsync();
    }
}

/// <summary>A second node on the first one's database, with the same key and the same fake provider.</summary>
public sealed class SecondIntegrationPostgresNode : PostgresSwitchboard
{
    private readonly IntegrationPostgresNode _first;

    public SecondIntegrationPostgresNode(IntegrationPostgresNode first) : base(first.Database.Share())
    {
        _first = first;
        EncryptionKey = first.EncryptionKey;
        IntegrationNodeSetup.Point(this, first.Fake);
    }

    public override string ConnectionString => _first.ConnectionString;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        IntegrationNodeSetup.AddTestProviders(builder);
    }
}

/// <summary>What the integration suites share: installing, connecting, reading rows.</summary>
internal static class IntegrationSteps
{
    public const string Base = "/api/v1/integrations";

    public static async Task<JsonObject> InstallAsync(this ApiClient client, object body, HttpStatusCode expected = HttpStatusCode.Created)
    {
        var response = await client.PostAsync(Base, body);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(expected, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    public static Task<JsonObject> InstallChatAsync(this ApiClient client, string name = "Sales chat") =>
        client.InstallAsync(new { provider = TestOAuthConnector.Key, name, config = new { workspace = "acme", region = "eu", signingSecret = "sig-0123456789" } });

    /// <summary>Installs the chat provider and connects it through the fake's consent, as a browser would; answers the installation id.</summary>
    public static async Task<string> InstallConnectedChatAsync(this ApiClient client, FakeOAuthProvider fake)
    {
        var id = (await client.InstallChatAsync())["id"]!.GetValue<string>();
        var connect = await client.GetJsonAsync($"{Base}/{id}/connect");
        var callback = fake.Approve(connect["authorizeUrl"]!.GetValue<string>());
        using var browser = client.Anonymous();
        var page = await browser.Http.GetAsync(new Uri(callback).PathAndQuery);
        page.StatusCode.ShouldBe(HttpStatusCode.OK, await page.Content.ReadAsStringAsync());
        return id;
    }

    public static async Task<IntegrationInstallation> RowAsync(this SwitchboardFactory node, string id)
    {
        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        return await db.Set<IntegrationInstallation>().IgnoreQueryFilters().AsNoTracking().SingleAsync(i => i.Id == id);
    }
}
