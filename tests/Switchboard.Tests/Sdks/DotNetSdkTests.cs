using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Client;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.OAuth.Interop;

namespace Switchboard.Tests.Sdks;

/// <summary>
/// The .NET SDK (sdks/dotnet, Switchboard.Client) against a live node on a loopback port, with a world made through the
/// public API as a customer would (an owner, API keys, a confidential OAuth app). Faults come from real sources: a key with
/// a tiny rate limit gives real 429s, and a loopback proxy in front of the node injects 503s and loses answers.
/// </summary>
public abstract class DotNetSdkTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    // Short backoff keeps the suite fast; a Retry-After still rules when the answer has one (the 429 test checks that).
    private static readonly TimeSpan Backoff = TimeSpan.FromMilliseconds(50);

    private async Task<(ApiClient Owner, string Key)> OwnerAsync(params string[] scopes)
    {
        var owner = node.Client();
        await owner.SignupAsync($"sdk-dotnet-{Guid.NewGuid():N}@example.com", InteropWorld.Password, "DotNet SDK Org");
        var key = await owner.CreateKeyAsync(new { name = ".NET SDK", scopes = scopes.Length > 0 ? scopes : ["*:read", "*:write"] });
        return (owner, key["key"]!.GetValue<string>());
    }

    private static Uri Origin(ApiClient owner) => new(owner.Http.BaseAddress!.GetLeftPart(UriPartial.Authority));

    private static SwitchboardClient Sdk(Uri baseAddress, string apiKey, int maxRetries = 3) => new(new SwitchboardClientOptions
    {
        BaseAddress = baseAddress, ApiKey = apiKey, RetryBaseDelay = Backoff, MaxRetries = maxRetries, Timeout = TimeSpan.FromSeconds(20),
    });

    [Fact]
    public async Task ContactsAreCreatedReadUpdatedListedAndDeleted()
    {
        var (owner, key) = await OwnerAsync();
        using var sdk = Sdk(Origin(owner), key);

        var created = await sdk.Contacts.CreateAsync(new ContactInput { FirstName = "Ada", LastName = "Lovelace", Email = "ada@example.com", Company = "Analytical" });
        created.Id.ShouldStartWith("con_");
        (await sdk.Contacts.GetAsync(created.Id)).Email.ShouldBe("ada@example.com");

        var updated = await sdk.Contacts.UpdateAsync(created.Id, new ContactInput { Company = "Engines Ltd" });
        updated.Company.ShouldBe("Engines Ltd");
        updated.FirstName.ShouldBe("Ada", "a PATCH leaves the fields it does not name");

        var page = await sdk.Contacts.ListAsync(new ListContactsQuery { Email = "ada@example.com" });
        page.Data.Select(c => c.Id).ShouldBe([created.Id]);

        await sdk.Contacts.DeleteAsync(created.Id);
        var gone = await Should.ThrowAsync<SwitchboardNotFoundException>(() => sdk.Contacts.GetAsync(created.Id));
        gone.Status.ShouldBe(HttpStatusCode.NotFound);
        gone.Code.ShouldBe("not_found");
        gone.RequestId.ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task LeadsAreCreatedUpdatedAndConvertedIntoAContactAndADeal()
    {
        var (owner, key) = await OwnerAsync();
        using var sdk = Sdk(Origin(owner), key);

        var lead = await sdk.Leads.CreateAsync(new LeadInput { Name = "Grace Hopper", Email = "grace@example.com", Source = "web", Score = 40 });
        lead.Status.ShouldBe("new");
        (await sdk.Leads.UpdateAsync(lead.Id, new LeadInput { Status = "qualified", Score = 80 })).Score.ShouldBe(80);

        var conversion = await sdk.Leads.ConvertAsync(lead.Id, new ConvertLeadRequest { CreateDeal = true, DealName = "Compiler", Amount = 1234.5m, Currency = "USD" });
        conversion.Lead.Status.ShouldBe("converted");
        conversion.Contact.Email.ShouldBe("grace@example.com");
        conversion.Deal.ShouldNotBeNull().Amount.ShouldBe(1234.5m);
        (await sdk.Contacts.GetAsync(conversion.Contact.Id)).Id.ShouldBe(conversion.Contact.Id);

        await sdk.Leads.DeleteAsync(lead.Id);
        await Should.ThrowAsync<SwitchboardNotFoundException>(() => sdk.Leads.GetAsync(lead.Id));
    }

    [Fact]
    public async Task ListAllWalksEveryPageOfTheCursor()
    {
        var (owner, key) = await OwnerAsync();
        using var sdk = Sdk(Origin(owner), key);
        var company = "Paged " + Guid.NewGuid().ToString("N")[..8];
        var ids = new List<string>();
        for (var i = 0; i < 7; i++)
            ids.Add((await sdk.Contacts.CreateAsync(new ContactInput { FirstName = $"P{i}", Company = company })).Id);

        var first = await sdk.Contacts.ListAsync(new ListContactsQuery { Company = company, Limit = 3 });
        first.Data.Count.ShouldBe(3);
        first.HasMore.ShouldBeTrue();
        first.NextCursor.ShouldNotBeNullOrEmpty();

        var all = new List<ContactResponse>();
        await foreach (var contact in sdk.Contacts.ListAllAsync(new ListContactsQuery { Company = company, Limit = 3, Sort = "createdAt" }))
            all.Add(contact);
        all.Select(c => c.Id).ShouldBe(ids, "every record once, in the order asked for");
    }

    [Fact]
    public async Task A429IsRetriedAfterRetryAfterAndThenSucceeds()
    {
        var (owner, _) = await OwnerAsync();
        var limited = await owner.CreateKeyAsync(new { name = ".NET SDK limited", scopes = new[] { "contacts:read" }, rateLimit = new { requests = 1, windowSeconds = 2 } });
        using var sdk = Sdk(Origin(owner), limited["key"]!.GetValue<string>());

        await sdk.Contacts.ListAsync();
        var clock = Stopwatch.StartNew();
        var page = await sdk.Contacts.ListAsync(); // refused with 429 + Retry-After, waited out, then admitted
        clock.Elapsed.ShouldBeGreaterThan(TimeSpan.FromSeconds(0.9), "the client waited for Retry-After rather than its 50 ms backoff");
        page.Data.ShouldNotBeNull();

        using var impatient = Sdk(Origin(owner), limited["key"]!.GetValue<string>(), maxRetries: 0);
        var refused = await Should.ThrowAsync<SwitchboardRateLimitException>(() => impatient.Contacts.ListAsync());
        refused.Code.ShouldBe("rate_limited");
        refused.RetryAfter.ShouldNotBeNull().ShouldBeGreaterThan(TimeSpan.Zero);
    }

    [Fact]
    public async Task A503IsRetriedWithRetryAfterInSecondsAndAsADateThenSucceeds()
    {
        var (owner, key) = await OwnerAsync();
        await using var proxy = await FaultProxy.StartAsync(Origin(owner));
        using var sdk = Sdk(proxy.Url, key);
        proxy.Fail(503, retryAfter: "0");
        proxy.Fail(503, retryAfter: DateTimeOffset.UtcNow.AddSeconds(1).ToString("r"));
        proxy.Fail(504);

        var contact = await sdk.Contacts.CreateAsync(new ContactInput { FirstName = "Retried" });
        contact.FirstName.ShouldBe("Retried");
        var seen = proxy.Requests.ToArray();
        seen.Select(s => s.Status).ShouldBe([503, 503, 504, 201]);
        seen.Select(s => s.IdempotencyKey).Distinct().Count().ShouldBe(1, "every attempt of one call carries the same Idempotency-Key");

        proxy.Fail(503, times: 4);
        var failed = await Should.ThrowAsync<SwitchboardServerException>(() => sdk.Contacts.GetAsync(contact.Id));
        failed.Status.ShouldBe(HttpStatusCode.ServiceUnavailable);
        proxy.Requests.Count.ShouldBe(8, "one attempt and three retries");
    }

    [Fact]
    public async Task A409IsRetriedOnlyWhileTheFirstRequestWithTheKeyIsInProgress()
    {
        var (owner, key) = await OwnerAsync();
        await using var proxy = await FaultProxy.StartAsync(Origin(owner));
        using var sdk = Sdk(proxy.Url, key);

        proxy.Fail(409, retryAfter: "0"); // idempotency_request_in_progress carries Retry-After
        (await sdk.Contacts.CreateAsync(new ContactInput { FirstName = "Waited" })).FirstName.ShouldBe("Waited");
        proxy.Requests.Select(r => r.Status).ShouldBe([409, 201]);

        proxy.Fail(409); // a plain conflict: a retry would not change it
        (await Should.ThrowAsync<SwitchboardConflictException>(() => sdk.Contacts.CreateAsync(new ContactInput { FirstName = "Conflict" })))
            .Status.ShouldBe(HttpStatusCode.Conflict);
        proxy.Requests.Count.ShouldBe(3);
    }

    [Fact]
    public async Task APostWhoseAnswerWasLostIsReplayedNotDoneTwice()
    {
        var (owner, key) = await OwnerAsync();
        await using var proxy = await FaultProxy.StartAsync(Origin(owner));
        using var sdk = Sdk(proxy.Url, key);
        var name = "Once " + Guid.NewGuid().ToString("N")[..8];

        proxy.LoseNextAnswer();
        var contact = await sdk.Contacts.CreateAsync(new ContactInput { FirstName = name });

        var posts = proxy.Requests.Where(r => r.Method == "POST").ToArray();
        posts.Length.ShouldBe(2);
        posts[0].IdempotencyKey.ShouldNotBeNull().ShouldBe(posts[1].IdempotencyKey);
        posts[1].Replayed.ShouldBeTrue("the node answered the retry from its idempotency record");
        var listed = await sdk.Contacts.ListAsync(new ListContactsQuery { Q = name });
        listed.Data.Select(c => c.Id).ShouldBe([contact.Id], "one record, not two");

        // The caller's own key wins over the generated one.
        var mine = "my-key-" + Guid.NewGuid().ToString("N");
        await sdk.Contacts.CreateAsync(new ContactInput { FirstName = name + " mine" }, new RequestOptions { IdempotencyKey = mine });
        proxy.Requests.Last().IdempotencyKey.ShouldBe(mine);
    }

    [Fact]
    public async Task ErrorsAreTypedWithTheirCodeRequestIdAndFieldMessages()
    {
        var (owner, key) = await OwnerAsync("contacts:read", "contacts:write");
        using var sdk = Sdk(Origin(owner), key);

        var invalid = await Should.ThrowAsync<SwitchboardValidationException>(() =>
            sdk.Contacts.CreateAsync(new ContactInput { FirstName = "Bad", Email = "not-an-email", Phone = "12" }));
        invalid.Status.ShouldBe(HttpStatusCode.BadRequest);
        invalid.Code.ShouldBe("validation_failed");
        invalid.RequestId.ShouldNotBeNull().ShouldStartWith("req_");
        invalid.Errors.Keys.ShouldContain("email");
        invalid.Errors.Keys.ShouldContain("phone");
        invalid.Errors["email"].ShouldNotBeEmpty();
        invalid.Message.ShouldContain("email");

        var forbidden = await Should.ThrowAsync<SwitchboardPermissionException>(() => sdk.Leads.ListAsync());
        forbidden.Code.ShouldBe("insufficient_scope");

        using var stranger = Sdk(Origin(owner), "sk_live_not_a_key");
        (await Should.ThrowAsync<SwitchboardAuthenticationException>(() => stranger.Contacts.ListAsync())).Status.ShouldBe(HttpStatusCode.Unauthorized);

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(() => sdk.Contacts.ListAsync(cancellationToken: cancelled.Token));
    }

    [Fact]
    public async Task AWebhookFromTheNodeVerifiesAndAForgedOneIsRefused()
    {
        var (owner, key) = await OwnerAsync();
        using var sdk = Sdk(Origin(owner), key);
        await using var receiver = await WebhookReceiver.StartAsync();
        var endpoint = await sdk.Webhooks.CreateAsync(new WebhookInput { Url = receiver.Url, Events = ["contact.created"] });
        var secret = endpoint.Secret.ShouldNotBeNull();
        secret.ShouldStartWith("whsec_");

        var contact = await sdk.Contacts.CreateAsync(new ContactInput { FirstName = "Hooked" });
        var delivery = (await receiver.WaitForAsync(r => r.Body.Contains(contact.Id))).First();
        var verifier = new WebhookVerifier(secret);
        var evt = verifier.Verify(delivery.Body, name => delivery.Headers.GetValueOrDefault(name));
        evt.Type.ShouldBe("contact.created");
        evt.Id.ShouldStartWith("evt_");
        evt.Data!["id"]!.GetValue<string>().ShouldBe(contact.Id);
        verifier.VerifySimpleSignature(delivery.Body, delivery.Headers["x-webhook-signature"]).ShouldBeTrue();

        var forged = delivery.Body.Replace("Hooked", "Forged");
        Should.Throw<WebhookVerificationException>(() => verifier.Verify(forged, name => delivery.Headers.GetValueOrDefault(name)));
        verifier.VerifySimpleSignature(forged, delivery.Headers["x-webhook-signature"]).ShouldBeFalse();
        var otherSecret = "whsec_" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        Should.Throw<WebhookVerificationException>(() => new WebhookVerifier(otherSecret).Verify(delivery.Body, name => delivery.Headers.GetValueOrDefault(name)));
        var later = new TestClock();
        later.Advance(TimeSpan.FromMinutes(10));
        Should.Throw<WebhookVerificationException>(() => new WebhookVerifier(secret, timeProvider: later).Verify(delivery.Body, name => delivery.Headers.GetValueOrDefault(name)))
            .Message.ShouldContain("tolerance");

        await sdk.Webhooks.DeleteAsync(endpoint.Id);
        (await sdk.Webhooks.ListAsync()).Data.ShouldBeEmpty();
    }

    [Fact]
    public async Task ClientCredentialsTokensAreFetchedCachedAndAccepted()
    {
        var (owner, _) = await OwnerAsync();
        var app = await InteropWorld.CreateAppAsync(owner, $".NET SDK app {Guid.NewGuid():N}"[..30], "confidential");
        using var tokens = new OAuthClientCredentials(Origin(owner), app.ClientId, app.ClientSecret!, ["contacts:read"]);
        using var sdk = new SwitchboardClient(new SwitchboardClientOptions { BaseAddress = Origin(owner), TokenSource = tokens });

        (await sdk.Contacts.ListAsync()).Data.ShouldNotBeNull();
        var first = await tokens.GetAccessTokenAsync(CancellationToken.None);
        (await tokens.GetAccessTokenAsync(CancellationToken.None)).ShouldBe(first, "cached until it expires");
        first.Split('.').Length.ShouldBe(3, "a JWT access token");
        (await Should.ThrowAsync<SwitchboardPermissionException>(() => sdk.Contacts.CreateAsync(new ContactInput { FirstName = "No" })))
            .Code.ShouldBe("insufficient_scope");

        using var wrong = new OAuthClientCredentials(Origin(owner), app.ClientId, "wrong-secret");
        (await Should.ThrowAsync<SwitchboardOAuthException>(() => wrong.GetAccessTokenAsync(CancellationToken.None).AsTask())).Error.ShouldBe("invalid_client");
    }

    [Fact]
    public async Task AUsersRefreshTokenRenewsTheAccessTokenAndRotates()
    {
        var owner = node.Client();
        var email = $"sdk-dotnet-{Guid.NewGuid():N}@example.com";
        await owner.SignupAsync(email, InteropWorld.Password, "DotNet SDK Org");
        var app = await InteropWorld.CreateAppAsync(owner, $".NET SDK user app {Guid.NewGuid():N}"[..34], "confidential");
        var initial = await PythonSdkTests<TFactory>.AuthorizeThroughThePagesAsync(Origin(owner).ToString().TrimEnd('/'), app, email);

        using var tokens = new OAuthRefreshToken(Origin(owner), app.ClientId, app.ClientSecret, initial);
        var rotations = new List<string>();
        tokens.RefreshTokenRotated += rotations.Add;
        using var sdk = new SwitchboardClient(new SwitchboardClientOptions { BaseAddress = Origin(owner), TokenSource = tokens });
        var created = await sdk.Contacts.CreateAsync(new ContactInput { FirstName = "Delegated" });
        (await sdk.Contacts.GetAsync(created.Id)).FirstName.ShouldBe("Delegated");

        rotations.Count.ShouldBe(1, "one token request for both calls: the access token is cached");
        tokens.RefreshToken.ShouldBe(rotations[0]);
        tokens.RefreshToken.ShouldNotBe(initial, "the server rotates refresh tokens");
        tokens.Invalidate();
        await sdk.Contacts.GetAsync(created.Id); // renews with the rotated refresh token
        rotations.Count.ShouldBe(2);

        using var spent = new OAuthRefreshToken(Origin(owner), app.ClientId, app.ClientSecret, initial);
        (await Should.ThrowAsync<SwitchboardOAuthException>(() => spent.GetAccessTokenAsync(CancellationToken.None).AsTask())).Error.ShouldBe("invalid_grant");
    }

    [Fact]
    public async Task TheClientRegisteredWithTheHttpClientFactoryWorks()
    {
        var (owner, key) = await OwnerAsync();
        var services = new ServiceCollection();
        services.AddSwitchboardClient(o => { o.BaseAddress = Origin(owner); o.ApiKey = key; });
        await using var provider = services.BuildServiceProvider();
        var sdk = provider.GetRequiredService<SwitchboardClient>();
        var created = await sdk.Contacts.CreateAsync(new ContactInput { FirstName = "Injected" });
        (await sdk.Contacts.GetAsync(created.Id)).FirstName.ShouldBe("Injected");
    }
}

public sealed class DotNetSdkTestsOnSqlite(SqliteSwitchboard node) : DotNetSdkTests<SqliteSwitchboard>(node);

public sealed class DotNetSdkTestsOnPostgres(PostgresSwitchboard node) : DotNetSdkTests<PostgresSwitchboard>(node);
