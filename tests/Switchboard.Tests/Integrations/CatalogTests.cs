using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Integrations.TestProviders;

namespace Switchboard.Tests.Integrations;

/// <summary>The provider catalog over real HTTP: filters, one provider's definition, its icon, and the reviews.</summary>
public abstract class CatalogTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory, IIntegrationNode
{
    private const string Providers = "/api/v1/integrations/providers";

    private static List<string> Keys(JsonObject list) => list["data"]!.AsArray().Select(p => p!["key"]!.GetValue<string>()).ToList();

    [Fact]
    public async Task TheCatalogFiltersByTextCategoryAndCapability()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var all = Keys(await owner.GetJsonAsync(Providers));
        all.ShouldContain("test_oauth");
        all.ShouldContain("test_key");

        Keys(await owner.GetJsonAsync(Providers + "?q=CHAT")).ShouldContain("test_oauth"); // name, case-insensitive
        Keys(await owner.GetJsonAsync(Providers + "?q=CHAT")).ShouldNotContain("test_key");
        Keys(await owner.GetJsonAsync(Providers + "?q=invoices")).ShouldBe(["quickbooks", "test_key", "xero"], ignoreOrder: true); // description (the accounting connectors invoice too)
        Keys(await owner.GetJsonAsync(Providers + "?q=test_ke")).ShouldBe(["test_key"]); // key
        Keys(await owner.GetJsonAsync(Providers + "?category=accounting")).ShouldContain("test_key");
        Keys(await owner.GetJsonAsync(Providers + "?category=accounting")).ShouldNotContain("test_oauth");
        Keys(await owner.GetJsonAsync(Providers + "?auth=api_key")).ShouldContain("test_key");
        Keys(await owner.GetJsonAsync(Providers + "?auth=api_key")).ShouldNotContain("test_oauth");
        Keys(await owner.GetJsonAsync(Providers + "?action=send_message")).ShouldBe(["test_oauth"]);
        Keys(await owner.GetJsonAsync(Providers + "?trigger=lead.created")).ShouldContain("test_oauth"); // lead.* matches
        Keys(await owner.GetJsonAsync(Providers + "?trigger=lead.created")).ShouldNotContain("test_key");
        Keys(await owner.GetJsonAsync(Providers + "?sync=companies")).ShouldBe(["test_key"]); // by local resource
        Keys(await owner.GetJsonAsync(Providers + "?sync=members&category=communication")).ShouldBe(["test_oauth"]);
        Keys(await owner.GetJsonAsync(Providers + "?q=nothing-like-this")).ShouldBeEmpty();

