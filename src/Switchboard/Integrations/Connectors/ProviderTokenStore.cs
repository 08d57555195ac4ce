using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Integrations.Catalog;
using Switchboard.Platform;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Connectors;

/// <summary>
/// Keeps installations' provider tokens fresh. A token is refreshed when it has less than
/// <see cref="IntegrationOptions.RefreshBeforeExpirySeconds"/> left (on use here, and ahead of use by the background
/// refresher), or when the provider refused it (a 401). Across nodes, one refreshes an installation at a time: it takes
/// a lease on the installation's row (<see cref="IntegrationInstallation.RefreshLeaseUntil"/>, conditional on the token
/// version it read, so a node that read stale tokens never refreshes what another already refreshed); the others wait
/// and re-read until the version moves or the lease runs out. Within a node, one caller per installation goes to the
/// database at a time. Many providers rotate refresh tokens (a used one is dead), so two refreshes side by side would
/// cost the installation its authorization: the lease is not an optimisation.
/// A refused refresh sets the installation to <c>needs_reauth</c> and emits <c>integration.auth_failed</c>.
/// </summary>
public sealed class ProviderTokenStore(IServiceScopeFactory scopes, IntegrationSecrets secrets, ProviderCatalog catalog, IHttpClientFactory clients,
    IOptions<SwitchboardOptions> options, TimeProvider time, ILogger<ProviderTokenStore> logger)
{
    public const string HttpClientName = "integrations";
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _local = new(StringComparer.Ordinal);

    /// <summary>
    /// The installation's tokens, refreshed first when close to expiry or when <paramref name="force"/> (the provider
    /// refused <paramref name="staleAccessToken"/>). Throws <see cref="ProviderException"/> with
    /// <see cref="ProviderException.NeedsReauthorization"/> when there are none or they cannot be refreshed.
    /// </summary>
    public async Task<ProviderTokens> AccessAsync(IntegrationInstallation installation, ProviderDefinition provider, bool force, CancellationToken cancellationToken,
        string? staleAccessToken = null)
    {
        var settings = options.Value.Integrations;
        var tokens = secrets.Tokens(installation) ?? throw NotConnected(provider);
        if (!force && !NeedsRefresh(tokens)) return tokens;

        var gate = _local.GetOrAdd(installation.Id, static _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var deadline = time.UtcNow().AddSeconds(settings.RefreshLeaseSeconds * 2 + settings.TimeoutSeconds);
            while (true)
            {
                var (row, current) = await ReadAsync(installation.Id, cancellationToken);
                if (current is null) throw NotConnected(provider);
                // Someone (this node or another) refreshed since the caller read: use theirs.
                if (force ? current.AccessToken != (staleAccessToken ?? tokens.AccessToken) : !NeedsRefresh(current)) return current;
                if (row.Status == InstallationStatus.NeedsReauth) throw NotConnected(provider, row.StatusReason);
                if (current.RefreshToken is null)
                {
                    if (!force) return current; // does not expire, or cannot be refreshed: used until the provider refuses it
                    throw await AuthorizationLostAsync(row, provider, "The provider refused the access token and issued no refresh token.");
                }
                if (await TryLeaseAsync(row, cancellationToken)) return await RefreshAsync(row, current, provider, cancellationToken);
                if (time.UtcNow() > deadline)
                    throw new ProviderException($"Timed out waiting for another node to refresh the {provider.Name} tokens.", null, null, retryable: true);
                await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken); // another node holds the lease: wait, re-read
            }
        }
        finally { gate.Release(); }
    }

    private bool NeedsRefresh(ProviderTokens tokens) =>
        tokens.ExpiresAt is { } expires && expires - time.UtcNow() < TimeSpan.FromSeconds(options.Value.Integrations.RefreshBeforeExpirySeconds);

    private async Task<(IntegrationInstallation Row, ProviderTokens? Tokens)> ReadAsync(string installationId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var row = await db.Set<IntegrationInstallation>().IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(i => i.Id == installationId, cancellationToken)
            ?? throw new ProviderException("The installation was deleted.", null, null, retryable: false);
        return (row, secrets.Tokens(row));
    }

    /// <summary>Takes the refresh lease if no node holds it and the tokens are still the version read (one conditional update).</summary>
    private async Task<bool> TryLeaseAsync(IntegrationInstallation row, CancellationToken cancellationToken)
    {
        var now = time.UtcNow();
        var until = now.AddSeconds(options.Value.Integrations.RefreshLeaseSeconds);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        return await db.Set<IntegrationInstallation>().IgnoreQueryFilters()
            .Where(i => i.Id == row.Id && i.TokenVersion == row.TokenVersion && (i.RefreshLeaseUntil == null || i.RefreshLeaseUntil < now))
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.RefreshLeaseUntil, until), cancellationToken) == 1;
    }

    /// <summary>Refreshes under the lease (RFC 6749 §6) and stores the new tokens, releasing the lease in the same write.</summary>
    private async Task<ProviderTokens> RefreshAsync(IntegrationInstallation row, ProviderTokens current, ProviderDefinition provider, CancellationToken cancellationToken)
    {
        ProviderTokens fresh;
        try
        {
            // Not cancelled once sent (a node's stop, a caller gone): a provider that rotates refresh tokens (RFC 6749
            // §6, the client must then discard the old one) has replaced the token by the time it answers, and an
            // answer abandoned would leave the installation with a dead refresh token. The provider call's own timeout
            // (Switchboard:Integrations:TimeoutSeconds) bounds it.
            fresh = await RequestTokensAsync(provider, current, new Dictionary<string, string>
            {
                ["grant_type"] = "refresh_token", ["refresh_token"] = current.RefreshToken!,
            }, CancellationToken.None);
        }
        catch (ProviderException ex) when (ex.NeedsReauthorization)
        {
            throw await AuthorizationLostAsync(row, provider, ex.ProviderError ?? ex.Message);
        }
        catch
        {
            await ReleaseAsync(row.Id);
            throw;
        }
        await StoreAsync(row.Id, fresh, cancellationToken);
        logger.LogInformation("Refreshed the {Provider} tokens of installation {InstallationId}", provider.Key, row.Id);
        return fresh;
    }

    /// <summary>
    /// Stores new tokens (after a code exchange or a refresh): encrypted, their expiry in plain for the refresher, the
    /// version bumped so waiting nodes see them, the lease released, and the installation active again.
    /// </summary>
    public async Task StoreAsync(string installationId, ProviderTokens tokens, CancellationToken cancellationToken)
    {
        var now = time.UtcNow();
        var encrypted = secrets.ProtectTokens(installationId, tokens);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        await db.Set<IntegrationInstallation>().IgnoreQueryFilters().Where(i => i.Id == installationId).ExecuteUpdateAsync(s => s
            .SetProperty(i => i.TokensEncrypted, encrypted)
            .SetProperty(i => i.TokenExpiresAt, tokens.ExpiresAt)
            .SetProperty(i => i.TokenVersion, i => i.TokenVersion + 1)
            .SetProperty(i => i.RefreshLeaseUntil, (DateTime?)null)
            .SetProperty(i => i.Status, InstallationStatus.Active)
            .SetProperty(i => i.StatusReason, (string?)null)
            .SetProperty(i => i.UpdatedAt, now), CancellationToken.None);
    }

    /// <summary>
    /// Keeps <paramref name="extra"/> beside the installation's tokens (<see cref="ProviderTokens.Extra"/>), whatever
    /// refresh happened since they were issued: the stored tokens are read, merged and written back only while they are
    /// still the version read and no node holds the refresh lease (a refresh in flight would store over the merge);
    /// otherwise it reads again.
    /// </summary>
    public async Task AddExtraAsync(string installationId, IReadOnlyDictionary<string, string> extra, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (row, current) = await ReadAsync(installationId, cancellationToken);
            if (current is null) throw new ProviderException("The installation has no tokens to keep the values with.", null, null, retryable: false);
            var merged = new Dictionary<string, string>(current.Extra ?? new Dictionary<string, string>());
            foreach (var (name, value) in extra) merged[name] = value;
            var encrypted = secrets.ProtectTokens(installationId, current with { Extra = merged });
            var now = time.UtcNow();
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            var written = await db.Set<IntegrationInstallation>().IgnoreQueryFilters()
                .Where(i => i.Id == installationId && i.TokenVersion == row.TokenVersion && (i.RefreshLeaseUntil == null || i.RefreshLeaseUntil < now))
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.TokensEncrypted, encrypted).SetProperty(i => i.TokenVersion, i => i.TokenVersion + 1), cancellationToken);
            if (written == 1) return;
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
        }
    }

    /// <summary>
    /// Exchanges an authorization code at the provider's token endpoint (RFC 6749 §4.1.3, with the PKCE verifier of
    /// RFC 7636 §4.5 when the provider takes PKCE).
    /// </summary>
    public Task<ProviderTokens> ExchangeCodeAsync(ProviderDefinition provider, string code, string redirectUri, string? codeVerifier, CancellationToken cancellationToken)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = redirectUri };
        if (codeVerifier is not null) form["code_verifier"] = codeVerifier;
        return RequestTokensAsync(provider, previous: null, form, cancellationToken);
    }

    /// <summary>A token endpoint request with the operator's client credentials, by the provider's client authentication (RFC 6749 §2.3.1).</summary>
    private async Task<ProviderTokens> RequestTokensAsync(ProviderDefinition provider, ProviderTokens? previous, Dictionary<string, string> form,
        CancellationToken cancellationToken)
    {
        var settings = ProviderUrls.Settings(options.Value, provider.Key);
        var (clientId, clientSecret) = (settings?.ClientId, settings?.ClientSecret);
        if (string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(clientSecret))
            throw new ProviderException($"No OAuth client is configured for {provider.Name} (Switchboard:Integrations:Providers:{provider.Key}:ClientId and ClientSecret).",
                null, null, retryable: false);
        var tokenUrl = ProviderUrls.TokenUrl(options.Value, provider);
        var basic = provider.Auth.ClientAuthentication == "basic";
        if (!basic) { form["client_id"] = clientId; form["client_secret"] = clientSecret; }
        var client = new ProviderClient(clients.CreateClient(HttpClientName), this, installation: null, provider, TimeSpan.FromSeconds(options.Value.Integrations.TimeoutSeconds));
        var response = await client.SendAsync(() =>
        {
            HttpContent content = provider.Auth.TokenRequestFormat == "json"
                ? System.Net.Http.Json.JsonContent.Create(form)
                : new FormUrlEncodedContent(form);
            var request = new HttpRequestMessage(HttpMethod.Post, tokenUrl) { Content = content };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            // RFC 6749 §2.3.1: client id and secret form-urlencoded before base64.
            if (basic)
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(
                    Uri.EscapeDataString(clientId) + ":" + Uri.EscapeDataString(clientSecret))));
            return request;
        }, cancellationToken, authenticate: false);
        return catalog.Connector(provider.Key).ReadTokenResponse(response, previous, time.UtcNow());
    }

    /// <remarks>Writes with no cancellation: the caller's cancellation must not leave the lease held or the state half-recorded.</remarks>
    private async Task<ProviderException> AuthorizationLostAsync(IntegrationInstallation row, ProviderDefinition provider, string reason)
    {
        var now = time.UtcNow();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var tracked = await db.Set<IntegrationInstallation>().IgnoreQueryFilters().FirstOrDefaultAsync(i => i.Id == row.Id, CancellationToken.None);
        if (tracked is not null && tracked.Status != InstallationStatus.NeedsReauth)
        {
            tracked.Status = InstallationStatus.NeedsReauth;
            tracked.StatusReason = reason.Length <= 1000 ? reason : reason[..1000];
            tracked.RefreshLeaseUntil = null;
            tracked.UpdatedAt = now;
            IntegrationResources.StageEvent(db, IntegrationResources.AuthFailedEvent, tracked.Id,
                new IntegrationEventData(tracked.Id, tracked.ProviderKey, tracked.Name, tracked.Status, tracked.StatusReason), tracked.OrganizationId, time);
            await db.SaveChangesAsync(CancellationToken.None);
            logger.LogWarning("Installation {InstallationId} ({Provider}) needs to be connected again: the refresh was refused", row.Id, provider.Key);
        }
        else if (tracked is not null) await ReleaseAsync(row.Id);
        return NotConnected(provider, reason);
    }

    private async Task ReleaseAsync(string installationId)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        await db.Set<IntegrationInstallation>().IgnoreQueryFilters().Where(i => i.Id == installationId)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.RefreshLeaseUntil, (DateTime?)null), CancellationToken.None);
    }

    private static ProviderException NotConnected(ProviderDefinition provider, string? reason = null) =>
        new($"The installation is not connected to {provider.Name}{(reason is null ? "" : ": " + reason)}; connect it again (GET /api/v1/integrations/{{id}}/connect).",
            401, reason, retryable: false) { NeedsReauthorization = true };
}
