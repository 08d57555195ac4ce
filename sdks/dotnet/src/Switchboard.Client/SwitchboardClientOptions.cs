namespace Switchboard.Client;

/// <summary>How a <see cref="SwitchboardClient"/> reaches and authenticates to the API, and how it retries.</summary>
public sealed class SwitchboardClientOptions
{
    /// <summary>The node's origin, e.g. <c>https://api.example.com</c> (paths start at <c>/api/v1</c>).</summary>
    public Uri BaseAddress { get; set; } = new("http://localhost:5080");

    /// <summary>An API key, sent as <c>X-API-Key</c>. Set one of <see cref="ApiKey"/>, <see cref="AccessToken"/>, <see cref="TokenSource"/>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>A bearer access token (a user's JWT or an OAuth access token), sent as <c>Authorization: Bearer</c>.</summary>
    public string? AccessToken { get; set; }

    /// <summary>Where access tokens come from when they expire: <see cref="OAuthClientCredentials"/> or <see cref="OAuthRefreshToken"/>.</summary>
    public IAccessTokenSource? TokenSource { get; set; }

    /// <summary>The installation's operator token (<c>X-Admin-Token</c>), for the platform-administration operations only.</summary>
    public string? AdminToken { get; set; }

    /// <summary>How long one attempt may take before it is abandoned (and retried). Default 30 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries after the first attempt on network errors, timeouts, 429, 502, 503, 504 and 409 idempotency_request_in_progress. Default 3; 0 turns retries off.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>The first backoff delay; each retry doubles it, with jitter. Default 0.5 s.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest <c>Retry-After</c> the client waits out; a longer one is raised at once as the error. Default 60 s.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The clock (tests substitute one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The <c>User-Agent</c> sent with each request.</summary>
    public string UserAgent { get; set; } = "switchboard-dotnet/" + typeof(SwitchboardClientOptions).Assembly.GetName().Version?.ToString(3);

    internal void Validate()
    {
        if (!BaseAddress.IsAbsoluteUri) throw new ArgumentException("BaseAddress must be an absolute URI.", nameof(BaseAddress));
        var credentials = (ApiKey is null ? 0 : 1) + (AccessToken is null ? 0 : 1) + (TokenSource is null ? 0 : 1);
        if (credentials > 1) throw new ArgumentException("Set only one of ApiKey, AccessToken and TokenSource.");
        if (Timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(Timeout), "Timeout must be positive.");
        if (MaxRetries < 0) throw new ArgumentOutOfRangeException(nameof(MaxRetries), "MaxRetries cannot be negative.");
    }
}
