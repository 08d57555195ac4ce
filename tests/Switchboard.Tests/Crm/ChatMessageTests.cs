using System.Net;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Crm;

/// <summary>A chat message is read back where the 201 that created it points (<c>Location</c>), and only there.</summary>
public abstract class ChatMessageTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private static async Task<(string Location, JsonObject Body)> CreatedAsync(ApiClient client, string path, string body)
    {
        var response = await client.SendRawAsync(HttpMethod.Post, path, body);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (response.Headers.Location!.OriginalString, await ApiClient.ReadAsync(response));
    }

    [Fact]
    public async Task TheLocationOfEveryCreatedMessageAnswersThatMessage()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var (sent, sendBody) = await CreatedAsync(client, "/api/v1/chat/message", """{"body":"Hi there","visitorName":"Sam"}""");
        var sessionId = sendBody["session"]!["id"]!.GetValue<string>();
        var (posted, postBody) = await CreatedAsync(client, $"/api/v1/chat/sessions/{sessionId}/messages", """{"body":"Hello Sam","author":"agent"}""");

        foreach (var (location, message) in new[] { (sent, sendBody["message"]!.AsObject()), (posted, postBody) })
        {
            location.ShouldBe($"/api/v1/chat/sessions/{sessionId}/messages/{message["id"]}");
            var response = await client.GetAsync(location);
            response.StatusCode.ShouldBe(HttpStatusCode.OK, location);
            var read = await ApiClient.ReadAsync(response);
            read.ToJsonString().ShouldBe(message.ToJsonString());
            response.Headers.ETag.ShouldNotBeNull();

            // RFC 9110 §13.1.2: the representation the client holds is not sent again.
            using var conditional = new HttpRequestMessage(HttpMethod.Get, location);
            conditional.Headers.IfNoneMatch.Add(response.Headers.ETag!);
            (await client.Http.SendAsync(conditional)).StatusCode.ShouldBe(HttpStatusCode.NotModified);
        }
    }

    [Fact]
    public async Task AMessageIsNotFoundUnderAnotherSessionAnotherOrganizationOrAnUnknownId()
    {
        using var alice = node.Client();
        await alice.SignupAsync();
        var (location, body) = await CreatedAsync(alice, "/api/v1/chat/message", """{"body":"Private"}""");
        var sessionId = body["session"]!["id"]!.GetValue<string>();
        var messageId = body["message"]!["id"]!.GetValue<string>();
        var otherSession = (await ApiClient.ReadAsync(await alice.SendRawAsync(HttpMethod.Post, "/api/v1/chat/sessions", "{}")))["id"]!.GetValue<string>();

        await (await alice.GetAsync($"/api/v1/chat/sessions/{otherSession}/messages/{messageId}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await alice.GetAsync($"/api/v1/chat/sessions/{sessionId}/messages/{messageId[..^3]}zzz")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await alice.GetAsync($"/api/v1/chat/sessions/{sessionId}/messages/not-an-id")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await alice.GetAsync($"/api/v1/chat/sessions/{sessionId}/messages/{sessionId}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");

        using var bob = node.Client();
        await bob.SignupAsync();
        await (await bob.GetAsync(location)).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        (await alice.GetAsync(location)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ReadingAMessageTakesTheChatReadScope()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var (location, _) = await CreatedAsync(owner, "/api/v1/chat/message", """{"body":"Scoped"}""");

        using var contactsOnly = node.Client().WithApiKey((await owner.CreateKeyAsync("contacts:read"))["key"]!.GetValue<string>());
        await (await contactsOnly.GetAsync(location)).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        using var chatReader = node.Client().WithApiKey((await owner.CreateKeyAsync("chat:read"))["key"]!.GetValue<string>());
        (await chatReader.GetAsync(location)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}

public sealed class ChatMessageTestsOnSqlite(SqliteSwitchboard node) : ChatMessageTests<SqliteSwitchboard>(node);
public sealed class ChatMessageTestsOnPostgres(PostgresSwitchboard node) : ChatMessageTests<PostgresSwitchboard>(node);
