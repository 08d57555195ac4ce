using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Integrations;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Providers.Outlook;
using Switchboard.Platform;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>A node whose Outlook provider (OAuth client, token URL and Graph base URL) points at an <see cref="OutlookFake"/>.</summary>
public abstract class OutlookNode : ProviderFakeNode<OutlookFake>
{
    protected override Task<OutlookFake> StartFakeAsync() => OutlookFake.StartAsync();

    protected override IEnumerable<(string Key, string Value)> Settings(OutlookFake fake)
    {
        const string Prefix = "Switchboard:Integrations:Providers:outlook:";
        return
        [
            (Prefix + "ClientId", OutlookFake.ClientId), (Prefix + "ClientSecret", OutlookFake.ClientSecret), (Prefix + "TokenUrl", fake.TokenUrl),
            (Prefix + "BaseUrls:api", fake.ApiBaseUrl),
            ("Switchboard:Integrations:SchedulerPollSeconds", "0.1"), ("Switchboard:Integrations:SyncLeaseSeconds", "5"),
        ];
    }
}

public sealed class OutlookSqliteNode : OutlookNode
{
    protected override SwitchboardFactory Create() => new SqliteSwitchboard();
}

public sealed class OutlookPostgresNode : OutlookNode
{
    protected override SwitchboardFactory Create() => new PostgresSwitchboard();
}

/// <summary>
/// The Outlook connector against a fake of Microsoft Graph and the identity platform's token endpoint over real HTTP,
/// with installations, tokens and CRM records in the node's database. Every test ends with the fake finding nothing
/// Microsoft's documentation does not allow.
/// </summary>
public abstract class OutlookTests<TNode>(TNode fixture) : IClassFixture<TNode> where TNode : OutlookNode
{
    private OutlookFake Graph => fixture.Fake;
    private SwitchboardFactory Node => fixture.Node;

    private sealed record Installed(IntegrationInstallation Row, ApiClient Owner, string Mailbox, string AccessToken, string RefreshToken);

    /// <summary>An organization's Outlook installation, connected (tokens stored as the OAuth callback stores them).</summary>
    private async Task<Installed> InstallAsync(JsonObject? config = null, string scope = OutlookFake.AllScopes)
    {
        var owner = Node.Client();
        await owner.SignupAsync();
        var id = Ids.New("ins", Node.Clock);
        var now = Node.Clock.GetUtcNow().UtcDateTime;
        await using (var db = Node.Services.CreateAsyncScope())
        {
            var context = db.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            context.Set<IntegrationInstallation>().Add(new IntegrationInstallation
            {
                Id = id, OrganizationId = owner.OrganizationId!, ProviderKey = OutlookConnector.Key, Name = "Sales mailbox",
                Config = (config ?? new JsonObject { ["timeZone"] = "Europe/Berlin" }).ToJsonString(), CreatedAt = now, UpdatedAt = now,
            });
            await context.SaveChangesAsync();
        }
        var mailbox = $"owner-{Guid.NewGuid():N}@contoso.example";
        var (access, refresh) = Graph.IssueGrant(mailbox, scope);
        await Node.Services.GetRequiredService<ProviderTokenStore>().StoreAsync(id,
            new ProviderTokens(access, refresh, now.AddHours(1), scope, "Bearer"), CancellationToken.None);
        return new Installed(await RowAsync(id), owner, mailbox, access, refresh);
    }

    private async Task<IntegrationInstallation> RowAsync(string id)
    {
        await using var scope = Node.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>().Set<IntegrationInstallation>().IgnoreQueryFilters().AsNoTracking()
            .SingleAsync(i => i.Id == id);
    }

    /// <summary>Runs <paramref name="use"/> with the installation's connector and context, in a scope of its organization (as the sync engine's run scope is).</summary>
    private async Task<T> WithConnectorAsync<T>(Installed installed, Func<Connector, ConnectorContext, Task<T>> use)
    {
        await using var scope = Node.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantScope>().OrganizationId = installed.Row.OrganizationId;
        var (connector, context) = Node.Services.GetRequiredService<ConnectorContexts>().For(await RowAsync(installed.Row.Id), scope.ServiceProvider);
        return await use(connector, context);
    }

