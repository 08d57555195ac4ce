using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Switchboard.Platform.Storage.Migrations;

/// <summary>
/// Outbox events and webhook deliveries keep the W3C trace context of the work that wrote the event
/// (Platform/Telemetry/TraceContext.cs), so a delivery attempt continues its trace. Nullable: rows from before, and rows
/// written while telemetry is off, have none. Written by hand after tools/MigrationScaffolder's form; see MigrationsMatchModelTests.
/// </summary>
[DbContext(typeof(SwitchboardDbContext))]
[Migration("20261204230000_TraceContext")]
public sealed class TraceContext : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        foreach (var table in (string[])["outbox_events", "webhook_deliveries"])
        {
            migrationBuilder.AddColumn<string>("trace_parent", table, maxLength: 128, nullable: true);
            migrationBuilder.AddColumn<string>("trace_state", table, maxLength: 512, nullable: true);
        }
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        // ALTER TABLE ... DROP COLUMN, which SQLite (3.35 and later) and PostgreSQL both run; EF Core's SQLite generator
        // refuses DropColumn (it would rebuild the table instead).
        foreach (var table in (string[])["outbox_events", "webhook_deliveries"])
        {
            migrationBuilder.Sql($"ALTER TABLE {table} DROP COLUMN trace_parent");
            migrationBuilder.Sql($"ALTER TABLE {table} DROP COLUMN trace_state");
        }
    }
}
