using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Mail;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// A loopback SendGrid v3 API, checking what SendGrid documents (its OpenAPI files, twilio/sendgrid-oai
/// spec/yaml/tsg_mail_v3.yaml, tsg_mc_contacts_v3.yaml, tsg_scopes_v3.yaml; and "How to use the SendGrid v3 API → Rate
/// Limits" and "Authentication" on twilio.com/docs/sendgrid):
/// <list type="bullet">
/// <item>Every call: <c>Authorization: Bearer &lt;API key&gt;</c>; an unknown key is 401
/// <c>{"errors":[{"field":null,"message":"The provided authorization grant is invalid, expired, or revoked"}]}</c>.</item>
/// <item><c>GET /v3/scopes</c>: 200 <c>{"scopes":[…]}</c> for the key (a restricted key lacks <c>mail.send</c>).</item>
/// <item><c>POST /v3/mail/send</c>: JSON with the required <c>personalizations</c> (1–1000, each with at least one
/// <c>to</c>, every address a valid email) and <c>from</c> (a valid email; a sender that is not a verified Sender
/// Identity is 403 with SendGrid's message, field <c>from</c>); a dynamic <c>template_id</c> (<c>d-</c> + 32 hex) with
/// <c>dynamic_template_data</c> an object, or else a <c>subject</c> (min length 1) and <c>content</c> (each
/// <c>type</c>/<c>value</c> non-empty, <c>text/plain</c> first); <c>substitutions</c> never beside a dynamic template;
/// <c>categories</c> at most 10, unique, up to 255 characters; <c>custom_args</c> values strings. A breach is a
/// violation and answers 400 with <c>{"errors":[{"message","field","help"}]}</c>. Success: 202, no body,
/// <c>X-Message-Id</c>.</item>
/// <item><c>PUT /v3/marketing/contacts</c>: <c>contacts</c> 1–30,000, each with an <c>email</c> (≤ 254), <c>first_name</c>
/// and <c>last_name</c> ≤ 50, <c>custom_fields</c> keyed by existing field ids; <c>list_ids</c> UUIDs of existing lists.
/// Success: 202 <c>{"job_id":"…"}</c>.</item>
/// <item>Rate limits: a scripted 429 <c>{"errors":[{"field":null,"message":"too many requests"}]}</c> with
/// <c>X-RateLimit-Limit</c>, <c>X-RateLimit-Remaining: 0</c> and <c>X-RateLimit-Reset</c> (unix seconds); a call before
/// that reset is a violation ("You will no longer be able to make request against that endpoint for the duration of
/// that refresh period").</item>
/// </list>
/// </summary>
public sealed partial class SendGridFake : IAsyncDisposable
{
    public const string ApiKey = "SG.c2VuZGdyaWQta2V5.dGVzdC1rZXktZm9yLXN3aXRjaGJvYXJkLWZha2U", RestrictedKey = "SG.cmVzdHJpY3RlZA.bm8tbWFpbC1zZW5kLWZvci10aGlzLWtleQ";
    public const string VerifiedSender = "sales@acme.example", SourceFieldId = "e1_T";
    public const string AllList = "0b5f4a7e-8c1d-4e2f-9a3b-7c6d5e4f3a21", WebList = "1c6a5b8f-9d2e-4f30-8b4c-8d7e6f5a4b32", EventList = "2d7b6c90-ae3f-4041-9c5d-9e8f7a6b5c43";

    public FakeProvider Provider { get; }
    public ConcurrentQueue<JsonObject> Mails { get; } = new();
    public ConcurrentQueue<JsonObject> ContactUpserts { get; } = new();
    private readonly ConcurrentQueue<int> _throttles = new();
    private DateTimeOffset _blockedUntil = DateTimeOffset.MinValue;

    private SendGridFake(FakeProvider provider) => Provider = provider;

    [GeneratedRegex("^d-[0-9a-f]{32}$")]
    private static partial Regex DynamicTemplate();

    public static async Task<SendGridFake> StartAsync()
    {
        SendGridFake? sendGrid = null;
        var provider = await FakeProvider.StartAsync((app, fake) =>
        {
            app.MapGet("/v3/scopes", (Delegate)((HttpContext http) => Scopes(http, fake)));
            app.MapPost("/v3/mail/send", (Delegate)((HttpContext http) => sendGrid!.MailSendAsync(http, fake)));
            app.MapPut("/v3/marketing/contacts", (Delegate)((HttpContext http) => sendGrid!.UpsertContactsAsync(http, fake)));
        });
        sendGrid = new SendGridFake(provider);
        return sendGrid;
    }

    /// <summary>The next mail send or contact upsert answers 429, resetting this many seconds later.</summary>
    public void ThrottleNext(int seconds) => _throttles.Enqueue(seconds);

