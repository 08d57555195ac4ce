using System.Text.Json.Nodes;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Tests.Integrations.TestProviders.TestOAuth;

/// <summary>
/// A test-only OAuth 2.0 provider (PKCE, client_secret_basic, rotating refresh tokens) that speaks
/// <see cref="FakeOAuthProvider"/>: registered by the integration test nodes only, so the framework is proven without
/// any real provider.
/// </summary>
public sealed class TestOAuthConnector : Connector
{
    public const string Key = "test_oauth";

    public override ProviderDefinition Definition { get; } = new()
    {
        Key = Key, Name = "Test Chat", Description = "A chat service for the framework's tests: messages to channels.", Category = ProviderCategory.Communication,
        Publisher = "Switchboard tests", Version = "2.1.0",
        Auth = new ProviderAuth(ProviderAuthKind.OAuth2)
        {
            AuthorizeUrl = "https://chat.test.invalid/oauth/authorize", TokenUrl = "https://chat.test.invalid/oauth/token",
            RevokeUrl = "https://chat.test.invalid/oauth/revoke", Scopes = ["messages:write", "channels:read"], ScopeSeparator = ",", Pkce = true,
            ClientAuthentication = "basic", AuthorizeParameters = new Dictionary<string, string> { ["access_type"] = "offline" },
        },
        ConfigSchema = """
            {
              "type": "object",
              "properties": {
                "workspace": { "type": "string", "minLength": 1, "maxLength": 100 },
                "region": { "enum": ["eu", "us"] },
                "defaults": { "type": "object", "properties": { "channel": { "type": "string", "pattern": "^#" } }, "additionalProperties": false },
                "signingSecret": { "type": "string", "minLength": 8, "writeOnly": true }
              },
              "required": ["workspace"],
              "additionalProperties": false
            }
            """,
        Actions = [new ProviderAction("send_message", "Posts a message to a channel.",
            """{"type":"object","properties":{"channel":{"type":"string"},"text":{"type":"string"}},"required":["channel","text"]}""")],
        Triggers = ["lead.*", "ticket.created"],
        Syncs = [new ProviderSync("members", "contacts", SyncDirection.Pull, 3600, "Workspace members as contacts.")],
        Inbound = ["events"],
        BaseUrls = new Dictionary<string, string> { ["api"] = "https://api.chat.test.invalid" },
        DocumentationUrl = "https://chat.test.invalid/docs",
    };

    public override async Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, context.BaseUrl() + "/v1/me"), cancellationToken);
        if (!response.IsSuccess) throw ProviderException.From(response, Definition.Name, response.Json()?["error"]?.GetValue<string>());
        return response;
    }

    /// <summary>Keeps the workspace the callback names and the team the token belongs to, as QuickBooks' realmId and Jira's cloud id are kept.</summary>
    public override async Task<IReadOnlyDictionary<string, string>?> CompleteConnectionAsync(ConnectorContext context,
        IReadOnlyDictionary<string, string> callbackQuery, CancellationToken cancellationToken)
    {
        if (!callbackQuery.TryGetValue("workspace", out var workspace) || workspace.Length == 0)
            throw new ProviderException("Test Chat named no workspace in its callback.", null, null, retryable: false);
        var me = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, context.BaseUrl() + "/v1/me"), cancellationToken);
        if (!me.IsSuccess) throw ProviderException.From(me, Definition.Name, me.Json()?["error"]?.GetValue<string>());
        return new Dictionary<string, string> { ["workspace"] = workspace, ["team_id"] = me.Json()!["team_id"]!.GetValue<string>() };
    }

    public override async Task RevokeAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        if (context.Installation.TokensEncrypted is null || ProviderUrls.RevokeUrl(context.Options, Definition) is not { } url) return;
        var tokens = await context.Http.TokensAsync(cancellationToken);
        var settings = ProviderUrls.Settings(context.Options, Key);
        // RFC 7009 §2.1: the token to revoke, form-encoded, with the client's authentication (here client_secret_basic).
        var response = await context.Http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = tokens.RefreshToken ?? tokens.AccessToken, ["token_type_hint"] = "refresh_token" }),
            };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(
                Uri.EscapeDataString(settings?.ClientId ?? "") + ":" + Uri.EscapeDataString(settings?.ClientSecret ?? ""))));
            return request;
        }, cancellationToken, authenticate: false);
        if (!response.IsSuccess) throw ProviderException.From(response, Definition.Name);
    }
}
