using Switchboard.Webhooks;

namespace Switchboard.Tests.Webhooks;

/// <summary>
/// Deliveries the dispatcher creates leased to its own node are handed to the delivery loops in memory. One that waited
/// so long that an attempt could outlast its lease is not sent from memory: it is left to the database, where its
/// lease runs out and a node leases it again, so two nodes never send it side by side.
/// </summary>
public sealed class HandOverTests
{
    private static WebhookDelivery Delivery(string id, DateTime leasedUntil) => new()
    {
        Id = id, OrganizationId = "org_1", EndpointId = "whk_1", EventId = "evt_" + id, EventType = "contact.created", Payload = "{}",
        LockedUntil = leasedUntil,
    };

    [Fact]
    public void OnlyDeliveriesLeasedLongEnoughAreTakenAndTheRestAreDropped()
    {
        using var signals = new WebhookSignals();
        var now = new DateTime(2026, 11, 22, 12, 0, 0, DateTimeKind.Utc);
        signals.HandOver([Delivery("a", now.AddSeconds(30)), Delivery("b", now.AddSeconds(10)), Delivery("c", now.AddSeconds(25))]);

        var taken = signals.TakeHandedOver(10, leasedPast: now.AddSeconds(16));
        taken.Select(d => d.Id).ShouldBe(["a", "c"]);
        signals.TakeHandedOver(10, now).ShouldBeEmpty(); // "b" was dropped, not kept for later
    }

    [Fact]
    public void TakingStopsAtTheBatchSizeAndKeepsTheRestInOrder()
    {
        using var signals = new WebhookSignals();
        var now = new DateTime(2026, 11, 22, 12, 0, 0, DateTimeKind.Utc);
        signals.HandOver(Enumerable.Range(0, 5).Select(i => Delivery($"d{i}", now.AddSeconds(30))));
        signals.TakeHandedOver(3, now).Select(d => d.Id).ShouldBe(["d0", "d1", "d2"]);
        signals.TakeHandedOver(3, now).Select(d => d.Id).ShouldBe(["d3", "d4"]);
        signals.HandOverHasRoom.ShouldBeTrue();
    }

    [Fact]
    public void AFullHandOverHasNoRoom()
    {
        using var signals = new WebhookSignals();
        var now = new DateTime(2026, 11, 22, 12, 0, 0, DateTimeKind.Utc);
        signals.HandOver(Enumerable.Range(0, WebhookSignals.HandOverLimit).Select(i => Delivery($"d{i}", now.AddSeconds(30))));
        signals.HandOverHasRoom.ShouldBeFalse();
        signals.TakeHandedOver(1, now).Count.ShouldBe(1);
        signals.HandOverHasRoom.ShouldBeTrue();
    }
}
