using System.Text.Json.Nodes;

namespace Switchboard.Tests.Docs;

/// <summary>
/// The breaking-change check, shown to catch deliberate breaking changes to the committed v1 snapshot and to let
/// additions through. Each case mutates a copy of the snapshot the way a careless change to the code would.
/// </summary>
public sealed class OpenApiCompatibilityTests
{
    private static readonly JsonObject Snapshot = SnapshotFile.Read();

    private static IReadOnlyList<string> BreakingChangesAfter(Action<JsonObject> change, Action<JsonObject>? before = null)
    {
        var old = Snapshot.DeepClone().AsObject();
        before?.Invoke(old);
        var now = old.DeepClone().AsObject();
        change(now);
        return OpenApiCompatibility.BreakingChanges(old, now);
    }

    private static JsonObject Schema(JsonObject document, string name) => document["components"]!["schemas"]![name]!.AsObject();
    private static JsonObject Operation(JsonObject document, string path, string method) => document["paths"]![path]![method]!.AsObject();

    private static void ShouldReport(IReadOnlyList<string> problems, string expected) =>
        problems.ShouldContain(expected, $"expected \"{expected}\" among:\n  {string.Join("\n  ", problems)}");

    [Fact]
    public void TheSnapshotBreaksNothingInItself() =>
        OpenApiCompatibility.BreakingChanges(Snapshot, Snapshot.DeepClone()).ShouldBeEmpty();

    [Fact]
    public void ARemovedOperationIsReported()
    {
        var problems = BreakingChangesAfter(d => d["paths"]!["/api/v1/leads"]!.AsObject().Remove("post"));
        problems.ShouldBe(["POST /api/v1/leads: the operation was removed"]);
    }

    [Fact]
    public void ARemovedPathIsReportedForEachOfItsOperations()
    {
        var problems = BreakingChangesAfter(d => d["paths"]!.AsObject().Remove("/api/v1/deals/{id}"));
        foreach (var method in new[] { "GET", "PATCH", "DELETE" }) ShouldReport(problems, $"{method} /api/v1/deals/{{id}}: the operation was removed");
    }

    [Fact]
    public void ARetypedResponseFieldIsReportedWhereverTheSchemaIsUsed()
    {
        var problems = BreakingChangesAfter(d => Schema(d, "LeadResponse")["properties"]!["score"] = new JsonObject { ["type"] = "string" });
        ShouldReport(problems, "GET /api/v1/leads/{id}: response 200 (application/json): field 'score' changed type from integer to string");
        ShouldReport(problems, "GET /api/v1/leads: response 200 (application/json): field 'data[].score' changed type from integer to string");
    }

    [Fact]
    public void AResponseFieldThatMayNowBeNullIsReported()
    {
        var problems = BreakingChangesAfter(d => Schema(d, "DealResponse")["properties"]!["name"] = new JsonObject { ["type"] = new JsonArray("null", "string") });
        ShouldReport(problems, "GET /api/v1/deals/{id}: response 200 (application/json): field 'name' changed type from string to null|string");
    }

    [Fact]
    public void ARemovedResponseFieldIsReported()
    {
        var problems = BreakingChangesAfter(d =>
        {
            Schema(d, "TaskResponse")["properties"]!.AsObject().Remove("dueAt");
            var required = Schema(d, "TaskResponse")["required"]!.AsArray();
            required.Remove(required.First(n => n!.GetValue<string>() == "dueAt"));
        });
        ShouldReport(problems, "GET /api/v1/tasks/{id}: response 200 (application/json): field 'dueAt' was removed");
        ShouldReport(problems, "POST /api/v1/tasks: response 201 (application/json): field 'dueAt' was removed");
    }

    [Fact]
    public void AResponseFieldNoLongerRequiredIsReported()
    {
        var problems = BreakingChangesAfter(d =>
        {
            var required = Schema(d, "TicketResponse")["required"]!.AsArray();
            required.Remove(required.First(n => n!.GetValue<string>() == "subject"));
        });
        ShouldReport(problems, "GET /api/v1/tickets/{id}: response 200 (application/json): field 'subject' is no longer always present");
    }

