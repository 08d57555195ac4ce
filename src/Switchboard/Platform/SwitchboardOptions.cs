using System.ComponentModel.DataAnnotations;

namespace Switchboard.Platform;

/// <summary>Root of the <c>Switchboard</c> configuration section. Every key is validated at start-up.</summary>
public sealed class SwitchboardOptions : IValidatableObject
{
    public const string Section = "Switchboard";

    /// <summary>
    /// The installation's public origin (<c>https://api.example.com</c>, optionally with a path), as clients reach it:
    /// the OAuth 2.0 issuer identifier (RFC 8414 §2), the base of the endpoints its metadata names and of the URLs
    /// DPoP proofs sign (RFC 9449 <c>htu</c>). Unset, each request's own scheme and host are used, which suits one node
    /// reached under one name; nodes reached under different names (or behind a proxy that rewrites the host) need it.
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    public OAuthOptions OAuth { get; set; } = new();

    public DatabaseOptions Database { get; set; } = new();
    public AuthOptions Auth { get; set; } = new();
    public ApiKeyOptions ApiKeys { get; set; } = new();
    public EncryptionOptions Encryption { get; set; } = new();
    public ApiOptions Api { get; set; } = new();
    public WebhookOptions Webhooks { get; set; } = new();
    public Integrations.IntegrationOptions Integrations { get; set; } = new();
    public RateLimitOptions RateLimits { get; set; } = new();
    public UsageOptions Usage { get; set; } = new();
    public AdminOptions Admin { get; set; } = new();
    public ShutdownOptions Shutdown { get; set; } = new();
    public Telemetry.TelemetryOptions Telemetry { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (PublicBaseUrl is { } url && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"
                && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment) && string.IsNullOrEmpty(uri.UserInfo)))
            yield return new ValidationResult("must be an absolute http or https URL without query, fragment or user info", [nameof(PublicBaseUrl)]);
    }
}

/// <summary>The OAuth 2.0 authorization server's lifetimes and windows.</summary>
public sealed class OAuthOptions
{
    /// <summary>How long a user has to sign in and consent after the client sends them to <c>/oauth/authorize</c>.</summary>
    [Range(60, 3_600)] public int AuthorizationRequestLifetimeSeconds { get; set; } = 600;
    /// <summary>The <c>expires_in</c> of a pushed authorization request's <c>request_uri</c> (RFC 9126 §2.2).</summary>
    [Range(10, 600)] public int PushedRequestLifetimeSeconds { get; set; } = 90;
    /// <summary>Authorization codes live this long (RFC 6749 §4.1.2 recommends at most 10 minutes; 60 s here).</summary>
    [Range(10, 600)] public int CodeLifetimeSeconds { get; set; } = 60;
    /// <summary>How far a DPoP proof's <c>iat</c> may be from the server's clock (RFC 9449 §11.1), either way.</summary>
    [Range(5, 600)] public int DpopProofWindowSeconds { get; set; } = 60;
    /// <summary>How long a node keeps a registered app in memory for client authentication (changes reach every node sooner, through the invalidation feed).</summary>
    [Range(0, 3_600)] public int AppCacheSeconds { get; set; } = 60;
}

public sealed class LimitSetting
{
    /// <summary>How many requests the window allows: a token bucket of this size, refilled evenly over the window (see the rate limits guide).</summary>
    [Range(1, 1_000_000_000)] public int Requests { get; set; }
    /// <summary>How long the bucket takes to refill completely.</summary>
    [Range(1, 31 * 86_400)] public int WindowSeconds { get; set; }
}

