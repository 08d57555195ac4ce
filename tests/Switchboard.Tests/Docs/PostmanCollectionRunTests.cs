using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Switchboard.Tests.Docs;

/// <summary>The served Postman collection, run by newman (Postman's command-line runner) against a live node.</summary>
public sealed class PostmanCollectionRunTests(SqliteSwitchboard node, ITestOutputHelper output) : IClassFixture<SqliteSwitchboard>
{
    private static readonly TimeSpan NewmanTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task TheContactRequestsOfTheCollectionRunGreenUnderNewman()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var key = (await client.CreateKeyAsync("contacts:read", "contacts:write"))["key"]!.GetValue<string>();
        var served = JsonNode.Parse(await client.Http.GetStringAsync("/api/postman/v1.json"))!.AsObject();

        var requests = PostmanCollectionTests.Requests(served).ToList();
        var example = JsonNode.Parse(requests.Single(r => r.Key == "POST /api/v1/contacts").Request["body"]!["raw"]!.GetValue<string>())!;
        var email = example["email"]!.GetValue<string>().ToLowerInvariant(); // the API stores addresses in lower case

        // The contact's life through the collection's own requests, in order; the scripts are the test's, not the server's.
        var steps = new (string Operation, string Script)[]
        {
            ("POST /api/v1/contacts", """
                pm.test("201 Created", () => pm.response.to.have.status(201));
                const contact = pm.response.json();
                pm.test("a contact id", () => pm.expect(contact.id).to.match(/^con_/));
                pm.test("Location names it", () => pm.expect(pm.response.headers.get("Location")).to.include(contact.id));
                pm.collectionVariables.set("contactId", contact.id);
                """),
            ("GET /api/v1/contacts/{id}", $$"""
                pm.test("200 OK", () => pm.response.to.have.status(200));
                pm.test("the example body was stored", () => pm.expect(pm.response.json().email).to.eql({{JsonValue.Create(email).ToJsonString()}}));
                """),
            ("GET /api/v1/contacts", """
                pm.test("200 OK", () => pm.response.to.have.status(200));
                pm.test("listed", () => pm.expect(pm.response.json().data.map(c => c.id)).to.include(pm.collectionVariables.get("contactId")));
                """),
            ("PATCH /api/v1/contacts/{id}", """
                pm.test("200 OK", () => pm.response.to.have.status(200));
                pm.test("changed", () => pm.expect(pm.response.json().jobTitle).to.eql("Updated by newman"));
                """),
            ("DELETE /api/v1/contacts/{id}", """
                pm.test("204 No Content", () => pm.response.to.have.status(204));
                """),
            ("GET /api/v1/contacts/{id}", """
                pm.test("404 once deleted", () => pm.response.to.have.status(404));
                pm.test("problem code", () => pm.expect(pm.response.json().code).to.eql("not_found"));
                """),
        };
        var items = new JsonArray();
        foreach (var (operation, script) in steps)
        {
            var item = requests.Single(r => r.Key == operation).Item.DeepClone().AsObject();
            foreach (var variable in item["request"]!["url"]!["variable"]?.AsArray() ?? [])
                variable!["value"] = "{{contactId}}";
            if (operation.StartsWith("PATCH", StringComparison.Ordinal))
            {
                var body = JsonNode.Parse(item["request"]!["body"]!["raw"]!.GetValue<string>())!;
                body["jobTitle"] = "Updated by newman";
                item["request"]!["body"]!["raw"] = body.ToJsonString();
            }
            item["event"] = new JsonArray(new JsonObject
            {
                ["listen"] = "test",
                ["script"] = new JsonObject { ["type"] = "text/javascript", ["exec"] = new JsonArray(script.Split('\n').Select(l => (JsonNode)l).ToArray()) },
            });
            items.Add(item);
        }
        var collection = served.DeepClone().AsObject();
        collection["item"] = items;
        SetVariable(collection, "apiKey", key);
        SetVariable(collection, "baseUrl", client.Http.BaseAddress!.GetLeftPart(UriPartial.Authority));

        var folder = Directory.CreateTempSubdirectory("switchboard-newman-");
        string contactId;
        try
        {
            var collectionFile = Path.Combine(folder.FullName, "collection.json");
            var report = Path.Combine(folder.FullName, "report.json");
            await File.WriteAllTextAsync(collectionFile, collection.ToJsonString());
            var run = await NodeTools.RunAsync("newman",
                ["run", collectionFile, "--reporters", "cli,json", "--reporter-json-export", report, "--timeout-request", "15000",
                 "--color", "off", "--disable-unicode"], NewmanTimeout, folder.FullName);
            output.WriteLine(run.ToString());

            run.ExitCode.ShouldBe(0, run.ToString());
            var stats = JsonNode.Parse(await File.ReadAllTextAsync(report))!["run"]!["stats"]!;
            stats["requests"]!["total"]!.GetValue<int>().ShouldBe(steps.Length, run.ToString());
            stats["requests"]!["failed"]!.GetValue<int>().ShouldBe(0, run.ToString());
            stats["assertions"]!["total"]!.GetValue<int>().ShouldBe(12, run.ToString());
            stats["assertions"]!["failed"]!.GetValue<int>().ShouldBe(0, run.ToString());
            stats["testScripts"]!["failed"]!.GetValue<int>().ShouldBe(0, run.ToString());

            // The report keeps each response's bytes: the first is the created contact.
            var executions = JsonNode.Parse(await File.ReadAllTextAsync(report))!["run"]!["executions"]!.AsArray();
            var bytes = executions[0]!["response"]!["stream"]!["data"]!.AsArray().Select(b => (byte)b!.GetValue<int>()).ToArray();
            contactId = JsonNode.Parse(bytes)!["id"]!.GetValue<string>();
        }
        finally
        {
            folder.Delete(recursive: true);
        }

        // What newman did happened on the node: the contact's change events, in order.
        (await node.EventsForAsync(contactId)).Select(e => e.Type).ShouldBe(["contact.created", "contact.updated", "contact.deleted"]);
    }

    private static void SetVariable(JsonObject collection, string key, string value) =>
        collection["variable"]!.AsArray().Single(v => v!["key"]!.GetValue<string>() == key)!["value"] = value;
}