    public IEnumerable<FakeProvider.Recorded> Calls(string path) => Provider.Requests.Where(r => r.Path == path);

    private static IResult Errors(int status, params (string? Field, string Message, string? Help)[] errors) =>
        Results.Json(new JsonObject
        {
            ["errors"] = new JsonArray(errors.Select(e => (JsonNode)new JsonObject { ["message"] = e.Message, ["field"] = e.Field, ["help"] = e.Help }).ToArray()),
        }, statusCode: status);

    /// <summary>The caller's key, or null (a 401 to answer).</summary>
    private static string? Key(HttpContext http, FakeProvider fake)
    {
        var header = http.Request.Headers.Authorization.ToString();
        fake.Require(header.StartsWith("Bearer ", StringComparison.Ordinal), "the API key goes as a bearer token in the Authorization header");
        var key = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..] : "";
        return key is ApiKey or RestrictedKey ? key : null;
    }

    private static IResult Unauthorized() => Errors(401, (null, "The provided authorization grant is invalid, expired, or revoked", null));

    private static IResult Scopes(HttpContext http, FakeProvider fake) => Key(http, fake) switch
    {
        null => Unauthorized(),
        ApiKey => Results.Json(new { scopes = new[] { "mail.send", "marketing.read", "marketing.automation.read", "alerts.read", "templates.read" } }),
        _ => Results.Json(new { scopes = new[] { "marketing.read", "alerts.read" } }),
    };

    private IResult? Throttled(HttpContext http, FakeProvider fake)
    {
        var now = DateTimeOffset.UtcNow;
        fake.Require(now >= _blockedUntil, "a call came before X-RateLimit-Reset, within the refresh period of an exhausted limit");
        if (!_throttles.TryDequeue(out var seconds)) return null;
        var reset = now.ToUnixTimeSeconds() + seconds;
        _blockedUntil = DateTimeOffset.FromUnixTimeSeconds(reset).AddMilliseconds(-50);
        http.Response.Headers["X-RateLimit-Limit"] = "600";
        http.Response.Headers["X-RateLimit-Remaining"] = "0";
        http.Response.Headers["X-RateLimit-Reset"] = reset.ToString(CultureInfo.InvariantCulture);
        return Errors(429, (null, "too many requests", null));
    }

    private static async Task<JsonObject?> BodyAsync(HttpContext http, FakeProvider fake)
    {
        fake.Require((http.Request.ContentType ?? "").StartsWith("application/json", StringComparison.Ordinal), "the body is JSON (Content-Type: application/json)");
        return JsonNode.Parse(await new StreamReader(http.Request.Body, Encoding.UTF8).ReadToEndAsync()) as JsonObject;
    }

    private static bool IsEmail(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) && MailAddress.TryCreate(s, out var a) && a.Address == s;

    private async Task<IResult> MailSendAsync(HttpContext http, FakeProvider fake)
    {
        if (Key(http, fake) is null) return Unauthorized();
        var mail = await BodyAsync(http, fake);
        if (Throttled(http, fake) is { } throttled) return throttled;
        var errors = new List<(string? Field, string Message, string? Help)>();
        void Check(bool ok, string field, string message)
        {
            if (ok) return;
            fake.Violation($"{field}: {message}");
            errors.Add((field, message, $"http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.{field}"));
        }
        if (mail is null) return Errors(400, (null, "Bad Request", null));
        var personalizations = mail["personalizations"] as JsonArray;
        Check(personalizations is { Count: >= 1 and <= 1000 }, "personalizations", "The personalizations field is required and must have at least one personalization.");
        foreach (var p in personalizations ?? [])
        {
            Check(p?["to"] is JsonArray { Count: > 0 }, "personalizations.to", "The to array is required for all personalization objects, and must have at least one email object with a valid email address.");
            foreach (var to in p?["to"] as JsonArray ?? []) Check(IsEmail(to?["email"]), "personalizations.to.email", "Does not contain a valid address.");
            if (p?["custom_args"] is JsonObject args) Check(args.All(a => a.Value is JsonValue v && v.TryGetValue<string>(out _)), "personalizations.custom_args", "custom_args values must be strings.");
            if (p?["substitutions"] is not null) Check(mail["template_id"] is null, "personalizations.substitutions", "Substitutions may not be used with dynamic templating.");
        }
        Check(IsEmail(mail["from"]?["email"]), "from.email", "The from object must be provided for every email send. It is an object that requires an email parameter.");
        if (mail["template_id"] is JsonValue template)
        {
            Check(DynamicTemplate().IsMatch(template.GetValue<string>()), "template_id", "The template_id must be a valid dynamic template id.");
            foreach (var p in personalizations ?? [])
                if (p?["dynamic_template_data"] is { } data) Check(data is JsonObject, "personalizations.dynamic_template_data", "dynamic_template_data must be an object.");
        }
        else
        {
            var subject = mail["subject"]?.GetValue<string>() ?? personalizations?.FirstOrDefault()?["subject"]?.GetValue<string>();
            Check(!string.IsNullOrEmpty(subject), "subject", "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.");
            var content = mail["content"] as JsonArray;
            Check(content is { Count: > 0 } && content.All(c => !string.IsNullOrEmpty(c?["type"]?.GetValue<string>()) && !string.IsNullOrEmpty(c?["value"]?.GetValue<string>())),
                "content", "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block.");
            if (content is { Count: > 1 }) Check(content[0]?["type"]?.GetValue<string>() == "text/plain", "content", "If present, text/plain content must be first, followed by text/html.");
        }
        if (mail["categories"] is JsonArray categories)
        {
            var names = categories.Select(c => c?.GetValue<string>() ?? "").ToList();
            Check(names.Count <= 10 && names.Distinct().Count() == names.Count && names.All(n => n.Length is > 0 and <= 255), "categories", "Up to 10 unique categories of at most 255 characters.");
        }
        if (errors.Count > 0) return Errors(400, errors.ToArray());
        if (mail["from"]?["email"]?.GetValue<string>() != VerifiedSender)
            return Errors(403, ("from", "The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved. Visit https://sendgrid.com/docs/for-developers/sending-email/sender-identity/ to see the Sender Identity requirements", null));
        Mails.Enqueue(mail);
        http.Response.Headers["X-Message-Id"] = "W3fQm2" + Guid.NewGuid().ToString("N")[..16];
        return Results.StatusCode(202);
    }

    private async Task<IResult> UpsertContactsAsync(HttpContext http, FakeProvider fake)
    {
        if (Key(http, fake) is null) return Unauthorized();
        var body = await BodyAsync(http, fake);
        if (Throttled(http, fake) is { } throttled) return throttled;
        if (body?["contacts"] is not JsonArray { Count: >= 1 and <= 30_000 } contacts)
        {
            fake.Violation("contacts holds 1 to 30,000 contacts");
            return Errors(400, ("contacts", "contacts is required", null));
        }
        var errors = new List<(string? Field, string Message, string? Help)>();
        foreach (var id in body["list_ids"] as JsonArray ?? [])
            if (id?.GetValue<string>() is not { } list || !Guid.TryParse(list, out _) || list is not (AllList or WebList or EventList))
                errors.Add(("list_ids", $"list id {id} does not exist", null));
        for (var i = 0; i < contacts.Count; i++)
        {
            var c = contacts[i]!.AsObject();
            if (!IsEmail(c["email"]) || c["email"]!.GetValue<string>().Length > 254) errors.Add(($"contacts[{i}].email", "must be a valid email of at most 254 characters", null));
            foreach (var name in new[] { "first_name", "last_name" })
                if (c[name]?.GetValue<string>() is { Length: > 50 }) errors.Add(($"contacts[{i}].{name}", "must be 50 characters or fewer", null));
            foreach (var (field, _) in c["custom_fields"] as JsonObject ?? [])
                if (field != SourceFieldId) errors.Add(($"contacts[{i}].custom_fields", $"custom field ID {field} not found", null));
        }
        foreach (var e in errors) fake.Violation($"{e.Field}: {e.Message}");
        if (errors.Count > 0) return Errors(400, errors.ToArray());
        ContactUpserts.Enqueue(body);
        return Results.Json(new { job_id = Guid.NewGuid().ToString() }, statusCode: 202);
    }

    public static async Task<T> WaitForAsync<T>(ConcurrentQueue<T> queue, Func<T, bool> match, int timeoutMs = 15_000) where T : JsonNode =>
        (await FakeProvider.WaitForAsync(queue, match, "SendGrid", timeoutMs: timeoutMs))[0];

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

public sealed class SendGridSqliteNode : SqliteSwitchboard
{
    public SendGridFake SendGrid { get; } = SendGridFake.StartAsync().GetAwaiter().GetResult();
    public SendGridSqliteNode() => With("Switchboard:Integrations:Providers:sendgrid:BaseUrls:api", SendGrid.Provider.BaseUrl);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await SendGrid.DisposeAsync();
    }
}

public sealed class SendGridPostgresNode : PostgresSwitchboard
{
    public SendGridFake SendGrid { get; } = SendGridFake.StartAsync().GetAwaiter().GetResult();
    public SendGridPostgresNode() => With("Switchboard:Integrations:Providers:sendgrid:BaseUrls:api", SendGrid.Provider.BaseUrl);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await SendGrid.DisposeAsync();
    }
}
