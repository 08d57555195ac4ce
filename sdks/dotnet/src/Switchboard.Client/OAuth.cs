using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Switchboard.Client;

/// <summary>Where a client's bearer tokens come from; asked before each request, so it should cache.</summary>
public interface IAccessTokenSource
{
    /// <summary>A valid access token.</summary>
    ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The shared part of the OAuth token sources: the token endpoint found by discovery (RFC 8414, at
/// <c>/.well-known/oauth-authorization-server</c>), client authentication with HTTP Basic (RFC 6749 §2.3.1), and the
/// access token cached until shortly before it expires; concurrent callers share one token request.
/// </summary>
public abstract class OAuthTokenSource : IAccessTokenSource, IDisposable
{
    private static readonly TimeSpan ExpirySkew = TimeSpan.FromSeconds(30);
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _time;
    private Uri? _tokenEndpoint;
    private string? _accessToken;
    private DateTimeOffset _expiresAt;

    /// <summary>Creates the source.</summary>
    protected OAuthTokenSource(Uri issuer, string clientId, string? clientSecret, HttpClient? httpClient, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        Issuer = issuer;
        ClientId = clientId;
        ClientSecret = clientSecret;
        _ownsHttp = httpClient is null;
        _http = httpClient ?? new HttpClient();
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The authorization server (the Switchboard node's origin).</summary>
    public Uri Issuer { get; }

    /// <summary>The app's client_id.</summary>
    public string ClientId { get; }

    /// <summary>The app's client_secret (confidential apps).</summary>
    protected string? ClientSecret { get; }

    /// <inheritdoc />
    public async ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken)
    {
        if (_accessToken is { } cached && _time.GetUtcNow() < _expiresAt) return cached;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_accessToken is { } again && _time.GetUtcNow() < _expiresAt) return again;
            var token = await RequestTokenAsync(GrantParameters(), cancellationToken);
            OnTokenIssued(token);
            _accessToken = token.AccessToken;
            _expiresAt = _time.GetUtcNow() + TimeSpan.FromSeconds(Math.Max(0, token.ExpiresIn)) - ExpirySkew;
            return token.AccessToken;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets the cached access token (the next call gets a new one).</summary>
    public void Invalidate() => _accessToken = null;

    /// <summary>The form fields of this grant.</summary>
    protected abstract IEnumerable<KeyValuePair<string, string>> GrantParameters();

    /// <summary>Called with each token answer before it is used (a refresh-token source keeps the rotated token).</summary>
    protected virtual void OnTokenIssued(TokenResponse token) { }

    private async Task<TokenResponse> RequestTokenAsync(IEnumerable<KeyValuePair<string, string>> parameters, CancellationToken cancellationToken)
    {
        _tokenEndpoint ??= await DiscoverTokenEndpointAsync(cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, _tokenEndpoint) { Content = new FormUrlEncodedContent(parameters) };
        if (ClientSecret is not null)
        {
            // Note: RFC 6749 §2.3.1 form-encodes client_id and client_secret before joining them for HTTP Basic.
            var basic = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(ClientId)}:{Uri.EscapeDataString(ClientSecret)}"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic);
        }
        using var response = await _http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            string? error = null, description = null;
            try
            {
                var failure = JsonSerializer.Deserialize(text, OAuthJsonContext.Default.TokenError);
                (error, description) = (failure?.Error, failure?.ErrorDescription);
            }
            catch (JsonException)
            {
            }
            throw new SwitchboardOAuthException((int)response.StatusCode, error ?? "http_" + (int)response.StatusCode, description);
        }
        return JsonSerializer.Deserialize(text, OAuthJsonContext.Default.TokenResponse) is { AccessToken.Length: > 0 } token
            ? token
            : throw new SwitchboardOAuthException((int)response.StatusCode, "invalid_token_response", "The token endpoint answered no access_token.");
    }

    private async Task<Uri> DiscoverTokenEndpointAsync(CancellationToken cancellationToken)
    {
        var metadata = await _http.GetFromJsonAsync(new Uri(Issuer, "/.well-known/oauth-authorization-server"), OAuthJsonContext.Default.ServerMetadata, cancellationToken);
        return metadata?.TokenEndpoint is { Length: > 0 } endpoint ? new Uri(endpoint)
            : throw new SwitchboardOAuthException(0, "invalid_metadata", "The authorization server metadata names no token_endpoint.");
    }

    /// <summary>Releases the HTTP client when the source made its own.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases resources.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing) return;
        if (_ownsHttp) _http.Dispose();
        _gate.Dispose();
    }
}