public sealed class RateLimitOptions
{
    /// <summary>Whether rate limits and daily quotas are enforced. Off, requests are still counted for usage.</summary>
    public bool Enabled { get; set; } = true;
    /// <summary>For API keys without a rateLimit of their own.</summary>
    public LimitSetting ApiKeyDefault { get; set; } = new() { Requests = 1_000, WindowSeconds = 3_600 };
    /// <summary>Per signed-in user (access tokens).</summary>
    public LimitSetting User { get; set; } = new() { Requests = 5_000, WindowSeconds = 3_600 };
    /// <summary>Per client IP on unauthenticated endpoints (signup, login, token endpoints).</summary>
    public LimitSetting Anonymous { get; set; } = new() { Requests = 30, WindowSeconds = 60 };
    /// <summary>Daily request quota of each plan (Enterprise is set per organization).</summary>
    public Dictionary<string, long> PlanDailyQuotas { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["starter"] = 1_000, ["professional"] = 10_000, ["pro"] = 100_000,
    };
    /// <summary>
    /// PostgreSQL only: each node leases a small slice of a busy limit from the shared counter and admits from it in
    /// memory, instead of one database round trip per request. Never admits more than the limit; the rate limits guide
    /// states how many requests it may refuse while another node holds unused tokens. Off, every request is counted in
    /// the shared row (one round trip per request, queued on the row's lock).
    /// </summary>
    public bool Leasing { get; set; } = true;
    /// <summary>
    /// What a request gets when the counter store fails (unreachable, out of connections): true admits it without a verdict
    /// (the API stays up; counted as <c>failed_open</c>), false refuses it with 503 <c>service_unavailable</c> and
    /// Retry-After (no request passes a limit unchecked; counted as <c>failed_closed</c>).
    /// </summary>
    public bool FailOpen { get; set; } = true;
    /// <summary>How long a node keeps a lease before it gives back what it did not use (seconds).</summary>
    [Range(0.05, 10)] public double LeaseSeconds { get; set; } = 1;
    /// <summary>The most tokens one node leases at once from one limit; a lease is also at most 1% of the limit and a fraction of what is left.</summary>
    [Range(2, 1_000_000)] public int MaxLeaseTokens { get; set; } = 1_000;
    /// <summary>How many nodes share the limits; a node leases at most what is left divided by twice this number.</summary>
    [Range(1, 1_000)] public int ExpectedNodes { get; set; } = 4;
}

public sealed class UsageOptions
{
    /// <summary>How long each request's own raw record is kept (the usage API and export read the roll-ups, not these).</summary>
    [Range(1, 3_650)] public int RawRetentionDays { get; set; } = 14;
    /// <summary>How long the hourly and daily roll-ups (what the usage API and dashboard read) are kept; a day's row goes once all its hours have.</summary>
    [Range(1, 3_650)] public int HourlyRetentionDays { get; set; } = 400;
    /// <summary>How often each node writes its buffered usage records and their roll-ups; a crash loses at most this long of usage.</summary>
    [Range(0.05, 60)] public double FlushSeconds { get; set; } = 1;
}

public sealed class AdminOptions
{
    /// <summary>Platform operators' token for the /api/v1/admin endpoints (sent as X-Admin-Token). Unset disables them.</summary>
    public string? Token { get; set; }
}

/// <summary>How a node stops on SIGTERM (or Ctrl+C): one budget for everything it finishes before it exits.</summary>
public sealed class ShutdownOptions
{
    /// <summary>
    /// How long a graceful stop (SIGTERM, Ctrl+C) may take, all told: requests in flight are answered, webhook
    /// deliveries in flight finish and are recorded (those still in flight 5 s before the
    /// end are aborted, stay leased and are sent again), buffered usage records are written. The host's shutdown
    /// timeout; a container platform's grace period (Kubernetes' <c>terminationGracePeriodSeconds</c>, Compose's
    /// <c>stop_grace_period</c>) must be longer.
    /// </summary>
    [Range(1, 3_600)] public double TimeoutSeconds { get; set; } = 30;

    /// <summary>What the stop keeps, of <see cref="TimeoutSeconds"/>, for recording the drained deliveries and the flushes after them.</summary>
    public static readonly TimeSpan RecordingMargin = TimeSpan.FromSeconds(5);