    [Fact]
    public void ANewRequiredRequestFieldIsReported()
    {
        var problems = BreakingChangesAfter(d =>
        {
            var input = Schema(d, "ContactInput");
            input["properties"]!["region"] = new JsonObject { ["type"] = "string" };
            input["required"] = new JsonArray("region");
        });
        ShouldReport(problems, "POST /api/v1/contacts: request body (application/json): new required field 'region'");
        ShouldReport(problems, "PATCH /api/v1/contacts/{id}: request body (application/json): new required field 'region'");
    }

    [Fact]
    public void AnExistingRequestFieldMadeRequiredIsReported()
    {
        var problems = BreakingChangesAfter(d => Schema(d, "DealInput")["required"] = new JsonArray("currency"));
        ShouldReport(problems, "POST /api/v1/deals: request body (application/json): field 'currency' became required");
    }

    [Fact]
    public void ARetypedOrRemovedRequestFieldIsReported()
    {
        var problems = BreakingChangesAfter(d =>
        {
            Schema(d, "ContactInput")["properties"]!["phone"] = new JsonObject { ["type"] = "integer" };
            Schema(d, "ContactInput")["properties"]!.AsObject().Remove("notes");
        });
        ShouldReport(problems, "POST /api/v1/contacts: request body (application/json): field 'phone' changed type from string to integer");
        ShouldReport(problems, "POST /api/v1/contacts: request body (application/json): field 'notes' was removed");
    }

