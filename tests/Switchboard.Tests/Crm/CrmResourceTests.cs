using System.Net;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Crm;

/// <summary>What every CRM resource must do, checked for each of them through the same pipeline.</summary>
public abstract class CrmResourceTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private async Task<(ApiClient Client, string ContactId)> TenantAsync()
    {
        var client = node.Client();
        await client.SignupAsync();
        var contact = await client.SendRawAsync(HttpMethod.Post, "/api/v1/contacts", """{"firstName":"Linked","email":"linked@example.com"}""");
        contact.StatusCode.ShouldBe(HttpStatusCode.Created);
        return (client, (await ApiClient.ReadAsync(contact))["id"]!.GetValue<string>());
    }

    private static async Task<JsonObject> CreateAsync(ApiClient client, ResourceCase c, string contactId)
    {
        var response = await client.SendRawAsync(HttpMethod.Post, $"/api/v1/{c.Path}", ResourceCases.Fill(c.Create, contactId));
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await ApiClient.ReadAsync(response);
    }

    [Theory]
    [MemberData(nameof(ResourceCases.Names), MemberType = typeof(ResourceCases))]
    public async Task EveryResourceCreatesGetsListsUpdatesAndDeletes(string resource)
    {
        var c = ResourceCases.All[resource];
        var (client, contactId) = await TenantAsync();

        var created = await client.SendRawAsync(HttpMethod.Post, $"/api/v1/{c.Path}", ResourceCases.Fill(c.Create, contactId));
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var body = await ApiClient.ReadAsync(created);
        var id = body["id"]!.GetValue<string>();
        id.ShouldStartWith(c.Prefix + "_");
        created.Headers.Location!.ToString().ShouldBe($"/api/v1/{c.Path}/{id}");
        created.Headers.ETag.ShouldNotBeNull();
        created.Headers.CacheControl!.NoStore.ShouldBeTrue();
        body["createdAt"].ShouldNotBeNull();
        body["updatedAt"].ShouldNotBeNull();
        foreach (var (field, value) in ResourceCases.Parse(ResourceCases.Fill(c.Create, contactId)))
            if (field is not ("email" or "occurredAt" or "dueAt" or "expectedCloseDate"))
                JsonNode.DeepEquals(body[field], value).ShouldBeTrue($"{field}: sent {value}, got {body[field]}");

        var get = await client.GetAsync($"/api/v1/{c.Path}/{id}");
        get.StatusCode.ShouldBe(HttpStatusCode.OK);
        get.Headers.ETag!.Tag.ShouldBe(created.Headers.ETag!.Tag);
        JsonNode.DeepEquals(await ApiClient.ReadAsync(get), body).ShouldBeTrue();

        var list = await client.GetJsonAsync($"/api/v1/{c.Path}");
        list["data"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()).ShouldContain(id);

        var patch = ResourceCases.Parse(c.Patch);
        var updated = await client.SendRawAsync(HttpMethod.Patch, $"/api/v1/{c.Path}/{id}", c.Patch);
        updated.StatusCode.ShouldBe(HttpStatusCode.OK, await updated.Content.ReadAsStringAsync());
        var after = await ApiClient.ReadAsync(updated);
        JsonNode.DeepEquals(after[c.PatchedField], patch[c.PatchedField]).ShouldBeTrue($"{c.PatchedField} should be {patch[c.PatchedField]}, got {after[c.PatchedField]}");
        updated.Headers.ETag!.Tag.ShouldNotBe(created.Headers.ETag!.Tag);
        foreach (var (field, value) in body)
            if (field != c.PatchedField && field != "updatedAt" && !(resource == "tickets" && field == "resolvedAt"))
                JsonNode.DeepEquals(after[field], value).ShouldBeTrue($"PATCH changed {field} that it did not send");

        (await client.DeleteAsync($"/api/v1/{c.Path}/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await client.GetAsync($"/api/v1/{c.Path}/{id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
    }

    [Theory]
    [MemberData(nameof(ResourceCases.Names), MemberType = typeof(ResourceCases))]
    public async Task EveryChangeRecordsAnOutboxEvent(string resource)
    {
        var c = ResourceCases.All[resource];
        var (client, contactId) = await TenantAsync();
        var created = await CreateAsync(client, c, contactId);
        var id = created["id"]!.GetValue<string>();
        var before = created[c.PatchedField];
        (await client.SendRawAsync(HttpMethod.Patch, $"/api/v1/{c.Path}/{id}", c.Patch)).StatusCode.ShouldBe(HttpStatusCode.OK);
        // A PATCH that changes nothing records nothing.
        (await client.SendRawAsync(HttpMethod.Patch, $"/api/v1/{c.Path}/{id}", c.Patch)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.DeleteAsync($"/api/v1/{c.Path}/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var events = await node.EventsForAsync(id);
        var lifecycle = events.Select(e => e.Type)
            .Where(t => (t == $"{c.Singular}.created" || t == $"{c.Singular}.updated" || t == $"{c.Singular}.deleted")).ToList();
        lifecycle.ShouldBe([$"{c.Singular}.created", $"{c.Singular}.updated", $"{c.Singular}.deleted"]);
        events.ShouldAllBe(e => e.OrganizationId == client.OrganizationId && e.Id.StartsWith("evt_"));
        var updated = events.Single(e => e.Type == $"{c.Singular}.updated");
        var previous = JsonNode.Parse(updated.PreviousAttributes!)!.AsObject();
        JsonNode.DeepEquals(previous[c.PatchedField], before).ShouldBeTrue($"previousAttributes.{c.PatchedField} should be {before}, got {previous[c.PatchedField]}");
        previous.ContainsKey("updatedAt").ShouldBeFalse();
        JsonNode.Parse(events[0].Data)!["id"]!.GetValue<string>().ShouldBe(id);
    }

    [Theory]
    [MemberData(nameof(ResourceCases.Names), MemberType = typeof(ResourceCases))]
    public async Task AnotherTenantsRecordIsNotFound(string resource)
    {
        var c = ResourceCases.All[resource];
        var (alice, contactId) = await TenantAsync();
        var (bob, _) = await TenantAsync();
        var id = (await CreateAsync(alice, c, contactId))["id"]!.GetValue<string>();

        await (await bob.GetAsync($"/api/v1/{c.Path}/{id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await bob.SendRawAsync(HttpMethod.Patch, $"/api/v1/{c.Path}/{id}", c.Patch)).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await bob.DeleteAsync($"/api/v1/{c.Path}/{id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        (await bob.GetJsonAsync($"/api/v1/{c.Path}?limit=100"))["data"]!.AsArray().ShouldNotContain(r => r!["id"]!.GetValue<string>() == id);
        (await alice.GetAsync($"/api/v1/{c.Path}/{id}")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Nor can Bob point his own records at Alice's contact.
        if (c.Create.Contains("{contactId}", StringComparison.Ordinal))
        {
            var linked = await bob.SendRawAsync(HttpMethod.Post, $"/api/v1/{c.Path}", ResourceCases.Fill(c.Create, contactId));
            (await linked.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["contactId"].ShouldNotBeNull();
        }
    }

    [Theory]
    [MemberData(nameof(ResourceCases.Names), MemberType = typeof(ResourceCases))]
    public async Task IfMatchGuardsUpdatesAndDeletes(string resource)
    {
        var c = ResourceCases.All[resource];
        var (client, contactId) = await TenantAsync();
        var created = await client.SendRawAsync(HttpMethod.Post, $"/api/v1/{c.Path}", ResourceCases.Fill(c.Create, contactId));
        var id = (await ApiClient.ReadAsync(created))["id"]!.GetValue<string>();
        var etag = created.Headers.ETag!.Tag;

        var notModified = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/{c.Path}/{id}");
        notModified.Headers.TryAddWithoutValidation("If-None-Match", etag);
        (await client.Http.SendAsync(notModified)).StatusCode.ShouldBe(HttpStatusCode.NotModified);

        var first = await Send(client, HttpMethod.Patch, $"/api/v1/{c.Path}/{id}", c.Patch, etag);
        first.StatusCode.ShouldBe(HttpStatusCode.OK, await first.Content.ReadAsStringAsync());
        await (await Send(client, HttpMethod.Patch, $"/api/v1/{c.Path}/{id}", c.Patch, etag)).ShouldBeProblemAsync(HttpStatusCode.PreconditionFailed, "precondition_failed");
        await (await Send(client, HttpMethod.Delete, $"/api/v1/{c.Path}/{id}", null, etag)).ShouldBeProblemAsync(HttpStatusCode.PreconditionFailed, "precondition_failed");
        (await Send(client, HttpMethod.Delete, $"/api/v1/{c.Path}/{id}", null, first.Headers.ETag!.Tag)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
    }

    private static Task<HttpResponseMessage> Send(ApiClient client, HttpMethod method, string path, string? body, string ifMatch)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return client.Http.SendAsync(request);
    }

    [Theory]
    [MemberData(nameof(ResourceCases.Names), MemberType = typeof(ResourceCases))]
    public async Task BadInputAnswers400WithTheFieldsAtFault(string resource)
    {
        var c = ResourceCases.All[resource];
        var (client, _) = await TenantAsync();
        var invalid = await client.SendRawAsync(HttpMethod.Post, $"/api/v1/{c.Path}", c.Invalid);
        var errors = (await invalid.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!.AsObject();
        foreach (var field in c.InvalidFields) errors.ContainsKey(field).ShouldBeTrue($"expected an error for {field}: {errors.ToJsonString()}");

        await (await client.SendRawAsync(HttpMethod.Post, $"/api/v1/{c.Path}", c.WrongType)).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "malformed_json");
        var unknownEnum = await client.SendRawAsync(HttpMethod.Post, $"/api/v1/{c.Path}", c.UnknownEnum);
        unknownEnum.StatusCode.ShouldBe(HttpStatusCode.BadRequest, await unknownEnum.Content.ReadAsStringAsync());
        await (await client.SendRawAsync(HttpMethod.Post, $"/api/v1/{c.Path}", "{\"name\":")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "malformed_json");
        var huge = "{\"notes\":\"" + new string('x', 1_100_000) + "\"}";
        await (await client.SendOversizedAsync($"/api/v1/{c.Path}", huge)).ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        await (await client.GetAsync($"/api/v1/{c.Path}/{c.Prefix}_garbage")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        (await client.GetJsonAsync($"/api/v1/{c.Path}"))["data"]!.AsArray().Count.ShouldBe(resource == "contacts" ? 1 : 0, "no bad request may leave a record");
    }

    [Fact]
    public async Task EmailsAndPhoneNumbersFollowTheRulesEveryOtherFieldFollows()
    {
        var (client, _) = await TenantAsync();
        // A domain that ends in a dot and a number followed by a newline passed the CRM's own copies of the rules.
        var invalid = await client.SendRawAsync(HttpMethod.Post, "/api/v1/contacts", """{"email":"ada@example.com.","phone":"+14155550123\n"}""");
        var errors = (await invalid.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!.AsObject();
        errors["email"]!.AsArray().Single()!.GetValue<string>().ShouldBe("Must be a valid email address.");
        errors["phone"]!.AsArray().Single()!.GetValue<string>().ShouldBe("Must be a phone number in E.164 format, such as +14155550123.");
        await (await client.GetAsync("/api/v1/contacts?email=ada@example.com.")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task APatchFindsTheRecordBeforeItReadsTheBody()
    {
        var (client, contactId) = await TenantAsync();
        await (await client.SendRawAsync(HttpMethod.Patch, "/api/v1/contacts/con_01JD4V2Q8M3ZC5X7T9W1E6R0YB", """{"email":"nope"}"""))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await Send(client, HttpMethod.Patch, $"/api/v1/contacts/{contactId}", """{"email":"nope"}""", "\"stale\""))
            .ShouldBeProblemAsync(HttpStatusCode.PreconditionFailed, "precondition_failed");
        var invalid = await client.SendRawAsync(HttpMethod.Patch, $"/api/v1/contacts/{contactId}", """{"email":"nope"}""");
        (await invalid.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["email"].ShouldNotBeNull();
    }

    [Theory]
    [MemberData(nameof(ResourceCases.Names), MemberType = typeof(ResourceCases))]
    public async Task ScopesGateReadsAndWrites(string resource)
    {
        var c = ResourceCases.All[resource];
        var (owner, contactId) = await TenantAsync();
        using var reader = node.Client().WithApiKey((await owner.CreateKeyAsync($"{c.Scope}:read"))["key"]!.GetValue<string>());
        (await reader.GetAsync($"/api/v1/{c.Path}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await reader.SendRawAsync(HttpMethod.Post, $"/api/v1/{c.Path}", ResourceCases.Fill(c.Create, contactId)))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");

        using var other = node.Client().WithApiKey((await owner.CreateKeyAsync(c.Scope == "contacts" ? "deals:write" : "contacts:write"))["key"]!.GetValue<string>());
        await (await other.GetAsync($"/api/v1/{c.Path}")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
    }
}

public sealed class CrmResourceTestsOnSqlite(SqliteSwitchboard node) : CrmResourceTests<SqliteSwitchboard>(node);
public sealed class CrmResourceTestsOnPostgres(PostgresSwitchboard node) : CrmResourceTests<PostgresSwitchboard>(node);
