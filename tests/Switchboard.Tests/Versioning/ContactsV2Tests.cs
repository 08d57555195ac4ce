using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Versioning;

/// <summary>/api/v2/contacts: the same contacts as v1 in the v2 shape, through the same pipeline.</summary>
public abstract class ContactsV2Tests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private const string Ada = """{"name":{"first":" Ada ","last":"Lovelace"},"email":"ADA@example.com","phone":"+441632960001","company":{"name":"Analytical Engines"},"metadata":{"source":"v2"}}""";

    private async Task<ApiClient> TenantAsync()
    {
        var client = node.Client();
        await client.SignupAsync();
        return client;
    }

    private static async Task<JsonObject> CreateAsync(ApiClient client, string path, string body)
    {
        var response = await client.SendRawAsync(HttpMethod.Post, path, body);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await ApiClient.ReadAsync(response);
    }

    private static Task<HttpResponseMessage> SendAsync(ApiClient client, HttpMethod method, string path, string? body, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        return client.Http.SendAsync(request);
    }

    [Fact]
    public async Task V2ContactsCreateGetListUpdateAndDeleteInTheNestedShape()
    {
        using var client = await TenantAsync();
        var created = await client.SendRawAsync(HttpMethod.Post, "/api/v2/contacts", Ada);
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var body = await ApiClient.ReadAsync(created);
        var id = body["id"]!.GetValue<string>();
        id.ShouldStartWith("con_");
        created.Headers.Location!.ToString().ShouldBe($"/api/v2/contacts/{id}");
        created.Headers.ETag.ShouldNotBeNull();
        // The v1 normalisation applies: trimmed names, lower-cased email.
        JsonNode.DeepEquals(body["name"], JsonNode.Parse("""{"first":"Ada","last":"Lovelace"}""")).ShouldBeTrue(body.ToJsonString());
        JsonNode.DeepEquals(body["company"], JsonNode.Parse("""{"name":"Analytical Engines"}""")).ShouldBeTrue(body.ToJsonString());
        body["email"]!.GetValue<string>().ShouldBe("ada@example.com");
        body["metadata"]!["source"]!.GetValue<string>().ShouldBe("v2");
        body.ContainsKey("firstName").ShouldBeFalse();
        body.ContainsKey("lastName").ShouldBeFalse();

        var get = await client.GetAsync($"/api/v2/contacts/{id}");
        get.StatusCode.ShouldBe(HttpStatusCode.OK);
        get.Headers.ETag!.Tag.ShouldBe(created.Headers.ETag!.Tag);
        JsonNode.DeepEquals(await ApiClient.ReadAsync(get), body).ShouldBeTrue();

        var list = await client.GetJsonAsync("/api/v2/contacts");
        var listed = list["data"]!.AsArray().Single(r => r!["id"]!.GetValue<string>() == id)!;
        JsonNode.DeepEquals(listed, body).ShouldBeTrue();

        // PATCH merges nested objects: the last name changes, the first stays.
        var patched = await client.SendRawAsync(HttpMethod.Patch, $"/api/v2/contacts/{id}", """{"name":{"last":"King"},"jobTitle":"Countess"}""");
        patched.StatusCode.ShouldBe(HttpStatusCode.OK, await patched.Content.ReadAsStringAsync());
        var after = await ApiClient.ReadAsync(patched);
        JsonNode.DeepEquals(after["name"], JsonNode.Parse("""{"first":"Ada","last":"King"}""")).ShouldBeTrue(after.ToJsonString());
        after["jobTitle"]!.GetValue<string>().ShouldBe("Countess");
        JsonNode.DeepEquals(after["company"], body["company"]).ShouldBeTrue();
        patched.Headers.ETag!.Tag.ShouldNotBe(created.Headers.ETag!.Tag);

        // null clears a nested object: the company goes, and a null name clears both parts.
        var cleared = await ApiClient.ReadAsync(await client.SendRawAsync(HttpMethod.Patch, $"/api/v2/contacts/{id}", """{"company":null,"name":null}"""));
        cleared["company"].ShouldBeNull();
        JsonNode.DeepEquals(cleared["name"], JsonNode.Parse("""{"first":null,"last":null}""")).ShouldBeTrue(cleared.ToJsonString());
        cleared["email"]!.GetValue<string>().ShouldBe("ada@example.com");

        (await client.DeleteAsync($"/api/v2/contacts/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await client.GetAsync($"/api/v2/contacts/{id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await client.GetAsync($"/api/v1/contacts/{id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task V1AndV2AreTwoViewsOfTheSameRecord()
    {
        using var client = await TenantAsync();
        var v1 = await CreateAsync(client, "/api/v1/contacts", """{"firstName":"Grace","lastName":"Hopper","company":"Navy","email":"grace@example.com"}""");
        var id = v1["id"]!.GetValue<string>();

        var v2 = await client.GetJsonAsync($"/api/v2/contacts/{id}");
        v2["name"]!["first"]!.GetValue<string>().ShouldBe("Grace");
        v2["name"]!["last"]!.GetValue<string>().ShouldBe("Hopper");
        v2["company"]!["name"]!.GetValue<string>().ShouldBe("Navy");
        v2["updatedAt"]!.GetValue<string>().ShouldBe(v1["updatedAt"]!.GetValue<string>());

        // The ETag is the record's version, so a v1 read guards a v2 write (and a stale one is refused).
        var v1Get = await client.GetAsync($"/api/v1/contacts/{id}");
        var etag = v1Get.Headers.ETag!.Tag;
        var patched = await SendAsync(client, HttpMethod.Patch, $"/api/v2/contacts/{id}", """{"name":{"first":"Amazing Grace"}}""", ("If-Match", etag));
        patched.StatusCode.ShouldBe(HttpStatusCode.OK, await patched.Content.ReadAsStringAsync());
        await (await SendAsync(client, HttpMethod.Patch, $"/api/v1/contacts/{id}", """{"notes":"late"}""", ("If-Match", etag)))
            .ShouldBeProblemAsync(HttpStatusCode.PreconditionFailed, "precondition_failed");

        var reread = await client.GetJsonAsync($"/api/v1/contacts/{id}");
        reread["firstName"]!.GetValue<string>().ShouldBe("Amazing Grace");
        reread["lastName"]!.GetValue<string>().ShouldBe("Hopper");
        (await client.GetJsonAsync("/api/v1/contacts"))["data"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()).ShouldBe([id]);
        (await client.GetJsonAsync("/api/v2/contacts"))["data"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()).ShouldBe([id]);
    }

    [Fact]
    public async Task V2ValidationErrorsNameV2FieldPaths()
    {
        using var client = await TenantAsync();
        var invalid = await client.SendRawAsync(HttpMethod.Post, "/api/v2/contacts",
            $$$"""{"name":{"first":"{{{new string('x', 101)}}}"},"email":"not-an-email","company":{"name":"{{{new string('c', 201)}}}"}}""");
        var errors = (await invalid.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!.AsObject();
        errors.Select(e => e.Key).Order(StringComparer.Ordinal).ShouldBe(["company.name", "email", "name.first"]);

        // The rule about the whole record names the v2 field too.
        var nameless = await client.SendRawAsync(HttpMethod.Post, "/api/v2/contacts", """{"name":{"first":" "},"notes":"who?"}""");
        var whole = (await nameless.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!.AsObject();
        whole.ContainsKey("name.first").ShouldBeTrue(whole.ToJsonString());
        whole.ContainsKey("firstName").ShouldBeFalse();

        // Wrong types name the nested path.
        var wrongType = await client.SendRawAsync(HttpMethod.Post, "/api/v2/contacts", """{"name":{"first":42}}""");
        (await wrongType.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "malformed_json"))["errors"]!["name.first"].ShouldNotBeNull();
        var notAnObject = await client.SendRawAsync(HttpMethod.Post, "/api/v2/contacts", """{"name":"Ada Lovelace"}""");
        (await notAnObject.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "malformed_json"))["errors"]!["name"].ShouldNotBeNull();

        // A v1 body sent to v2 fails loudly instead of creating a contact without the fields it meant.
        var v1Body = await client.SendRawAsync(HttpMethod.Post, "/api/v2/contacts", """{"firstName":"Ada","email":"ada@example.com"}""");
        var unknown = await v1Body.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "malformed_json");
        unknown["errors"]!["firstName"]![0]!.GetValue<string>().ShouldBe("Is not a field of this request body.");
        var nestedUnknown = await client.SendRawAsync(HttpMethod.Post, "/api/v2/contacts", """{"name":{"middle":"Augusta"},"email":"ada@example.com"}""");
        (await nestedUnknown.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "malformed_json"))["errors"]!["name.middle"].ShouldNotBeNull();

        (await client.GetJsonAsync("/api/v2/contacts"))["data"]!.AsArray().Count.ShouldBe(0, "no bad request may leave a record");
    }

    [Fact]
    public async Task V2FieldSelectionFiltersAndSortsUseV2Names()
    {
        using var client = await TenantAsync();
        var ada = (await CreateAsync(client, "/api/v2/contacts", Ada))["id"]!.GetValue<string>();
        var charles = (await CreateAsync(client, "/api/v2/contacts", """{"name":{"first":"Charles","last":"Babbage"},"company":{"name":"Analytical Engines"}}"""))["id"]!.GetValue<string>();
        await CreateAsync(client, "/api/v2/contacts", """{"name":{"first":"Alan","last":"Turing"},"company":{"name":"Bletchley"}}""");

        var whole = await client.GetJsonAsync($"/api/v2/contacts/{ada}?fields=name,email");
        whole.Select(p => p.Key).Order(StringComparer.Ordinal).ShouldBe(["email", "id", "name"]);
        JsonNode.DeepEquals(whole["name"], JsonNode.Parse("""{"first":"Ada","last":"Lovelace"}""")).ShouldBeTrue();

        var nested = await client.GetJsonAsync($"/api/v2/contacts/{ada}?fields=name.first,company.name");
        JsonNode.DeepEquals(nested, JsonNode.Parse($$$"""{"id":"{{{ada}}}","name":{"first":"Ada"},"company":{"name":"Analytical Engines"}}""")).ShouldBeTrue(nested.ToJsonString());

        var v1Names = await client.GetAsync($"/api/v2/contacts/{ada}?fields=firstName");
        var fieldsError = (await v1Names.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["fields"]![0]!.GetValue<string>();
        fieldsError.ShouldContain("firstName");
        fieldsError.ShouldContain("name.first");

        var page = await client.GetJsonAsync("/api/v2/contacts?company.name=Analytical%20Engines&sort=name.last&fields=name.last");
        page["data"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()).ShouldBe([charles, ada]); // Babbage, Lovelace
        page["data"]![0]!["name"]!.AsObject().Select(p => p.Key).ShouldBe(["last"]);

        var v1Filter = await client.GetAsync("/api/v2/contacts?company=Bletchley&sort=lastName");
        var listErrors = (await v1Filter.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!.AsObject();
        listErrors.ContainsKey("company").ShouldBeTrue(listErrors.ToJsonString());
        listErrors["sort"]![0]!.GetValue<string>().ShouldContain("name.last");
    }

    [Fact]
    public async Task ChangesThroughV2RecordTheSameVersionlessEventsAsV1()
    {
        using var client = await TenantAsync();
        var id = (await CreateAsync(client, "/api/v2/contacts", Ada))["id"]!.GetValue<string>();
        (await client.SendRawAsync(HttpMethod.Patch, $"/api/v2/contacts/{id}", """{"name":{"last":"King"}}""")).StatusCode.ShouldBe(HttpStatusCode.OK);
        // A PATCH that changes nothing records nothing, whichever version sends it.
        (await client.SendRawAsync(HttpMethod.Patch, $"/api/v1/contacts/{id}", """{"lastName":"King"}""")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.DeleteAsync($"/api/v2/contacts/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var events = await node.EventsForAsync(id);
        events.Select(e => e.Type).ShouldBe(["contact.created", "contact.updated", "contact.deleted"]);
        var created = JsonNode.Parse(events[0].Data)!.AsObject();
        // The v1 representation (the webhook catalog's ContactResponse), not the v2 one.
        created["firstName"]!.GetValue<string>().ShouldBe("Ada");
        created["company"]!.GetValue<string>().ShouldBe("Analytical Engines");
        created.ContainsKey("name").ShouldBeFalse();
        var previous = JsonNode.Parse(events[1].PreviousAttributes!)!.AsObject();
        previous.Select(p => p.Key).ShouldBe(["lastName"]);
        previous["lastName"]!.GetValue<string>().ShouldBe("Lovelace");
    }

    [Fact]
    public async Task IdempotencyKeysReplayV2Creates()
    {
        using var client = await TenantAsync();
        var first = await SendAsync(client, HttpMethod.Post, "/api/v2/contacts", Ada, ("Idempotency-Key", "v2-create-1"));
        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        var second = await SendAsync(client, HttpMethod.Post, "/api/v2/contacts", Ada, ("Idempotency-Key", "v2-create-1"));
        second.StatusCode.ShouldBe(HttpStatusCode.Created);
        second.Headers.GetValues("Idempotent-Replayed").Single().ShouldBe("true");
        (await second.Content.ReadAsStringAsync()).ShouldBe(await first.Content.ReadAsStringAsync());
        (await client.GetJsonAsync("/api/v2/contacts"))["data"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task V2KeepsScopesAndTenancy()
    {
        using var owner = await TenantAsync();
        var id = (await CreateAsync(owner, "/api/v2/contacts", Ada))["id"]!.GetValue<string>();

        using var reader = node.Client().WithApiKey((await owner.CreateKeyAsync("contacts:read"))["key"]!.GetValue<string>());
        (await reader.GetAsync($"/api/v2/contacts/{id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await reader.SendRawAsync(HttpMethod.Post, "/api/v2/contacts", Ada)).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        using var dealsOnly = node.Client().WithApiKey((await owner.CreateKeyAsync("deals:read"))["key"]!.GetValue<string>());
        await (await dealsOnly.GetAsync("/api/v2/contacts")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");

        using var stranger = await TenantAsync();
        await (await stranger.GetAsync($"/api/v2/contacts/{id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await stranger.SendRawAsync(HttpMethod.Patch, $"/api/v2/contacts/{id}", """{"notes":"mine"}""")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        (await stranger.GetJsonAsync("/api/v2/contacts"))["data"]!.AsArray().Count.ShouldBe(0);
    }
}

public sealed class ContactsV2TestsOnSqlite(SqliteSwitchboard node) : ContactsV2Tests<SqliteSwitchboard>(node);
public sealed class ContactsV2TestsOnPostgres(PostgresSwitchboard node) : ContactsV2Tests<PostgresSwitchboard>(node);
