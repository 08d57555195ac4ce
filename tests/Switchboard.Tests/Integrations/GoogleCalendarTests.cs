using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Integrations;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Providers.GoogleCalendar;
using Switchboard.Platform;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>A node whose Google Calendar provider (OAuth client, token, revoke and API URLs) points at a <see cref="GoogleCalendarFake"/>.</summary>
public abstract class GoogleCalendarNode : ProviderFakeNode<GoogleCalendarFake>
{
    protected override Task<GoogleCalendarFake> StartFakeAsync() => GoogleCalendarFake.StartAsync();

    protected override IEnumerable<(string Key, string Value)> Settings(GoogleCalendarFake fake)
    {
        const string Prefix = "Switchboard:Integrations:Providers:google_calendar:";
        return
        [
            (Prefix + "ClientId", GoogleCalendarFake.ClientId), (Prefix + "ClientSecret", GoogleCalendarFake.ClientSecret),
            (Prefix + "TokenUrl", fake.TokenUrl), (Prefix + "RevokeUrl", fake.RevokeUrl), (Prefix + "BaseUrls:api", fake.ApiBaseUrl),
        ];
    }
}

public sealed class GoogleCalendarSqliteNode : GoogleCalendarNode
{
    protected override SwitchboardFactory Create() => new SqliteSwitchboard();
}

public sealed class GoogleCalendarPostgresNode : GoogleCalendarNode
{
    protected override SwitchboardFactory Create() => new PostgresSwitchboard();
}

/// <summary>
/// The Google Calendar connector against a fake of Google's API and OAuth endpoints over real HTTP, with installations
/// and tokens stored in the node's database (encrypted, as the installations API stores them). Every test ends with the
/// fake finding nothing Google's documentation does not allow.
/// </summary>
public abstract class GoogleCalendarTests<TNode>(TNode fixture) : IClassFixture<TNode> where TNode : GoogleCalendarNode
{
    private GoogleCalendarFake Google => fixture.Fake;
    private SwitchboardFactory Node => fixture.Node;

    private sealed record Installed(IntegrationInstallation Row, string CalendarId, string AccessToken, string RefreshToken);

    /// <summary>An organization's Google Calendar installation, connected (tokens stored as the OAuth callback stores them).</summary>
    private async Task<Installed> InstallAsync(string timeZone = "Europe/Berlin", string? scope = null)
    {
        using var owner = Node.Client();
        await owner.SignupAsync();
        var calendarId = $"team-{Guid.NewGuid():N}@group.calendar.google.com";
        var id = Ids.New("ins", Node.Clock);
        var now = Node.Clock.GetUtcNow().UtcDateTime;
        await using (var db = Node.Services.CreateAsyncScope())
        {
            var context = db.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            context.Set<IntegrationInstallation>().Add(new IntegrationInstallation
            {
                Id = id, OrganizationId = owner.OrganizationId!, ProviderKey = GoogleCalendarConnector.Key, Name = "Team calendar",
                Config = new JsonObject { ["calendarId"] = calendarId, ["timeZone"] = timeZone, ["defaultDurationMinutes"] = 30 }.ToJsonString(),
                CreatedAt = now, UpdatedAt = now,
            });
            await context.SaveChangesAsync();
        }
        var (access, refresh) = Google.IssueGrant(scope ?? GoogleCalendarFake.EventsScope);
        await Node.Services.GetRequiredService<ProviderTokenStore>().StoreAsync(id,
            new ProviderTokens(access, refresh, now.AddHours(1), GoogleCalendarFake.EventsScope, "Bearer"), CancellationToken.None);
        return new Installed(await RowAsync(id), calendarId, access, refresh);
    }

    private async Task<IntegrationInstallation> RowAsync(string id)
    {
        await using var scope = Node.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>().Set<IntegrationInstallation>().IgnoreQueryFilters().AsNoTracking()
            .SingleAsync(i => i.Id == id);
    }

    /// <summary>Runs <paramref name="use"/> with the installation's connector and context, as the action runner and the sync engine get them.</summary>
    private async Task<T> WithConnectorAsync<T>(Installed installed, Func<Connector, ConnectorContext, Task<T>> use)
    {
        await using var scope = Node.Services.CreateAsyncScope();
        var (connector, context) = Node.Services.GetRequiredService<ConnectorContexts>().For(await RowAsync(installed.Row.Id), scope.ServiceProvider);
        return await use(connector, context);
    }

