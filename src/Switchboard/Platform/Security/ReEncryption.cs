using System.Linq.Expressions;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Switchboard.Identity;
using Switchboard.Integrations;
using Switchboard.Platform.Idempotency;
using Switchboard.Platform.Storage;
using Switchboard.Webhooks;

namespace Switchboard.Platform.Security;

/// <summary>
/// Moves every value the database holds encrypted to the current key: the operator's <c>admin re-encrypt</c>, run after a
/// key change (the new key as <c>Key</c>, the old one under <c>PreviousKeys</c>) so that the old key can then be dropped.
/// <see cref="RunAsync"/> holds the one list of encrypted columns, each with the purpose its writers bind it to (their
/// own purpose functions). A value is rewritten only while it still holds what was read (<c>UPDATE … WHERE column =</c>
/// the value read): a node that changed it meanwhile wrote it under its own key, and its write stands.
/// </summary>
public sealed class ReEncryption(SwitchboardDbContext db, SecretProtector protector)
{
    private const int PageSize = 500;

    /// <summary>
    /// One column's outcome: values moved to the current key (checking: that would be), values already under it, values
    /// changed by a node between the read and the write (left as that node wrote them), and values that cannot be read,
    /// counted by why (the key that encrypted them is not configured, or they do not decrypt).
    /// </summary>
    public sealed record ColumnOutcome(string Column, int Moved, int Current, int Changed, IReadOnlyDictionary<string, int> Unreadable);

    /// <summary>Every encrypted column in turn. With <paramref name="write"/> false nothing changes: the outcome counts what would move.</summary>
    public async Task<IReadOnlyList<ColumnOutcome>> RunAsync(bool write, CancellationToken cancellationToken) =>
    [
        await TextAsync<SigningKey>("signing_keys.private_key_encrypted", k => k.Id, k => k.PrivateKeyEncrypted, SigningKeyRing.Purpose, write, cancellationToken),
        await TextAsync<WebhookEndpoint>("webhook_endpoints.secret_encrypted", e => e.Id, e => e.SecretEncrypted, WebhookSender.SecretPurpose, write, cancellationToken),
        await TextAsync<WebhookEndpoint>("webhook_endpoints.previous_secret_encrypted", e => e.Id, e => e.PreviousSecretEncrypted, WebhookSender.SecretPurpose, write,
            cancellationToken),
        await TextAsync<WebhookEndpoint>("webhook_endpoints.headers_encrypted", e => e.Id, e => e.HeadersEncrypted, WebhookSender.HeadersPurpose, write, cancellationToken),
        await TextAsync<IntegrationInstallation>("integration_installations.credentials_encrypted", i => i.Id, i => i.CredentialsEncrypted,
            IntegrationSecrets.CredentialsPurpose, write, cancellationToken),
        await TextAsync<IntegrationInstallation>("integration_installations.tokens_encrypted", i => i.Id, i => i.TokensEncrypted, IntegrationSecrets.TokensPurpose, write,
            cancellationToken),
        await IdempotencyBodiesAsync(write, cancellationToken),
    ];

    private sealed record Row(string Id, string? Value);

    /// <summary>Values the queries read from fields, which EF Core sends as parameters (one query shape for every page and row).</summary>
    private sealed class Slots
    {
        public string After = "", Id = "", Value = "";
    }

