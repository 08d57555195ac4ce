using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Contacts;
using Switchboard.Integrations;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>A node pointed at a HubSpot fake, shared by a suite's tests (each has its own organization and HubSpot portal).</summary>
public abstract class SyncNode : IAsyncLifetime
{
    public abstract SwitchboardFactory Node { get; }
    public HubSpotFake Fake { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Fake = await HubSpotFake.StartAsync();
        Fake.Clock = Node.Clock; // HubSpot's modification times and the CRM's on one clock, which tests move forward
        Node.PointedAt(Fake);
    }

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        await Fake.DisposeAsync();
    }
}

public sealed class SqliteSyncNode : SyncNode
{
    public override SwitchboardFactory Node { get; } = new SqliteSwitchboard();
}

public sealed class PostgresSyncNode : SyncNode
{
    public override SwitchboardFactory Node { get; } = new PostgresSwitchboard();
}

/// <summary>
/// Syncs over real HTTP against the HubSpot fake: full and incremental runs and their counts, the id map, two-way
/// conflicts resolved per field without echoing the sync's own writes, token refresh, 429 backoff, the API's refusals
/// and tenancy. (The SIGKILL resume is <see cref="SyncCrashTests"/>.)
/// </summary>
public abstract class SyncTests<TNode>(TNode fixture) : IClassFixture<TNode> where TNode : SyncNode
{
    private SwitchboardFactory Node => fixture.Node;
    private HubSpotFake Fake => fixture.Fake;

    private async Task<(ApiClient Client, string Organization)> SignupAsync()
    {
        var client = Node.Client();
        try
        {
            var organization = (await client.SignupAsync())["organization"]!["id"]!.GetValue<string>();
            return (client, organization);
        }
        catch (Shouldly.ShouldAssertException ex)
        {
            throw new InvalidOperationException(ex.Message + "\n" + string.Join("\n", Node.Logs.Lines.Where(l => l.StartsWith("Error", StringComparison.Ordinal))), ex);
        }
    }

