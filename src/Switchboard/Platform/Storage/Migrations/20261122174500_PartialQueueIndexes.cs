using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Switchboard.Platform.Storage.Migrations;

/// <summary>
/// The outbox and the delivery queue are read from their heads all the time ("the oldest undispatched events", "the
/// pending deliveries that are due"), while their rows leave the queue by an UPDATE. Full indexes over every row ever
/// queued made PostgreSQL answer the lease with a bitmap scan over past deliveries; partial indexes hold only the queue,
/// so the lease is an ordered index scan and a finished row no longer adds entries to them.
/// </summary>
[DbContext(typeof(SwitchboardDbContext))]
[Migration("20261122174500_PartialQueueIndexes")]
public sealed class PartialQueueIndexes : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex("IX_webhook_deliveries_status_next_attempt_at", "webhook_deliveries");
        migrationBuilder.CreateIndex("IX_webhook_deliveries_next_attempt_at", "webhook_deliveries", "next_attempt_at", filter: "status = 'pending'");
        migrationBuilder.DropIndex("IX_outbox_events_dispatched_at_id", "outbox_events");
        migrationBuilder.CreateIndex("IX_outbox_events_id", "outbox_events", "id", filter: "dispatched_at IS NULL");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex("IX_outbox_events_id", "outbox_events");
        migrationBuilder.CreateIndex("IX_outbox_events_dispatched_at_id", "outbox_events", ["dispatched_at", "id"]);
        migrationBuilder.DropIndex("IX_webhook_deliveries_next_attempt_at", "webhook_deliveries");
        migrationBuilder.CreateIndex("IX_webhook_deliveries_status_next_attempt_at", "webhook_deliveries", ["status", "next_attempt_at"]);
    }
}
