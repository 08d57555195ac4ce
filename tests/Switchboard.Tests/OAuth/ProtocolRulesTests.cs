using System.Text.Json;
using Switchboard.OAuth;
using Switchboard.OAuth.Protocol;

namespace Switchboard.Tests.OAuth;

/// <summary>The protocol's pure rules: redirect-URI matching (RFC 9700, RFC 8252), JWK thumbprints (RFC 7638), scopes.</summary>
public sealed class ProtocolRulesTests
{
    [Theory]
    [InlineData("https://client.example/cb", "https://client.example/cb", true)]
    [InlineData("https://client.example/cb", "https://client.example/cb/", false)]
    [InlineData("https://client.example/cb", "https://client.example/CB", false)]
    [InlineData("https://client.example/cb", "https://client.example/cb?next=1", false)]
    [InlineData("https://client.example/cb", "https://client.example/cb#frag", false)]
    [InlineData("https://client.example/cb", "https://client.example:8443/cb", false)]
    [InlineData("http://127.0.0.1/cb", "http://127.0.0.1:51004/cb", true)]
    [InlineData("http://127.0.0.1:8080/cb", "http://127.0.0.1:51004/cb", true)]
    [InlineData("http://[::1]/cb", "http://[::1]:6000/cb", true)]
    [InlineData("http://127.0.0.1/cb", "http://127.0.0.1:51004/other", false)]
    [InlineData("http://localhost/cb", "http://localhost:51004/cb", false)]
    [InlineData("http://client.example/cb", "http://client.example/cb", false)]
    [InlineData("com.example.app:/oauth/cb", "com.example.app:/oauth/cb", true)]
    [InlineData("javascript:alert(1)", "javascript:alert(1)", false)]
    [InlineData("https://user:pw@client.example/cb", "https://user:pw@client.example/cb", false)]
    public void RedirectUrisMatchExactlyExceptALoopbackPort(string registered, string requested, bool matches) =>
        RedirectUris.Matches([registered], requested).ShouldBe(matches);

    [Fact]
    public void AnRsaKeysThumbprintIsRfc7638sExample()
    {
        // RFC 7638 §3.1: this key's thumbprint is NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs.
        var jwk = JsonDocument.Parse("""
            {"kty":"RSA","e":"AQAB","alg":"RS256","kid":"2011-04-29",
             "n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}
            """).RootElement;
        var (key, jkt, error) = DpopProofs.PublicKey(jwk, "RS256");
        error.ShouldBeNull();
        key.ShouldNotBeNull();
        jkt.ShouldBe("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
        DpopProofs.PublicKey(jwk, "ES256").Error.ShouldNotBeNull(); // the key type must match the algorithm
        var withPrivate = JsonDocument.Parse("""{"kty":"RSA","e":"AQAB","n":"AQAB","d":"AQAB"}""").RootElement;
        DpopProofs.PublicKey(withPrivate, "RS256").Error!.ShouldContain("private");
    }

    [Fact]
    public void EffectiveScopesAreTheRequestWithinTheAppAndTheRole()
    {
        var app = new OAuthApp { Id = "app_x", OrganizationId = "org_x", ClientId = "sbc_x", Name = "x", Type = OAuthAppTypes.Public, Scopes = ["contacts:write", "audit_logs:read"] };
        OAuthScopes.Effective(["contacts:read", "contacts:write", "deals:read", "openid"], app, "viewer").ShouldBe(["contacts:read", "openid"]);
        OAuthScopes.Effective(["contacts:write", "audit_logs:read", "admin"], app, "member").ShouldBe(["contacts:write"]); // audit_logs is sensitive: *:read does not reach it
        OAuthScopes.Effective(["contacts:write", "audit_logs:read", "admin"], app, "owner").ShouldBe(["contacts:write", "audit_logs:read"]);
        OAuthScopes.Describe("contacts:write").ShouldBe("See and change your contacts");
        OAuthScopes.Describe("openid").ShouldContain("who you are");
    }
}