    public TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSeconds);

    /// <summary>How long webhook deliveries in flight may go on once the delivery worker stops leasing.</summary>
    public TimeSpan DeliveryDrain => Timeout > RecordingMargin ? Timeout - RecordingMargin : TimeSpan.Zero;
}

public enum DatabaseProvider { Sqlite, Postgres }

public sealed class DatabaseOptions
{
    /// <summary><c>sqlite</c> (default, embedded) or <c>postgres</c>.</summary>
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>
    /// SQLite only: the node holds its database file exclusively while it runs (SQLite's <c>unix-excl</c> VFS). Locks are
    /// then taken once per process instead of with an <c>fcntl</c> call per transaction, and the WAL index lives in
    /// the process's memory instead of a shared <c>-shm</c> file. Another process (a second node, the admin command
    /// line, the sqlite3 shell) cannot open the file meanwhile; it is refused at start-up with a clear error. That
    /// is also what the node's guarantees assume: on SQLite, rate-limit counters are exact within one process. Set it
    /// to false to let other processes open the file while the node runs. Ignored on Windows, which has no such VFS.
    /// </summary>
    public bool SqliteExclusive { get; set; } = true;
}

public sealed class AuthOptions
{
    /// <summary>Whether anyone may create an organization with <c>POST /api/v1/auth/signup</c>. Off, only invitations add users.</summary>
    public bool AllowSignup { get; set; } = true;

    /// <summary>The <c>iss</c> and <c>aud</c> of access tokens. Every node of one installation must agree.</summary>
    [Required, MinLength(1)]
    public string Issuer { get; set; } = "switchboard";

    /// <summary>How long a user's access token (a JWT) is valid.</summary>
    [Range(60, 86_400)]
    public int AccessTokenLifetimeSeconds { get; set; } = 900;

    /// <summary>How long a user's refresh token is valid; each use rotates it.</summary>
    [Range(3_600, 31_536_000)]
    public int RefreshTokenLifetimeSeconds { get; set; } = 30 * 86_400;

    /// <summary>PBKDF2-HMAC-SHA256 iterations; OWASP's 2023 guidance is 600,000.</summary>
    [Range(10_000, 10_000_000)]
    public int PasswordHashIterations { get; set; } = 600_000;

    /// <summary>How often each node reads revocations made by other nodes.</summary>
    [Range(0.1, 60)]
    public double InvalidationPollSeconds { get; set; } = 2;

    public LoginThrottleOptions LoginThrottle { get; set; } = new();

    /// <summary>
    /// A browser sign-in (the sign-in and consent pages, the dashboard) ends after this long without a request.
    /// The defaults follow OWASP ASVS 4.0.3 V3.3.2 at level 2: 30 minutes idle, 12 hours at most.
    /// </summary>
    [Range(60, 2_592_000)]
    public int BrowserSessionIdleSeconds { get; set; } = 1_800;

    /// <summary>A browser sign-in ends this long after the password was entered, however active it stays.</summary>
    [Range(300, 31_536_000)]
    public int BrowserSessionLifetimeSeconds { get; set; } = 43_200;
}

public sealed class LoginThrottleOptions
{
    /// <summary>Failed sign-ins to one account within the window before further attempts are refused for a while.</summary>
    [Range(1, 1_000)] public int MaxFailuresPerAccount { get; set; } = 5;
    /// <summary>Failed sign-ins from one client IP within the window before further attempts are refused for a while.</summary>
    [Range(1, 100_000)] public int MaxFailuresPerIp { get; set; } = 50;
    /// <summary>How far back failed sign-ins count.</summary>
    [Range(10, 86_400)] public int WindowSeconds { get; set; } = 900;
    /// <summary>How long sign-ins are refused the first time; each further time doubles it.</summary>
    [Range(1, 3_600)] public int BaseLockoutSeconds { get; set; } = 30;
    /// <summary>The longest sign-ins are refused at a time.</summary>
    [Range(1, 86_400)] public int MaxLockoutSeconds { get; set; } = 900;
}

