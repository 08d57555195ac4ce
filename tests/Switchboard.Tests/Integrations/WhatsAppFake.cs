using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// A loopback WhatsApp Cloud API (Graph API) that checks what Meta documents and answers Meta's shapes. Read for it:
/// the Cloud API messages reference and "Send message templates"
/// (developers.facebook.com/docs/whatsapp/cloud-api/reference/messages, …/guides/send-message-templates), the error
/// codes page (developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes), the phone number
/// reference (GET /{phone-number-id}?fields=…) and, for the webhook, "Getting started with webhooks" / the messages
/// webhook reference. What it checks of each request:
/// <list type="bullet">
/// <item>every call: <c>Authorization: Bearer &lt;system user token&gt;</c> (an unknown one: 401, Graph error code 190,
/// type OAuthException); the path <c>/v{major}.{minor}/{phone-number-id}</c> with the configured id;</item>
/// <item><c>POST …/messages</c>: a JSON body (Content-Type application/json) with <c>messaging_product: "whatsapp"</c>,
/// <c>to</c> (digits, an optional leading +), <c>type: "template"</c>, <c>template.name</c>, <c>template.language.code</c>,
/// and <c>components</c> whose <c>body</c> parameters are <c>{"type":"text","text":…}</c> with non-empty text holding no
/// newline or tab (error 132018); a template it does not know is 400 with code 132001, a parameter count that is not the
/// template's is 400 with code 132000;</item>
/// <item><c>GET /{phone-number-id}</c>: a <c>fields</c> list.</item>
/// </list>
/// Success is <c>{"messaging_product":"whatsapp","contacts":[{"input","wa_id"}],"messages":[{"id":"wamid.…"}]}</c>; errors
/// are <c>{"error":{"message","type","code","error_subcode","error_data":{"messaging_product","details"},"fbtrace_id"}}</c>.
/// Tests script failures per recipient (<see cref="FailNext"/>).
/// </summary>
public sealed partial class WhatsAppFake : IAsyncDisposable
{
    public const string AccessToken = "EAAJB3system-user-token-for-tests-0123456789";
    public const string PhoneNumberId = "106540352242922";
    /// <summary>The approved templates and the number of body parameters each takes.</summary>
    public static readonly IReadOnlyDictionary<string, int> Templates = new Dictionary<string, int> { ["new_lead_alert"] = 3, ["hello_world"] = 0 };

    public FakeProvider Provider { get; }
    public ConcurrentQueue<JsonObject> Sent { get; } = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<(int Status, long Code, string Message, string? RetryAfter)>> _failures = new(StringComparer.Ordinal);
    private int _sequence;

    private WhatsAppFake(FakeProvider provider) => Provider = provider;

    public static WhatsAppFake Start()
    {
        WhatsAppFake? whatsapp = null;
        var provider = FakeProvider.StartAsync((app, fake) =>
        {
            app.MapPost("/{version}/{phoneNumberId}/messages", (Delegate)((HttpContext http) => whatsapp!.SendAsync(http, fake, Route(http, "version"), Route(http, "phoneNumberId"))));
            app.MapGet("/{version}/{phoneNumberId}", (Delegate)((HttpContext http) => PhoneNumber(http, fake, Route(http, "version"), Route(http, "phoneNumberId"))));
        }).GetAwaiter().GetResult();
        whatsapp = new WhatsAppFake(provider);
        return whatsapp;
    }

    /// <summary>The next message to <paramref name="to"/> fails with this Graph error (HTTP status, code, message).</summary>
    public void FailNext(string to, int status, long code, string message, string? retryAfter = null) =>
        _failures.GetOrAdd(to, _ => new()).Enqueue((status, code, message, retryAfter));

    public IEnumerable<FakeProvider.Recorded> Sends(string to) =>
        Provider.Requests.Where(r => r.Method == "POST" && r.Path.EndsWith("/messages", StringComparison.Ordinal)
            && (JsonNode.Parse(r.Body) as JsonObject)?["to"]?.GetValue<string>() == to);

    [GeneratedRegex("^v[0-9]+\\.[0-9]$")]
    private static partial Regex Version();

    private static string Route(HttpContext http, string name) => http.Request.RouteValues[name]?.ToString() ?? "";

    private static bool Authorized(HttpContext http, FakeProvider fake, string version, string phoneNumberId)
    {
        fake.Require(Version().IsMatch(version), $"the path starts with a Graph API version such as v21.0 (got {version})");
        fake.Require(phoneNumberId == PhoneNumberId, $"the path names the business phone number id (got {phoneNumberId})");
        var header = http.Request.Headers.Authorization.ToString();
        fake.Require(header.StartsWith("Bearer ", StringComparison.Ordinal), "the Cloud API takes the access token as Authorization: Bearer");
        return header == "Bearer " + AccessToken;
    }

    private static IResult Error(int status, long code, string message, string type = "OAuthException", long? subcode = null, string? details = null)
    {
        var error = new JsonObject { ["message"] = message, ["type"] = type, ["code"] = code };
        if (subcode is not null) error["error_subcode"] = subcode;
        if (details is not null) error["error_data"] = new JsonObject { ["messaging_product"] = "whatsapp", ["details"] = details };
        error["fbtrace_id"] = "AbCdEfGhIjKlMnOp";
        return Results.Json(new JsonObject { ["error"] = error }, statusCode: status);
    }

