using System.Text.Json.Nodes;
using System.Xml.Linq;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.OAuth.Interop;

namespace Switchboard.Tests.Sdks;

/// <summary>
/// The Python SDK (sdks/python) against a live node: the node runs on a loopback port, a world is prepared through the
/// public API as a customer would (an owner who signs in with a password, an admin API key, a confidential OAuth app),
/// and Debian's python3 runs the SDK's pytest suite against it. The suite drives its own loopback helpers (a
/// fault-injecting proxy in front of the node, a webhook receiver). Every test of the suite must run and pass: a
/// skipped live test (say, a missing variable) fails this one.
/// </summary>
public abstract class PythonSdkTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private const string PythonVariable = "SWITCHBOARD_TEST_PYTHON";

    [Fact(Timeout = 420_000)]
    public async Task ThePythonSdkSuitePassesAgainstALiveNode()
    {
        var owner = node.Client();
        var email = $"sdk-py-{Guid.NewGuid():N}@example.com";
        await owner.SignupAsync(email, InteropWorld.Password, "Python SDK Org");
        var key = await owner.CreateKeyAsync(new { name = "python sdk suite", scopes = new[] { "admin" } });
        var app = await InteropWorld.CreateAppAsync(owner, $"Python SDK App {Guid.NewGuid():N}"[..30], "confidential");
        var baseUrl = owner.Http.BaseAddress!.GetLeftPart(UriPartial.Authority);
        var refreshToken = await AuthorizeThroughThePagesAsync(baseUrl, app, email);

        var root = RepositoryRoot();
        var report = Path.Combine(Path.GetTempPath(), $"switchboard-sdk-py-{Guid.NewGuid():N}.xml");
        try
        {
            var run = await ExternalProcess.RunAsync(Python(),
                ["-m", "pytest", "sdks/python/tests", "-p", "no:cacheprovider", "-q", "-rfEs", $"--junitxml={report}"],
                TimeSpan.FromSeconds(360), root, new Dictionary<string, string>
                {
                    ["SWITCHBOARD_TEST_URL"] = baseUrl,
                    ["SWITCHBOARD_TEST_API_KEY"] = key["key"]!.GetValue<string>(),
                    ["SWITCHBOARD_TEST_CLIENT_ID"] = app.ClientId,
                    ["SWITCHBOARD_TEST_CLIENT_SECRET"] = app.ClientSecret!,
                    ["SWITCHBOARD_TEST_EMAIL"] = email,
                    ["SWITCHBOARD_TEST_PASSWORD"] = InteropWorld.Password,
                    ["SWITCHBOARD_TEST_OAUTH_REFRESH_TOKEN"] = refreshToken,
                    ["SWITCHBOARD_OPENAPI"] = Path.Combine(root, "tests", "Switchboard.Tests", "Docs", "openapi-v1.snapshot.json"),
                    ["PYTHONDONTWRITEBYTECODE"] = "1",
                    ["NO_COLOR"] = "1",
                });
            run.ExitCode.ShouldBe(0, run.ToString());

            File.Exists(report).ShouldBeTrue(run.ToString());
            var suite = XDocument.Load(report).Descendants("testsuite").Single();
            int Count(string name) => int.Parse(suite.Attribute(name)?.Value ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            Count("failures").ShouldBe(0, run.ToString());
            Count("errors").ShouldBe(0, run.ToString());
            Count("skipped").ShouldBe(0, "every live test must run against the node\n" + run);
            Count("tests").ShouldBeGreaterThanOrEqualTo(100, run.ToString());
            var passed = suite.Descendants("testcase").Where(t => !t.HasElements).Select(t => t.Attribute("name")!.Value).ToHashSet();
            passed.ShouldContain("test_every_operation_of_the_document_has_a_method[Switchboard]");
            passed.ShouldContain("test_every_operation_of_the_document_has_a_method[AsyncSwitchboard]");
            passed.ShouldContain("test_an_oauth_refresh_token_renews_and_rotates_sync_then_async");
            foreach (var scenario in new[]
                     {
                         "test_contacts_crud", "test_leads_crud_and_convert", "test_list_all_walks_every_page", "test_a_429_is_retried_after_retry_after",
                         "test_503s_are_retried_then_succeed", "test_client_credentials",
                         "test_a_delivery_from_the_node_verifies_and_a_forged_one_is_refused",
                     })
            {
                passed.ShouldContain($"{scenario}_sync", run.ToString());
                passed.ShouldContain($"{scenario}_async", run.ToString());
            }
        }
        finally
        {
            File.Delete(report);
        }

        // What the suite did is visible on the node: the webhook endpoints it made were deleted again, and the tiny
        // rate-limited keys it created for the 429 tests exist under the owner's organization.
        var webhooks = await owner.GetJsonAsync("/api/v1/webhooks");
        webhooks["data"]!.AsArray().Count.ShouldBe(0, webhooks.ToJsonString());
        var keys = (await owner.GetJsonAsync("/api/v1/api-keys?limit=100"))["data"]!.AsArray();
        keys.Count(k => k!["rateLimit"] is JsonObject limit && limit["requests"]!.GetValue<int>() == 1).ShouldBe(2, keys.ToJsonString());
    }

    /// <summary>
    /// A user's refresh token for <paramref name="app"/>, as the app would get it: the authorization code flow with PKCE
    /// (S256) through the node's sign-in and consent pages, to a loopback redirect, then the code exchanged at the token
    /// endpoint with the app's secret. The SDK's OAuthRefreshToken renews from it.
    /// </summary>
    internal static async Task<string> AuthorizeThroughThePagesAsync(string baseUrl, InteropApp app, string email)
    {
        using var receiver = new LoopbackReceiver();
        using var walker = new PageWalker();
        var verifier = Base64Url(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(verifier)));
        var state = Guid.NewGuid().ToString("N");
        var authorize = $"{baseUrl}/oauth/authorize?response_type=code&client_id={Uri.EscapeDataString(app.ClientId)}" +
                        $"&redirect_uri={Uri.EscapeDataString(receiver.RedirectUri)}&scope={Uri.EscapeDataString(InteropWorld.Scope)}" +
                        $"&state={state}&code_challenge={challenge}&code_challenge_method=S256";
        var callback = await walker.AuthorizeAsync(authorize, email, InteropWorld.Password, receiver);
        var query = System.Web.HttpUtility.ParseQueryString(callback.Query);
        query["state"].ShouldBe(state, callback.ToString());
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{baseUrl}/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code", ["code"] = query["code"]!, ["redirect_uri"] = receiver.RedirectUri, ["code_verifier"] = verifier,
            }),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(app.ClientId)}:{Uri.EscapeDataString(app.ClientSecret!)}")));
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.ShouldBeTrue(text);
        return JsonNode.Parse(text)!["refresh_token"]!.GetValue<string>();
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Debian's python3 (with python3-httpx and python3-pytest, which test.sh installs), or SWITCHBOARD_TEST_PYTHON.</summary>
    internal static string Python()
    {
        var python = Environment.GetEnvironmentVariable(PythonVariable) is { Length: > 0 } set ? set : "/usr/bin/python3";
        if (!File.Exists(python))
            throw new InvalidOperationException($"{python} is missing: the Python SDK's suite runs with Debian's python3, python3-httpx and " +
                                                $"python3-pytest (./test.sh installs them), or the interpreter named by {PythonVariable}.");
        return python;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "sdks", "python", "pyproject.toml"))) return dir.FullName;
        throw new InvalidOperationException("sdks/python was not found above " + AppContext.BaseDirectory);
    }
}

public sealed class PythonSdkTestsOnSqlite(SqliteSwitchboard node) : PythonSdkTests<SqliteSwitchboard>(node);

public sealed class PythonSdkTestsOnPostgres(PostgresSwitchboard node) : PythonSdkTests<PostgresSwitchboard>(node);
