using System.Security.Cryptography;
using System.Text;
using Switchboard.Platform.Security;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Storage;

namespace Switchboard.Platform.Idempotency;

/// <summary>
/// <c>Idempotency-Key</c> on POST, after the IETF httpapi draft (draft-ietf-httpapi-idempotency-key-header): the first
/// request with a key claims it; a retry with the same key and body replays the first response with
/// <c>Idempotent-Replayed: true</c>; the same key with another body answers 422; a retry while the first still runs
/// answers 409. Keys belong to an organization and live 24 hours. A 5xx releases the key so the client may retry.
/// A node that dies mid-request holds the key only for <see cref="Lease"/>, after which a retry takes it over.
/// </summary>
public sealed class IdempotencyMiddleware(RequestDelegate next, TimeProvider time, ILogger<IdempotencyMiddleware> logger)
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);

    public async Task InvokeAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method) || context.GetEndpoint() is null
            || context.FindCaller() is not { } caller || !context.Request.Headers.TryGetValue(Header, out var values))
        {
            await next(context);
            return;
        }
        var key = values.Count == 1 ? values[0] : null;
        if (key is null || key.Length is 0 or > 255 || key.Any(c => c < 0x21 || c > 0x7E))
        {
            await ApiProblem.WriteAsync(context, 400, ErrorCodes.IdempotencyKeyInvalid, "Idempotency-Key must be 1 to 255 visible ASCII characters.");
            return;
        }

        // Resolved here, not injected into InvokeAsync: only POSTs with a key pay for a DbContext.
        var db = context.RequestServices.GetRequiredService<SwitchboardDbContext>();
        var hash = await FingerprintAsync(context.Request);
        var claim = await ClaimAsync(db, caller.OrganizationId, key, hash, context.RequestAborted);
        switch (claim.Outcome)
        {
            case ClaimOutcome.Replay:
                await ReplayAsync(context, claim.Existing!);
                return;
            case ClaimOutcome.Mismatch:
                await ApiProblem.WriteAsync(context, 422, ErrorCodes.IdempotencyKeyReused,
                    "This Idempotency-Key was used with a different request. Use a new key for a new request.");
                return;
            case ClaimOutcome.InProgress:
                context.Response.Headers.RetryAfter = "1";
                await ApiProblem.WriteAsync(context, 409, ErrorCodes.IdempotencyRequestInProgress,
                    "A request with this Idempotency-Key is still being processed. Retry shortly.");
                return;
        }

        var feature = new IdempotencyFeature(caller.OrganizationId, key, context.RequestServices.GetRequiredService<SecretProtector>());
        context.Features.Set(feature);
        var original = context.Response.Body;
        await using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context);
        }
        catch
        {
            context.Response.Body = original;
            await ReleaseAsync(db, feature);
            throw;
        }
        context.Response.Body = original;

        var status = context.Response.StatusCode;
        if (status >= 500) await ReleaseAsync(db, feature);
        else if (!feature.Completed)
        {
            await db.Database.ExecuteSqlInterpolatedAsync(feature.CompleteSql(status, HeadersOf(context.Response), buffer.ToArray()), CancellationToken.None);
        }
        buffer.Position = 0;
        await buffer.CopyToAsync(original, context.RequestAborted);
    }

    private static async Task<string> FingerprintAsync(HttpRequest request)
    {
        request.EnableBuffering();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"{request.Method}\n{request.Path}{request.QueryString}\n"));
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0) sha.AppendData(chunk, 0, read);
        request.Body.Position = 0;
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private enum ClaimOutcome { Claimed, Replay, Mismatch, InProgress }
    private readonly record struct Claim(ClaimOutcome Outcome, IdempotencyRecord? Existing = null);

    private async Task<Claim> ClaimAsync(SwitchboardDbContext db, string organizationId, string key, string hash, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var now = time.UtcNow();
            var expires = now + Retention;
            var lockedUntil = now + Lease;
            // One statement claims the key on any node: the primary key decides who was first.
            var inserted = await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO idempotency_keys (organization_id, "key", request_hash, created_at, expires_at, locked_until)
                VALUES ({organizationId}, {key}, {hash}, {now}, {expires}, {lockedUntil})
                ON CONFLICT (organization_id, "key") DO NOTHING
                """, cancellationToken);
            if (inserted == 1) return new Claim(ClaimOutcome.Claimed);

            var existing = await db.IdempotencyRecords.AsNoTracking()
                .FirstOrDefaultAsync(r => r.OrganizationId == organizationId && r.Key == key, cancellationToken);
            if (existing is null) continue; // released or pruned in between: try again
            if (existing.ExpiresAt <= now)
            {
                await db.IdempotencyRecords.Where(r => r.OrganizationId == organizationId && r.Key == key && r.ExpiresAt <= now)
                    .ExecuteDeleteAsync(cancellationToken);
                continue;
            }
            if (!string.Equals(existing.RequestHash, hash, StringComparison.Ordinal)) return new Claim(ClaimOutcome.Mismatch);
            if (existing.ResponseStatus is not null) return new Claim(ClaimOutcome.Replay, existing);
            if (existing.LockedUntil > now) return new Claim(ClaimOutcome.InProgress);

            // The node that held it stopped without answering: take the key over, if nobody else just did.
            var taken = await db.IdempotencyRecords
                .Where(r => r.OrganizationId == organizationId && r.Key == key && r.ResponseStatus == null && r.LockedUntil == existing.LockedUntil)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.LockedUntil, lockedUntil), cancellationToken);
            if (taken == 1)
            {
                logger.LogWarning("Took over abandoned Idempotency-Key of organization {OrganizationId}", organizationId);
                return new Claim(ClaimOutcome.Claimed);
            }
            return new Claim(ClaimOutcome.InProgress);
        }
        return new Claim(ClaimOutcome.InProgress);
    }

    private static async Task ReplayAsync(HttpContext context, IdempotencyRecord record)
    {
        context.Response.StatusCode = record.ResponseStatus!.Value;
        var headers = record.ResponseHeaders is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(record.ResponseHeaders);
        foreach (var (name, value) in headers ?? []) context.Response.Headers[name] = value;
        context.Response.Headers[ReplayedHeader] = "true";
        if (record.ResponseBody is { Length: > 0 } body)
            await context.Response.Body.WriteAsync(IdempotencyFeature.ReadBody(record, context.RequestServices.GetRequiredService<SecretProtector>()), context.RequestAborted);
    }

    private static async Task ReleaseAsync(SwitchboardDbContext db, IdempotencyFeature feature)
    {
        if (feature.Completed) return;
        await db.IdempotencyRecords.Where(r => r.OrganizationId == feature.OrganizationId && r.Key == feature.Key && r.ResponseStatus == null)
            .ExecuteDeleteAsync(CancellationToken.None);
    }

    internal static string HeadersOf(HttpResponse response)
    {
        var kept = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in new[] { "Content-Type", "Location", "ETag" })
            if (response.Headers.TryGetValue(name, out var v) && v.Count > 0) kept[name] = v.ToString();
        return JsonSerializer.Serialize(kept);
    }

}

/// <summary>Present on a request that holds an Idempotency-Key, so a write can complete the key in its own transaction.</summary>
public sealed class IdempotencyFeature(string organizationId, string key, SecretProtector protector)
{
    public string OrganizationId { get; } = organizationId;
    public string Key { get; } = key;
    public bool Completed { get; private set; }

    /// <summary>
    /// Records the response in <paramref name="db"/>'s current transaction, so the change and its idempotent replay
    /// commit together: a crash can never leave a change whose retry would make it again.
    /// </summary>
    public async Task CompleteWithinAsync(SwitchboardDbContext db, int status, IReadOnlyDictionary<string, string> headers, byte[] body, CancellationToken cancellationToken)
    {
        await db.Database.ExecuteSqlInterpolatedAsync(CompleteSql(status, JsonSerializer.Serialize(headers), body), cancellationToken);
        Completed = true;
    }

    /// <summary>
    /// Records the response for replay. Its body is encrypted (a create's answer may hold a secret shown once: an API
    /// key, a webhook or client secret), under a purpose bound to the organization and the key.
    /// </summary>
    internal FormattableString CompleteSql(int status, string headers, byte[] body)
    {
        var stored = protector.ProtectBytes(body, BodyPurpose(OrganizationId, Key));
        return $"""
            UPDATE idempotency_keys SET response_status = {status}, response_headers = {headers}, response_body = {stored}, locked_until = NULL
            WHERE organization_id = {OrganizationId} AND "key" = {Key}
            """;
    }

    internal static string BodyPurpose(string organizationId, string key) => $"idempotency-response:{organizationId}:{key}";

    /// <summary>The recorded body, decrypted; one recorded before bodies were encrypted (JSON, never starting with 0x01) as it is.</summary>
    internal static byte[] ReadBody(IdempotencyRecord record, SecretProtector protector) =>
        SecretProtector.IsProtectedBytes(record.ResponseBody) ? protector.UnprotectBytes(record.ResponseBody, BodyPurpose(record.OrganizationId, record.Key))
            : record.ResponseBody!;
}

/// <summary>Deletes expired keys once an hour.</summary>
public sealed class IdempotencyPruner(IServiceScopeFactory scopes, TimeProvider time, ILogger<IdempotencyPruner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
                var now = time.UtcNow();
                await db.IdempotencyRecords.Where(r => r.ExpiresAt < now).ExecuteDeleteAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException) { logger.LogWarning(ex, "Pruning idempotency keys failed"); }
            try { await Task.Delay(TimeSpan.FromHours(1), time, stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }
}
