using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// Trello's REST API 1 as documented (https://developer.atlassian.com/cloud/trello/rest/), on loopback: the
/// <c>Authorization: OAuth oauth_consumer_key="…", oauth_token="…"</c> header
/// (https://developer.atlassian.com/cloud/trello/guides/rest-api/authorization/), plain-text errors ("invalid token",
/// "invalid id", "invalid value for idList"), 429 as JSON (https://developer.atlassian.com/cloud/trello/guides/rest-api/rate-limits/);
/// boards, lists, cards; webhooks (https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/) whose creation
/// first sends a HEAD to the callback URL and needs a 200, one per callback, model and token; deleted with
/// <c>DELETE /1/webhooks/{id}</c> (https://developer.atlassian.com/cloud/trello/rest/api-group-webhooks/#api-webhooks-id-delete), the token's own only.
/// </summary>
public sealed partial class TrelloFake : IAsyncDisposable
{
    public const string ApiKey = "0123456789abcdef0123456789abcdef", Secret = "trello-app-secret-fedcba9876543210";

    public FakeProvider Provider { get; }
    public Func<HttpRequestMessage, Task<HttpResponseMessage>>? Deliver { get; set; }
    private readonly ConcurrentDictionary<string, Board> _byToken = new();
    private int _boards;
    private long _ids = 0x5f0000000000;
    private TrelloFake(FakeProvider provider) => Provider = provider;

    public sealed class Board(string id, string token)
    {
        public string Id { get; } = id;
        public string Token { get; } = token;
        public ConcurrentDictionary<string, JsonObject> Lists { get; } = new();
        public ConcurrentDictionary<string, JsonObject> Cards { get; } = new();
        public ConcurrentDictionary<string, JsonObject> Webhooks { get; } = new();
        public ConcurrentQueue<(int Status, string Body)> Failures { get; } = new();

        /// <summary>The next this many <c>DELETE /1/webhooks/{id}</c> answer a 500.</summary>
        public int FailWebhookDeletes { get => Volatile.Read(ref _failWebhookDeletes); set => Volatile.Write(ref _failWebhookDeletes, value); }
        internal int _failWebhookDeletes;
        public string? ListNamed(string name) => Lists.Values.FirstOrDefault(l => l["name"]!.GetValue<string>() == name)?["id"]!.GetValue<string>();
    }

    private string NewId() => Interlocked.Increment(ref _ids).ToString("x24");

