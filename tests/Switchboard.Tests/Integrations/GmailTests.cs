using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Integrations;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Providers.Gmail;
using Switchboard.Platform;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;
using static Switchboard.Tests.Integrations.ActionsTestKit;

namespace Switchboard.Tests.Integrations;

/// <summary>A node whose Gmail provider (OAuth client, token, revoke and API URLs) points at a <see cref="GmailFake"/>, with a fast scheduler.</summary>
public abstract class GmailNode : ProviderFakeNode<GmailFake>
{
    protected override Task<GmailFake> StartFakeAsync() => GmailFake.StartAsync();

    protected override IEnumerable<(string Key, string Value)> Settings(GmailFake fake)
    {
        const string Prefix = "Switchboard:Integrations:Providers:gmail:";
        return
        [
            (Prefix + "ClientId", GmailFake.ClientId), (Prefix + "ClientSecret", GmailFake.ClientSecret), (Prefix + "TokenUrl", fake.TokenUrl),
            (Prefix + "RevokeUrl", fake.RevokeUrl), (Prefix + "BaseUrls:api", fake.ApiBaseUrl),
            ("Switchboard:Integrations:SchedulerPollSeconds", "0.1"), ("Switchboard:Integrations:SyncLeaseSeconds", "5"),
        ];
    }
}

public sealed class GmailSqliteNode : GmailNode
{
    protected override SwitchboardFactory Create() => new SqliteSwitchboard();
}

public sealed class GmailPostgresNode : GmailNode
{
    protected override SwitchboardFactory Create() => new PostgresSwitchboard();
}

/// <summary>
/// The Gmail connector against a fake of the Gmail API and Google's OAuth endpoints over real HTTP, with installations
/// and tokens stored in the node's database as the installations API and OAuth callback store them; sends decoded as a
/// mail server would read them, syncs run by the real sync engine, rules by the real action queue. Every test ends with
/// the fake finding nothing Google's documentation does not allow.
/// </summary>
public abstract class GmailTests<TNode>(TNode fixture) : IClassFixture<TNode> where TNode : GmailNode
{
    private GmailFake Google => fixture.Fake;
    private SwitchboardFactory Node => fixture.Node;

    private sealed record Installed(ApiClient Owner, IntegrationInstallation Row, GmailFake.Mailbox Mailbox, string AccessToken, string RefreshToken);

    /// <summary>An organization's connected Gmail installation (the owner's client signed in), its mailbox at the fake.</summary>
    private async Task<Installed> InstallAsync(JsonObject? config = null, string scope = GmailFake.BothScopes)
    {
        var owner = Node.Client();
        await owner.SignupAsync();
        var id = Ids.New(IntegrationResources.Installations, Node.Clock);
        var now = Node.Clock.GetUtcNow().UtcDateTime;
        await using (var db = Node.Services.CreateAsyncScope())
        {
            var context = db.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            context.Set<IntegrationInstallation>().Add(new IntegrationInstallation
            {
                Id = id, OrganizationId = owner.OrganizationId!, ProviderKey = GmailConnector.Key, Name = "Sales mailbox",
                Config = (config ?? new JsonObject { ["fromName"] = "Acme Sales" }).ToJsonString(), Status = InstallationStatus.Active,
                CreatedAt = now, UpdatedAt = now,
            });
            await context.SaveChangesAsync();
        }
        var (access, refresh, mailbox) = Google.IssueGrant($"sales-{Guid.NewGuid():N}@acme.example", scope);
        await Node.Services.GetRequiredService<ProviderTokenStore>().StoreAsync(id,
            new ProviderTokens(access, refresh, now.AddHours(1), scope, "Bearer"), CancellationToken.None);
        return new Installed(owner, await RowAsync(id), mailbox, access, refresh);
    }

    private async Task<IntegrationInstallation> RowAsync(string id)
    {
        await using var scope = Node.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>().Set<IntegrationInstallation>().IgnoreQueryFilters().AsNoTracking()
            .SingleAsync(i => i.Id == id);
    }

    private async Task<T> WithConnectorAsync<T>(Installed installed, Func<Connector, ConnectorContext, Task<T>> use)
    {
        await using var scope = Node.Services.CreateAsyncScope();
        var (connector, context) = Node.Services.GetRequiredService<ConnectorContexts>().For(await RowAsync(installed.Row.Id), scope.ServiceProvider);
        return await use(connector, context);
    }

