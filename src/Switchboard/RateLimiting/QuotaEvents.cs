using Switchboard.Platform.Resources;

namespace Switchboard.RateLimiting;

/// <summary>The data of <c>quota.warning</c> and <c>quota.exceeded</c> (see <see cref="QuotaAlerts"/>).</summary>
public sealed record QuotaEventData(string OrganizationId, string Level, long Limit, long Used, string Day, DateTime ResetsAt);

/// <summary>The events <see cref="QuotaAlerts"/> records, as <see cref="ResourceRegistry"/> knows them.</summary>
public static class QuotaEvents
{
    public const string WarningEvent = "quota.warning";
    public const string ExceededEvent = "quota.exceeded";

    /// <summary>The event of a level of <see cref="QuotaAlerts"/>.</summary>
    public static string Of(string level) => level == QuotaAlerts.Warning ? WarningEvent : ExceededEvent;

    public static readonly ApiResource Declaration = new("quota")
    {
        Events =
        [
            new(WarningEvent, "The organization used 80% of its daily request quota.", typeof(QuotaEventData)),
            new(ExceededEvent, "The organization used all of its daily request quota.", typeof(QuotaEventData)),
        ],
    };
}