        await (await owner.GetAsync(Providers + "?category=toys")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        await (await owner.GetAsync(Providers + "?auth=magic")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task AProviderShowsItsWholeDefinitionButNoSecret()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var response = await owner.GetAsync(Providers + "/test_oauth");
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        var p = JsonNode.Parse(text)!.AsObject();
        p["name"]!.GetValue<string>().ShouldBe("Test Chat");
        p["category"]!.GetValue<string>().ShouldBe("communication");
        p["publisher"]!.GetValue<string>().ShouldBe("Switchboard tests");
        p["version"]!.GetValue<string>().ShouldBe("2.1.0");
        p["iconUrl"]!.GetValue<string>().ShouldBe("/api/v1/integrations/providers/test_oauth/icon.svg");
        p["auth"]!["kind"]!.GetValue<string>().ShouldBe("oauth2");
        p["authType"]!.GetValue<string>().ShouldBe("oauth2");
        p["capabilities"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldBe(["actions", "triggers", "sync", "inbound", "oauth_connect"]);
        p["auth"]!["scopes"]!.AsArray().Select(s => s!.GetValue<string>()).ShouldBe(["messages:write", "channels:read"]);
        p["auth"]!["pkce"]!.GetValue<bool>().ShouldBeTrue();
        p["configSchema"]!["type"]!.GetValue<string>().ShouldBe("object"); // an object, not a string of JSON
        p["configSchema"]!["properties"]!["signingSecret"]!["writeOnly"]!.GetValue<bool>().ShouldBeTrue();
        p["actions"]![0]!["name"]!.GetValue<string>().ShouldBe("send_message");
        p["actions"]![0]!["inputSchema"]!["required"]!.AsArray().Count.ShouldBe(2);
        p["triggers"]!.AsArray().Select(t => t!.GetValue<string>()).ShouldBe(["lead.*", "ticket.created"]);
        p["syncs"]![0]!["model"]!.GetValue<string>().ShouldBe("members");
        p["syncs"]![0]!["defaultIntervalSeconds"]!.GetValue<int>().ShouldBe(3600);
        p["inbound"]!.AsArray().Select(t => t!.GetValue<string>()).ShouldBe(["events"]);
        p["rating"]!["count"]!.GetValue<int>().ShouldBe(0);
        // Neither the operator's client secret nor its id, nor the provider's token URL overrides.
        text.ShouldNotContain(FakeOAuthProvider.ClientSecret);
        text.ShouldNotContain(FakeOAuthProvider.ClientId);

        await (await owner.GetAsync(Providers + "/no_such_provider")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");

        // An API-key provider with an action, a trigger and a sync, and nothing inbound, says just that.
        var key = await owner.GetJsonAsync(Providers + "/test_key");
        key["authType"]!.GetValue<string>().ShouldBe("api_key");
        key["capabilities"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldBe(["actions", "triggers", "sync"]);
        key["capabilities"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldNotContain("oauth_connect");
    }

    [Fact]
    public async Task TheIconIsServedByTheNodeAndCacheable()
    {
        using var anonymous = node.Client();
        var response = await anonymous.GetAsync(Providers + "/test_oauth/icon.svg");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("image/svg+xml");
        response.Headers.CacheControl!.Public.ShouldBeTrue();
        response.Headers.CacheControl.MaxAge.ShouldNotBeNull();
        (await response.Content.ReadAsStringAsync()).ShouldContain("<svg");
        var etag = response.Headers.ETag!.Tag;
        var again = new HttpRequestMessage(HttpMethod.Get, Providers + "/test_oauth/icon.svg");
        again.Headers.TryAddWithoutValidation("If-None-Match", etag);
        (await anonymous.Http.SendAsync(again)).StatusCode.ShouldBe(HttpStatusCode.NotModified);
        (await anonymous.GetAsync(Providers + "/nope/icon.svg")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task EachUserHasOneReviewPerProviderAndTheCatalogShowsTheAverage()
    {
        // A provider of its own for this test: the reviews are the whole deployment's, not one organization's.
        const string reviews = Providers + "/test_key/reviews";
        using var ada = node.Client();
        await ada.SignupAsync(organization: "Ada's");
        using var bob = node.Client();
        await bob.SignupAsync(organization: "Bob's");

        var first = await ada.Http.PutAsJsonAsync(reviews + "/mine", new { rating = 2, text = "Slow sync." });
        first.StatusCode.ShouldBe(HttpStatusCode.Created, await first.Content.ReadAsStringAsync());
        var replaced = await ada.Http.PutAsJsonAsync(reviews + "/mine", new { rating = 4, text = "Better since 2.0." });
        replaced.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ApiClient.ReadAsync(replaced))["id"]!.GetValue<string>().ShouldBe((await ApiClient.ReadAsync(first))["id"]!.GetValue<string>());
        (await bob.Http.PutAsJsonAsync(reviews + "/mine", new { rating = 5 })).StatusCode.ShouldBe(HttpStatusCode.Created);

        var rating = (await ada.GetJsonAsync(Providers + "/test_key"))["rating"]!;
        rating["count"]!.GetValue<int>().ShouldBe(2);
        rating["average"]!.GetValue<double>().ShouldBe(4.5);
        var listed = (await ada.GetJsonAsync(Providers + "?q=test_key"))["data"]![0]!["rating"]!;
        listed["count"]!.GetValue<int>().ShouldBe(2);

        var page = await ada.GetJsonAsync(reviews + "?limit=1");
        page["data"]!.AsArray().Count.ShouldBe(1);
        page["data"]![0]!["rating"]!.GetValue<int>().ShouldBe(5); // newest first: Bob's
        page["data"]![0]!["mine"]!.GetValue<bool>().ShouldBeFalse();
        page["hasMore"]!.GetValue<bool>().ShouldBeTrue();
        var next = await ada.GetJsonAsync(reviews + "?limit=1&cursor=" + Uri.EscapeDataString(page["nextCursor"]!.GetValue<string>()));
        next["data"]![0]!["text"]!.GetValue<string>().ShouldBe("Better since 2.0.");
        next["data"]![0]!["mine"]!.GetValue<bool>().ShouldBeTrue();
        // Anonymous: no author's name, email, user or organization.
        var text = await (await ada.GetAsync(reviews)).Content.ReadAsStringAsync();
        text.ShouldNotContain(bob.UserId!);
        text.ShouldNotContain(bob.OrganizationId!);
        text.ShouldNotContain("@example.com");

        var invalid = await ada.Http.PutAsJsonAsync(reviews + "/mine", new { rating = 6, text = new string('x', 2001) });
        var problem = await invalid.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        problem["errors"]!["rating"].ShouldNotBeNull();
        problem["errors"]!["text"].ShouldNotBeNull();
        (await (await ada.Http.PutAsJsonAsync(Providers + "/nope/reviews/mine", new { rating = 3 })).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found")).ShouldNotBeNull();

        // An API key is no person: a clear 403, not a review without an author.
        var key = (await ada.CreateKeyAsync("integrations:read", "integrations:write"))["key"]!.GetValue<string>();
        using var script = node.Client().WithApiKey(key);
        var refused = await (await script.Http.PutAsJsonAsync(reviews + "/mine", new { rating = 1 })).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        refused["detail"]!.GetValue<string>().ShouldContain("API key");
        (await script.GetAsync(reviews)).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await ada.DeleteAsync(reviews + "/mine")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await ada.DeleteAsync(reviews + "/mine")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        rating = (await ada.GetJsonAsync(Providers + "/test_key"))["rating"]!;
        rating["count"]!.GetValue<int>().ShouldBe(1);
        rating["average"]!.GetValue<double>().ShouldBe(5);
    }
}

public sealed class CatalogTestsOnSqlite(IntegrationSqliteNode node) : CatalogTests<IntegrationSqliteNode>(node);
public sealed class CatalogTestsOnPostgres(IntegrationPostgresNode node) : CatalogTests<IntegrationPostgresNode>(node);
