namespace Switchboard.OAuth.Protocol;

/// <summary>
/// <c>POST /oauth/par</c>, pushed authorization requests (RFC 9126): the client authenticates as at the token endpoint
/// and sends the authorization request's parameters in the body; they are validated now and stored, and the client
/// gets a one-time <c>request_uri</c> (<c>urn:ietf:params:oauth:request_uri:…</c>) to send the user to
/// <c>/oauth/authorize</c> with, before <c>expires_in</c> seconds pass. Errors are the token endpoint's JSON (§2.3).
/// </summary>
public static class ParEndpoint
{
    public static async Task<IResult> HandleAsync(HttpContext http, ClientAuthenticator clients, AuthorizationRequests requests, DpopProofs dpop,
        OAuthIssuer issuers, Microsoft.Extensions.Options.IOptions<Platform.SwitchboardOptions> options, CancellationToken ct)
    {
        var request = await clients.ReadAsync(http, "pushed request", singleValued: false, ct);
        if (request.Refusal is { } refusal) return refusal;
        var (form, client) = (request.Form!, request.Client!);
        if (form.ContainsKey("request_uri"))
            return OAuthResults.Error(http, OAuthError.InvalidRequest("request_uri cannot be pushed (RFC 9126 §2.1)."));
        // The authentication parameters are not part of the authorization request.
        foreach (var name in new[] { "client_secret", "client_assertion", "client_assertion_type" }) form.Remove(name);

        // RFC 9449 §10.1: a DPoP proof on the pushed request binds the code to its key, as dpop_jkt would; both given, they
        // must name the same key.
        if (DpopProofs.Present(http))
        {
            var (proof, error) = await dpop.ValidateAsync(http, accessToken: null, ct);
            if (proof is null) return OAuthResults.Error(http, OAuthError.InvalidDpopProof(error!));
            if (form.TryGetValue("dpop_jkt", out var jkt) && (jkt.Count != 1 || !string.Equals(jkt[0], proof.Value.Jkt, StringComparison.Ordinal)))
                return OAuthResults.Error(http, OAuthError.InvalidDpopProof("dpop_jkt does not match the key of the DPoP proof (RFC 9449 §10.1)."));
            form["dpop_jkt"] = proof.Value.Jkt;
        }

        if (AuthorizationParameterRules.CheckRedirectUri(client.App, form, out var redirectUri) is { } redirectFault)
            return OAuthResults.Error(http, redirectFault);
        if (AuthorizationParameterRules.CheckRest(client.App, redirectUri, form, out var parameters) is { } fault)
            return OAuthResults.Error(http, fault);
        var stored = await requests.StoreAsync(parameters!, pushed: true, issuers.For(http), ct);
        return OAuthResults.Ok(http, new Dictionary<string, object>
        {
            ["request_uri"] = AuthorizationRequests.RequestUriPrefix + stored.Id,
            ["expires_in"] = options.Value.OAuth.PushedRequestLifetimeSeconds,
        }, StatusCodes.Status201Created);
    }
}
