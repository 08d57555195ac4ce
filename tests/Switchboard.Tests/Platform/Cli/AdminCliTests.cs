using System.Net;
using Microsoft.AspNetCore.Builder;
using Switchboard.Platform.Cli;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Platform.Cli;

/// <summary>The admin command line creates owners on an installation where signup is off.</summary>
public sealed class AdminCliTests : IAsyncLifetime
{
    private readonly SqliteSwitchboard _node = new();

    public Task InitializeAsync()
    {
        _node.With("Switchboard:Auth:AllowSignup", "false");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    private WebApplicationBuilder Builder()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration["Switchboard:Database:Provider"] = "sqlite";
        builder.Configuration["ConnectionStrings:Switchboard"] = _node.ConnectionString;
        builder.Configuration["Switchboard:Encryption:Key"] = _node.EncryptionKey;
        builder.Configuration["Switchboard:Auth:PasswordHashIterations"] = "10000";
        return builder;
    }

    [Fact]
    public async Task CreateOwnerMakesAnAccountThatCanSignInWhileSignupIsOff()
    {
        using var client = _node.Client();
        await (await client.PostAsync("/api/v1/auth/signup", new { email = "x@example.com", password = "long enough password", name = "X", organizationName = "X" }))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden, "signup_disabled");

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await AdminCli.RunAsync(Builder(),
            ["create-owner", "--email", "ops@example.com", "--name", "Ops", "--organization", "Initech", "--password-stdin"],
            new StringReader("an operator's password\n"), stdout, stderr);
        exit.ShouldBe(0, stderr.ToString());
        stdout.ToString().ShouldContain("Initech");
        stdout.ToString().ShouldNotContain("an operator's password");

        var login = await client.PostAsync("/api/v1/auth/login", new { email = "ops@example.com", password = "an operator's password" });
        login.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ApiClient.ReadAsync(login))["organization"]!["role"]!.GetValue<string>().ShouldBe("owner");

        var again = await AdminCli.RunAsync(Builder(), ["create-owner", "--email", "ops@example.com", "--name", "Ops", "--organization", "I2", "--password", "another password!"],
            new StringReader(""), new StringWriter(), stderr);
        again.ShouldBe(1);
    }

    [Fact]
    public async Task CreateOwnerExplainsBadArguments()
    {
        var stderr = new StringWriter();
        var exit = await AdminCli.RunAsync(Builder(), ["create-owner", "--email", "nope", "--password", "short"], new StringReader(""), new StringWriter(), stderr);
        exit.ShouldBe(2);
        stderr.ToString().ShouldContain("--email");
        stderr.ToString().ShouldContain("--password");
        stderr.ToString().ShouldContain("--organization");
    }

    [Fact]
    public async Task RotateSigningKeyPublishesTheNewKeyAndKeepsOldTokensValid()
    {
        using var client = _node.Client();
        await AdminCli.RunAsync(Builder(), ["create-owner", "--email", "rot@example.com", "--name", "R", "--organization", "R", "--password", "rotation password"],
            new StringReader(""), new StringWriter(), new StringWriter());
        var before = await ApiClient.ReadAsync(await client.PostAsync("/api/v1/auth/login", new { email = "rot@example.com", password = "rotation password" }));
        var stdout = new StringWriter();
        (await AdminCli.RunAsync(Builder(), ["rotate-signing-key"], new StringReader(""), stdout, new StringWriter())).ShouldBe(0);
        var newKid = stdout.ToString().Trim().Split(' ').Last();

        using var old = _node.Client().WithBearer(before["accessToken"]!.GetValue<string>());
        (await old.GetAsync("/api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var jwks = await client.GetJsonAsync("/.well-known/jwks.json");
        jwks["keys"]!.AsArray().Select(k => k!["kid"]!.GetValue<string>()).ShouldContain(newKid);
    }
}
