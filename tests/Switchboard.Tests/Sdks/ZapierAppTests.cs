using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.OAuth.Interop;
using Xunit.Abstractions;

namespace Switchboard.Tests.Sdks;

/// <summary>
/// The Zapier app (integrations/zapier, zapier-platform-core 19) against a live node on a loopback port. A world is made
/// through the public API (an owner, an API key with the scopes the app asks for, a confidential OAuth app); the owner
/// authorizes the OAuth app through the node's sign-in and consent pages with PKCE, and the code, its verifier and the
/// redirect URI go to the app's tests, whose getAccessToken exchanges them. Node's test runner then runs the app's tests
/// through zapier-platform-core's createAppTester: REST hooks subscribed, a delivery captured by a loopback receiver
/// standing in for Zapier's hook URL turned into the trigger's output by perform, unsubscribed; each action and search;
/// schema validation. Every test must run: a skipped one fails this.
/// </summary>
public abstract class ZapierAppTests<TFactory>(TFactory node, ITestOutputHelper output) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private static readonly string[] Scopes =
        ["leads:write", "contacts:write", "deals:read", "calls:read", "payments:read", "tasks:write", "chat:write", "webhooks:write"];

    [Fact(Timeout = 300_000)]
    public async Task TheZapierAppsTestsPassAgainstALiveNode()
    {
        using var owner = node.Client();
        var email = $"zapier-{Guid.NewGuid():N}@example.com";
        await owner.SignupAsync(email, InteropWorld.Password, "Zapier Org");
        var key = await owner.CreateKeyAsync(new { name = "Zapier app", scopes = Scopes });
        var baseUrl = owner.Http.BaseAddress!.GetLeftPart(UriPartial.Authority);

        using var receiver = new LoopbackReceiver();
        var created = await owner.PostAsync("/api/v1/oauth/apps", new
        {
            name = $"Zapier {Guid.NewGuid():N}"[..20], type = "confidential", redirectUris = new[] { receiver.RedirectUri }, scopes = Scopes,
            description = "The Switchboard Zapier app, in its tests", homepageUrl = "https://zapier.example.com",
        });
        var createdText = await created.Content.ReadAsStringAsync();
        created.IsSuccessStatusCode.ShouldBeTrue(createdText);
        var app = JsonNode.Parse(createdText)!.AsObject();
        var clientId = app["clientId"]!.GetValue<string>();
        var (code, verifier) = await AuthorizeAsync(baseUrl, clientId, receiver, email);

        var directory = Path.Combine(NodeTools.RepositoryRoot() ?? throw new InvalidOperationException("no repository root"), "integrations", "zapier");
        if (!File.Exists(Path.Combine(directory, "node_modules", "zapier-platform-core", "package.json")))
            throw new InvalidOperationException("integrations/zapier/node_modules is not installed. Run the suite with ./test.sh, which runs `npm ci` there.");
        var files = Directory.GetFiles(Path.Combine(directory, "test"), "*.test.js").Order(StringComparer.Ordinal)
            .Select(f => Path.GetRelativePath(directory, f)).ToList();
        var run = new NodeTestRun(await ExternalProcess.RunAsync(NodeTools.NodeExecutable(), ["--test", "--test-reporter=tap", .. files],
            TimeSpan.FromSeconds(240), directory, new Dictionary<string, string>
            {
                ["SWITCHBOARD_BASE_URL"] = baseUrl,
                ["SWITCHBOARD_TEST_API_KEY"] = key["key"]!.GetValue<string>(),
                ["SWITCHBOARD_TEST_EMAIL"] = email,
                ["SWITCHBOARD_TEST_OAUTH_CODE"] = code,
                ["SWITCHBOARD_TEST_OAUTH_VERIFIER"] = verifier,
                ["SWITCHBOARD_TEST_OAUTH_REDIRECT_URI"] = receiver.RedirectUri,
                ["CLIENT_ID"] = clientId,
                ["CLIENT_SECRET"] = app["clientSecret"]!.GetValue<string>(),
                // No log shipping: zapier-platform-core sends logs only with a token, and there is none here.
                ["LOGGING_TOKEN"] = "",
                ["NO_COLOR"] = "1",
                // zapier-platform-core knows it is under test (no per-call memory report on stdout) from NODE_ENV.
                ["NODE_ENV"] = "test",
            }));
        output.WriteLine(run.Run.Output);

        run.Run.ExitCode.ShouldBe(0, run.ToString());
        run.Failed.ShouldBe(0, run.ToString());
        run.Run.Output.ShouldMatch(@"(?m)^# skipped 0$", "every test must run against the node\n" + run);
        run.Passed.ShouldBeGreaterThanOrEqualTo(15, run.ToString());
        foreach (var name in new[]
                 {
                     "new lead: subscribe, a lead created through the API arrives, perform turns it into the output, unsubscribe",
                     "actions: create lead, update lead, create contact, create task, send chat message",
                     "searches: find contact by email, find lead",
                     "the app with OAuth 2.0 authentication validates against zapier-platform-schema",
                     "the app with API key authentication validates against zapier-platform-schema",
                     "OAuth 2.0: the authorize URL, the PKCE code exchange, the connection test and a refresh",
                 })
            run.Run.Output.ShouldMatch($@"(?m)^ok \d+ - {System.Text.RegularExpressions.Regex.Escape(name)}$", run.ToString());

        // The node's side: every endpoint the app subscribed was deleted again, and what the actions made is there.
        (await owner.GetJsonAsync("/api/v1/webhooks"))["data"]!.AsArray().ShouldBeEmpty();
        var leads = (await owner.GetJsonAsync("/api/v1/leads?q=Action%20Lead&limit=10"))["data"]!.AsArray();
        leads.Count.ShouldBe(1, leads.ToJsonString());
        leads[0]!["status"]!.GetValue<string>().ShouldBe("contacted");
        var authorizations = (await owner.GetJsonAsync("/api/v1/oauth/authorizations"))["data"]!.AsArray();
        authorizations.Count.ShouldBe(1, authorizations.ToJsonString());
    }

    /// <summary>The authorization code flow with PKCE (S256) through the node's pages, as Zapier sends its user there.</summary>
    private static async Task<(string Code, string Verifier)> AuthorizeAsync(string baseUrl, string clientId, LoopbackReceiver receiver, string email)
    {
        using var walker = new PageWalker();
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var state = Guid.NewGuid().ToString("N");
        var authorize = $"{baseUrl}/oauth/authorize?response_type=code&client_id={Uri.EscapeDataString(clientId)}" +
                        $"&redirect_uri={Uri.EscapeDataString(receiver.RedirectUri)}&scope={Uri.EscapeDataString(string.Join(' ', Scopes))}" +
                        $"&state={state}&code_challenge={challenge}&code_challenge_method=S256";
        var callback = await walker.AuthorizeAsync(authorize, email, InteropWorld.Password, receiver);
        var query = System.Web.HttpUtility.ParseQueryString(callback.Query);
        query["state"].ShouldBe(state, callback.ToString());
        return (query["code"].ShouldNotBeNull(callback.ToString()), verifier);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

public sealed class ZapierAppTestsOnSqlite(SqliteSwitchboard node, ITestOutputHelper output) : ZapierAppTests<SqliteSwitchboard>(node, output);

public sealed class ZapierAppTestsOnPostgres(PostgresSwitchboard node, ITestOutputHelper output) : ZapierAppTests<PostgresSwitchboard>(node, output);
