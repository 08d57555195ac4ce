using System.Security.Cryptography;
using System.Text;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Providers.Accounting;

/// <summary>
/// What QuickBooks' and Xero's webhooks share: one URL per app for every connected company, signed with an app-level
/// secret as a base64 HMAC-SHA256 of the raw body (QuickBooks' <c>intuit-signature</c>, Xero's <c>x-xero-signature</c>),
/// and notifications that name records, not their contents. A verified notification for an active installation becomes
/// one <c>integration.provider_record_changed</c> event per record (<see cref="IntegrationProviderRecordData"/>) in the
/// installation's organization: the CRM keeps no ledger of its own, so the event is what rules and webhook subscribers
/// act on (reading the record from the provider). Providers redeliver until answered 200, so an event may repeat.
/// </summary>
public static class AccountingWebhooks
{
    /// <summary>At most this many records of one notification become events (QuickBooks batches up to 5 minutes of changes).</summary>
    public const int MaxRecords = 1000;

    /// <summary>The header is the base64 HMAC-SHA256 of the raw body keyed with <paramref name="secret"/>, compared in constant time.</summary>
    public static bool Verifies(string secret, string? header, byte[] body)
    {
        if (string.IsNullOrEmpty(header)) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, body));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.UTF8.GetBytes(header.Trim()));
    }

    public static string Sign(string secret, byte[] body) => Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>
    /// The provider-level step: no secret configured is <see cref="AppInbound.Unconfigured"/>; a request that is not a POST
    /// signed with it gets <paramref name="refusal"/>; a body <paramref name="changes"/> cannot read is 400 with
    /// <paramref name="unreadable"/>; otherwise the accounts it names.
    /// </summary>
    public static AppInbound Read(string? secret, string signatureHeader, InboundRequest request, InboundResult refusal, string unreadable,
        Func<byte[], List<Change>?> changes)
    {
        if (secret is not { Length: > 0 }) return AppInbound.Unconfigured;
        if (request.Method != "POST" || !Verifies(secret, request.Header(signatureHeader), request.Body)) return AppInbound.Refused(refusal);
        return changes(request.Body) is { } found ? AppInbound.For(found.Select(c => c.Account))
            : AppInbound.Refused(new InboundResult(400, System.Text.Json.JsonSerializer.Serialize(new { error = unreadable })));
    }

    /// <summary>An installation's step: verified again (the same request, so the same answer), then its own account's changes recorded.</summary>
    public static async Task<InboundResult> ReceiveAsync(ConnectorContext context, InboundRequest request, Func<Platform.SwitchboardOptions, InboundRequest, AppInbound> read,
        Func<byte[], List<Change>?> changes, CancellationToken cancellationToken)
    {
        var verdict = read(context.Options, request);
        if (verdict.Answer is { } answer) return answer;
        return await RecordAsync(context, changes(request.Body)!, cancellationToken);
    }

    /// <summary>One changed record as a provider's notification names it.</summary>
    public sealed record Change(string Account, string Entity, string EntityId, string Operation, DateTime? OccurredAt);

    /// <summary>
    /// Stages the changes of <paramref name="context"/>'s own account as events of its organization, when the installation
    /// is active; a change of another account (the same notification may name several) is not this installation's.
    /// </summary>
    public static async Task<InboundResult> RecordAsync(ConnectorContext context, IEnumerable<Change> changes, CancellationToken cancellationToken)
    {
        var installation = context.Installation;
        if (installation.Status != InstallationStatus.Active || installation.ProviderAccountId is not { } account) return InboundResult.Ok;
        var db = context.Services.GetRequiredService<SwitchboardDbContext>();
        var staged = 0;
        foreach (var change in changes.Where(c => string.Equals(c.Account, account, StringComparison.OrdinalIgnoreCase)).Take(MaxRecords))
        {
            IntegrationResources.StageEvent(db, IntegrationResources.ProviderRecordChangedEvent, installation.Id,
                new IntegrationProviderRecordData(installation.Id, installation.ProviderKey, account, Cut(change.Entity.ToLowerInvariant(), 60),
                    Cut(change.EntityId, 200), Cut(change.Operation.ToLowerInvariant(), 60), change.OccurredAt),
                installation.OrganizationId, context.Time);
            staged++;
        }
        if (staged > 0) await db.SaveChangesAsync(cancellationToken);
        return InboundResult.Ok;
    }

    public static DateTime? Time(string? text) =>
        DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
            ? at.UtcDateTime : null;

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..max];
}