    /// <summary>A text column (<see cref="SecretProtector.Protect"/>'s form) of a table keyed by one text id, in pages by id.</summary>
    private async Task<ColumnOutcome> TextAsync<T>(string column, Expression<Func<T, string>> id, Expression<Func<T, string?>> value, Func<string, string> purpose,
        bool write, CancellationToken cancellationToken) where T : class
    {
        var x = id.Parameters[0];
        var valueBody = new Rebind(value.Parameters[0], x).Visit(value.Body);
        var slots = new Slots();
        Expression Slot(string name) => Expression.Field(Expression.Constant(slots), name);
        var compare = typeof(string).GetMethod(nameof(string.Compare), [typeof(string), typeof(string)])!;
        var afterId = Expression.Lambda<Func<T, bool>>(Expression.GreaterThan(
            Expression.Call(compare, id.Body, Slot(nameof(Slots.After))), Expression.Constant(0)), x);
        var notNull = Expression.Lambda<Func<T, bool>>(Expression.NotEqual(valueBody, Expression.Constant(null, typeof(string))), x);
        var select = Expression.Lambda<Func<T, Row>>(Expression.New(typeof(Row).GetConstructors()[0], id.Body, valueBody), x);
        var same = Expression.Lambda<Func<T, bool>>(Expression.AndAlso(
            Expression.Equal(id.Body, Slot(nameof(Slots.Id))), Expression.Equal(valueBody, Slot(nameof(Slots.Value)))), x);
        var rows = db.Set<T>().IgnoreQueryFilters().AsNoTracking();

        var tally = new Tally(column);
        while (true)
        {
            var page = await rows.Where(notNull).Where(afterId).OrderBy(id).Take(PageSize).Select(select).ToListAsync(cancellationToken);
            foreach (var row in page)
            {
                var old = row.Value!;
                var keyId = SecretProtector.KeyIdOf(old);
                if (keyId == protector.CurrentKeyId) { tally.Current++; continue; }
                if (!Readable(keyId, tally)) continue;
                string plaintext;
                try { plaintext = protector.Unprotect(old, purpose(row.Id)); }
                catch (Exception e) when (e is CryptographicException or FormatException) { tally.Unreadable($"under key {keyId}, which does not decrypt it"); continue; }
                if (!write) { tally.Moved++; continue; }
                var fresh = protector.Protect(plaintext, purpose(row.Id));
                (slots.Id, slots.Value) = (row.Id, old);
                var updated = await rows.Where(same).ExecuteUpdateAsync(s => s.SetProperty(value, fresh), cancellationToken);
                if (updated == 1) tally.Moved++;
                else tally.Changed++;
            }
            if (page.Count < PageSize) return tally.Outcome();
            slots.After = page[^1].Id;
        }
    }

    /// <summary>
    /// The responses kept for idempotent replay (<see cref="SecretProtector.ProtectBytes"/>'s form), in pages by
    /// (organization, key). A body kept before bodies were encrypted is encrypted now.
    /// </summary>
    private async Task<ColumnOutcome> IdempotencyBodiesAsync(bool write, CancellationToken cancellationToken)
    {
        var tally = new Tally("idempotency_keys.response_body");
        var rows = db.IdempotencyRecords.IgnoreQueryFilters().AsNoTracking();
        string afterOrganization = "", afterKey = "";
        while (true)
        {
            var page = await rows.Where(r => r.ResponseBody != null)
                .Where(r => string.Compare(r.OrganizationId, afterOrganization) > 0 || (r.OrganizationId == afterOrganization && string.Compare(r.Key, afterKey) > 0))
                .OrderBy(r => r.OrganizationId).ThenBy(r => r.Key).Take(PageSize)
                .Select(r => new { r.OrganizationId, r.Key, r.ResponseBody }).ToListAsync(cancellationToken);
            foreach (var row in page)
            {
                var old = row.ResponseBody!;
                var keyId = SecretProtector.KeyIdOf(old);
                if (keyId == protector.CurrentKeyId) { tally.Current++; continue; }
                var purpose = IdempotencyFeature.BodyPurpose(row.OrganizationId, row.Key);
                byte[] plaintext;
                if (keyId is null) plaintext = old; // kept in the clear, before bodies were encrypted
                else if (!Readable(keyId, tally)) continue;
                else
                {
                    try { plaintext = protector.UnprotectBytes(old, purpose); }
                    catch (CryptographicException) { tally.Unreadable($"under key {keyId}, which does not decrypt it"); continue; }
                }
                if (!write) { tally.Moved++; continue; }
                var fresh = protector.ProtectBytes(plaintext, purpose);
                var updated = await rows.Where(r => r.OrganizationId == row.OrganizationId && r.Key == row.Key && r.ResponseBody == old)
                    .ExecuteUpdateAsync(s => s.SetProperty(r => r.ResponseBody, fresh), cancellationToken);
                if (updated == 1) tally.Moved++;
                else tally.Changed++;
            }
            if (page.Count < PageSize) return tally.Outcome();
            (afterOrganization, afterKey) = (page[^1].OrganizationId, page[^1].Key);
        }
    }

    private bool Readable(string? keyId, Tally tally)
    {
        if (keyId is null) tally.Unreadable("not in the encrypted form");
        else if (!protector.HasKey(keyId)) tally.Unreadable($"under key {keyId}, which is not configured");
        else return true;
        return false;
    }

    private sealed class Tally(string column)
    {
        public int Moved, Current, Changed;
        private readonly SortedDictionary<string, int> _unreadable = new(StringComparer.Ordinal);
        public void Unreadable(string why) => _unreadable[why] = _unreadable.GetValueOrDefault(why) + 1;
        public ColumnOutcome Outcome() => new(column, Moved, Current, Changed, _unreadable);
    }

    private sealed class Rebind(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : node;
    }
}
