using System.Net;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth.Interop;

/// <summary>A registered OAuth app as its developer holds it: the client id and, for a confidential app, the secret.</summary>
public sealed record InteropApp(string Id, string ClientId, string? ClientSecret, string Name);

/// <summary>
/// What the interop clients need on a node, made through the public API as a customer would: an owner who signs in
/// through the browser pages (email and password), a contact the tokens read, a confidential and a public app of the
/// owner's organization, and a confidential app of another organization (for cross-tenant attempts).
/// </summary>
public sealed class InteropWorld
{
    public const string Password = "correct horse battery staple";
    /// <summary>Registered without a port: a loopback redirect may name any port at request time (RFC 8252 §7.3).</summary>
    public const string LoopbackRedirect = "http://127.0.0.1/callback";
    public const string Scope = "contacts:read contacts:write";
    public const string ClientScope = "contacts:read";

    public required string Issuer { get; init; }
    public required string Email { get; init; }
    public required string UserId { get; init; }
    public required string OrganizationId { get; init; }
    public required string ContactId { get; init; }
    public required InteropApp Confidential { get; init; }
    public required InteropApp Public { get; init; }
    public required InteropApp OtherTenant { get; init; }
    public required ApiClient Owner { get; init; }

    public string ContactUrl => $"{Issuer}/api/v1/contacts/{ContactId}";
    public string Audience => Issuer + "/api";

    public static async Task<InteropWorld> CreateAsync(SwitchboardFactory node)
    {
        var owner = node.Client();
        var email = $"interop-{Guid.NewGuid():N}@example.com";
        await owner.SignupAsync(email, Password, "Interop Org");
        var contact = await owner.PostAsync("/api/v1/contacts", new { firstName = "Ada", lastName = "Lovelace", email = "ada@example.com" });
        contact.StatusCode.ShouldBe(HttpStatusCode.Created, await contact.Content.ReadAsStringAsync());
        var contactId = (await ApiClient.ReadAsync(contact))["id"]!.GetValue<string>();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var confidential = await CreateAppAsync(owner, $"Interop Server App {suffix}", "confidential");
        var publicApp = await CreateAppAsync(owner, $"Interop Native App {suffix}", "public");

        using var stranger = node.Client();
        await stranger.SignupAsync(organization: "Other Tenant");
        var other = await CreateAppAsync(stranger, $"Other Tenant App {suffix}", "confidential");

        return new InteropWorld
        {
            Issuer = owner.Http.BaseAddress!.GetLeftPart(UriPartial.Authority), Email = email, UserId = owner.UserId!,
            OrganizationId = owner.OrganizationId!, ContactId = contactId, Confidential = confidential, Public = publicApp,
            OtherTenant = other, Owner = owner,
        };
    }

    public static async Task<InteropApp> CreateAppAsync(ApiClient owner, string name, string type)
    {
        var response = await owner.PostAsync("/api/v1/oauth/apps", new
        {
            name, type, redirectUris = new[] { LoopbackRedirect }, scopes = new[] { "contacts:read", "contacts:write" },
            description = "Registered by the OAuth interop tests", homepageUrl = "https://app.example.com",
        });
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.Created, text);
        var app = JsonNode.Parse(text)!.AsObject();
        return new InteropApp(app["id"]!.GetValue<string>(), app["clientId"]!.GetValue<string>(), app["clientSecret"]?.GetValue<string>(), name);
    }

    /// <summary>The configuration the node script reads (tests/node/oauth-interop/client.mjs).</summary>
    public JsonObject ClientConfig(string pages) => new()
    {
        ["issuer"] = Issuer,
        ["audience"] = Audience,
        ["pages"] = pages,
        ["scope"] = Scope,
        ["clientScope"] = ClientScope,
        ["user"] = new JsonObject { ["email"] = Email, ["password"] = Password, ["id"] = UserId },
        ["api"] = new JsonObject { ["url"] = ContactUrl, ["expectId"] = ContactId },
        ["confidential"] = new JsonObject { ["clientId"] = Confidential.ClientId, ["clientSecret"] = Confidential.ClientSecret, ["name"] = Confidential.Name },
        ["public"] = new JsonObject { ["clientId"] = Public.ClientId, ["name"] = Public.Name },
        ["other"] = new JsonObject { ["clientId"] = OtherTenant.ClientId, ["clientSecret"] = OtherTenant.ClientSecret },
    };
}