    public Board NewBoard()
    {
        var n = Interlocked.Increment(ref _boards);
        var board = new Board(NewId(), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
        var first = NewId();
        board.Lists[first] = new JsonObject { ["id"] = first, ["name"] = "To Do", ["closed"] = false, ["idBoard"] = board.Id };
        _byToken[board.Token] = board;
        return board;
    }

    public static TrelloFake Start()
    {
        TrelloFake? self = null;
        var provider = FakeProvider.StartAsync((app, fake) =>
            app.MapMethods("/1/{**path}", ["GET", "POST", "PUT", "DELETE"], (string path, HttpContext http) => self!.ApiAsync(http, fake, path))).GetAwaiter().GetResult();
        self = new TrelloFake(provider);
        return self;
    }

    [GeneratedRegex("""^OAuth oauth_consumer_key="(?<key>[^"]+)", oauth_token="(?<token>[^"]+)"$""")]
    private static partial Regex OAuthHeader();

    private static IResult Text(int status, string text) => Results.Text(text, "text/plain", statusCode: status);

    private async Task<IResult> ApiAsync(HttpContext http, FakeProvider fake, string path)
    {
        fake.Require(!http.Request.Query.ContainsKey("token") && !http.Request.Query.ContainsKey("key"), "the key and token go in the Authorization header, not the URL");
        var match = OAuthHeader().Match(http.Request.Headers.Authorization.ToString());
        if (!match.Success || match.Groups["key"].Value != ApiKey) return Text(401, "invalid key");
        if (!_byToken.TryGetValue(match.Groups["token"].Value, out var board)) return Text(401, "invalid token");
        if (board.Failures.TryDequeue(out var failure)) return Results.Text(failure.Body, failure.Body.StartsWith('{') ? "application/json" : "text/plain", statusCode: failure.Status);
        JsonObject body = [];
        if (http.Request.Method is "POST" or "PUT")
        {
            fake.Require(http.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true, "JSON bodies");
            try { body = await JsonNode.ParseAsync(http.Request.Body) as JsonObject ?? []; }
            catch (System.Text.Json.JsonException) { return Text(400, "invalid JSON"); }
        }
        var segments = path.Split('/');
        switch (http.Request.Method, segments)
        {
            case ("GET", ["boards", var id]):
                return id == board.Id ? Results.Json(new { id, name = "Sales pipeline", closed = false }) : Text(400, "invalid id");
            case ("GET", ["boards", var id, "lists"]):
                if (id != board.Id) return Text(400, "invalid id");
                return Results.Json(new JsonArray([.. board.Lists.Values.Where(l => http.Request.Query["filter"] != "open" || !l["closed"]!.GetValue<bool>()).Select(l => (JsonNode)l.DeepClone())]));
            case ("GET", ["boards", var id, "cards"]):
                if (id != board.Id) return Text(400, "invalid id");
                return Results.Json(new JsonArray([.. board.Cards.Values.Select(c => (JsonNode)c.DeepClone())]));
            case ("POST", ["lists"]):
            {
                if (body["idBoard"]?.GetValue<string>() != board.Id) return Text(400, "invalid value for idBoard");
                if (string.IsNullOrEmpty(body["name"]?.GetValue<string>())) return Text(400, "invalid value for name");
                var id = NewId();
                board.Lists[id] = new JsonObject { ["id"] = id, ["name"] = body["name"]!.GetValue<string>(), ["closed"] = false, ["idBoard"] = board.Id };
                return Results.Json(board.Lists[id].DeepClone());
            }
            case ("POST", ["cards"]):
            {
                var list = body["idList"]?.GetValue<string>();
                if (list is null || !board.Lists.ContainsKey(list)) return Text(400, "invalid value for idList");
                var id = NewId();
                board.Cards[id] = new JsonObject
                {
                    ["id"] = id, ["name"] = body["name"]?.GetValue<string>() ?? "", ["desc"] = body["desc"]?.GetValue<string>() ?? "", ["idList"] = list, ["idBoard"] = board.Id,
                };
                return Results.Json(board.Cards[id].DeepClone());
            }
            case ("PUT", ["cards", var id]):
            {
                if (!board.Cards.TryGetValue(id, out var card)) return Text(404, "The requested resource was not found.");
                if (body["idList"]?.GetValue<string>() is { } list)
                {
                    if (!board.Lists.ContainsKey(list)) return Text(400, "invalid value for idList");
                    card["idList"] = list;
                }
                return Results.Json(card.DeepClone());
            }
            case ("GET", ["tokens", var token, "webhooks"]):
                fake.Require(token == board.Token, "the token's own webhooks");
                return Results.Json(new JsonArray([.. board.Webhooks.Values.Select(w => (JsonNode)w.DeepClone())]));
            case ("DELETE", ["webhooks", var id]):
                fake.Require(http.Request.ContentLength is null or 0, "DELETE /1/webhooks/{id} takes no body");
                if (Interlocked.Decrement(ref board._failWebhookDeletes) >= 0) return Text(500, "An unexpected error occurred.");
                Interlocked.Exchange(ref board._failWebhookDeletes, 0);
                return board.Webhooks.TryRemove(id, out _) ? Results.Json(new JsonObject { ["_value"] = null }) : Text(404, "The requested resource was not found.");
            case ("POST", ["webhooks"]):
            {
                var callback = body["callbackURL"]?.GetValue<string>() ?? "";
                var model = body["idModel"]?.GetValue<string>();
                if (model != board.Id) return Text(400, "invalid value for idModel");
                if (board.Webhooks.Values.Any(w => w["callbackURL"]!.GetValue<string>() == callback && w["idModel"]!.GetValue<string>() == model))
                    return Text(400, "A webhook with that callback, model, and token already exists");
                using var head = new HttpRequestMessage(HttpMethod.Head, new Uri(callback).PathAndQuery);
                using var answer = await Deliver!(head);
                if (answer.StatusCode != System.Net.HttpStatusCode.OK)
                    return Text(400, $"URL ({callback}) did not return 200 status code, got {(int)answer.StatusCode}");
                var id = NewId();
                board.Webhooks[id] = new JsonObject
                {
                    ["id"] = id, ["description"] = body["description"]?.GetValue<string>() ?? "", ["idModel"] = model, ["callbackURL"] = callback, ["active"] = true, ["consecutiveFailures"] = 0,
                };
                return Results.Json(board.Webhooks[id].DeepClone());
            }
        }
        fake.Violation($"{http.Request.Method} /1/{path} is not an endpoint this connector should call");
        return Text(404, "Cannot " + http.Request.Method + " /1/" + path);
    }

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

public sealed class TrelloSqliteNode : SqliteSwitchboard
{
    public TrelloFake Trello { get; } = TrelloFake.Start();
    public TrelloSqliteNode() => TrelloNode.Configure(this, Trello);
    public override async ValueTask DisposeAsync() { await base.DisposeAsync(); await Trello.DisposeAsync(); }
}

public sealed class TrelloPostgresNode : PostgresSwitchboard
{
    public TrelloFake Trello { get; } = TrelloFake.Start();
    public TrelloPostgresNode() => TrelloNode.Configure(this, Trello);
    public override async ValueTask DisposeAsync() { await base.DisposeAsync(); await Trello.DisposeAsync(); }
}

internal static class TrelloNode
{
    public static void Configure(SwitchboardFactory node, TrelloFake trello)
    {
        const string Prefix = "Switchboard:Integrations:Providers:trello:";
        node.With(Prefix + "BaseUrls:api", trello.Provider.BaseUrl + "/1");
        node.With(Prefix + "ClientId", TrelloFake.ApiKey);
        node.With(Prefix + "ClientSecret", TrelloFake.Secret);
        node.With("Switchboard:PublicBaseUrl", JiraNode.PublicBaseUrl);
    }
}
