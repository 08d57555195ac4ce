using System.Net;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth.Interop;

/// <summary>
/// The authorization server as an OAuth client nobody here wrote sees it: oauth4webapi (npm), run by Node.js against a
/// live node over loopback HTTP, through the real sign-in and consent pages (headless Chromium on SQLite, the pages'
/// forms posted with their cookies and CSRF tokens on PostgreSQL). The script asserts each protocol step itself (see
/// tests/node/oauth-interop/client.mjs); these tests check that every step ran and what the node recorded.
/// </summary>
public abstract class OAuth4WebApiInteropTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    /// <summary>Whether the authorization requests of the code flow go through headless Chromium (else form posts).</summary>
    protected abstract bool InChromium { get; }

    private static void ShouldHaveRun(ClientRun run, params string[] steps)
    {
        run.ExitCode.ShouldBe(0, run.ToString());
        run.StepNames.ShouldBe(["discovery", .. steps, "done"], run.ToString());
    }

    [Fact(Timeout = 240_000)]
    public async Task AuthorizationCodeWithPkceThroughThePagesThenRefreshRotationAndReuse()
    {
        var world = await InteropWorld.CreateAsync(node);
        ClientRun run;
        ChromiumAuthorizer? person = null;
        if (InChromium)
        {
            using var browser = new HeadlessChromium();
            person = new ChromiumAuthorizer(browser, world.Email, InteropWorld.Password, $"oauth-consent-{world.Confidential.ClientId}");
            run = await OAuth4WebApiClient.RunAsync("code", world.ClientConfig("external"), person.AuthorizeAsync);
        }
        else run = await OAuth4WebApiClient.RunAsync("code", world.ClientConfig("forms"));

        ShouldHaveRun(run, "authorization_response", "token_exchange", "resource_server_validation", "api_call", "scope_escalation_refused", "code_replay_revokes",
            "pkce_wrong_verifier_refused", "introspection", "refresh_rotation", "refresh_reuse_revokes_grant");
        run.Step("authorization_response")["iss"]!.GetValue<string>().ShouldBe(world.Issuer);
        var claims = run.Step("token_exchange")["claims"]!.AsObject();
        claims["org"]!.GetValue<string>().ShouldBe(world.OrganizationId);
        claims["scope"]!.GetValue<string>().Split(' ').ShouldBe(InteropWorld.Scope.Split(' '), ignoreOrder: true);
        claims["aud"]!.ToJsonString().ShouldContain(world.Audience);

        if (person is not null)
        {
            // The first authorization signed in and consented; after the replayed code revoked that grant, the second was
            // asked again; the third was remembered (no consent page).
            person.SignInPages.Count.ShouldBe(1);
            person.ConsentPages.Count.ShouldBe(2);
            person.ConsentPages[0].ShouldContain(world.Confidential.Name);
            person.ConsentPages[0].ShouldContain("127.0.0.1");
            person.ConsentPages[0].ShouldContain("contacts:read");
            foreach (var screenshot in person.Screenshots)
            {
                var png = await File.ReadAllBytesAsync(screenshot);
                png.Length.ShouldBeGreaterThan(5_000);
                png[..8].ShouldBe(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, "a PNG file");
            }
        }
        else run.Step("authorization_response")["pages"]!.AsArray().Select(p => p!.GetValue<string>()).ShouldBe(["/signin", "/oauth/consent"]);

        // Connected apps, as the user sees them: the first grant was revoked by the replayed code; the second (consented
        // again, then remembered for the third authorization) by the reuse of a rotated refresh token.
        var grants = (await world.Owner.GetJsonAsync("/api/v1/oauth/authorizations"))["data"]!.AsArray();
        grants.Count.ShouldBe(2, grants.ToJsonString());
        grants.ShouldAllBe(g => g!["clientId"]!.GetValue<string>() == world.Confidential.ClientId && g["status"]!.GetValue<string>() == "revoked",
            grants.ToJsonString());
    }

    [Fact(Timeout = 120_000)]
    public async Task ClientCredentialsIntrospectionAndRevocation()
    {
        var world = await InteropWorld.CreateAsync(node);
        var run = await OAuth4WebApiClient.RunAsync("clientCredentials", world.ClientConfig("forms"));
        ShouldHaveRun(run, "client_credentials", "api_call", "client_secret_post", "wrong_secret_refused", "scope_escalation_refused", "introspection", "revocation");
        var claims = run.Step("client_credentials")["claims"]!.AsObject();
        claims["org"]!.GetValue<string>().ShouldBe(world.OrganizationId);
        claims.ContainsKey("role").ShouldBeFalse("a client_credentials token acts for no user");
    }

    [Fact(Timeout = 180_000)]
    public async Task RevokingARefreshTokenEndsItsGrantAndAnotherTenantsClientCannot()
    {
        var world = await InteropWorld.CreateAsync(node);
        var run = await OAuth4WebApiClient.RunAsync("revokeRefresh", world.ClientConfig("forms"));
        ShouldHaveRun(run, "refresh_revocation", "other_client_cannot_revoke");
    }

    [Fact(Timeout = 180_000)]
    public async Task PushedAuthorizationRequests()
    {
        var world = await InteropWorld.CreateAsync(node);
        var run = await OAuth4WebApiClient.RunAsync("par", world.ClientConfig("forms"));
        ShouldHaveRun(run, "pushed", "par_code_flow", "par_refusals");
    }

    [Fact(Timeout = 180_000)]
    public async Task DpopBoundTokensAreUsableOnlyWithProofsOfTheirKey()
    {
        var world = await InteropWorld.CreateAsync(node);
        var run = await OAuth4WebApiClient.RunAsync("dpop", world.ClientConfig("forms"));
        ShouldHaveRun(run, "code_bound_to_dpop_key", "dpop_token", "dpop_api_call", "dpop_refusals", "dpop_refresh", "dpop_client_credentials");
        // RFC 9449 §7.1: the refusal of a bound token sent as Bearer names the DPoP scheme.
        run.Step("dpop_refusals")["bearer"]?.GetValue<string>().ShouldNotBeNull().ShouldContain("DPoP", Case.Insensitive);
    }

    [Fact(Timeout = 120_000)]
    public async Task ADpopProofOnAPushedRequestBindsTheCodeToItsKey()
    {
        var world = await InteropWorld.CreateAsync(node);
        var run = await OAuth4WebApiClient.RunAsync("dpopPar", world.ClientConfig("forms"));
        ShouldHaveRun(run, "par_dpop_header_binds_code");
    }
}

public sealed class OAuth4WebApiInteropTestsOnSqlite(SqliteSwitchboard node) : OAuth4WebApiInteropTests<SqliteSwitchboard>(node)
{
    protected override bool InChromium => true;
}

public sealed class OAuth4WebApiInteropTestsOnPostgres(PostgresSwitchboard node) : OAuth4WebApiInteropTests<PostgresSwitchboard>(node)
{
    protected override bool InChromium => false;
}