    private static IResult InvalidToken() => Error(401, 190, "Invalid OAuth access token - Cannot parse access token");

    private static IResult PhoneNumber(HttpContext http, FakeProvider fake, string version, string phoneNumberId)
    {
        if (!Authorized(http, fake, version, phoneNumberId)) return InvalidToken();
        fake.Require(http.Request.Query["fields"].ToString().Length > 0, "GET on a phone number names the fields it reads");
        return Results.Json(new { display_phone_number = "+1 555-010-0001", verified_name = "Acme Sales", id = phoneNumberId });
    }

    private async Task<IResult> SendAsync(HttpContext http, FakeProvider fake, string version, string phoneNumberId)
    {
        var authorized = Authorized(http, fake, version, phoneNumberId);
        fake.Require((http.Request.ContentType ?? "").StartsWith("application/json", StringComparison.Ordinal), "messages are sent as a JSON body");
        var body = JsonNode.Parse(await new StreamReader(http.Request.Body, Encoding.UTF8).ReadToEndAsync()) as JsonObject;
        if (!authorized) return InvalidToken();
        if (!fake.Require(body is not null, "the body is a JSON object")) return Error(400, 100, "(#100) Invalid parameter");
        fake.Require(body!["messaging_product"]?.GetValue<string>() == "whatsapp", "messaging_product must be \"whatsapp\"");
        var to = body["to"]?.GetValue<string>() ?? "";
        fake.Require(Regex.IsMatch(to, "^\\+?[0-9]{7,15}$"), $"to is the recipient's phone number (got '{to}')");
        fake.Require(body["type"]?.GetValue<string>() == "template", "lead notifications are template messages (type template)");
        var template = body["template"] as JsonObject;
        var name = template?["name"]?.GetValue<string>();
        var language = template?["language"]?["code"]?.GetValue<string>();
        fake.Require(!string.IsNullOrEmpty(name), "template.name is required");
        fake.Require(!string.IsNullOrEmpty(language), "template.language.code is required");
        var parameters = new List<string>();
        foreach (var component in (template?["components"] as JsonArray ?? []).OfType<JsonObject>())
        {
            fake.Require(component["type"]?.GetValue<string>() is "body" or "header" or "button", "a component's type is body, header or button");
            if (component["type"]?.GetValue<string>() != "body") continue;
            foreach (var parameter in (component["parameters"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var text = parameter["text"]?.GetValue<string>();
                fake.Require(parameter["type"]?.GetValue<string>() == "text", "body parameters here are text parameters");
                if (string.IsNullOrEmpty(text) || text.IndexOfAny(['\n', '\t']) >= 0)
                    return Error(400, 132018, "(#132018) There was an issue with the parameters in your template.", details: "Param text cannot have new-line/tab characters or more than 4 consecutive spaces");
                parameters.Add(text);
            }
        }
        if (_failures.TryGetValue(to, out var queue) && queue.TryDequeue(out var failure))
        {
            if (failure.RetryAfter is not null) http.Response.Headers.RetryAfter = failure.RetryAfter;
            return Error(failure.Status, failure.Code, failure.Message, details: "Message failed to send because there were too many messages sent from this phone number.");
        }
        if (name is null || !Templates.TryGetValue(name, out var expected))
            return Error(400, 132001, "(#132001) Template name does not exist in the translation", details: $"template name ({name}) does not exist in {language}");
        if (parameters.Count != expected)
            return Error(400, 132000, "(#132000) Number of parameters does not match the expected number of params", details: $"body: number of localizable_params ({parameters.Count}) does not match the expected number of params ({expected})");
        Sent.Enqueue(body);
        var id = $"wamid.HBgL{Interlocked.Increment(ref _sequence):D6}{Guid.NewGuid():N}";
        return Results.Json(new JsonObject
        {
            ["messaging_product"] = "whatsapp",
            ["contacts"] = new JsonArray(new JsonObject { ["input"] = to, ["wa_id"] = to.TrimStart('+') }),
            ["messages"] = new JsonArray(new JsonObject { ["id"] = id, ["message_status"] = "accepted" }),
        });
    }

    public Task<List<JsonObject>> WaitForSentAsync(Func<JsonObject, bool> match, int count, int timeoutMs = 15_000) =>
        FakeProvider.WaitForAsync(Sent, match, "WhatsApp", count, timeoutMs);

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

public sealed class WhatsAppSqliteNode : SqliteSwitchboard
{
    public WhatsAppFake WhatsApp { get; } = WhatsAppFake.Start();

    public WhatsAppSqliteNode()
    {
        With("Switchboard:Integrations:Providers:whatsapp_business:BaseUrls:api", WhatsApp.Provider.BaseUrl);
        With("Switchboard:Integrations:SchedulerPollSeconds", "0.2");
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await WhatsApp.DisposeAsync();
    }
}

public sealed class WhatsAppPostgresNode : PostgresSwitchboard
{
    public WhatsAppFake WhatsApp { get; } = WhatsAppFake.Start();

    public WhatsAppPostgresNode()
    {
        With("Switchboard:Integrations:Providers:whatsapp_business:BaseUrls:api", WhatsApp.Provider.BaseUrl);
        With("Switchboard:Integrations:SchedulerPollSeconds", "0.2");
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await WhatsApp.DisposeAsync();
    }
}