    [Fact]
    public async Task AFullSyncAddsEveryContactAndAnIncrementalOneOnlyWhatChanged()
    {
        var (client, organization) = await SignupAsync();
        using var _ = client;
        var portal = Fake.NewPortal();
        portal.SeedContacts(250);
        var installation = await Node.InstallHubSpotAsync(organization, portal);

        var full = await client.SyncAsync(installation, "contacts");
        (full.Count("added"), full.Count("updated"), full.Count("failed")).ShouldBe((250, 0, 0));
        full["trigger"]!.GetValue<string>().ShouldBe("manual");
        portal.Searches.Count.ShouldBe(3); // 100 + 100 + 50
        portal.Searches.First()["filterGroups"].ShouldBeNull(); // the first run reads everything

        var contacts = await client.GetJsonAsync("/api/v1/contacts?email=seed7@example.com");
        var contact = contacts["data"]!.AsArray().Single()!;
        (contact["firstName"]!.GetValue<string>(), contact["company"]!.GetValue<string>()).ShouldBe(("Seed7", "Acme"));
        contact["phone"]!.GetValue<string>().ShouldBe("+14155551007"); // HubSpot's "+1 (415) 555-1007" as E.164

        // Three changed in HubSpot and two new: the next run reads from the high-water mark on.
        var changed = portal.Contacts.Values.OrderBy(c => long.Parse(c.Id)).Take(3).ToList();
        foreach (var c in changed) portal.Change("contacts", c.Id, new() { ["jobtitle"] = "Buyer" });
        portal.Add("contacts", new() { ["firstname"] = "New", ["email"] = "new1@example.com" });
        portal.Add("contacts", new() { ["firstname"] = "New", ["email"] = "new2@example.com" });
        var searchesBefore = portal.Searches.Count;
        var incremental = await client.SyncAsync(installation, "contacts");
        (incremental.Count("added"), incremental.Count("updated"), incremental.Count("failed")).ShouldBe((2, 3, 0));
        var filter = portal.Searches.Skip(searchesBefore).First()["filterGroups"]![0]!["filters"]![0]!;
        filter["operator"]!.GetValue<string>().ShouldBe("GTE");
        (await client.GetJsonAsync("/api/v1/contacts?email=" + changed[0].Properties["email"]))["data"]![0]!["jobTitle"]!.GetValue<string>().ShouldBe("Buyer");

        var links = await Node.WithDbAsync(db => db.Set<IntegrationRecordLink>().IgnoreQueryFilters().Where(l => l.InstallationId == installation).ToListAsync());
        links.Count.ShouldBe(252);
        links.Select(l => l.RemoteId).Distinct().Count().ShouldBe(252);
        (await Node.WithDbAsync(db => db.Set<Contact>().IgnoreQueryFilters().CountAsync(c => c.OrganizationId == organization))).ShouldBe(252);

        // The synced writes went through the CRM's write path: their events are in the outbox.
        (await Node.EventsForAsync(links[0].LocalId)).Select(e => e.Type).ShouldContain("contact.created");
        var state = await Node.WithDbAsync(db => db.Set<IntegrationSyncState>().IgnoreQueryFilters().SingleAsync(s => s.InstallationId == installation && s.Model == "contacts"));
        state.Cursor.ShouldNotBeNull();
        state.NextRunAt.ShouldNotBeNull();
        (await Node.WithDbAsync(db => db.OutboxEvents.IgnoreQueryFilters().CountAsync(e => e.ResourceId == installation && e.Type == IntegrationResources.SyncCompletedEvent)))
            .ShouldBe(2);

        // The runs, newest first, paged.
        var runs = await client.GetJsonAsync($"/api/v1/integrations/{installation}/sync-runs?limit=1");
        runs["data"]![0]!["id"]!.GetValue<string>().ShouldBe(incremental["id"]!.GetValue<string>());
        runs["hasMore"]!.GetValue<bool>().ShouldBeTrue();
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AContactChangedWhileARunPagesIsNeitherMissedNorAddedTwice()
    {
        var (client, organization) = await SignupAsync();
        using var _ = client;
        var portal = Fake.NewPortal();
        portal.SeedContacts(250, "Moving");
        portal.Hold = ("contacts", 3);
        var installation = await Node.InstallHubSpotAsync(organization, portal);

        var runId = (await client.StartSyncAsync(installation, "contacts")).Single()!["id"]!.GetValue<string>();
        await portal.HeldReached.Task.WaitAsync(TimeSpan.FromSeconds(20));
        // A contact of page 2 changes in HubSpot: it moves to the end of the results. With offset paging the contact behind
        // it would slide into page 2's range and never be read.
        var moved = portal.Sorted("contacts")[150];
        portal.Change("contacts", moved.Id, new() { ["jobtitle"] = "Moved" });
        portal.Release.SetResult();
        var run = await client.WaitForRunAsync(installation, runId);

        run["status"]!.GetValue<string>().ShouldBe("succeeded", run.ToJsonString());
        (run.Count("added"), run.Count("updated"), run.Count("failed")).ShouldBe((250, 1, 0));
        var links = await Node.WithDbAsync(db => db.Set<IntegrationRecordLink>().IgnoreQueryFilters().Where(l => l.InstallationId == installation).ToListAsync());
        links.Select(l => l.RemoteId).Order().ShouldBe(portal.Contacts.Keys.Order());
        links.Select(l => l.LocalId).Distinct().Count().ShouldBe(250);
        (await Node.WithDbAsync(db => db.Set<Contact>().IgnoreQueryFilters().CountAsync(c => c.OrganizationId == organization))).ShouldBe(250);
        var local = links.Single(l => l.RemoteId == moved.Id).LocalId;
        (await client.GetJsonAsync($"/api/v1/contacts/{local}"))["jobTitle"]!.GetValue<string>().ShouldBe("Moved");
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task BothSidesChangedIsResolvedPerFieldAndTheNextRunDoesNotEchoItsOwnWrites()
    {
        var (client, organization) = await SignupAsync();
        using var _ = client;
        var portal = Fake.NewPortal();
        var remote = portal.Add("contacts", new() { ["firstname"] = "Ada", ["lastname"] = "Lovelace", ["email"] = "ada@example.com", ["jobtitle"] = "Analyst" });
        var config = new JsonObject { ["conflictWinner"] = new JsonObject { ["jobTitle"] = "local", ["*"] = "newest" } };
        var installation = await Node.InstallHubSpotAsync(organization, portal, config);
        await client.SyncAsync(installation, "contacts");
        var local = (await client.GetJsonAsync("/api/v1/contacts?email=ada@example.com"))["data"]![0]!["id"]!.GetValue<string>();

        // A local edit, then a later one in HubSpot, to some of the same fields.
        (await client.PatchAsync($"/api/v1/contacts/{local}", new { jobTitle = "Local CTO", lastName = "Local Name" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        await Task.Delay(5);
        portal.Change("contacts", remote.Id, new() { ["jobtitle"] = "Remote Chief", ["lastname"] = "Byron", ["firstname"] = "Augusta" });

        var writesBefore = portal.Writes.Count;
        var run = await client.SyncAsync(installation, "contacts");
        run.Count("failed").ShouldBe(0);
        var merged = await client.GetJsonAsync($"/api/v1/contacts/{local}");
        merged["jobTitle"]!.GetValue<string>().ShouldBe("Local CTO"); // configured: local wins jobTitle
        merged["lastName"]!.GetValue<string>().ShouldBe("Byron");     // newest wins: HubSpot's edit came later
        merged["firstName"]!.GetValue<string>().ShouldBe("Augusta");  // only HubSpot changed it
        // The local winner went to HubSpot in the same run.
        var pushed = portal.Writes.Skip(writesBefore).ShouldHaveSingleItem();
        (pushed.Method, pushed.Id, pushed.Properties["jobtitle"]!.GetValue<string>()).ShouldBe(("PATCH", remote.Id, "Local CTO"));
        remote.Properties["lastname"].ShouldBe("Byron");

        // Nothing changed since: the next run reads its own write back from HubSpot and leaves both sides alone.
        var updatedAt = merged["updatedAt"]!.GetValue<DateTime>();
        var eventsBefore = (await Node.EventsForAsync(local)).Count;
        writesBefore = portal.Writes.Count;
        var quiet = await client.SyncAsync(installation, "contacts");
        (quiet.Count("added"), quiet.Count("updated"), quiet.Count("failed")).ShouldBe((0, 0, 0));
        portal.Writes.Count.ShouldBe(writesBefore);
        (await client.GetJsonAsync($"/api/v1/contacts/{local}"))["updatedAt"]!.GetValue<DateTime>().ShouldBe(updatedAt);
        (await Node.EventsForAsync(local)).Count.ShouldBe(eventsBefore);

        // A local-only change is pushed, once.
        (await client.PatchAsync($"/api/v1/contacts/{local}", new { company = "Analytical Engines" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var push = await client.SyncAsync(installation, "contacts");
        push.Count("updated").ShouldBe(1);
        remote.Properties["company"].ShouldBe("Analytical Engines");
        writesBefore = portal.Writes.Count;
        (await client.SyncAsync(installation, "contacts")).Count("updated").ShouldBe(0);
        portal.Writes.Count.ShouldBe(writesBefore);

        // A contact made in the CRM is created in HubSpot and linked.
        (await client.PostAsync("/api/v1/contacts", new { firstName = "Grace", email = "grace@example.com" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await client.SyncAsync(installation, "contacts")).Count("added").ShouldBe(1);
        portal.Contacts.Values.ShouldContain(c => c.Properties["email"] == "grace@example.com");
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task MoreLocalContactsThanOneScanHoldsArePushedOnceEachAndThenLeftAlone()
    {
        var (client, organization) = await SignupAsync();
        using var _ = client;
        var portal = Fake.NewPortal();
        // The push phase scans the organization's contacts 1,000 at a time, in (updatedAt, id) order.
        const int Local = 1_050;
        for (var i = 0; i < Local; i++)
            (await client.PostAsync("/api/v1/contacts", new { firstName = $"Local{i}", email = $"local{i}@example.com" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var installation = await Node.InstallHubSpotAsync(organization, portal);

        var run = await client.SyncAsync(installation, "contacts");
        (run.Count("added"), run.Count("failed")).ShouldBe((Local, 0));
        portal.Writes.Count(w => w.Method == "POST").ShouldBe(Local);
        portal.Contacts.Values.Select(c => c.Properties["email"]).Distinct().Count().ShouldBe(Local);
        var links = await Node.WithDbAsync(db => db.Set<IntegrationRecordLink>().IgnoreQueryFilters().Where(l => l.InstallationId == installation).ToListAsync());
        links.Select(l => l.LocalId).Distinct().Count().ShouldBe(Local);

        // The next run reads the pushed contacts back and pushes nothing.
        var writes = portal.Writes.Count;
        var next = await client.SyncAsync(installation, "contacts");
        (next.Count("added"), next.Count("updated"), next.Count("failed")).ShouldBe((0, 0, 0));
        portal.Writes.Count.ShouldBe(writes);
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task DealStagesAreMappedBothWays()
    {
        var (client, organization) = await SignupAsync();
        using var _ = client;
        var portal = Fake.NewPortal();
        portal.Add("deals", new() { ["dealname"] = "Big one", ["amount"] = "1500.50", ["dealstage"] = "qualifiedtobuy", ["pipeline"] = "default",
            ["closedate"] = "2027-03-01T00:00:00.000Z", ["deal_currency_code"] = "EUR" });
        var config = new JsonObject { ["stageMapping"] = new JsonObject { ["won"] = "custom_won" }, ["pipeline"] = "sales" };
        var installation = await Node.InstallHubSpotAsync(organization, portal, config);
        (await client.SyncAsync(installation, "deals")).Count("added").ShouldBe(1);
        var deal = (await client.GetJsonAsync("/api/v1/deals"))["data"]![0]!;
        (deal["name"]!.GetValue<string>(), deal["stage"]!.GetValue<string>(), deal["amount"]!.GetValue<decimal>(), deal["currency"]!.GetValue<string>(),
            deal["expectedCloseDate"]!.GetValue<string>()).ShouldBe(("Big one", "qualification", 1500.50m, "EUR", "2027-03-01"));

        (await client.PostAsync("/api/v1/deals", new { name = "Won here", amount = 99, stage = "won" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await client.SyncAsync(installation, "deals")).Count("added").ShouldBe(1);
        var created = portal.Writes.ShouldHaveSingleItem();
        (created.Method, created.Properties["dealstage"]!.GetValue<string>(), created.Properties["pipeline"]!.GetValue<string>(), created.Properties["amount"]!.GetValue<string>())
            .ShouldBe(("POST", "custom_won", "sales", "99"));
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AnExpiredAccessTokenIsRefreshedOnceAndTheRunGoesOn()
    {
        var (client, organization) = await SignupAsync();
        using var _ = client;
        var portal = Fake.NewPortal();
        portal.SeedContacts(120, "Tok");
        var installation = await Node.InstallHubSpotAsync(organization, portal);
        Fake.Expire(portal); // HubSpot now answers 401 EXPIRED_AUTHENTICATION to the stored token

        var run = await client.SyncAsync(installation, "contacts");
        run.Count("added").ShouldBe(120);
        portal.Refreshes.ShouldBe(1);
        Fake.Provider.Requests.Count(r => r.Path == "/oauth/v1/token" && r.Body.Contains("rt-" + portal.Number, StringComparison.Ordinal)).ShouldBe(1);
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task ARateLimitedRunWaitsForHubSpotsWindowAndResumes()
    {
        var (client, organization) = await SignupAsync();
        using var _ = client;
        var portal = Fake.NewPortal();
        portal.SeedContacts(150, "Rate");
        var installation = await Node.InstallHubSpotAsync(organization, portal);
        portal.RateLimitNext = 1;
        var runId = (await client.StartSyncAsync(installation, "contacts")).Single()!["id"]!.GetValue<string>();

        // The 429 named a 10-second window: the run waits (still running, the error noted), and asks nothing meanwhile.
        JsonObject run;
        do { await Task.Delay(50); run = await client.GetJsonAsync($"/api/v1/integrations/{installation}/sync-runs/{runId}"); }
        while (run["errors"]!.AsArray().Count == 0);
        run["status"]!.GetValue<string>().ShouldBe("running");
        run["errors"]![0]!.GetValue<string>().ShouldContain("TEN_SECONDLY_ROLLING");
        await Task.Delay(1000);
        portal.Calls.ShouldBe(1);

        Node.Clock.Advance(TimeSpan.FromSeconds(11));
        var done = await client.WaitForRunAsync(installation, runId);
        done["status"]!.GetValue<string>().ShouldBe("succeeded");
        done.Count("added").ShouldBe(150);
        done["attempts"]!.GetValue<int>().ShouldBe(1);
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AnActiveInstallationIsSyncedOnItsScheduleByOneRun()
    {
        var (client, organization) = await SignupAsync();
        using var _ = client;
        var portal = Fake.NewPortal();
        portal.SeedContacts(30, "Sched");
        var installation = await Node.InstallHubSpotAsync(organization, portal, new JsonObject { ["syncIntervalSeconds"] = 60 });

        // The scheduler gives the installation its schedule: the first run one interval after it is first seen.
        IntegrationSyncState? state = null;
        for (var i = 0; i < 100 && state is null; i++)
        {
            await Task.Delay(50);
            state = await Node.WithDbAsync(db => db.Set<IntegrationSyncState>().IgnoreQueryFilters()
                .FirstOrDefaultAsync(s => s.InstallationId == installation && s.Model == "contacts"));
        }
        state.ShouldNotBeNull();
        state.IntervalSeconds.ShouldBe(60);
        (await client.GetJsonAsync($"/api/v1/integrations/{installation}/sync-runs"))["data"]!.AsArray().ShouldBeEmpty();

        Node.Clock.Advance(TimeSpan.FromSeconds(61));
        JsonArray runs;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            await Task.Delay(100);
            runs = (await client.GetJsonAsync($"/api/v1/integrations/{installation}/sync-runs"))["data"]!.AsArray();
        } while ((runs.Count < 2 || runs.Any(r => r!["status"]!.GetValue<string>() is "queued" or "running")) && DateTime.UtcNow < deadline);
        runs.Select(r => (r!["model"]!.GetValue<string>(), r["trigger"]!.GetValue<string>(), r["status"]!.GetValue<string>())).Order()
            .ShouldBe([("contacts", "scheduled", "succeeded"), ("deals", "scheduled", "succeeded")]);
        runs.Single(r => r!["model"]!.GetValue<string>() == "contacts")!.AsObject().Count("added").ShouldBe(30);
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task TheApiRefusesWhatItCannotRunAndHidesOtherOrganizationsInstallations()
    {
        var (client, organization) = await SignupAsync();
        using var _ = client;
        var portal = Fake.NewPortal();
        portal.SeedContacts(250, "Busy");
        portal.Hold = ("contacts", 2);
        var installation = await Node.InstallHubSpotAsync(organization, portal);

        // While a contacts run is in progress, another is refused; the deals model alone still queues.
        var all = await client.StartSyncAsync(installation);
        all.Select(r => r!["model"]!.GetValue<string>()).Order().ShouldBe(["contacts", "deals"]);
        await portal.HeldReached.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await (await client.PostAsync($"/api/v1/integrations/{installation}/sync", new { model = "contacts" })).ShouldBeProblemAsync(HttpStatusCode.Conflict, "conflict");
        portal.Release.SetResult();
        foreach (var run in all) await client.WaitForRunAsync(installation, run!["id"]!.GetValue<string>());

        await (await client.PostAsync($"/api/v1/integrations/{installation}/sync", new { model = "tickets" })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");

        var pending = await Node.InstallHubSpotAsync(organization, Fake.NewPortal(), status: InstallationStatus.NeedsReauth);
        await (await client.PostAsync($"/api/v1/integrations/{pending}/sync", new { })).ShouldBeProblemAsync(HttpStatusCode.Conflict, "conflict");

        // Another organization sees none of it.
        var (other, _) = await SignupAsync();
        using var __ = other;
        await (await other.PostAsync($"/api/v1/integrations/{installation}/sync", new { })).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await other.GetAsync($"/api/v1/integrations/{installation}/sync-runs")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await other.GetAsync($"/api/v1/integrations/{installation}/sync-runs/{all[0]!["id"]}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        Fake.Provider.AssertNoViolations();
    }
}

public sealed class SyncTestsOnSqlite(SqliteSyncNode fixture) : SyncTests<SqliteSyncNode>(fixture);
public sealed class SyncTestsOnPostgres(PostgresSyncNode fixture) : SyncTests<PostgresSyncNode>(fixture);