public sealed class ApiKeyOptions
{
    /// <summary>How long a verified key is trusted from memory. Revocations reach every node sooner through the invalidation feed.</summary>
    [Range(0, 3_600)]
    public int CacheSeconds { get; set; } = 60;

    /// <summary>How long an unknown key is remembered as unknown (keys are random, so none can appear later).</summary>
    [Range(0, 3_600)]
    public int NegativeCacheSeconds { get; set; } = 30;

    /// <summary>How often each node writes its keys' last-used times (batched, not one write per request).</summary>
    [Range(1, 3_600)]
    public int LastUsedFlushSeconds { get; set; } = 10;

    /// <summary>
    /// Database look-ups of keys that turn out not to exist, per client IP per minute, per node. Anyone can compute a
    /// well-formed key (the checksum stops typos, not forgers); past this budget an IP's unknown keys are refused with
    /// 429 without touching the database.
    /// </summary>
    [Range(1, 1_000_000)]
    public int UnknownKeyLookupsPerIpPerMinute { get; set; } = 60;
}

public sealed class EncryptionOptions
{
    /// <summary>Base64 of a 32-byte key that encrypts secrets at rest (AES-256-GCM). Required with PostgreSQL;
    /// with SQLite and no key, one is generated next to the database file.</summary>
    public string? Key { get; set; }

    /// <summary>Former keys, still accepted for decryption after a key change.</summary>
    public List<string> PreviousKeys { get; set; } = [];
}

public sealed class ApiOptions
{
    /// <summary>The largest request body the API takes; a larger one is refused with 413.</summary>
    [Range(1_024, 104_857_600)]
    public long MaxRequestBodyBytes { get; set; } = 1_048_576;
}

public sealed class WebhookOptions
{
    /// <summary>
    /// Whether webhook endpoints (and custom HTTP integrations) may point at loopback, private, link-local or other
    /// internal addresses. Off by default: a tenant's URL must not reach the deployment's own network (SSRF).
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }
    /// <summary>How long a receiver has to answer one delivery before it counts as failed and is retried.</summary>
    [Range(1, 120)] public int TimeoutSeconds { get; set; } = 15;
    /// <summary>Waits before each retry; jittered ±20%. After the last, the delivery is dead. Empty means <see cref="DefaultSchedule"/>.</summary>
    public List<double> RetryScheduleSeconds { get; set; } = [];
    /// <summary>5 s, 30 s, 2 min, 10 min, 30 min, 2 h, 5 h, 10 h: nine attempts over about 18 hours.</summary>
    public static readonly IReadOnlyList<double> DefaultSchedule = [5, 30, 120, 600, 1_800, 7_200, 18_000, 36_000];
    // (The binder appends configured items to a list's defaults, so the default lives apart from the bound list.)
    public IReadOnlyList<double> Schedule => RetryScheduleSeconds.Count > 0 ? RetryScheduleSeconds : DefaultSchedule;
    /// <summary>How often the outbox dispatcher and the delivery loops look for work when no signal woke them (writes on the same node wake them at once).</summary>
    [Range(10, 60_000)] public int PollMilliseconds { get; set; } = 200;
    /// <summary>Deliveries in flight at once per delivery loop.</summary>
    [Range(1, 64)] public int Concurrency { get; set; } = 16;
    /// <summary>
    /// Delivery loops per node, each with its own leased batch. One is the default: a batch never waits on a slow
    /// receiver for long (its stragglers finish on their own), and one loop gathers the node's deliveries into bigger
    /// batches, which cost less each to lease and record than two loops' smaller ones (bench/README.md). More loops
    /// overlap one batch's recording with another's sending.
    /// </summary>
    [Range(1, 16)] public int Loops { get; set; } = 1;
    /// <summary>An endpoint failing without a single success this long is disabled.</summary>
    [Range(0.0001, 365)] public double DisableAfterFailingDays { get; set; } = 5;
    /// <summary>Finished deliveries, their attempts and dispatched outbox events are kept this long.</summary>
    [Range(1, 3_650)] public int RetentionDays { get; set; } = 30;
}