    [Fact]
    public void ANewRequiredParameterIsReportedAndAnOptionalOneIsNot()
    {
        static JsonArray Parameters(JsonObject d) => (Operation(d, "/api/v1/leads", "get")["parameters"] ??= new JsonArray()).AsArray();
        var required = BreakingChangesAfter(d => Parameters(d).Add(
            new JsonObject { ["name"] = "region", ["in"] = "query", ["required"] = true, ["schema"] = new JsonObject { ["type"] = "string" } }));
        required.ShouldBe(["GET /api/v1/leads: new required query parameter 'region'"]);

        BreakingChangesAfter(d => Parameters(d).Add(
            new JsonObject { ["name"] = "region", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } })).ShouldBeEmpty();
    }

    [Fact]
    public void ARemovedRetypedOrNewlyRequiredParameterIsReported()
    {
        static JsonObject Limit(bool required, string type) =>
            new() { ["name"] = "limit", ["in"] = "query", ["required"] = required, ["schema"] = new JsonObject { ["type"] = type } };
        void WithLimit(JsonObject d) => Operation(d, "/api/v1/tasks", "get")["parameters"] = new JsonArray(Limit(false, "integer"));

        BreakingChangesAfter(d => Operation(d, "/api/v1/tasks", "get").Remove("parameters"), before: WithLimit)
            .ShouldBe(["GET /api/v1/tasks: query parameter 'limit' was removed"]);
        BreakingChangesAfter(d => Operation(d, "/api/v1/tasks", "get")["parameters"] = new JsonArray(Limit(false, "boolean")), before: WithLimit)
            .ShouldBe(["GET /api/v1/tasks: query parameter 'limit' changed type from integer to boolean"]);
        BreakingChangesAfter(d => Operation(d, "/api/v1/tasks", "get")["parameters"] = new JsonArray(Limit(true, "integer")), before: WithLimit)
            .ShouldBe(["GET /api/v1/tasks: query parameter 'limit' became required"]);
        // Widening what a request accepts is fine: integer → number.
        BreakingChangesAfter(d => Operation(d, "/api/v1/tasks", "get")["parameters"] = new JsonArray(Limit(false, "number")), before: WithLimit)
            .ShouldBeEmpty();
    }

    [Fact]
    public void RemovedEnumValuesAreReportedInRequestsAndResponses()
    {
        static void Statuses(JsonObject d, params string[] values)
        {
            Schema(d, "TicketInput")["properties"]!["status"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray(values.Select(v => (JsonNode)v).ToArray()) };
            Schema(d, "TicketResponse")["properties"]!["status"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray(values.Select(v => (JsonNode)v).ToArray()) };
        }
        var problems = BreakingChangesAfter(d => Statuses(d, "open", "pending", "resolved"), before: d => Statuses(d, "open", "pending", "resolved", "closed"));
        ShouldReport(problems, "POST /api/v1/tickets: request body (application/json): field 'status' no longer accepts the value \"closed\"");
        ShouldReport(problems, "GET /api/v1/tickets/{id}: response 200 (application/json): field 'status' no longer has the value \"closed\"");

        // A new value is an addition (clients tolerate unknown values, docs/versioning.md).
        BreakingChangesAfter(d => Statuses(d, "open", "pending", "resolved", "closed", "archived"), before: d => Statuses(d, "open", "pending", "resolved", "closed"))
            .ShouldBeEmpty();
    }

    [Fact]
    public void ATightenedBoundOnARequestFieldIsReported()
    {
        static void MaxLength(JsonObject d, int max) => Schema(d, "ContactInput")["properties"]!["notes"]!["maxLength"] = max;
        BreakingChangesAfter(d => MaxLength(d, 500), before: d => MaxLength(d, 10_000))
            .ShouldContain("POST /api/v1/contacts: request body (application/json): field 'notes' has a lower maxLength (10000 → 500)");
        BreakingChangesAfter(d => MaxLength(d, 20_000), before: d => MaxLength(d, 10_000)).ShouldBeEmpty();
    }

    [Fact]
    public void ARemovedSuccessResponseOrResponseHeaderIsReported()
    {
        BreakingChangesAfter(d =>
        {
            var responses = Operation(d, "/api/v1/payments", "post")["responses"]!.AsObject();
            responses["200"] = responses["201"]!.DeepClone();
            responses.Remove("201");
        }).ShouldBe(["POST /api/v1/payments: response 201 was removed"]);

        static JsonObject RateLimitHeader() => new() { ["X-RateLimit-Limit"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "integer" } } };
        BreakingChangesAfter(d => Operation(d, "/api/v1/calls", "get")["responses"]!["200"]!.AsObject().Remove("headers"),
                before: d => Operation(d, "/api/v1/calls", "get")["responses"]!["200"]!["headers"] = RateLimitHeader())
            .ShouldBe(["GET /api/v1/calls: response 200 no longer has the header 'X-RateLimit-Limit'"]);
    }

    [Fact]
    public void AResponseThatBecomesAUnionKeepingItsShapeIsNotABreakingChange()
    {
        // As when `fields=` selection is documented: the full record or a partial one (oasdiff: an added alternative is informational).
        BreakingChangesAfter(d => Operation(d, "/api/v1/contacts/{id}", "get")["responses"]!["200"]!["content"]!["application/json"]!["schema"] = new JsonObject
        {
            ["anyOf"] = new JsonArray(
                new JsonObject { ["$ref"] = "#/components/schemas/ContactResponse" },
                new JsonObject { ["type"] = "object", ["required"] = new JsonArray("id"), ["properties"] = new JsonObject { ["id"] = new JsonObject { ["type"] = "string" } } }),
        }).ShouldBeEmpty();
    }

    [Fact]
    public void UnionsAreComparedAlternativeByAlternative()
    {
        static void Amount(JsonObject d, JsonNode schema) => Schema(d, "DealInput")["properties"]!["amount"] = schema;
        // A request that no longer accepts one of its alternatives breaks the clients that send it.
        BreakingChangesAfter(d => Amount(d, new JsonObject { ["type"] = "number" }),
                before: d => Amount(d, new JsonObject { ["oneOf"] = new JsonArray(new JsonObject { ["type"] = "number" }, new JsonObject { ["type"] = "string" }) }))
            .ShouldContain("POST /api/v1/deals: request body (application/json): field 'amount' changed type from string to number");
        // A response that may now be null, written as a union with null.
        var nullable = BreakingChangesAfter(d => Schema(d, "DealResponse")["properties"]!["name"] = new JsonObject
        {
            ["oneOf"] = new JsonArray(new JsonObject { ["type"] = "null" }, new JsonObject { ["type"] = "string" }),
        });
        ShouldReport(nullable, "GET /api/v1/deals/{id}: response 200 (application/json): field 'name' may now be null");
        // The same nullability written either way is no change.
        BreakingChangesAfter(d => Schema(d, "DealResponse")["properties"]!["contactId"] = new JsonObject
        {
            ["oneOf"] = new JsonArray(new JsonObject { ["type"] = "null" }, new JsonObject { ["type"] = "string" }),
        }).ShouldBeEmpty();
    }

    [Fact]
    public void ARemovedSecuritySchemeIsReported() =>
        BreakingChangesAfter(d => d["components"]!["securitySchemes"]!.AsObject().Remove("apiKey"))
            .ShouldBe(["security scheme 'apiKey' was removed"]);

    [Fact]
    public void AdditionsAreNotReported()
    {
        var problems = BreakingChangesAfter(d =>
        {
            // A new operation and a new path.
            d["paths"]!["/api/v1/contacts/{id}/merge"] = new JsonObject { ["post"] = new JsonObject { ["operationId"] = "mergeContact", ["responses"] = new JsonObject() } };
            // New optional request fields, new response fields (required ones too: they are always sent).
            Schema(d, "ContactInput")["properties"]!["timezone"] = new JsonObject { ["type"] = "string" };
            Schema(d, "ContactResponse")["properties"]!["timezone"] = new JsonObject { ["type"] = new JsonArray("null", "string") };
            Schema(d, "ContactResponse")["required"]!.AsArray().Add("timezone");
            // Descriptions, examples, extensions, deprecation, error responses and headers, as the documentation grows.
            var get = Operation(d, "/api/v1/contacts/{id}", "get");
            get["description"] = "Reads one contact.";
            get["deprecated"] = true;
            get["x-codeSamples"] = new JsonArray(new JsonObject { ["lang"] = "curl", ["source"] = "curl …" });
            get["responses"]!["409"] = new JsonObject
            {
                ["description"] = "Not found",
                ["content"] = new JsonObject { ["application/problem+json"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } } },
            };
            var headers = get["responses"]!["200"]!["headers"] ??= new JsonObject();
            headers["X-Request-Id"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "string" } };
            Schema(d, "ContactResponse")["properties"]!["email"]!["example"] = "ada@example.com";
            // A rule the server already enforced, documented for the first time.
            Schema(d, "ContactInput")["properties"]!["email"]!["maxLength"] = 320;
            Schema(d, "ContactInput")["properties"]!["email"]!["format"] = "email";
            // A request field that now also accepts null (widening an input).
            Schema(d, "ContactInput")["properties"]!["jobTitle"] = new JsonObject { ["type"] = new JsonArray("null", "string") };
        });
        problems.ShouldBeEmpty();
    }

    [Fact]
    public void RenamingOrMovingASchemaOrAPathParameterIsNotABreakingChange()
    {
        var problems = BreakingChangesAfter(d =>
        {
            var schemas = d["components"]!["schemas"]!.AsObject();
            var contact = schemas["ContactResponse"]!.DeepClone();
            schemas.Remove("ContactResponse");
            schemas["Contact"] = contact;
            var text = d.ToJsonString().Replace("#/components/schemas/ContactResponse\"", "#/components/schemas/Contact\"", StringComparison.Ordinal);
            var renamed = JsonNode.Parse(text)!.AsObject();
            // And the path parameter {id} becomes {contactId}.
            var paths = renamed["paths"]!.AsObject();
            var item = paths["/api/v1/contacts/{id}"]!.DeepClone();
            paths.Remove("/api/v1/contacts/{id}");
            foreach (var (_, operation) in item.AsObject())
                foreach (var parameter in operation!["parameters"]?.AsArray() ?? [])
                    if (parameter!["in"]!.GetValue<string>() == "path") parameter["name"] = "contactId";
            paths["/api/v1/contacts/{contactId}"] = item;
            d.Clear();
            foreach (var (key, value) in renamed.ToList()) { renamed.Remove(key); d[key] = value; }
        });
        problems.ShouldBeEmpty();
    }

    [Fact]
    public void ASchemaThatRefersToItselfIsComparedWithoutLoopingAndStillChecked()
    {
        static void Tree(JsonObject d, string childType)
        {
            Schema(d, "ActivityResponse")["properties"]!["children"] = new JsonObject
            {
                ["type"] = "array", ["items"] = new JsonObject { ["$ref"] = "#/components/schemas/ActivityResponse" },
            };
            Schema(d, "ActivityResponse")["properties"]!["subject"] = new JsonObject { ["type"] = childType };
        }
        BreakingChangesAfter(d => Tree(d, "string"), before: d => Tree(d, "string")).ShouldBeEmpty();
        ShouldReport(BreakingChangesAfter(d => Tree(d, "integer"), before: d => Tree(d, "string")),
            "GET /api/v1/activities/{id}: response 200 (application/json): field 'subject' changed type from string to integer");
    }
}
