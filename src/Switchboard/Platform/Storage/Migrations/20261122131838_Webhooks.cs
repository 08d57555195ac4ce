using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Switchboard.Platform.Storage.Migrations;

/// <summary>Scaffolded by tools/MigrationScaffolder; see MigrationsMatchModelTests.</summary>
[DbContext(typeof(SwitchboardDbContext))]
[Migration("20261122131838_Webhooks")]
public sealed class Webhooks : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable("webhook_endpoints", t => new
        {
            id = t.Column<string>(maxLength: 40),
            organization_id = t.Column<string>(maxLength: 40),
            url = t.Column<string>(maxLength: 2048),
            name = t.Column<string>(maxLength: 200, nullable: true),
            description = t.Column<string>(maxLength: 1000, nullable: true),
            events = t.Column<string>(maxLength: 4000),
            secret_encrypted = t.Column<string>(maxLength: 500),
            previous_secret_encrypted = t.Column<string>(maxLength: 500, nullable: true),
            previous_secret_expires_at = t.Column<DateTime>(nullable: true),
            headers_encrypted = t.Column<string>(maxLength: 20000, nullable: true),
            is_active = t.Column<bool>(),
            disabled_reason = t.Column<string>(maxLength: 500, nullable: true),
            created_at = t.Column<DateTime>(),
            updated_at = t.Column<DateTime>(),
            last_success_at = t.Column<DateTime>(nullable: true),
            last_failure_at = t.Column<DateTime>(nullable: true),
            failing_since = t.Column<DateTime>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_webhook_endpoints", x => x.id);
            t.ForeignKey("FK_webhook_endpoints_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateTable("webhook_deliveries", t => new
        {
            id = t.Column<string>(maxLength: 40),
            organization_id = t.Column<string>(maxLength: 40),
            endpoint_id = t.Column<string>(maxLength: 40),
            event_id = t.Column<string>(maxLength: 40),
            event_type = t.Column<string>(maxLength: 80),
            payload = t.Column<string>(),
            status = t.Column<string>(maxLength: 20),
            attempts = t.Column<int>(),
            next_attempt_at = t.Column<DateTime>(),
            locked_until = t.Column<DateTime>(nullable: true),
            last_status_code = t.Column<int>(nullable: true),
            last_error = t.Column<string>(maxLength: 1000, nullable: true),
            created_at = t.Column<DateTime>(),
            updated_at = t.Column<DateTime>(),
            completed_at = t.Column<DateTime>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_webhook_deliveries", x => x.id);
            t.ForeignKey("FK_webhook_deliveries_webhook_endpoints_endpoint_id", x => x.endpoint_id, "webhook_endpoints", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateTable("webhook_attempts", t => new
        {
            id = t.Column<string>(maxLength: 40),
            organization_id = t.Column<string>(maxLength: 40),
            delivery_id = t.Column<string>(maxLength: 40),
            endpoint_id = t.Column<string>(maxLength: 40),
            attempt = t.Column<int>(),
            attempted_at = t.Column<DateTime>(),
            status_code = t.Column<int>(nullable: true),
            latency_ms = t.Column<long>(),
            response_body = t.Column<string>(maxLength: 4096, nullable: true),
            error = t.Column<string>(maxLength: 1000, nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_webhook_attempts", x => x.id);
            t.ForeignKey("FK_webhook_attempts_webhook_deliveries_delivery_id", x => x.delivery_id, "webhook_deliveries", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateIndex("IX_webhook_attempts_delivery_id_attempt", "webhook_attempts", ["delivery_id", "attempt"]);
        migrationBuilder.CreateIndex("IX_webhook_attempts_endpoint_id_attempted_at", "webhook_attempts", ["endpoint_id", "attempted_at"]);
        migrationBuilder.CreateIndex("IX_webhook_deliveries_endpoint_id_event_id", "webhook_deliveries", ["endpoint_id", "event_id"]);
        migrationBuilder.CreateIndex("IX_webhook_deliveries_endpoint_id_id", "webhook_deliveries", ["endpoint_id", "id"]);
        migrationBuilder.CreateIndex("IX_webhook_deliveries_status_next_attempt_at", "webhook_deliveries", ["status", "next_attempt_at"]);
        migrationBuilder.CreateIndex("IX_webhook_endpoints_organization_id_id", "webhook_endpoints", ["organization_id", "id"]);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("webhook_attempts");
        migrationBuilder.DropTable("webhook_deliveries");
        migrationBuilder.DropTable("webhook_endpoints");
    }
}