    private Task<ProviderResponse> RunAsync(Installed installed, string action, JsonObject input) =>
        WithConnectorAsync(installed, (connector, context) => connector.RunActionAsync(context, action, input, CancellationToken.None));

    /// <summary>Every page of one run of <paramref name="model"/>, as the engine reads them; answers the records, the high-water mark and the page count.</summary>
    private async Task<(List<SyncRecord> Records, string HighWaterMark, int Pages)> PullAllAsync(Installed installed, string model, string? since)
    {
        var records = new List<SyncRecord>();
        string? cursor = null;
        for (var pages = 1; ; pages++)
        {
            var page = await WithConnectorAsync(installed, (c, ctx) => c.Sync(model)!.PullAsync(ctx, since, cursor, CancellationToken.None));
            records.AddRange(page.Records);
            if (page.NextPageCursor is null) return (records, page.HighWaterMark.ShouldNotBeNull("the last page carries the delta links"), pages);
            page.HighWaterMark.ShouldBeNull("the delta links are known on the last page only");
            page.NextPageCursor.Length.ShouldBeLessThanOrEqualTo(4000);
            cursor = page.NextPageCursor;
        }
    }

    private List<FakeProvider.Recorded> Calls(string method, string pathPart) =>
        Graph.Provider.Requests.Where(r => r.Method == method && r.Path.Contains(pathPart, StringComparison.Ordinal)).ToList();

    private static JsonObject Body(FakeProvider.Recorded request) => JsonNode.Parse(request.Body)!.AsObject();