    private Task<ProviderResponse> SendAsync(Installed installed, JsonObject input) =>
        WithConnectorAsync(installed, (connector, context) => connector.RunActionAsync(context, GmailDefinition.SendEmail, input, CancellationToken.None));

    /// <summary>This installation's calls to Gmail (its mailbox's) to a path ending in <paramref name="pathSuffix"/>, after the first <paramref name="after"/>.</summary>
    private static List<FakeProvider.Recorded> Calls(Installed installed, string pathSuffix, int after = 0) =>
        installed.Mailbox.Calls.Skip(after).Where(r => r.Path.EndsWith(pathSuffix, StringComparison.Ordinal)).ToList();

    private static async Task<string> CreateAsync(ApiClient owner, string path, object body)
    {
        var response = await owner.PostAsync(path, body);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await ApiClient.ReadAsync(response))["id"]!.GetValue<string>();
    }

    private static async Task<List<JsonObject>> ActivitiesAsync(ApiClient owner, string filter) =>
        (await owner.GetJsonAsync($"/api/v1/activities?{filter}&limit=100"))["data"]!.AsArray().Select(a => a!.AsObject()).ToList();

    [Fact]
    public void TheCatalogDeclaresGmailWithGooglesOAuthAndTheNarrowestScopes()
    {
        var definition = Node.Services.GetRequiredService<ProviderCatalog>().Find(GmailConnector.Key)!.Definition;
        definition.Category.ShouldBe(ProviderCategory.Email);
        definition.Auth.Kind.ShouldBe(ProviderAuthKind.OAuth2);
        definition.Auth.AuthorizeUrl.ShouldBe("https://accounts.google.com/o/oauth2/v2/auth");
        definition.Auth.TokenUrl.ShouldBe("https://oauth2.googleapis.com/token");
        definition.Auth.RevokeUrl.ShouldBe("https://oauth2.googleapis.com/revoke");
        definition.Auth.Scopes.ShouldBe(["https://www.googleapis.com/auth/gmail.send", "https://www.googleapis.com/auth/gmail.readonly"]);
        definition.Auth.Pkce.ShouldBeTrue();
        definition.Auth.AuthorizeParameters!["access_type"].ShouldBe("offline");
        definition.Auth.AuthorizeParameters["prompt"].ShouldBe("consent");
        definition.BaseUrls["api"].ShouldBe("https://gmail.googleapis.com/gmail/v1");
        definition.Actions.Select(a => a.Name).ShouldBe(["send_email"]);
        var sync = definition.Syncs.ShouldHaveSingleItem();
        (sync.Model, sync.LocalResource, sync.Direction).ShouldBe(("messages", "activities", SyncDirection.Pull));
        var schema = JsonNode.Parse(definition.ConfigSchema)!["properties"]!;
        schema["labelIds"]!["default"]!.AsArray().Select(l => l!.GetValue<string>()).ShouldBe(["INBOX", "SENT"]);
        schema["initialSyncDays"]!["default"]!.GetValue<int>().ShouldBe(30);
        schema["fromName"]!["title"].ShouldNotBeNull();
    }

    [Fact]
    public async Task SendBuildsAMultipartMimeMessageWithEncodedUtf8Headers()
    {
        var installed = await InstallAsync();
        using var _ = installed.Owner;
        const string Subject = "Ihr Angebot für Straße 5 — Bestätigung 🎉 with a long tail so that it needs more than one encoded-word to carry it";
        var response = await SendAsync(installed, new JsonObject
        {
            ["to"] = "\"Lovelace, Ada\" <ada@example.com>, grace@example.com",
            ["cc"] = new JsonArray("Jürgen Groß <juergen@example.de>"),
            ["bcc"] = "audit@acme.example",
            ["replyTo"] = "support@acme.example",
            ["subject"] = Subject,
            ["text"] = "Hallo Ada,\nhier ist Ihr Angebot. Grüße",
            ["html"] = "<p>Hallo Ada,</p><p>hier ist Ihr <b>Angebot</b>. Grüße</p>",
            ["threadId"] = "18c0aa11bb22cc33",
            ["inReplyTo"] = "<CAF1234@mail.gmail.com>",
        });

        response.Status.ShouldBe(200);
        response.Json()!["labelIds"]!.AsArray().Single()!.GetValue<string>().ShouldBe("SENT");
        var sent = GmailFake.SentMessages(installed.Mailbox).ShouldHaveSingleItem();
        sent.ThreadId.ShouldBe("18c0aa11bb22cc33");
        sent.Header("Subject").ShouldBe(Subject); // decoded from encoded-words, as a mail client shows it
        sent.Raw!.ShouldContain("Subject: =?UTF-8?B?");
        sent.Header("From").ShouldBe($"\"Acme Sales\" <{installed.Mailbox.Address}>");
        GmailFake.Addresses(sent.Header("To")!).ShouldBe(["ada@example.com", "grace@example.com"]);
        sent.Header("To")!.ShouldStartWith("\"Lovelace, Ada\" <ada@example.com>");
        sent.Header("Cc").ShouldBe("Jürgen Groß <juergen@example.de>");
        sent.Header("Bcc").ShouldBe("audit@acme.example");
        sent.Header("Reply-To").ShouldBe("support@acme.example");
        sent.Header("In-Reply-To").ShouldBe("<CAF1234@mail.gmail.com>");
        sent.Header("References").ShouldBe("<CAF1234@mail.gmail.com>");
        sent.ContentType!.ShouldStartWith("multipart/alternative; boundary=");
        sent.Text.ShouldBe("Hallo Ada,\nhier ist Ihr Angebot. Grüße");
        sent.Html.ShouldBe("<p>Hallo Ada,</p><p>hier ist Ihr <b>Angebot</b>. Grüße</p>");
        // The raw message went out as base64url (no '+', '/' or padding) in a JSON body, with the bearer token.
        var call = Google.Provider.Requests.Last(r => r.Path.EndsWith("/messages/send", StringComparison.Ordinal)
            && r.Headers["authorization"] == "Bearer " + installed.AccessToken);
        var raw = JsonNode.Parse(call.Body)!["raw"]!.GetValue<string>();
        raw.ShouldNotContain("+");
        raw.ShouldNotContain("/");
        raw.ShouldNotEndWith("=");
        call.Headers["content-type"].ShouldStartWith("application/json");

        // Text alone is a single text/plain part, not multipart.
        (await SendAsync(installed, new JsonObject { ["to"] = "ada@example.com", ["subject"] = "Plain", ["text"] = "Just text." })).Status.ShouldBe(200);
        var plain = GmailFake.SentMessages(installed.Mailbox).Last();
        plain.ContentType.ShouldBe("text/plain; charset=UTF-8");
        plain.Text.ShouldBe("Just text.");
        plain.Header("Subject").ShouldBe("Plain");
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task HeaderInjectionAndBadAddressesAreRefusedBeforeAnyCallAndNotRetried()
    {
        var installed = await InstallAsync();
        using var _ = installed.Owner;
        var before = installed.Mailbox.Calls.Count;
        var inputs = new[]
        {
            new JsonObject { ["to"] = "ada@example.com", ["subject"] = "Hello\r\nBcc: victim@example.com", ["text"] = "x" },
            new JsonObject { ["to"] = "ada@example.com\nBcc: victim@example.com", ["subject"] = "Hello", ["text"] = "x" },
            new JsonObject { ["to"] = new JsonArray("Ada\r\n <ada@example.com>"), ["subject"] = "Hello", ["text"] = "x" },
            new JsonObject { ["to"] = "ada@example.com", ["subject"] = "Hello", ["text"] = "x", ["inReplyTo"] = "<a@b>\r\nX-Evil: 1" },
            new JsonObject { ["to"] = "not an address", ["subject"] = "Hello", ["text"] = "x" },
            new JsonObject { ["to"] = "ada@example.com", ["subject"] = "Hello" },
            new JsonObject { ["subject"] = "Hello", ["text"] = "x" },
        };
        foreach (var input in inputs)
        {
            var refused = await Should.ThrowAsync<ProviderException>(() => SendAsync(installed, input));
            (refused.Status, refused.Retryable).ShouldBe(((int?)null, false), input.ToJsonString());
        }
        (await Should.ThrowAsync<ProviderException>(() => SendAsync(installed, inputs[0]))).Message.ShouldContain("header injection");
        installed.Mailbox.Calls.Skip(before).ShouldBeEmpty("nothing that can never work reaches Gmail");
        GmailFake.SentMessages(installed.Mailbox).ShouldBeEmpty();

        // The installation's sender name is a header too.
        var named = await InstallAsync(new JsonObject { ["fromName"] = "Acme\r\nBcc: victim@example.com" });
        using var __ = named.Owner;
        (await Should.ThrowAsync<ProviderException>(() => SendAsync(named, new JsonObject { ["to"] = "ada@example.com", ["subject"] = "Hi", ["text"] = "x" })))
            .Retryable.ShouldBeFalse();
        Calls(named, "/messages/send").ShouldBeEmpty();
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task ARuleSendsFromItsTemplateAndA429IsWaitedOutThenSucceeds()
    {
        var installed = await InstallAsync();
        using var owner = installed.Owner;
        await CreateRuleAsync(owner, installed.Row.Id, new
        {
            events = new[] { "contact.created" },
            action = "send_email",
            input = new { to = "{{data.firstName}} <{{data.email}}>", subject = "Welcome, {{data.firstName}}", text = "Hello {{data.firstName}}, thanks for signing up." },
        });
        Google.FailNext("/messages/send", 429, "rateLimitExceeded", "Rate Limit Exceeded", retryAfter: "1");
        var contact = await CreateAsync(owner, "/api/v1/contacts", new { firstName = "Zoë", email = "zoe@example.com" });

        var runs = await RunsAsync(owner, installed.Row.Id, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "succeeded");
        var run = runs.Single()!;
        run["status"]!.GetValue<string>().ShouldBe("succeeded", run.ToJsonString());
        run["attemptLog"]!.AsArray().Select(a => a!["statusCode"]!.GetValue<int>()).ShouldBe([429, 200]);
        var sends = Calls(installed, "/messages/send").OrderBy(c => c.At).ToList();
        sends.Count.ShouldBe(2);
        // Gmail asked for a second; the schedule's own first retry would have come sooner.
        (sends[1].At - sends[0].At).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(0.95));
        var sent = GmailFake.SentMessages(installed.Mailbox).ShouldHaveSingleItem();
        sent.Header("To").ShouldBe("Zoë <zoe@example.com>");
        sent.Header("Subject").ShouldBe("Welcome, Zoë");
        sent.Text.ShouldBe("Hello Zoë, thanks for signing up.");
        contact.ShouldStartWith("con_");
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task InsufficientPermissionsIsNotRetriedWhileRateLimitsAre()
    {
        // A grant without gmail.send (the user unticked it on Google's consent screen).
        var readOnly = await InstallAsync(scope: GmailFake.ReadScope);
        using var owner = readOnly.Owner;
        var input = new JsonObject { ["to"] = "ada@example.com", ["subject"] = "Hi", ["text"] = "x" };
        var refused = await Should.ThrowAsync<ProviderException>(() => SendAsync(readOnly, input));
        (refused.Status, refused.Retryable, refused.ProviderError).ShouldBe((403, false, "insufficientPermissions: Request had insufficient authentication scopes."));

        // Through the queue: one attempt, then dead (no retry schedule for a refusal).
        await CreateRuleAsync(owner, readOnly.Row.Id, new { events = new[] { "contact.created" }, action = "send_email", input = new { to = "{{data.email}}", subject = "Hi", text = "x" } });
        await CreateAsync(owner, "/api/v1/contacts", new { firstName = "Ada", email = "ada@example.com" });
        var run = (await RunsAsync(owner, readOnly.Row.Id, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "dead")).Single()!;
        run["status"]!.GetValue<string>().ShouldBe("dead", run.ToJsonString());
        run["attemptLog"]!.AsArray().Select(a => a!["statusCode"]!.GetValue<int>()).ShouldBe([403]);

        var installed = await InstallAsync();
        using var _ = installed.Owner;
        Google.FailNext("/messages/send", 403, "userRateLimitExceeded", "User-rate limit exceeded");
        var userLimit = await Should.ThrowAsync<ProviderException>(() => SendAsync(installed, input));
        (userLimit.Status, userLimit.Retryable, userLimit.RetryAfter).ShouldBe((403, true, (TimeSpan?)null)); // the queue's own backoff
        Google.FailNext("/messages/send", 429, "rateLimitExceeded", "Rate Limit Exceeded", retryAfter: "7");
        var tooMany = await Should.ThrowAsync<ProviderException>(() => SendAsync(installed, input));
        (tooMany.Status, tooMany.Retryable, tooMany.RetryAfter).ShouldBe((429, true, (TimeSpan?)TimeSpan.FromSeconds(7)));
        tooMany.Message.ShouldStartWith("Gmail answered 429");
        Google.FailNext("/messages/send", 500, "backendError", "Backend Error", domain: "global");
        (await Should.ThrowAsync<ProviderException>(() => SendAsync(installed, input))).Retryable.ShouldBeTrue();
        GmailFake.SentMessages(installed.Mailbox).ShouldBeEmpty();
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AnExpiredAccessTokenIsRefreshedExactlyOnceAndTheConnectionTestSucceeds()
    {
        var installed = await InstallAsync();
        using var _ = installed.Owner;
        Google.ExpireAccessToken(installed.AccessToken);
        var refreshes = Google.Refreshes;
        var before = Google.Provider.Requests.Count;

        var test = await WithConnectorAsync(installed, (connector, context) => connector.TestAsync(context, CancellationToken.None));

        test.Status.ShouldBe(200);
        test.Json()!["emailAddress"]!.GetValue<string>().ShouldBe(installed.Mailbox.Address);
        (Google.Refreshes - refreshes).ShouldBe(1);
        var calls = Google.Provider.Requests.Skip(before).Select(r => $"{r.Method} {r.Path}").ToList();
        calls.ShouldBe(["GET /gmail/v1/users/me/profile", "POST /token", "GET /gmail/v1/users/me/profile"]);
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task TheSyncLogsMatchedMailOnContactsAndLeadsThenFollowsTheHistoryAndFallsBackToAFullSync()
    {
        var installed = await InstallAsync(new JsonObject { ["labelIds"] = new JsonArray("INBOX", "SENT"), ["initialSyncDays"] = 30 });
        using var owner = installed.Owner;
        var mailbox = installed.Mailbox;
        var ada = await CreateAsync(owner, "/api/v1/contacts", new { firstName = "Ada", email = "Ada@Example.com" });
        var grace = await CreateAsync(owner, "/api/v1/leads", new { name = "Grace Hopper", email = "grace@navy.example" });
        var now = Google.Now;
        Google.Deliver(mailbox, "Ada Lovelace <ada@example.com>", mailbox.Address, "Question about the quote", "Could you send the &quot;final&quot; numbers?",
            now.AddDays(-2));
        Google.Deliver(mailbox, mailbox.Address, "Grace Hopper <grace@navy.example>, someone@else.example", "Your demo", "As promised, the demo link.",
            now.AddDays(-1), "SENT");
        Google.Deliver(mailbox, "stranger@nowhere.example", mailbox.Address, "Newsletter", "Unsubscribe anytime.", now.AddHours(-5));
        Google.Deliver(mailbox, "ada@example.com", mailbox.Address, "Old thread", "Too old for the first sync.", now.AddDays(-45));
        for (var i = 0; i < 4; i++)
            Google.Deliver(mailbox, "ada@example.com", mailbox.Address, $"Follow-up {i}", $"Note {i}", now.AddHours(-10 + i));
        Google.ServerPageSize = 2; // the listings page

        var first = await owner.SyncAsync(installed.Row.Id, "messages");

        // Ada: 1 + 4 inbound within 30 days; Grace: 1 sent; the stranger skipped; the 45-day-old mail not listed.
        first.Count("added").ShouldBe(6, first.ToJsonString());
        first.Count("skipped").ShouldBe(1);
        var adas = await ActivitiesAsync(owner, $"contactId={ada}");
        adas.Count.ShouldBe(5);
        adas.ShouldAllBe(a => a["type"]!.GetValue<string>() == "email" && a["metadata"]!["direction"]!.GetValue<string>() == "inbound");
        var question = adas.Single(a => a["subject"]!.GetValue<string>() == "Question about the quote");
        question["notes"]!.GetValue<string>().ShouldBe("Could you send the \"final\" numbers?");
        question["occurredAt"]!.GetValue<string>().ShouldStartWith(now.AddDays(-2).ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
        question["metadata"]!["from"]!.GetValue<string>().ShouldBe("Ada Lovelace <ada@example.com>");
        var demo = (await ActivitiesAsync(owner, $"leadId={grace}")).ShouldHaveSingleItem();
        demo["metadata"]!["direction"]!.GetValue<string>().ShouldBe("sent");
        demo["subject"]!.GetValue<string>().ShouldBe("Your demo");
        // The listings: each label with newer_than, paged by nextPageToken; a messages.get per message, metadata only.
        var lists = Calls(installed, "/users/me/messages");
        lists.ShouldContain(l => l.Query.Contains("labelIds=INBOX", StringComparison.Ordinal) && l.Query.Contains("pageToken=", StringComparison.Ordinal));
        lists.ShouldContain(l => l.Query.Contains("labelIds=SENT", StringComparison.Ordinal));
        lists.ShouldAllBe(l => l.Query.Contains("q=newer_than%3A30d", StringComparison.Ordinal));
        Calls(installed, "/history").ShouldBeEmpty();

        // Incremental: only what arrived since, by history id; nothing listed again.
        var before = mailbox.Calls.Count;
        var profileHistory = mailbox.HistoryId;
        Google.Deliver(mailbox, "ada@example.com", mailbox.Address, "Signed contract", "Attached.", now.AddMinutes(5));
        Google.Deliver(mailbox, "grace@navy.example", mailbox.Address, "Spam-ish", "in a label we do not sync", now.AddMinutes(6), "CATEGORY_PROMOTIONS");
        var second = await owner.SyncAsync(installed.Row.Id, "messages");
        second.Count("added").ShouldBe(1, second.ToJsonString());
        var history = Calls(installed, "/history", before).ShouldHaveSingleItem();
        history.Query.ShouldContain($"startHistoryId={profileHistory}");
        history.Query.ShouldContain("historyTypes=messageAdded");
        Calls(installed, "/users/me/messages", before).ShouldBeEmpty();
        (await ActivitiesAsync(owner, $"contactId={ada}")).Count.ShouldBe(6);
        (await ActivitiesAsync(owner, $"leadId={grace}")).Count.ShouldBe(1, "the promotions mail has no synced label");

        // Gmail forgets the history: the next run's 404 starts a full sync in the same run; nothing is logged twice.
        GmailFake.ExpireHistory(mailbox);
        Google.Deliver(mailbox, "Ada <ada@example.com>", mailbox.Address, "After the gap", "Back again.", now.AddMinutes(10));
        before = mailbox.Calls.Count;
        var third = await owner.SyncAsync(installed.Row.Id, "messages");
        third["status"]!.GetValue<string>().ShouldBe("succeeded");
        third.Count("added").ShouldBe(1, third.ToJsonString());
        var calls = mailbox.Calls.Skip(before).Select(r => r.Path).ToList();
        calls[0].ShouldEndWith("/history");
        calls[1].ShouldEndWith("/profile");
        calls[2].ShouldEndWith("/users/me/messages");
        (await ActivitiesAsync(owner, $"contactId={ada}")).Count.ShouldBe(7);
        (await ActivitiesAsync(owner, $"leadId={grace}")).Count.ShouldBe(1);

        // And the run after it is incremental again, from the full sync's history id.
        before = mailbox.Calls.Count;
        (await owner.SyncAsync(installed.Row.Id, "messages")).Count("added").ShouldBe(0);
        Calls(installed, "/history", before).ShouldHaveSingleItem();
        Calls(installed, "/users/me/messages", before).ShouldBeEmpty();
        Google.ServerPageSize = 100;
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task TenantsOnlyGetActivitiesOnTheirOwnContacts()
    {
        var installed = await InstallAsync();
        using var owner = installed.Owner;
        using var other = Node.Client();
        await other.SignupAsync();
        var theirs = await CreateAsync(other, "/api/v1/contacts", new { firstName = "Ada", email = "ada@example.com" });
        Google.Deliver(installed.Mailbox, "ada@example.com", installed.Mailbox.Address, "Hello", "Hi", Google.Now.AddHours(-1));

        var run = await owner.SyncAsync(installed.Row.Id, "messages");

        (run.Count("added"), run.Count("skipped")).ShouldBe((0, 1), "another organization's contact is no match");
        (await ActivitiesAsync(other, $"contactId={theirs}")).ShouldBeEmpty();
        Google.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task UninstallRevokesTheGrantAtGoogle()
    {
        var installed = await InstallAsync();
        using var _ = installed.Owner;
        await WithConnectorAsync(installed, async (c, ctx) => { await c.RevokeAsync(ctx, CancellationToken.None); return 0; });
        Google.IsRevoked(installed.RefreshToken).ShouldBeTrue();
        var revoke = Google.Provider.Requests.Last(r => r.Path == "/revoke");
        revoke.Body.ShouldBe("token=" + Uri.EscapeDataString(installed.RefreshToken));
        Google.Provider.AssertNoViolations();
    }
}

public sealed class GmailTestsOnSqlite(GmailSqliteNode fixture) : GmailTests<GmailSqliteNode>(fixture);

public sealed class GmailTestsOnPostgres(GmailPostgresNode fixture) : GmailTests<GmailPostgresNode>(fixture);
