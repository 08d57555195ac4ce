using System.Net;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Crm;

/// <summary>The changes that are more than field edits: conversions, completions, call and payment life cycles, chat.</summary>
public abstract class StateChangeTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private static async Task<JsonObject> PostAsync(ApiClient client, string path, string body, HttpStatusCode expected = HttpStatusCode.Created)
    {
        var response = await client.SendRawAsync(HttpMethod.Post, path, body);
        response.StatusCode.ShouldBe(expected, await response.Content.ReadAsStringAsync());
        return await ApiClient.ReadAsync(response);
    }

    private static async Task<JsonObject> PatchAsync(ApiClient client, string path, string body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await client.SendRawAsync(HttpMethod.Patch, path, body);
        response.StatusCode.ShouldBe(expected, await response.Content.ReadAsStringAsync());
        return await ApiClient.ReadAsync(response);
    }

    private async Task<List<string>> EventTypesAsync(string id) => (await node.EventsForAsync(id)).Select(e => e.Type).ToList();

    [Fact]
    public async Task ConvertingALeadMakesAContactAndADealInOneStep()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var lead = await PostAsync(client, "/api/v1/leads", """{"name":"Grace Brewster Hopper","email":"grace@example.com","phone":"+12025550123","company":"US Navy"}""");
        var leadId = lead["id"]!.GetValue<string>();

        var result = await PostAsync(client, $"/api/v1/leads/{leadId}/convert", """{"amount":25000,"currency":"USD","dealName":"Compilers"}""", HttpStatusCode.OK);
        var contact = result["contact"]!;
        contact["firstName"]!.GetValue<string>().ShouldBe("Grace");
        contact["lastName"]!.GetValue<string>().ShouldBe("Brewster Hopper");
        contact["email"]!.GetValue<string>().ShouldBe("grace@example.com");
        contact["company"]!.GetValue<string>().ShouldBe("US Navy");
        var deal = result["deal"]!;
        deal["name"]!.GetValue<string>().ShouldBe("Compilers");
        deal["amount"]!.GetValue<decimal>().ShouldBe(25000m);
        deal["contactId"]!.GetValue<string>().ShouldBe(contact["id"]!.GetValue<string>());
        result["lead"]!["status"]!.GetValue<string>().ShouldBe("converted");
        result["lead"]!["convertedDealId"]!.GetValue<string>().ShouldBe(deal["id"]!.GetValue<string>());

        (await EventTypesAsync(leadId)).ShouldBe(["lead.created", "lead.updated", "lead.converted"]);
        (await EventTypesAsync(contact["id"]!.GetValue<string>())).ShouldBe(["contact.created"]);
        (await EventTypesAsync(deal["id"]!.GetValue<string>())).ShouldBe(["deal.created"]);

        await (await client.SendRawAsync(HttpMethod.Post, $"/api/v1/leads/{leadId}/convert", "{}")).ShouldBeProblemAsync(HttpStatusCode.Conflict, "conflict");
        var reopen = await client.SendRawAsync(HttpMethod.Patch, $"/api/v1/leads/{leadId}", """{"status":"new"}""");
        await reopen.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        var direct = await client.SendRawAsync(HttpMethod.Post, "/api/v1/leads", """{"name":"X","status":"converted"}""");
        await direct.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task ConvertingCanReuseAContactAndSkipTheDeal()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var contactId = (await PostAsync(client, "/api/v1/contacts", """{"firstName":"Known"}"""))["id"]!.GetValue<string>();
        var leadId = (await PostAsync(client, "/api/v1/leads", """{"name":"Known again"}"""))["id"]!.GetValue<string>();
        var result = await PostAsync(client, $"/api/v1/leads/{leadId}/convert", $$"""{"contactId":"{{contactId}}","createDeal":false}""", HttpStatusCode.OK);
        result["contact"]!["id"]!.GetValue<string>().ShouldBe(contactId);
        result["deal"].ShouldBeNull();
        (await client.GetJsonAsync("/api/v1/contacts"))["data"]!.AsArray().Count.ShouldBe(1);
        var unknown = await client.SendRawAsync(HttpMethod.Post, $"/api/v1/leads/{(await PostAsync(client, "/api/v1/leads", """{"name":"Y"}"""))["id"]}/convert",
            """{"contactId":"con_01JAAAAAAAAAAAAAAAAAAAAAAA"}""");
        await unknown.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task MovingADealThroughStagesRecordsStageChangesAndCloses()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var id = (await PostAsync(client, "/api/v1/deals", """{"name":"Pipeline","amount":100,"currency":"GBP"}"""))["id"]!.GetValue<string>();
        (await PatchAsync(client, $"/api/v1/deals/{id}", """{"stage":"negotiation"}"""))["closedAt"].ShouldBeNull();
        var won = await PatchAsync(client, $"/api/v1/deals/{id}", """{"stage":"won"}""");
        won["closedAt"].ShouldNotBeNull();
        (await EventTypesAsync(id)).ShouldBe(["deal.created", "deal.updated", "deal.stage_changed", "deal.updated", "deal.stage_changed", "deal.won"]);
        var events = await node.EventsForAsync(id);
        events.Last(e => e.Type == "deal.stage_changed").PreviousAttributes.ShouldBeNull("previousAttributes travels on *.updated only");
        JsonNode.Parse(events.Last(e => e.Type == "deal.updated").PreviousAttributes!)!["stage"]!.GetValue<string>().ShouldBe("negotiation");
    }

    [Fact]
    public async Task CompletingATaskIsAStateChangeOfItsOwn()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var id = (await PostAsync(client, "/api/v1/tasks", """{"title":"Call back"}"""))["id"]!.GetValue<string>();
        var done = await PostAsync(client, $"/api/v1/tasks/{id}/complete", "{}", HttpStatusCode.OK);
        done["status"]!.GetValue<string>().ShouldBe("completed");
        done["completedAt"].ShouldNotBeNull();
        // Completing again changes nothing and records nothing.
        await PostAsync(client, $"/api/v1/tasks/{id}/complete", "{}", HttpStatusCode.OK);
        (await PatchAsync(client, $"/api/v1/tasks/{id}", """{"status":"open"}"""))["completedAt"].ShouldBeNull();
        await PatchAsync(client, $"/api/v1/tasks/{id}", """{"status":"completed"}""");
        (await EventTypesAsync(id)).Count(t => t == "task.completed").ShouldBe(2);
        (await EventTypesAsync(id)).Count(t => t == "task.updated").ShouldBe(3);
    }

    [Fact]
    public async Task ACallStartsEndsAndGetsItsTranscript()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var call = await PostAsync(client, "/api/v1/calls", """{"direction":"inbound","fromNumber":"+442071838750","toNumber":"+442079460000"}""");
        var id = call["id"]!.GetValue<string>();
        call["status"]!.GetValue<string>().ShouldBe("ringing");
        var ended = await PatchAsync(client, $"/api/v1/calls/{id}", """{"status":"completed","durationSeconds":185,"outcome":"booked demo"}""");
        ended["endedAt"].ShouldNotBeNull();
        var transcribed = await PostAsync(client, $"/api/v1/calls/{id}/transcript", """{"transcript":"Agent: Hello.\nCaller: Hi!","language":"en-GB"}""", HttpStatusCode.OK);
        transcribed["transcript"]!.GetValue<string>().ShouldStartWith("Agent: Hello.");
        transcribed["transcriptLanguage"]!.GetValue<string>().ShouldBe("en-GB");
        (await EventTypesAsync(id)).ShouldBe(["call.created", "call.started", "call.updated", "call.ended", "call.updated", "call.transcript_added"]);

        await (await client.SendRawAsync(HttpMethod.Patch, $"/api/v1/calls/{id}", """{"status":"ringing"}""")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        await (await client.SendRawAsync(HttpMethod.Post, $"/api/v1/calls/{id}/transcript", """{"transcript":""}""")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");

        var logged = await PostAsync(client, "/api/v1/calls", """{"direction":"outbound","fromNumber":"+442071838750","toNumber":"+442079460001","status":"missed"}""");
        (await EventTypesAsync(logged["id"]!.GetValue<string>())).ShouldBe(["call.created", "call.ended"]);
    }

    [Fact]
    public async Task PaymentsFollowTheirLifeCycle()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var paid = await PostAsync(client, "/api/v1/payments", """{"amount":120.5,"currency":"EUR","status":"completed","method":"card"}""");
        var id = paid["id"]!.GetValue<string>();
        paid["paidAt"].ShouldNotBeNull();
        paid["amount"]!.GetValue<decimal>().ShouldBe(120.5m);
        await (await client.SendRawAsync(HttpMethod.Patch, $"/api/v1/payments/{id}", """{"amount":1}""")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        var refunded = await PatchAsync(client, $"/api/v1/payments/{id}", """{"status":"refunded"}""");
        refunded["refundedAt"].ShouldNotBeNull();
        await (await client.SendRawAsync(HttpMethod.Patch, $"/api/v1/payments/{id}", """{"status":"completed"}""")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        (await EventTypesAsync(id)).ShouldBe(["payment.created", "payment.completed", "payment.updated", "payment.refunded"]);

        var failing = (await PostAsync(client, "/api/v1/payments", """{"amount":5,"currency":"JPY"}"""))["id"]!.GetValue<string>();
        await PatchAsync(client, $"/api/v1/payments/{failing}", """{"status":"failed","failureReason":"card_declined"}""");
        (await EventTypesAsync(failing)).ShouldContain("payment.failed");
        await (await client.SendRawAsync(HttpMethod.Post, "/api/v1/payments", """{"amount":1.0000001,"currency":"USD"}""")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task ChatMessagesOpenSessionsAndAreReceivedInOrder()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var first = await PostAsync(client, "/api/v1/chat/message", """{"body":"Hi, is anyone there?","visitorName":"Sam","channel":"web"}""");
        first["sessionCreated"]!.GetValue<bool>().ShouldBeTrue();
        var sessionId = first["session"]!["id"]!.GetValue<string>();
        first["session"]!["messageCount"]!.GetValue<int>().ShouldBe(1);
        var second = await PostAsync(client, "/api/v1/chat/message", $$"""{"sessionId":"{{sessionId}}","body":"Hello Sam!","author":"agent"}""");
        second["sessionCreated"]!.GetValue<bool>().ShouldBeFalse();
        await PostAsync(client, $"/api/v1/chat/sessions/{sessionId}/messages", """{"body":"I have a question about pricing."}""");

        var session = await client.GetJsonAsync($"/api/v1/chat/sessions/{sessionId}");
        session["messageCount"]!.GetValue<int>().ShouldBe(3);
        session["lastMessageAt"].ShouldNotBeNull();
        var messages = (await client.GetJsonAsync($"/api/v1/chat/sessions/{sessionId}/messages"))["data"]!.AsArray();
        messages.Select(m => m!["body"]!.GetValue<string>()).ShouldBe(["Hi, is anyone there?", "Hello Sam!", "I have a question about pricing."]);
        var visitorMessages = (await client.GetJsonAsync($"/api/v1/chat/sessions/{sessionId}/messages?author=visitor"))["data"]!.AsArray();
        visitorMessages.Count.ShouldBe(2);
        var received = 0;
        foreach (var m in messages) received += (await EventTypesAsync(m!["id"]!.GetValue<string>())).Count(t => t == "chat.message_received");
        received.ShouldBe(2);

        await PatchAsync(client, $"/api/v1/chat/sessions/{sessionId}", """{"status":"closed"}""");
        await (await client.SendRawAsync(HttpMethod.Post, $"/api/v1/chat/sessions/{sessionId}/messages", """{"body":"Bye","author":"agent"}"""))
            .ShouldBeProblemAsync(HttpStatusCode.Conflict, "conflict");
        await PostAsync(client, $"/api/v1/chat/sessions/{sessionId}/messages", """{"body":"One more thing!"}""");
        (await client.GetJsonAsync($"/api/v1/chat/sessions/{sessionId}"))["status"]!.GetValue<string>().ShouldBe("open");
        await (await client.GetAsync("/api/v1/chat/sessions/chs_01JAAAAAAAAAAAAAAAAAAAAAAA/messages")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task ConcurrentChatMessagesInOneSessionAreAllCounted()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var sessionId = (await PostAsync(client, "/api/v1/chat/sessions", "{}"))["id"]!.GetValue<string>();
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            node.Client().WithBearer(client.AccessToken).SendRawAsync(HttpMethod.Post, $"/api/v1/chat/sessions/{sessionId}/messages", $$"""{"body":"m{{i}}"}""")));
        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.Created);
        (await client.GetJsonAsync($"/api/v1/chat/sessions/{sessionId}"))["messageCount"]!.GetValue<int>().ShouldBe(10);
    }

    [Fact]
    public async Task DeletingAContactUnlinksItsRecords()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var contactId = (await PostAsync(client, "/api/v1/contacts", """{"firstName":"Gone"}"""))["id"]!.GetValue<string>();
        var dealId = (await PostAsync(client, "/api/v1/deals", $$"""{"name":"Orphan","contactId":"{{contactId}}"}"""))["id"]!.GetValue<string>();
        (await client.DeleteAsync($"/api/v1/contacts/{contactId}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await client.GetJsonAsync($"/api/v1/deals/{dealId}"))["contactId"].ShouldBeNull();
    }
}

public sealed class StateChangeTestsOnSqlite(SqliteSwitchboard node) : StateChangeTests<SqliteSwitchboard>(node);
public sealed class StateChangeTestsOnPostgres(PostgresSwitchboard node) : StateChangeTests<PostgresSwitchboard>(node);