    private Task<ProviderResponse> RunAsync(Installed installed, string action, JsonObject input) =>
        WithConnectorAsync(installed, (connector, context) => connector.RunActionAsync(context, action, input, CancellationToken.None));

    private Task<SyncPage> PullAsync(Installed installed, string? since, string? cursor) =>
        WithConnectorAsync(installed, (connector, context) => connector.Sync("events")!.PullAsync(context, since, cursor, CancellationToken.None));

    /// <summary>Every page of one run, as the engine reads them: until a page has no next cursor; answers the records and the run's high-water mark.</summary>
    private async Task<(List<SyncRecord> Records, string HighWaterMark, int Pages)> PullAllAsync(Installed installed, string? since)
    {
        var records = new List<SyncRecord>();
        string? cursor = null;
        var pages = 0;
        while (true)
        {
            var page = await PullAsync(installed, since, cursor);
            pages++;
            records.AddRange(page.Records);
            if (page.NextPageCursor is null)
            {
                page.HighWaterMark.ShouldNotBeNull("the last page carries Google's nextSyncToken");
                return (records, page.HighWaterMark, pages);
            }
            page.HighWaterMark.ShouldBeNull("Google sends nextSyncToken on the last page only");
            cursor = page.NextPageCursor;
        }
    }

    private static JsonObject Body(FakeProvider.Recorded request) => JsonNode.Parse(request.Body)!.AsObject();

    /// <summary>The fake's record of this installation's calls to its calendar (the recorded path is decoded: the id's @ as it is).</summary>
    private List<FakeProvider.Recorded> Calls(Installed installed, string method) =>
        Google.Provider.Requests.Where(r => r.Method == method && r.Path.Contains(installed.CalendarId, StringComparison.Ordinal)).ToList();

    [Fact]
    public void TheCatalogDeclaresGoogleCalendarWithItsIcon()
    {
        var catalog = Node.Services.GetRequiredService<ProviderCatalog>();
        var definition = catalog.Find(GoogleCalendarConnector.Key)!.Definition;
        definition.Category.ShouldBe(ProviderCategory.Calendar);
        definition.Auth.Pkce.ShouldBeTrue();
        definition.Auth.AuthorizeParameters["access_type"].ShouldBe("offline");
        definition.Auth.AuthorizeParameters["prompt"].ShouldBe("consent");
        definition.Auth.Scopes.ShouldBe(["https://www.googleapis.com/auth/calendar.events"]);
        definition.ConfigSchemaNode["properties"]!["calendarId"]!["default"]!.GetValue<string>().ShouldBe("primary");
        definition.Actions.Select(a => a.Name).ShouldBe(["create_event", "update_event", "delete_event"]);
        foreach (var action in definition.Actions) JsonNode.Parse(action.InputSchema).ShouldNotBeNull();
        definition.Syncs.Single().LocalResource.ShouldBe("activities");
        System.Text.Encoding.UTF8.GetString(catalog.Icon(GoogleCalendarConnector.Key)!).ShouldContain("<svg");
    }

