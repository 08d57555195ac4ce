using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Actions;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Webhooks;

namespace Switchboard.Integrations.Providers.CustomHttp;

/// <summary>
/// A custom integration (seed 003): one HTTP request to a URL the user gives, with a method, headers, authentication
/// (none, bearer, basic, or an API key header; the secrets encrypted as any credential) and a body made from a template
/// — template variables substituted, never code run. The URL is the user's, so the request goes through the webhook SSRF guard
/// (<see cref="OutboundGuard"/>): checked where it is saved (a rule's input url) and here before each request, and at
/// connect time against what the name resolves to then; its client is the guarded webhook client
/// (<see cref="ProviderDefinition.UserSuppliedUrls"/>).
/// </summary>
public sealed class CustomHttpConnector : Connector
{
    public const string Key = "custom_http";
    private static readonly string[] Methods = ["POST", "PUT", "PATCH", "GET", "DELETE"];

    private static readonly ProviderDefinition Declared = new()
    {
        Key = Key,
        Name = "Custom HTTP request",
        Description = "Send an HTTP request of your own design to any HTTPS endpoint when CRM events happen: URL, method, headers, authentication and a body template.",
        Category = ProviderCategory.Automation,
        Auth = new ProviderAuth(ProviderAuthKind.None),
        ConfigSchema = """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "properties": {
            "url": { "type": "string", "format": "uri", "maxLength": 2048, "description": "Where the request goes (https; no internal addresses)." },
            "method": { "enum": ["POST", "PUT", "PATCH", "GET", "DELETE"], "default": "POST" },
            "headers": { "type": "object", "maxProperties": 20, "additionalProperties": { "type": "string", "maxLength": 2000 } },
            "contentType": { "type": "string", "maxLength": 100, "default": "application/json" },
            "bodyTemplate": { "type": "string", "maxLength": 20000, "description": "The body, with {{data.field}}, {{type}}, {{id}}, {{timestamp}} template variables; values are JSON-escaped when the content type is JSON. Without it, the event itself is sent." },
            "authType": { "enum": ["none", "bearer", "basic", "api_key_header"], "default": "none" },
            "bearerToken": { "type": "string", "maxLength": 4000, "writeOnly": true },
            "username": { "type": "string", "maxLength": 200 },
            "password": { "type": "string", "maxLength": 1000, "writeOnly": true },
            "apiKeyHeader": { "type": "string", "maxLength": 100, "pattern": "^[A-Za-z0-9-]+$" },
            "apiKey": { "type": "string", "maxLength": 4000, "writeOnly": true }
          },
          "required": ["url"],
          "additionalProperties": false
        }
        """,
        Actions =
        [
            new("send_request", "Sends the configured request for the event; the input may override the url, the method, add headers, or give a JSON body (an object whose strings may hold template variables).", """
            {
              "type": "object",
              "properties": {
                "url": { "type": "string", "maxLength": 2048 },
                "method": { "enum": ["POST", "PUT", "PATCH", "GET", "DELETE"] },
                "headers": { "type": "object", "maxProperties": 20, "additionalProperties": { "type": "string", "maxLength": 2000 } },
                "body": { "type": ["object", "array"] }
              },
              "additionalProperties": false
            }
            """),
        ],
        Triggers = ["*"],
        UserSuppliedUrls = true,
    };

    public override ProviderDefinition Definition => Declared;

    /// <summary>A HEAD request to the URL: reachable and answering (any status below 500), without sending an event.</summary>
    public override async Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var url = CheckedUrl(context, context.Required("url"));
        var response = await context.Http.SendAsync(() => Authenticated(context, new HttpRequestMessage(HttpMethod.Head, url)), cancellationToken, authenticate: false);
        if (response.Status >= 500) throw ProviderException.From(response, "The endpoint");
        return response;
    }

    public override async Task<ProviderResponse> RunActionAsync(ConnectorContext context, string action, JsonObject input, CancellationToken cancellationToken)
    {
        if (action != "send_request") return await base.RunActionAsync(context, action, input, cancellationToken);
        var url = CheckedUrl(context, Text(input["url"]) ?? context.Required("url"));
        var method = (Text(input["method"]) ?? context.Value("method") ?? "POST").ToUpperInvariant();
        if (!Methods.Contains(method)) throw new ProviderException($"The method must be one of {string.Join(", ", Methods)}.", null, "invalid_method", retryable: false);
        var contentType = context.Value("contentType") ?? "application/json";
        var json = contentType.Contains("json", StringComparison.OrdinalIgnoreCase);
        var payload = context.Services.GetService<ActionInvocation>()?.Payload;
        string? body = null;
        if (method is not ("GET" or "DELETE"))
        {
            if (input["body"] is JsonNode given) body = given.ToJsonString();
            else if (context.Value("bodyTemplate") is { } template)
                body = ActionTemplate.RenderText(template, payload is null ? null : JsonNode.Parse(payload), json ? ActionTemplate.JsonEscape : null);
            else body = payload ?? "{}";
        }
        var headers = new List<(string Name, string Value)>();
        foreach (var source in new[] { context.Config["headers"] as JsonObject, input["headers"] as JsonObject })
            if (source is not null)
                foreach (var (name, value) in source)
                    if (Text(value) is { } text && !WebhookHeaderNames.IsReserved(name)) headers.Add((name, text));

        var response = await context.Http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(new HttpMethod(method), url);
            if (body is not null)
                request.Content = new StringContent(body, Encoding.UTF8, MediaTypeHeaderValue.TryParse(contentType, out var media) ? media.MediaType! : "application/json");
            foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
            return Authenticated(context, request);
        }, cancellationToken, authenticate: false);
        if (!response.IsSuccess) throw ProviderException.From(response, "The endpoint", retryAfter: ProviderClient.RetryAfter(response, context.Time));
        return response;
    }

    /// <summary>The URL checked by the SSRF guard's rules (https, no credentials, no internal literal) before each request; names are checked again at connect time.</summary>
    private static string CheckedUrl(ConnectorContext context, string url) =>
        OutboundGuard.ValidateUrl(url, context.Options.Webhooks.AllowPrivateNetworks) is { } refused
            ? throw new ProviderException($"The URL {url} is refused: {refused}", null, "url_refused", retryable: false)
            : url;

    /// <summary>The installation's authentication, from its encrypted credentials.</summary>
    private static HttpRequestMessage Authenticated(ConnectorContext context, HttpRequestMessage request)
    {
        switch (context.Value("authType") ?? "none")
        {
            case "bearer":
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", context.Required("bearerToken"));
                break;
            case "basic":
                // RFC 7617: user-id ":" password, UTF-8, base64.
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                    Convert.ToBase64String(Encoding.UTF8.GetBytes(context.Required("username") + ":" + (context.Value("password") ?? ""))));
                break;
            case "api_key_header":
                request.Headers.TryAddWithoutValidation(context.Required("apiKeyHeader"), context.Required("apiKey"));
                break;
        }
        return request;
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;
}
