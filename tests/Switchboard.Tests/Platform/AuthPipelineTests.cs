using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Platform.Auth;

namespace Switchboard.Tests.Platform;

/// <summary>
/// The API's authentication and authorization steps stand in for ASP.NET Core's, which WebApplication would otherwise add
/// by itself, and they leave what ASP.NET Core's leave. Both are told apart by keys ASP.NET Core keeps private: these
/// tests fail if it changes them.
/// </summary>
public sealed class AuthPipelineTests
{
    [Fact]
    public async Task WebApplicationAddsNoAuthenticationMiddlewareOfItsOwnBesideTheSteps()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        var counter = new CountingScheme.Counter();
        builder.Services.AddSingleton(counter);
        builder.Services.AddAuthentication(CountingScheme.Name).AddScheme<AuthenticationSchemeOptions, CountingScheme>(CountingScheme.Name, null);
        builder.Services.AddAuthorization();
        builder.Services.AddSingleton(new SwitchboardAuthentication(null!, null!)); // no credential is sent: never reached
        await using var app = builder.Build();
        app.UseSwitchboardAuthentication();
        app.UseSwitchboardAuthorization();
        app.MapGet("/open", () => "ok");
        await app.StartAsync();

        using var client = app.GetTestClient();
        (await client.GetStringAsync("/open")).ShouldBe("ok");
        // ASP.NET Core's own UseAuthentication, had WebApplication added it, authenticates every request with the default scheme.
        counter.Calls.ShouldBe(0);
        await app.StopAsync();
    }

    [Fact]
    public async Task TheStandardAuthorizationMiddlewareLeavesTheKeyTheStepLeaves()
    {
        var services = new ServiceCollection().AddLogging().AddAuthorization()
            .AddSingleton<EndpointDataSource>(new DefaultEndpointDataSource()).BuildServiceProvider();
        var app = new ApplicationBuilder(services);
        app.UseAuthorization();
        app.Run(_ => Task.CompletedTask);
        var context = new DefaultHttpContext { RequestServices = services };
        context.SetEndpoint(new RouteEndpointBuilder(_ => Task.CompletedTask, RoutePatternFactory.Parse("/x"), 0).Build());
        await app.Build()(context);
        // What the endpoint middleware looks for before it runs an endpoint with authorization metadata.
        context.Items.Keys.ShouldContain(AuthorizationStep.InvokedKey);
    }

    private sealed class CountingScheme(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, CountingScheme.Counter counter)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string Name = "counting";

        public sealed class Counter
        {
            public int Calls;
        }

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            Interlocked.Increment(ref counter.Calls);
            return Task.FromResult(AuthenticateResult.NoResult());
        }
    }
}
