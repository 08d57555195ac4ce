using System.Net;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Docs;

public sealed class PostmanCollectionTests(SqliteSwitchboard node) : IClassFixture<SqliteSwitchboard>
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    [Fact]
    public async Task EveryOperationOfTheDocumentIsOneRequestOfTheCollection()
    {
        using var client = node.Client();
        var document = JsonNode.Parse(await client.Http.GetStringAsync("/api/openapi/v1.json"))!;
        var response = await client.GetAsync("/api/postman/v1.json");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        var collection = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        collection["info"]!["schema"]!.GetValue<string>().ShouldBe("https://schema.getpostman.com/json/collection/v2.1.0/collection.json");
        collection["auth"]!["type"]!.GetValue<string>().ShouldBe("bearer");
        collection["auth"]!["bearer"]![0]!["value"]!.GetValue<string>().ShouldBe("{{apiKey}}");
        Variable(collection, "baseUrl").ShouldBe(client.Http.BaseAddress!.GetLeftPart(UriPartial.Authority));

        var operations = document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Where(o => Methods.Contains(o.Key)).Select(o => (Key: $"{o.Key.ToUpperInvariant()} {p.Key}", Operation: o.Value!)))
            .ToList();
        operations.Count.ShouldBeGreaterThan(80);
        var requests = Requests(collection).ToList();
        var keys = requests.Select(r => r.Key).ToList();
        foreach (var (key, _) in operations) keys.Count(k => k == key).ShouldBe(1, $"{key} appears once in the collection");
        requests.Count.ShouldBe(operations.Count, "no request without an operation");

        // A folder per tag, holding exactly the operations of that tag.
        foreach (var (key, operation) in operations)
        {
            var tag = operation["tags"]![0]!.GetValue<string>();
            requests.Single(r => r.Key == key).Folder.ShouldBe(tag, key);
        }
        // Operations that need no credentials say so rather than sending the collection's bearer.
        requests.Single(r => r.Key == "POST /api/v1/auth/signup").Request["auth"]!["type"]!.GetValue<string>().ShouldBe("noauth");
        requests.Single(r => r.Key == "GET /api/v1/contacts").Request["auth"].ShouldBeNull("inherits the collection's bearer");
    }

    [Fact]
    public async Task ExampleBodiesAreBuiltFromTheRequestSchemasWithValuesTheApiAccepts()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var collection = JsonNode.Parse(await client.Http.GetStringAsync("/api/postman/v1.json"))!;
        var create = Requests(collection).Single(r => r.Key == "POST /api/v1/contacts").Request;
        create["header"]!.AsArray().ShouldContain(h => h!["key"]!.GetValue<string>() == "Content-Type" && h["value"]!.GetValue<string>() == "application/json");
        var body = create["body"]!["raw"]!.GetValue<string>();
        var example = JsonNode.Parse(body)!;
        example["email"]!.GetValue<string>().ShouldContain('@');
        example["phone"]!.GetValue<string>().ShouldMatch(@"^\+[1-9][0-9]{6,14}$");

        // Sent as generated, the example is accepted.
        var created = await client.SendRawAsync(HttpMethod.Post, "/api/v1/contacts", body);
        created.StatusCode.ShouldBe(HttpStatusCode.Created, $"{body}\n{await created.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public void SamplesFollowWhatTheSchemaDeclaresThroughReferences()
    {
        var document = JsonNode.Parse("""
            {
              "openapi": "3.1.1", "info": { "title": "T", "version": "v1" },
              "tags": [ { "name": "Deals", "description": "Sales opportunities." } ],
              "components": {
                "securitySchemes": {
                  "bearer": { "type": "http", "scheme": "bearer" },
                  "adminToken": { "type": "apiKey", "in": "header", "name": "X-Admin-Token" }
                },
                "parameters": { "Limit": { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 100 } } },
                "schemas": {
                  "Stage": { "type": "string", "enum": [ "proposal", "won" ] },
                  "Deal": {
                    "type": "object", "required": [ "contactId" ],
                    "properties": {
                      "id": { "type": "string", "readOnly": true },
                      "stage": { "$ref": "#/components/schemas/Stage" },
                      "amount": { "type": [ "null", "number" ] },
                      "currency": { "type": "string" },
                      "closesOn": { "type": "string", "format": "date" },
                      "title": { "type": "string", "example": "Renewal" },
                      "dealId": { "type": "string", "example": "deal_01JD4V2Q8M3ZC5X7T9W1E6R0YB" },
                      "contactId": { "type": "string" },
                      "nextStage": { "oneOf": [ { "type": "null" }, { "$ref": "#/components/schemas/Stage" } ] },
                      "parent": { "$ref": "#/components/schemas/Deal" }
                    }
                  }
                }
              },
              "paths": {
                "/deals/{id}": {
                  "parameters": [ { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } } ],
                  "patch": {
                    "tags": [ "Deals" ], "summary": "Update a deal",
                    "security": [ { "bearer": [] } ],
                    "parameters": [ { "$ref": "#/components/parameters/Limit" }, { "name": "q", "in": "query", "required": true, "schema": { "type": "string" }, "example": "acme" } ],
                    "requestBody": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Deal" } } } }
                  },
                  "put": { "tags": [ "Deals" ], "security": [ { "adminToken": [] } ], "operationId": "setDeal" }
                }
              }
            }
            """)!.AsObject();

        var collection = Switchboard.Docs.PostmanCollection.FromOpenApi(document);

        collection["item"]![0]!["description"]!.GetValue<string>().ShouldBe("Sales opportunities.");
        var patch = Requests(collection).Single(r => r.Key == "PATCH /deals/{id}");
        patch.Item["name"]!.GetValue<string>().ShouldBe("Update a deal");
        var body = JsonNode.Parse(patch.Request["body"]!["raw"]!.GetValue<string>())!.AsObject();
        body.ContainsKey("id").ShouldBeFalse("read-only");
        body["stage"]!.GetValue<string>().ShouldBe("proposal");
        body["amount"]!.GetValue<decimal>().ShouldBeGreaterThan(0);
        body["currency"]!.GetValue<string>().ShouldBe("USD");
        body["closesOn"]!.GetValue<string>().ShouldBe("2030-01-15");
        body["title"]!.GetValue<string>().ShouldBe("Renewal");
        body.ContainsKey("dealId").ShouldBeFalse("an optional reference needs a real id, which no example is");
        body["contactId"]!.GetValue<string>().ShouldBe("{{contactId}}");
        body["nextStage"]!.GetValue<string>().ShouldBe("proposal", "oneOf takes the non-null branch");
        body.ContainsKey("parent").ShouldBeFalse("a recursive schema stops where it comes round again");

        var url = patch.Request["url"]!;
        url["raw"]!.GetValue<string>().ShouldBe("{{baseUrl}}/deals/:id?q=acme");
        url["variable"]![0]!["key"]!.GetValue<string>().ShouldBe("id");
        var query = url["query"]!.AsArray();
        query.Single(q => q!["key"]!.GetValue<string>() == "limit")!["disabled"]!.GetValue<bool>().ShouldBeTrue("optional");
        query.Single(q => q!["key"]!.GetValue<string>() == "limit")!["value"]!.GetValue<string>().ShouldBe("50");
        query.Single(q => q!["key"]!.GetValue<string>() == "q")!["disabled"]!.GetValue<bool>().ShouldBeFalse("required");
        patch.Request["auth"].ShouldBeNull("the collection's bearer");

        var put = Requests(collection).Single(r => r.Key == "PUT /deals/{id}");
        put.Item["name"]!.GetValue<string>().ShouldBe("setDeal");
        put.Request["auth"]!["type"]!.GetValue<string>().ShouldBe("apikey");
        put.Request["auth"]!["apikey"]!.AsArray().Select(a => $"{a!["key"]}={a["value"]}").ShouldBe(["key=X-Admin-Token", "value={{adminToken}}", "in=header"]);
        Variable(collection, "adminToken").ShouldBe("");
    }

    [Fact]
    public async Task UnknownDocumentsHaveNoCollection()
    {
        using var client = node.Client();
        (await client.GetAsync("/api/postman/v0.json")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    internal static string? Variable(JsonNode collection, string key) =>
        collection["variable"]!.AsArray().Single(v => v!["key"]!.GetValue<string>() == key)!["value"]!.GetValue<string>();

    /// <summary>Every request of the collection, keyed "METHOD /path/{variable}" like the OpenAPI document's operations.</summary>
    internal static IEnumerable<(string Key, string Folder, JsonObject Item, JsonObject Request)> Requests(JsonNode collection) =>
        from folder in collection["item"]!.AsArray()
        from item in folder!["item"]!.AsArray()
        let request = item!["request"]!.AsObject()
        let path = string.Join('/', request["url"]!["path"]!.AsArray().Select(s => s!.GetValue<string>())
            .Select(s => s.StartsWith(':') ? "{" + s[1..] + "}" : s))
        select ($"{request["method"]!.GetValue<string>()} /{path}", folder["name"]!.GetValue<string>(), item.AsObject(), request);
}