    [Fact]
    public async Task CreateEventCarriesAttendeesTimeZonesAndReminders()
    {
        var installed = await InstallAsync();
        var response = await RunAsync(installed, "create_event", new JsonObject
        {
            ["summary"] = "Call Ada about the renewal", ["description"] = "Task task_01 from Switchboard",
            ["start"] = "2026-12-10T14:00:00Z", ["durationMinutes"] = "45", ["timeZone"] = "America/New_York",
            ["attendees"] = "ada@example.com, bob@example.com;ADA@example.com",
            ["reminders"] = new JsonArray(10, new JsonObject { ["method"] = "email", ["minutes"] = 60 }),
        });
        var eventId = response.Json()!["id"]!.GetValue<string>();
        eventId.ShouldNotBeNullOrEmpty();

        var sent = Body(Calls(installed, "POST").Single());
        sent["start"]!["dateTime"]!.GetValue<string>().ShouldBe("2026-12-10T09:00:00-05:00");
        sent["start"]!["timeZone"]!.GetValue<string>().ShouldBe("America/New_York");
        sent["end"]!["dateTime"]!.GetValue<string>().ShouldBe("2026-12-10T09:45:00-05:00");
        sent["attendees"]!.AsArray().Select(a => a!["email"]!.GetValue<string>()).ShouldBe(["ada@example.com", "bob@example.com"]);
        sent["reminders"]!["useDefault"]!.GetValue<bool>().ShouldBeFalse();
        sent["reminders"]!["overrides"]!.AsArray().Count.ShouldBe(2);
        Google.Event(installed.CalendarId, eventId)!["summary"]!.GetValue<string>().ShouldBe("Call Ada about the renewal");

        // A wall-clock time without an offset is read in the installation's zone (Europe/Berlin, summer time in July).
        var local = await RunAsync(installed, "create_event", new JsonObject { ["summary"] = "Site visit", ["start"] = "2026-07-01T10:00:00" });
        var stored = Google.Event(installed.CalendarId, local.Json()!["id"]!.GetValue<string>())!;
        stored["start"]!["dateTime"]!.GetValue<string>().ShouldBe("2026-07-01T10:00:00+02:00");
        stored["start"]!["timeZone"]!.GetValue<string>().ShouldBe("Europe/Berlin");
        stored["end"]!["dateTime"]!.GetValue<string>().ShouldBe("2026-07-01T10:30:00+02:00"); // the installation's default 30 minutes

        // A task due on a day is an all-day event: Google's end date is exclusive.
        var allDay = await RunAsync(installed, "create_event", new JsonObject { ["summary"] = "Send the contract", ["start"] = "2026-12-24" });
        var day = Google.Event(installed.CalendarId, allDay.Json()!["id"]!.GetValue<string>())!;
        day["start"]!["date"]!.GetValue<string>().ShouldBe("2026-12-24");
        day["end"]!["date"]!.GetValue<string>().ShouldBe("2026-12-25");

        // update_event patches only what it is given; delete_event cancels, and a repeated delete (410 deleted) is done, not an error.
        await RunAsync(installed, "update_event", new JsonObject { ["eventId"] = eventId, ["summary"] = "Call Ada (moved)", ["start"] = "2026-12-11T15:00:00Z" });
        var patched = Google.Event(installed.CalendarId, eventId)!;
        patched["summary"]!.GetValue<string>().ShouldBe("Call Ada (moved)");
        patched["description"]!.GetValue<string>().ShouldBe("Task task_01 from Switchboard");
        patched["start"]!["dateTime"]!.GetValue<string>().ShouldBe("2026-12-11T16:00:00+01:00");
        Body(Calls(installed, "PATCH").Single()).ContainsKey("attendees").ShouldBeFalse();
        (await RunAsync(installed, "delete_event", new JsonObject { ["eventId"] = eventId })).Status.ShouldBe(204);
        Google.Event(installed.CalendarId, eventId)!["status"]!.GetValue<string>().ShouldBe("cancelled");
        (await RunAsync(installed, "delete_event", new JsonObject { ["eventId"] = eventId })).IsSuccess.ShouldBeTrue();
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task ACreateRetriedWithItsIdempotencyKeyMakesOneEvent()
    {
        var installed = await InstallAsync();
        var input = new JsonObject { ["summary"] = "Demo", ["start"] = "2026-12-10T09:00:00Z", ["idempotencyKey"] = "evt_01JTASKCREATED" };
        var first = (await RunAsync(installed, "create_event", input)).Json()!["id"]!.GetValue<string>();
        var second = await RunAsync(installed, "create_event", input);
        second.Status.ShouldBe(200);
        second.Json()!["id"]!.GetValue<string>().ShouldBe(first);
        Google.Events(installed.CalendarId).Count.ShouldBe(1);
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task RulesOnATasksEventsFindItsEventByTheTasksIdAlone()
    {
        var installed = await InstallAsync();
        // task.created → create_event, task.updated → update_event, task.deleted → delete_event, each keyed by the task's id.
        var created = (await RunAsync(installed, "create_event", new JsonObject
        {
            ["idempotencyKey"] = "task_01JRENEWAL", ["summary"] = "Renewal call", ["start"] = "2026-12-10T09:00:00Z",
        })).Json()!["id"]!.GetValue<string>();
        await RunAsync(installed, "update_event", new JsonObject { ["idempotencyKey"] = "task_01JRENEWAL", ["description"] = "Due tomorrow" });
        Google.Event(installed.CalendarId, created)!["description"]!.GetValue<string>().ShouldBe("Due tomorrow");
        (await RunAsync(installed, "delete_event", new JsonObject { ["idempotencyKey"] = "task_01JRENEWAL" })).IsSuccess.ShouldBeTrue();
        Google.Event(installed.CalendarId, created)!["status"]!.GetValue<string>().ShouldBe("cancelled");

        // A task older than the installation: its update creates the event it lacks, when the rule gives summary and start.
        var older = await RunAsync(installed, "update_event", new JsonObject
        {
            ["idempotencyKey"] = "task_01JOLDER", ["summary"] = "Older task", ["start"] = "2026-12-12",
        });
        Google.Event(installed.CalendarId, older.Json()!["id"]!.GetValue<string>())!["start"]!["date"]!.GetValue<string>().ShouldBe("2026-12-12");
        var missing = await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "update_event", new JsonObject { ["idempotencyKey"] = "task_01JNONE", ["summary"] = "x" }));
        missing.Status.ShouldBe(404);
        // Deleting by key an event never made is done; by an explicit id that Google does not know, an error naming it.
        (await RunAsync(installed, "delete_event", new JsonObject { ["idempotencyKey"] = "task_01JNONE" })).IsSuccess.ShouldBeTrue();
        (await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "delete_event", new JsonObject { ["eventId"] = "nosuchevent1" }))).Status.ShouldBe(404);
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AFullSyncReadsEveryPageThenTheSyncTokenBringsOnlyChanges()
    {
        var installed = await InstallAsync(timeZone: "UTC");
        Google.ServerPageSize = 2;
        try
        {
            for (var i = 0; i < 4; i++)
                Google.Put(installed.CalendarId, new JsonObject
                {
                    ["summary"] = $"Meeting {i}", ["description"] = $"Agenda {i}",
                    ["start"] = new JsonObject { ["dateTime"] = $"2026-12-0{i + 1}T10:00:00+01:00", ["timeZone"] = "Europe/Paris" },
                    ["end"] = new JsonObject { ["dateTime"] = $"2026-12-0{i + 1}T11:30:00+01:00", ["timeZone"] = "Europe/Paris" },
                    ["attendees"] = new JsonArray(new JsonObject { ["email"] = "ada@example.com" }, new JsonObject { ["email"] = "room-1@resource.calendar.google.com", ["resource"] = true }),
                });
            var offsite = Google.Put(installed.CalendarId, new JsonObject
            {
                ["summary"] = "Offsite", ["start"] = new JsonObject { ["date"] = "2026-12-20" }, ["end"] = new JsonObject { ["date"] = "2026-12-22" },
            });

            var (records, syncToken, pages) = await PullAllAsync(installed, since: null);
            pages.ShouldBe(3);
            records.Count.ShouldBe(5);
            var first = records.Single(r => r.Fields["subject"]!.GetValue<string>() == "Meeting 0");
            first.Fields["type"]!.GetValue<string>().ShouldBe("meeting");
            first.Fields["notes"]!.GetValue<string>().ShouldBe("Agenda 0");
            first.Fields["occurredAt"]!.GetValue<string>().ShouldBe("2026-12-01T09:00:00.0000000Z");
            first.Fields["metadata"]!["durationMinutes"]!.GetValue<string>().ShouldBe("90");
            first.Fields["metadata"]!["attendees"]!.GetValue<string>().ShouldBe("ada@example.com");
            var allDay = records.Single(r => r.RemoteId == offsite["id"]!.GetValue<string>());
            allDay.Fields["metadata"]!["allDay"]!.GetValue<string>().ShouldBe("true");
            allDay.Fields["metadata"]!["durationMinutes"]!.GetValue<string>().ShouldBe("2880");
            allDay.ModifiedAt.ShouldBe(DateTime.Parse(offsite["updated"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AdjustToUniversal));

            // Changes in Google: one edited, one added, one deleted. The incremental run sees exactly those.
            var edited = Google.Event(installed.CalendarId, first.RemoteId)!;
            edited["summary"] = "Meeting 0 (agenda changed)";
            Google.Put(installed.CalendarId, edited);
            var added = Google.Put(installed.CalendarId, new JsonObject
            {
                ["summary"] = "New", ["start"] = new JsonObject { ["dateTime"] = "2026-12-15T08:00:00Z" }, ["end"] = new JsonObject { ["dateTime"] = "2026-12-15T08:15:00Z" },
            });
            Google.Cancel(installed.CalendarId, offsite["id"]!.GetValue<string>());

            var (changes, nextToken, _) = await PullAllAsync(installed, syncToken);
            changes.Count.ShouldBe(3);
            changes.Single(r => r.RemoteId == first.RemoteId).Fields["subject"]!.GetValue<string>().ShouldBe("Meeting 0 (agenda changed)");
            changes.Single(r => r.RemoteId == added["id"]!.GetValue<string>()).Deleted.ShouldBeFalse();
            changes.Single(r => r.RemoteId == offsite["id"]!.GetValue<string>()).Deleted.ShouldBeTrue();
            nextToken.ShouldNotBe(syncToken);

            // Nothing changed since: an empty page and a new token.
            var (none, _, _) = await PullAllAsync(installed, nextToken);
            none.ShouldBeEmpty();
            var lists = Calls(installed, "GET");
            lists.Count(r => r.Query.Contains("syncToken=", StringComparison.Ordinal)).ShouldBeGreaterThanOrEqualTo(3);
            lists.ShouldAllBe(r => r.Query.Contains("singleEvents=true", StringComparison.Ordinal) && r.Query.Contains("showDeleted=true", StringComparison.Ordinal));
        }
        finally { Google.ServerPageSize = 250; }
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task ASyncTokenGoogleNoLongerTakesStartsAFullSyncWithinTheRun()
    {
        var installed = await InstallAsync();
        Google.ServerPageSize = 2;
        try
        {
            for (var i = 0; i < 3; i++)
                Google.Put(installed.CalendarId, new JsonObject
                {
                    ["summary"] = $"Standup {i}", ["start"] = new JsonObject { ["dateTime"] = $"2026-12-0{i + 1}T09:00:00Z" },
                    ["end"] = new JsonObject { ["dateTime"] = $"2026-12-0{i + 1}T09:15:00Z" },
                });
            var (_, oldToken, _) = await PullAllAsync(installed, since: null);
            Google.InvalidateSyncTokens();
            var before = Google.Provider.Requests.Count;

            // The engine passes the old token on every page of the run; the cursor says the listing became a full one.
            var first = await PullAsync(installed, oldToken, null);
            first.NextPageCursor.ShouldNotBeNull().ShouldStartWith("full:");
            var second = await PullAsync(installed, oldToken, first.NextPageCursor);
            second.NextPageCursor.ShouldBeNull();
            second.HighWaterMark.ShouldNotBeNull().ShouldNotBe(oldToken);
            first.Records.Concat(second.Records).Select(r => r.Fields["subject"]!.GetValue<string>()).Order().ShouldBe(["Standup 0", "Standup 1", "Standup 2"]);

            var calls = Google.Provider.Requests.Skip(before).ToList();
            calls[0].Query.ShouldContain("syncToken=" + oldToken); // answered 410 fullSyncRequired
            calls.Skip(1).ShouldAllBe(r => !r.Query.Contains("syncToken=", StringComparison.Ordinal));
            (await PullAllAsync(installed, second.HighWaterMark)).Records.ShouldBeEmpty(); // the new token works
        }
        finally { Google.ServerPageSize = 250; }
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task PushCreatesAnEventFromAMeetingOnceAndPatchesItAfter()
    {
        var installed = await InstallAsync();
        var activity = new JsonObject
        {
            ["id"] = "act_01JMEETING", ["type"] = "meeting", ["subject"] = "Quarterly review", ["notes"] = "Bring the numbers",
            ["occurredAt"] = "2026-12-03T13:00:00Z",
            ["metadata"] = new JsonObject { ["durationMinutes"] = "60", ["attendees"] = "ada@example.com,grace@example.com", ["location"] = "Room 4" },
        };
        var created = await WithConnectorAsync(installed, (c, ctx) => c.Sync("events")!.PushAsync(ctx, null, activity, CancellationToken.None));
        created.Fields["subject"]!.GetValue<string>().ShouldBe("Quarterly review");
        created.Fields["metadata"]!["attendees"]!.GetValue<string>().ShouldBe("ada@example.com, grace@example.com");
        var ev = Google.Event(installed.CalendarId, created.RemoteId)!;
        ev["start"]!["dateTime"]!.GetValue<string>().ShouldBe("2026-12-03T14:00:00+01:00");
        ev["end"]!["dateTime"]!.GetValue<string>().ShouldBe("2026-12-03T15:00:00+01:00");
        ev["location"]!.GetValue<string>().ShouldBe("Room 4");
        ev["extendedProperties"]!["private"]![EventMapping.ActivityIdProperty]!.GetValue<string>().ShouldBe("act_01JMEETING");

        // The same push again (its answer lost, or the run resumed after a crash): Google's 409 duplicate, then a patch, no second event.
        var again = await WithConnectorAsync(installed, (c, ctx) => c.Sync("events")!.PushAsync(ctx, null, activity, CancellationToken.None));
        again.RemoteId.ShouldBe(created.RemoteId);
        Google.Events(installed.CalendarId).Count.ShouldBe(1);

        // A rule's create_event keyed by the same activity meets the same event.
        var fromRule = await RunAsync(installed, "create_event", new JsonObject
        {
            ["idempotencyKey"] = "act_01JMEETING", ["summary"] = "Quarterly review", ["start"] = "2026-12-03T13:00:00Z",
        });
        fromRule.Json()!["id"]!.GetValue<string>().ShouldBe(created.RemoteId);
        Google.Events(installed.CalendarId).Count.ShouldBe(1);

        activity["subject"] = "Quarterly review (moved)";
        activity["occurredAt"] = "2026-12-04T13:00:00Z";
        var updated = await WithConnectorAsync(installed, (c, ctx) => c.Sync("events")!.PushAsync(ctx, created.RemoteId, activity, CancellationToken.None));
        updated.ModifiedAt.ShouldBeGreaterThan(created.ModifiedAt);
        Google.Event(installed.CalendarId, created.RemoteId)!["summary"]!.GetValue<string>().ShouldBe("Quarterly review (moved)");

        // A call or a note is an activity but not an event: refused without reaching Google, not retried.
        var before = Google.Provider.Requests.Count;
        var call = new JsonObject { ["id"] = "act_01JCALL", ["type"] = "call", ["subject"] = "Cold call", ["occurredAt"] = "2026-12-03T13:00:00Z" };
        var refused = await Should.ThrowAsync<ProviderException>(() => WithConnectorAsync(installed, (c, ctx) => c.Sync("events")!.PushAsync(ctx, null, call, CancellationToken.None)));
        refused.Retryable.ShouldBeFalse();
        Google.Provider.Requests.Count.ShouldBe(before);
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AnAccessTokenGoogleRefusesIsRefreshedOnceAndTheCallSucceeds()
    {
        var installed = await InstallAsync();
        Google.ExpireAccessToken(installed.AccessToken);
        var refreshesBefore = Google.Refreshes;
        var before = Google.Provider.Requests.Count;

        var test = await WithConnectorAsync(installed, (c, ctx) => c.TestAsync(ctx, CancellationToken.None));
        test.Status.ShouldBe(200);
        (Google.Refreshes - refreshesBefore).ShouldBe(1);
        var calls = Google.Provider.Requests.Skip(before).ToList();
        calls.Select(r => r.Path).ShouldBe([$"/calendar/v3/calendars/{installed.CalendarId}/events", "/token", $"/calendar/v3/calendars/{installed.CalendarId}/events"]);
        calls[0].Headers["authorization"].ShouldBe("Bearer " + installed.AccessToken);
        calls[1].Body.ShouldContain("grant_type=refresh_token");
        calls[2].Headers["authorization"].ShouldNotBe("Bearer " + installed.AccessToken);

        // The new token is stored: the next call uses it without refreshing again.
        var row = await RowAsync(installed.Row.Id);
        row.TokenVersion.ShouldBe(installed.Row.TokenVersion + 1);
        await RunAsync(installed, "create_event", new JsonObject { ["summary"] = "After refresh", ["start"] = "2026-12-10T09:00:00Z" });
        (Google.Refreshes - refreshesBefore).ShouldBe(1);
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task RateLimitsAreRetryableAndRefusalsAreNot()
    {
        var installed = await InstallAsync();
        var input = new JsonObject { ["summary"] = "Busy", ["start"] = "2026-12-10T09:00:00Z" };

        Google.FailNext(429, "rateLimitExceeded", "Rate Limit Exceeded", retryAfter: "7");
        var tooMany = await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "create_event", input));
        tooMany.Status.ShouldBe(429);
        tooMany.Retryable.ShouldBeTrue();
        tooMany.RetryAfter.ShouldBe(TimeSpan.FromSeconds(7));
        tooMany.ProviderError.ShouldBe("rateLimitExceeded: Rate Limit Exceeded");

        Google.FailNext(403, "userRateLimitExceeded", "User Rate Limit Exceeded");
        var userLimit = await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "create_event", input));
        (userLimit.Status, userLimit.Retryable, userLimit.RetryAfter).ShouldBe((403, true, (TimeSpan?)null)); // no Retry-After: the queue's backoff

        Google.FailNext(403, "rateLimitExceeded", "Rate Limit Exceeded", retryAfter: "3");
        (await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "create_event", input))).RetryAfter.ShouldBe(TimeSpan.FromSeconds(3));

        Google.FailNext(403, "forbiddenForNonOrganizer", "Shared properties can only be changed by the organizer of the event.", domain: "calendar");
        var forbidden = await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "create_event", input));
        (forbidden.Status, forbidden.Retryable).ShouldBe((403, false));

        Google.FailNext(503, "backendError", "Backend Error", domain: "global");
        (await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "create_event", input))).Retryable.ShouldBeTrue();

        var missing = await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "update_event", new JsonObject { ["eventId"] = "nosuchevent1", ["summary"] = "x" }));
        (missing.Status, missing.Retryable, missing.ProviderError).ShouldBe((404, false, "notFound: Not Found"));

        // Input Google would refuse never reaches it: a clear error, not retried.
        var bad = await Should.ThrowAsync<ProviderException>(() => RunAsync(installed, "create_event", new JsonObject { ["summary"] = "x", ["start"] = "next tuesday" }));
        (bad.Status, bad.Retryable).ShouldBe(((int?)null, false));
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task TheConnectionTestNamesGooglesErrorForACalendarThatDoesNotExist()
    {
        var installed = await InstallAsync();
        (await WithConnectorAsync(installed, (c, ctx) => c.TestAsync(ctx, CancellationToken.None))).IsSuccess.ShouldBeTrue();
        Google.FailNext(404, "notFound", "Not Found", domain: "global");
        var error = await Should.ThrowAsync<ProviderException>(() => WithConnectorAsync(installed, (c, ctx) => c.TestAsync(ctx, CancellationToken.None)));
        error.Message.ShouldContain("Not Found");
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task UninstallRevokesTheGrantAtGoogle()
    {
        var installed = await InstallAsync();
        await WithConnectorAsync(installed, async (c, ctx) => { await c.RevokeAsync(ctx, CancellationToken.None); return 0; });
        var revoke = Google.Provider.Requests.Last(r => r.Path == "/revoke");
        revoke.Method.ShouldBe("POST");
        revoke.Headers["content-type"].ShouldStartWith("application/x-www-form-urlencoded");
        revoke.Body.ShouldBe("token=" + Uri.EscapeDataString(installed.RefreshToken));
        revoke.Headers.ContainsKey("authorization").ShouldBeFalse();
        Google.IsRevoked(installed.RefreshToken).ShouldBeTrue();

        // Revoking again (a retried uninstall): Google's invalid_token is what uninstalling wants, not an error.
        await WithConnectorAsync(installed, async (c, ctx) => { await c.RevokeAsync(ctx, CancellationToken.None); return 0; });
        Google.Provider.AssertNoViolations();
    }
}

public sealed class GoogleCalendarTestsOnSqlite(GoogleCalendarSqliteNode fixture) : GoogleCalendarTests<GoogleCalendarSqliteNode>(fixture);

public sealed class GoogleCalendarTestsOnPostgres(GoogleCalendarPostgresNode fixture) : GoogleCalendarTests<GoogleCalendarPostgresNode>(fixture);