/// <summary>An app's own tokens: the client_credentials grant (RFC 6749 §4.4), cached until they expire.</summary>
public sealed class OAuthClientCredentials(Uri issuer, string clientId, string clientSecret, IEnumerable<string>? scopes = null,
    HttpClient? httpClient = null, TimeProvider? timeProvider = null) : OAuthTokenSource(issuer, clientId, clientSecret, httpClient, timeProvider)
{
    private readonly string? _scope = scopes is null ? null : string.Join(' ', scopes);

    /// <inheritdoc />
    protected override IEnumerable<KeyValuePair<string, string>> GrantParameters()
    {
        yield return new("grant_type", "client_credentials");
        if (_scope is { Length: > 0 }) yield return new("scope", _scope);
    }
}

/// <summary>
/// A user's tokens from a refresh token (RFC 6749 §6). The server rotates refresh tokens: each answer carries a new one,
/// which this source keeps (and reports through <see cref="RefreshTokenRotated"/> so you can store it); the old one is spent.
/// </summary>
public sealed class OAuthRefreshToken(Uri issuer, string clientId, string? clientSecret, string refreshToken,
    HttpClient? httpClient = null, TimeProvider? timeProvider = null) : OAuthTokenSource(issuer, clientId, clientSecret, httpClient, timeProvider)
{
    /// <summary>The current refresh token (the latest rotation).</summary>
    public string RefreshToken { get; private set; } = refreshToken;

    /// <summary>Raised with the new refresh token after each rotation.</summary>
    public event Action<string>? RefreshTokenRotated;

    /// <inheritdoc />
    protected override IEnumerable<KeyValuePair<string, string>> GrantParameters()
    {
        yield return new("grant_type", "refresh_token");
        yield return new("refresh_token", RefreshToken);
        if (ClientSecret is null) yield return new("client_id", ClientId); // public clients name themselves in the form
    }

    /// <inheritdoc />
    protected override void OnTokenIssued(TokenResponse token)
    {
        if (token.RefreshToken is not { Length: > 0 } rotated || rotated == RefreshToken) return;
        RefreshToken = rotated;
        RefreshTokenRotated?.Invoke(rotated);
    }
}

/// <summary>A token endpoint refused (RFC 6749 §5.2 <c>error</c>, e.g. <c>invalid_client</c>, <c>invalid_grant</c>).</summary>
public sealed class SwitchboardOAuthException(int status, string error, string? description)
    : SwitchboardException($"OAuth token request failed ({status}): {error}{(description is null ? "" : " - " + description)}")
{
    /// <summary>The HTTP status of the token endpoint's answer.</summary>
    public int Status { get; } = status;

    /// <summary>The OAuth error code.</summary>
    public string Error { get; } = error;
}

/// <summary>A token endpoint's answer (RFC 6749 §5.1).</summary>
public sealed record TokenResponse
{
    /// <summary>The access token.</summary>
    [JsonPropertyName("access_token")] public string AccessToken { get; init; } = "";
    /// <summary>Its lifetime in seconds.</summary>
    [JsonPropertyName("expires_in")] public long ExpiresIn { get; init; }
    /// <summary>The (rotated) refresh token, for user grants.</summary>
    [JsonPropertyName("refresh_token")] public string? RefreshToken { get; init; }
    /// <summary>The granted scopes.</summary>
    [JsonPropertyName("scope")] public string? Scope { get; init; }
    /// <summary><c>Bearer</c>.</summary>
    [JsonPropertyName("token_type")] public string? TokenType { get; init; }
}

internal sealed record TokenError([property: JsonPropertyName("error")] string? Error, [property: JsonPropertyName("error_description")] string? ErrorDescription);

internal sealed record ServerMetadata([property: JsonPropertyName("token_endpoint")] string? TokenEndpoint);

[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(TokenError))]
[JsonSerializable(typeof(ServerMetadata))]
internal sealed partial class OAuthJsonContext : JsonSerializerContext;