    private static async Task<string> CreateAsync(ApiClient owner, string path, object body)
    {
        var response = await owner.PostAsync(path, body);
        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await ApiClient.ReadAsync(response))["id"]!.GetValue<string>();
    }

    [Fact]
    public void TheCatalogDeclaresOutlookWithItsIcon()
    {
        var catalog = Node.Services.GetRequiredService<ProviderCatalog>();
        var definition = catalog.Find(OutlookConnector.Key)!.Definition;
        definition.Category.ShouldBe(ProviderCategory.Email);
        definition.Auth.Pkce.ShouldBeTrue();
        definition.Auth.AuthorizeUrl.ShouldBe("https://login.microsoftonline.com/common/oauth2/v2.0/authorize");
        definition.Auth.TokenUrl.ShouldBe("https://login.microsoftonline.com/common/oauth2/v2.0/token");
        definition.Auth.Scopes.ShouldBe(["offline_access", "Mail.Send", "Mail.Read", "Calendars.ReadWrite", "User.Read"]);
        definition.BaseUrls["api"].ShouldBe("https://graph.microsoft.com/v1.0");
        definition.ConfigSchemaNode["properties"]!["timeZone"]!["default"]!.GetValue<string>().ShouldBe("UTC");
        foreach (var (_, property) in definition.ConfigSchemaNode["properties"]!.AsObject())
        {
            property!["title"].ShouldNotBeNull();
            property["description"].ShouldNotBeNull();
        }
        definition.Actions.Select(a => a.Name).ShouldBe(["send_email", "create_event", "update_event", "delete_event"]);
        foreach (var action in definition.Actions) JsonNode.Parse(action.InputSchema).ShouldNotBeNull();
        definition.Syncs.Select(s => (s.Model, s.LocalResource, s.Direction)).ShouldBe([("messages", "activities", "pull"), ("events", "activities", "pull")]);
        System.Text.Encoding.UTF8.GetString(catalog.Icon(OutlookConnector.Key)!).ShouldContain("<svg");
    }

    [Fact]
    public async Task SendEmailPostsTheMessageToSendMail()
    {
        var installed = await InstallAsync();
        var before = Graph.SentMail.Count;
        var response = await RunAsync(installed, "send_email", new JsonObject
        {
            ["to"] = "ada@example.com, bob@example.com;ADA@example.com", ["cc"] = new JsonArray("carol@example.com"), ["bcc"] = "audit@example.com",
            ["replyTo"] = "sales@contoso.example", ["subject"] = "Your quote, Ada", ["body"] = "Hello Ada,\nhere is the quote.",
        });
        response.Status.ShouldBe(202);
        var call = Calls("POST", "/me/sendMail").Last();
        call.Headers["authorization"].ShouldBe("Bearer " + installed.AccessToken);
        var sent = Body(call);
        sent["saveToSentItems"]!.GetValue<bool>().ShouldBeTrue();
        var message = sent["message"]!;
        message["subject"]!.GetValue<string>().ShouldBe("Your quote, Ada");
        message["body"]!["contentType"]!.GetValue<string>().ShouldBe("Text");
        message["body"]!["content"]!.GetValue<string>().ShouldBe("Hello Ada,\nhere is the quote.");
        message["toRecipients"]!.AsArray().Select(r => r!["emailAddress"]!["address"]!.GetValue<string>()).ShouldBe(["ada@example.com", "bob@example.com"]);
        message["ccRecipients"]![0]!["emailAddress"]!["address"]!.GetValue<string>().ShouldBe("carol@example.com");
        message["bccRecipients"]![0]!["emailAddress"]!["address"]!.GetValue<string>().ShouldBe("audit@example.com");
        message["replyTo"]![0]!["emailAddress"]!["address"]!.GetValue<string>().ShouldBe("sales@contoso.example");
        (Graph.SentMail.Count - before).ShouldBe(1);

        // HTML when asked, and not kept in Sent Items when asked.
        var sentItems = Graph.Messages(installed.Mailbox, "sentitems").Count;
        await RunAsync(installed, "send_email", new JsonObject
        {
            ["to"] = new JsonArray("ada@example.com"), ["subject"] = "Welcome", ["body"] = "<p>Welcome</p>", ["bodyType"] = "html", ["saveToSentItems"] = false,
        });
        var html = Body(Calls("POST", "/me/sendMail").Last());
        html["message"]!["body"]!["contentType"]!.GetValue<string>().ShouldBe("HTML");
        html["saveToSentItems"]!.GetValue<bool>().ShouldBeFalse();
        Graph.Messages(installed.Mailbox, "sentitems").Count.ShouldBe(sentItems);

        // Input Graph would refuse never reaches it: a clear error, not retried.
        var calls = Graph.Provider.Requests.Count;
        var bad = await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "send_email", new JsonObject { ["to"] = "not an address", ["subject"] = "x", ["body"] = "y" }));
        (bad.Status, bad.Retryable).ShouldBe(((int?)null, false));
        bad.Message.ShouldContain("not an address");
        var empty = await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "send_email", new JsonObject { ["to"] = "", ["subject"] = "x", ["body"] = "y" }));
        empty.Retryable.ShouldBeFalse();
        Graph.Provider.Requests.Count.ShouldBe(calls);
        Graph.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task ARuleOnLeadCreatedSendsTheTemplatedEmail()
    {
        var installed = await InstallAsync();
        await ActionsTestKit.CreateRuleAsync(installed.Owner, installed.Row.Id, new
        {
            events = new[] { "lead.created" }, action = "send_email",
            input = new { to = "{{data.email}}", subject = "Thanks for your interest, {{data.name}}", body = "Hi {{data.name}}, we will call you about {{data.company}}." },
        });
        var email = $"grace-{Guid.NewGuid():N}@example.com";
        await ActionsTestKit.CreateLeadAsync(installed.Owner, new { name = "Grace", company = "Navy", email });

        var sent = await FakeProvider.WaitForAsync(Graph.SentMail, m => m.ToJsonString().Contains(email, StringComparison.Ordinal), "Graph");
        var message = sent.Single()["message"]!;
        message["subject"]!.GetValue<string>().ShouldBe("Thanks for your interest, Grace");
        message["body"]!["content"]!.GetValue<string>().ShouldBe("Hi Grace, we will call you about Navy.");
        message["toRecipients"]![0]!["emailAddress"]!["address"]!.GetValue<string>().ShouldBe(email);
        var runs = await ActionsTestKit.RunsAsync(installed.Owner, installed.Row.Id, r => r.Any(x => x!["status"]!.GetValue<string>() == "succeeded"));
        runs.ShouldContain(r => r!["status"]!.GetValue<string>() == "succeeded");
        Graph.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task EventsFromATaskAreCreatedOnceThenUpdatedAndDeletedByTheTasksId()
    {
        var installed = await InstallAsync();
        var key = "task_" + Guid.NewGuid().ToString("N");
        var input = new JsonObject
        {
            ["idempotencyKey"] = key, ["summary"] = "Call Ada about the renewal", ["description"] = "Task from Switchboard",
            ["start"] = "2026-12-10T14:00:00Z", ["timeZone"] = "America/New_York", ["attendees"] = "ada@example.com, bob@example.com",
            ["location"] = "Phone", ["reminderMinutes"] = 15,
        };
        var created = await RunAsync(installed, "create_event", input);
        created.Status.ShouldBe(201);
        var eventId = created.Json()!["id"]!.GetValue<string>();
        var posted = Body(Calls("POST", "/me/events").Last());
        posted["subject"]!.GetValue<string>().ShouldBe("Call Ada about the renewal");
        posted["start"]!.ToJsonString().ShouldBe("""{"dateTime":"2026-12-10T09:00:00","timeZone":"America/New_York"}""");
        posted["end"]!["dateTime"]!.GetValue<string>().ShouldBe("2026-12-10T09:30:00"); // the default 30 minutes
        posted["isAllDay"]!.GetValue<bool>().ShouldBeFalse();
        posted["body"]!.ToJsonString().ShouldBe("""{"contentType":"text","content":"Task from Switchboard"}""");
        posted["attendees"]!.AsArray().Select(a => a!["emailAddress"]!["address"]!.GetValue<string>()).ShouldBe(["ada@example.com", "bob@example.com"]);
        posted["reminderMinutesBeforeStart"]!.GetValue<int>().ShouldBe(15);
        var transactionId = posted["transactionId"]!.GetValue<string>();
        transactionId.ShouldNotContain(key); // a hash of installation and key, not the CRM id
        posted["singleValueExtendedProperties"]![0]!["value"]!.GetValue<string>().ShouldBe(transactionId);

        // The same create again (its answer lost): Graph's transactionId makes no second event.
        var again = await RunAsync(installed, "create_event", input);
        again.Json()!["id"]!.GetValue<string>().ShouldBe(eventId);
        Graph.Events(installed.Mailbox, null).Count(e => e["subject"]!.GetValue<string>() == "Call Ada about the renewal").ShouldBe(1);

        // task.updated: found by the key, patched with only what is given.
        (await RunAsync(installed, "update_event", new JsonObject { ["idempotencyKey"] = key, ["summary"] = "Call Ada (moved)", ["start"] = "2026-12-11T15:00:00Z" })).Status.ShouldBe(200);
        var patch = Body(Calls("PATCH", "/me/events/").Last());
        patch.Select(p => p.Key).Order().ShouldBe(["end", "isAllDay", "start", "subject"]);
        patch["start"]!["dateTime"]!.GetValue<string>().ShouldBe("2026-12-11T16:00:00"); // Europe/Berlin, the installation's zone
        var stored = Graph.Event(installed.Mailbox, null, eventId)!;
        stored["subject"]!.GetValue<string>().ShouldBe("Call Ada (moved)");
        stored["start"]!["dateTime"]!.GetValue<string>().ShouldBe("2026-12-11T15:00:00.0000000");
        stored["location"]!["displayName"]!.GetValue<string>().ShouldBe("Phone");
        Calls("GET", "/me/events").Last().Query.ShouldEndWith("&$select=id&$top=1");

        // task.deleted: deleted by the key; again (a retry after a lost answer) is done, not an error.
        (await RunAsync(installed, "delete_event", new JsonObject { ["idempotencyKey"] = key })).IsSuccess.ShouldBeTrue();
        Graph.Event(installed.Mailbox, null, eventId).ShouldBeNull();
        var repeated = await RunAsync(installed, "delete_event", new JsonObject { ["idempotencyKey"] = key });
        repeated.Status.ShouldBe(200);
        repeated.Json()!["deleted"]!.GetValue<bool>().ShouldBeTrue();

        // An explicit id Graph does not know is an error naming it; an update by a key with nothing to create from too.
        var missing = await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "delete_event", new JsonObject { ["eventId"] = "AAMkNOPE" }));
        (missing.Status, missing.Retryable).ShouldBe(((int?)404, false));
        missing.ProviderError!.ShouldStartWith("ErrorItemNotFound: The specified object was not found in the store.");
        (await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "update_event", new JsonObject { ["idempotencyKey"] = "task_none", ["summary"] = "x" })))
            .Retryable.ShouldBeFalse();

        // A task due on a day is an all-day event: midnight to midnight in the zone, end exclusive.
        var allDay = await RunAsync(installed, "create_event", new JsonObject { ["summary"] = "Send the contract", ["start"] = "2026-12-24" });
        var day = Body(Calls("POST", "/me/events").Last());
        day["isAllDay"]!.GetValue<bool>().ShouldBeTrue();
        (day["start"]!["dateTime"]!.GetValue<string>(), day["end"]!["dateTime"]!.GetValue<string>()).ShouldBe(("2026-12-24T00:00:00", "2026-12-25T00:00:00"));
        day["start"]!["timeZone"]!.GetValue<string>().ShouldBe("Europe/Berlin");
        Graph.Event(installed.Mailbox, null, allDay.Json()!["id"]!.GetValue<string>()).ShouldNotBeNull();
        Graph.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task MessagesSyncMatchesContactsAndLeadsThenReadsOnlyChangesAndStartsOverWhenTheTokenExpires()
    {
        var installed = await InstallAsync();
        var ada = $"ada-{Guid.NewGuid():N}@example.com";
        var lin = $"lin-{Guid.NewGuid():N}@example.com";
        var contactId = await CreateAsync(installed.Owner, "/api/v1/contacts", new { firstName = "Ada", email = ada.ToUpperInvariant() });
        var leadId = await CreateAsync(installed.Owner, "/api/v1/leads", new { name = "Lin", email = lin });
        var at = new DateTime(2026, 11, 20, 9, 0, 0, DateTimeKind.Utc);
        var first = Graph.PutMessage(installed.Mailbox, "inbox", "Renewal", ada, [installed.Mailbox], "Can we talk about the renewal?", at);
        Graph.PutMessage(installed.Mailbox, "inbox", "Re: Renewal", ada, [installed.Mailbox], "Tuesday works.", at.AddHours(1));
        Graph.PutMessage(installed.Mailbox, "inbox", "Pricing question", lin, [installed.Mailbox], "What does it cost?", at.AddHours(2));
        Graph.PutMessage(installed.Mailbox, "inbox", "Newsletter", "news@elsewhere.example", [installed.Mailbox], "Unrelated", at.AddHours(3));
        Graph.PutMessage(installed.Mailbox, "sentitems", "Quote", installed.Mailbox, ["someone@elsewhere.example"], "Here it is", at.AddHours(4), cc: [ada]);
        Graph.PutMessage(installed.Mailbox, "sentitems", "Hello", installed.Mailbox, ["x@elsewhere.example"], "Unrelated too", at.AddHours(5));
        Graph.ServerPageSize = 2;
        try
        {
            var (records, mark, pages) = await PullAllAsync(installed, "messages", since: null);
            pages.ShouldBe(3); // inbox: 2 + 2 (the second with its delta link), sent items: 2 with its delta link
            records.Count.ShouldBe(4);
            var renewal = records.Single(r => r.RemoteId == first);
            renewal.Fields["type"]!.GetValue<string>().ShouldBe("email");
            renewal.Fields["subject"]!.GetValue<string>().ShouldBe("Renewal");
            renewal.Fields["notes"]!.GetValue<string>().ShouldBe("Can we talk about the renewal?"); // the text body, asked by Prefer
            renewal.Fields["contactId"]!.GetValue<string>().ShouldBe(contactId);
            renewal.Fields["occurredAt"]!.GetValue<string>().ShouldBe("2026-11-20T09:00:00.0000000Z");
            renewal.Fields["metadata"]!["direction"]!.GetValue<string>().ShouldBe("inbound");
            var pricing = records.Single(r => r.Fields["subject"]!.GetValue<string>() == "Pricing question");
            (pricing.Fields["leadId"]!.GetValue<string>(), pricing.Fields["contactId"]).ShouldBe((leadId, (JsonNode?)null));
            var quote = records.Single(r => r.Fields["subject"]!.GetValue<string>() == "Quote");
            quote.Fields["contactId"]!.GetValue<string>().ShouldBe(contactId); // a Cc of a sent message
            quote.Fields["metadata"]!["direction"]!.GetValue<string>().ShouldBe("outbound");
            var links = JsonNode.Parse(mark)!.AsObject();
            links.Select(p => p.Key).ShouldBe(["inbox", "sentitems"]);

            var deltas = Calls("GET", "/messages/delta");
            deltas.ShouldAllBe(r => r.Headers["prefer"].Contains("IdType=\"ImmutableId\"") && r.Headers["prefer"].Contains("odata.maxpagesize=50"));
            deltas.Where(r => !r.Query.Contains("token", StringComparison.Ordinal)).ShouldAllBe(r => r.Query.Contains("%24select=", StringComparison.Ordinal) || r.Query.Contains("$select=", StringComparison.Ordinal));

            // Changes in Outlook: a new message, one read (changed, same id), one deleted. Only the first two come back; a deletion is not one.
            var added = Graph.PutMessage(installed.Mailbox, "inbox", "Contract signed", ada, [installed.Mailbox], "Signed!", at.AddDays(1));
            Graph.Touch(installed.Mailbox, "inbox", first, m => m["isRead"] = true);
            Graph.RemoveMessage(installed.Mailbox, "inbox", records.Single(r => r.Fields["subject"]!.GetValue<string>() == "Re: Renewal").RemoteId);
            var (changes, nextMark, _) = await PullAllAsync(installed, "messages", mark);
            changes.Select(r => r.RemoteId).Order().ShouldBe(new[] { first, added }.Order());
            changes.ShouldAllBe(r => !r.Deleted);
            nextMark.ShouldNotBe(mark);

            // Outlook drops the delta tokens: the run starts each folder's full round again, by itself.
            Graph.InvalidateDeltaTokens();
            var before = Graph.Provider.Requests.Count;
            var (again, _, _) = await PullAllAsync(installed, "messages", nextMark);
            again.Select(r => r.Fields["subject"]!.GetValue<string>()).Order().ShouldBe(["Contract signed", "Pricing question", "Quote", "Renewal"]);
            var calls = Graph.Provider.Requests.Skip(before).ToList();
            calls[0].Query.ShouldContain("deltatoken"); // answered 410 syncStateNotFound
            calls[1].Query.ShouldContain("select=");   // the inbox's new round
        }
        finally { Graph.ServerPageSize = 1000; }
        Graph.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task TheMessagesSyncMakesOneActivityPerMessageOnTheContactsTimeline()
    {
        var installed = await InstallAsync(new JsonObject { ["syncSentItems"] = true });
        var ada = $"ada-{Guid.NewGuid():N}@example.com";
        var contactId = await CreateAsync(installed.Owner, "/api/v1/contacts", new { firstName = "Ada", email = ada });
        Graph.PutMessage(installed.Mailbox, "inbox", "Hello from Ada", ada, [installed.Mailbox], "Hi!", new DateTime(2026, 11, 20, 9, 0, 0, DateTimeKind.Utc));

        var run = await installed.Owner.SyncAsync(installed.Row.Id, "messages");
        run.Count("added").ShouldBe(1);
        // Mail sent from a rule is kept in Sent Items, and the next run puts it on the timeline as an outbound email.
        await RunAsync(installed, "send_email", new JsonObject { ["to"] = ada, ["subject"] = "Welcome aboard", ["body"] = "Glad to have you." });
        var second = await installed.Owner.SyncAsync(installed.Row.Id, "messages");
        second.Count("added").ShouldBe(1);
        var third = await installed.Owner.SyncAsync(installed.Row.Id, "messages");
        third.Count("added").ShouldBe(0);

        var activities = (await installed.Owner.GetJsonAsync($"/api/v1/activities?contactId={contactId}"))["data"]!.AsArray();
        activities.Select(a => (a!["type"]!.GetValue<string>(), a["subject"]!.GetValue<string>(), a["metadata"]!["direction"]!.GetValue<string>()))
            .OrderBy(a => a.Item2).ShouldBe([("email", "Hello from Ada", "inbound"), ("email", "Welcome aboard", "outbound")]);
        Graph.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task TheEventsSyncReadsTheWindowThenChangesAndRemovals()
    {
        var calendar = "AAMkCalendar" + Guid.NewGuid().ToString("N");
        var installed = await InstallAsync(new JsonObject { ["calendarId"] = calendar, ["eventsSyncPastDays"] = 30, ["eventsSyncFutureDays"] = 60 });
        var now = Node.Clock.GetUtcNow().UtcDateTime;
        JsonObject Meeting(string subject, DateTime start, int minutes, bool allDay = false) => new()
        {
            ["subject"] = subject, ["isAllDay"] = allDay, ["isCancelled"] = false,
            ["body"] = new JsonObject { ["contentType"] = "html", ["content"] = $"<p>Agenda: {subject}</p>" }, ["bodyPreview"] = "Agenda: " + subject,
            ["start"] = new JsonObject { ["dateTime"] = start.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff"), ["timeZone"] = "UTC" },
            ["end"] = new JsonObject { ["dateTime"] = start.AddMinutes(minutes).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff"), ["timeZone"] = "UTC" },
            ["location"] = new JsonObject { ["displayName"] = "Room 4" },
            ["attendees"] = new JsonArray(
                new JsonObject { ["type"] = "required", ["emailAddress"] = new JsonObject { ["address"] = "ada@example.com" } },
                new JsonObject { ["type"] = "resource", ["emailAddress"] = new JsonObject { ["address"] = "room4@contoso.example" } }),
        };
        var review = Graph.PutEvent(installed.Mailbox, calendar, Meeting("Quarterly review", now.Date.AddDays(3).AddHours(13), 90));
        Graph.PutEvent(installed.Mailbox, calendar, Meeting("Offsite", now.Date.AddDays(10), 2 * 1440, allDay: true));
        Graph.PutEvent(installed.Mailbox, calendar, Meeting("Far away", now.Date.AddDays(200), 30));
        Graph.ServerPageSize = 1;
        try
        {
            var (records, mark, pages) = await PullAllAsync(installed, "events", since: null);
            pages.ShouldBe(2);
            records.Count.ShouldBe(2); // "Far away" is outside the window
            var first = records.Single(r => r.RemoteId == review["id"]!.GetValue<string>());
            first.Fields["type"]!.GetValue<string>().ShouldBe("meeting");
            first.Fields["notes"]!.GetValue<string>().ShouldBe("Agenda: Quarterly review");
            first.Fields["occurredAt"]!.GetValue<string>().ShouldBe(now.Date.AddDays(3).AddHours(13).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'"));
            first.Fields["metadata"]!["durationMinutes"]!.GetValue<string>().ShouldBe("90");
            first.Fields["metadata"]!["attendees"]!.GetValue<string>().ShouldBe("ada@example.com");
            first.Fields["metadata"]!["location"]!.GetValue<string>().ShouldBe("Room 4");
            records.Single(r => r.Fields["subject"]!.GetValue<string>() == "Offsite").Fields["metadata"]!["allDay"]!.GetValue<string>().ShouldBe("true");
            var initial = Calls("GET", $"/me/calendars/{calendar}/calendarView/delta").First();
            initial.Query.ShouldContain("startDateTime=");
            initial.Query.ShouldContain("endDateTime=");

            var edited = Graph.Event(installed.Mailbox, calendar, review["id"]!.GetValue<string>())!;
            edited["subject"] = "Quarterly review (moved)";
            Graph.PutEvent(installed.Mailbox, calendar, edited);
            var offsite = records.Single(r => r.Fields["subject"]!.GetValue<string>() == "Offsite").RemoteId;
            Graph.RemoveEvent(installed.Mailbox, calendar, offsite);
            var (changes, next, _) = await PullAllAsync(installed, "events", mark);
            changes.Count.ShouldBe(2);
            changes.Single(r => r.RemoteId == offsite).Deleted.ShouldBeTrue();
            changes.Single(r => r.RemoteId == review["id"]!.GetValue<string>()).Fields["subject"]!.GetValue<string>().ShouldBe("Quarterly review (moved)");
            (await PullAllAsync(installed, "events", next)).Records.ShouldBeEmpty();

            Graph.InvalidateDeltaTokens();
            var (full, _, _) = await PullAllAsync(installed, "events", next);
            full.Select(r => r.Fields["subject"]!.GetValue<string>()).ShouldBe(["Quarterly review (moved)"]);
        }
        finally { Graph.ServerPageSize = 1000; }
        Graph.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AnAccessTokenGraphRefusesIsRefreshedOnceAndTheRotatedRefreshTokenIsKept()
    {
        var installed = await InstallAsync();
        Graph.ExpireAccessToken(installed.AccessToken);
        var refreshes = Graph.Refreshes;
        var before = Graph.Provider.Requests.Count;

        var test = await WithConnectorAsync(installed, (c, ctx) => c.TestAsync(ctx, CancellationToken.None));
        test.Status.ShouldBe(200);
        test.Json()!["mail"]!.GetValue<string>().ShouldBe(installed.Mailbox);
        (Graph.Refreshes - refreshes).ShouldBe(1);
        var calls = Graph.Provider.Requests.Skip(before).ToList();
        calls.Select(r => r.Path).ShouldBe(["/v1.0/me", "/common/oauth2/v2.0/token", "/v1.0/me"]);
        calls[0].Query.ShouldBe("?$select=id,mail,userPrincipalName");
        calls[1].Body.ShouldContain("grant_type=refresh_token");
        calls[1].Body.ShouldContain("refresh_token=" + Uri.EscapeDataString(installed.RefreshToken));
        calls[2].Headers["authorization"].ShouldNotBe("Bearer " + installed.AccessToken);

        // The identity platform rotated the refresh token: the stored one is the new one.
        var stored = Node.Services.GetRequiredService<IntegrationSecrets>().Tokens(await RowAsync(installed.Row.Id))!;
        stored.RefreshToken.ShouldNotBe(installed.RefreshToken);
        await RunAsync(installed, "send_email", new JsonObject { ["to"] = "ada@example.com", ["subject"] = "After refresh", ["body"] = "ok" });
        (Graph.Refreshes - refreshes).ShouldBe(1);
        Graph.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task ThrottlingIsRetryableAfterRetryAfterAndARefusalIsNot()
    {
        var installed = await InstallAsync();
        var input = new JsonObject { ["to"] = "ada@example.com", ["subject"] = "Busy", ["body"] = "x" };

        Graph.FailNext(429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.", retryAfter: "7");
        var before = Graph.Provider.Requests.Count;
        var throttled = await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "send_email", input));
        (throttled.Status, throttled.Retryable, throttled.RetryAfter).ShouldBe(((int?)429, true, (TimeSpan?)TimeSpan.FromSeconds(7)));
        throttled.ProviderError!.ShouldStartWith("ApplicationThrottled: Application is over its MailboxConcurrency limit. (request-id ");
        (Graph.Provider.Requests.Count - before).ShouldBe(1); // the queue waits and retries, not the connector

        Graph.FailNext(503, "ServiceUnavailable", "Service Unavailable", retryAfter: "2");
        var unavailable = await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "send_email", input));
        (unavailable.Retryable, unavailable.RetryAfter).ShouldBe((true, (TimeSpan?)TimeSpan.FromSeconds(2)));
        Graph.FailNext(504, "GatewayTimeout", "Gateway Timeout");
        var timeout = await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "send_email", input));
        (timeout.Retryable, timeout.RetryAfter).ShouldBe((true, (TimeSpan?)null)); // no Retry-After: the queue's own backoff

        Graph.FailNext(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.");
        before = Graph.Provider.Requests.Count;
        var denied = await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "send_email", input));
        (denied.Status, denied.Retryable, denied.NeedsReauthorization).ShouldBe(((int?)403, false, false));
        denied.ProviderError!.ShouldStartWith("ErrorAccessDenied: Access is denied.");
        (Graph.Provider.Requests.Count - before).ShouldBe(1);

        // A grant without Mail.Send: Graph's own 403, not retried either.
        var readOnly = await InstallAsync(scope: "offline_access Mail.Read User.Read");
        (await Should.ThrowAsync<ProviderException>(() => RunAsync(readOnly, "send_email", input))).Retryable.ShouldBeFalse();
        (await WithConnectorAsync(readOnly, (c, ctx) => c.TestAsync(ctx, CancellationToken.None))).IsSuccess.ShouldBeTrue();
        Graph.Provider.AssertNoViolations();
    }
}

public sealed class OutlookTestsOnSqlite(OutlookSqliteNode fixture) : OutlookTests<OutlookSqliteNode>(fixture);

public sealed class OutlookTestsOnPostgres(OutlookPostgresNode fixture) : OutlookTests<OutlookPostgresNode>(fixture);
