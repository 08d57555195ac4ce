using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Switchboard.Platform.Storage.Migrations;

/// <summary>
/// The hourly totals (<see cref="Usage.UsageHourTotal"/>) gain latency (a sum and a histogram) and bytes, so a period's
/// totals and percentiles are read from a row per hour and credential instead of one per hour, credential, endpoint and
/// status; filled again from the hourly roll-up. The columns were scaffolded by tools/MigrationScaffolder, the copy is
/// written by hand. See MigrationsMatchModelTests.
/// </summary>
[DbContext(typeof(SwitchboardDbContext))]
[Migration("20261204200742_UsageTotalsMeasures")]
public sealed class UsageTotalsMeasures : Migration
{
    /// <summary>The measures the hourly totals gain, in the order of <see cref="Usage.UsageMeasures"/> after <c>requests</c>.</summary>
    private static readonly string[] Measures = ["latency_micros", "request_bytes", "response_bytes", "l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8", "l9", "l10", "l11", "l12", "l13"];

    // The totals are the hourly roll-up summed over endpoint and status (written by the same flushes, pruned at the same
    // age), so the table is made again and filled from it: on both databases the same operations, and no column default
    // left behind by adding NOT NULL columns to rows already there.
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("api_usage_hourly_totals");
        migrationBuilder.CreateTable("api_usage_hourly_totals", t => new
        {
            organization_id = t.Column<string>(maxLength: 40),
            hour = t.Column<DateTime>(),
            api_key_id = t.Column<string>(maxLength: 40),
            client_id = t.Column<string>(maxLength: 64),
            requests = t.Column<long>(),
            failed = t.Column<long>(),
            latency_micros = t.Column<long>(),
            request_bytes = t.Column<long>(),
            response_bytes = t.Column<long>(),
            l0 = t.Column<long>(),
            l1 = t.Column<long>(),
            l2 = t.Column<long>(),
            l3 = t.Column<long>(),
            l4 = t.Column<long>(),
            l5 = t.Column<long>(),
            l6 = t.Column<long>(),
            l7 = t.Column<long>(),
            l8 = t.Column<long>(),
            l9 = t.Column<long>(),
            l10 = t.Column<long>(),
            l11 = t.Column<long>(),
            l12 = t.Column<long>(),
            l13 = t.Column<long>(),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_api_usage_hourly_totals", x => new { x.organization_id, x.hour, x.api_key_id, x.client_id });
            t.ForeignKey("FK_api_usage_hourly_totals_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        Fill(migrationBuilder, Measures);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("api_usage_hourly_totals");
        migrationBuilder.CreateTable("api_usage_hourly_totals", t => new
        {
            organization_id = t.Column<string>(maxLength: 40),
            hour = t.Column<DateTime>(),
            api_key_id = t.Column<string>(maxLength: 40),
            client_id = t.Column<string>(maxLength: 64),
            requests = t.Column<long>(),
            failed = t.Column<long>(),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_api_usage_hourly_totals", x => new { x.organization_id, x.hour, x.api_key_id, x.client_id });
            t.ForeignKey("FK_api_usage_hourly_totals_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        Fill(migrationBuilder, []);
    }

    /// <summary>The pruner's index, and the rows summed from the hourly roll-up with <paramref name="measures"/> beside requests and failures.</summary>
    private static void Fill(MigrationBuilder migrationBuilder, string[] measures)
    {
        migrationBuilder.CreateIndex("IX_api_usage_hourly_totals_hour", "api_usage_hourly_totals", "hour");
        migrationBuilder.Sql($"""
            INSERT INTO api_usage_hourly_totals (organization_id, hour, api_key_id, client_id, requests, failed{string.Concat(measures.Select(c => ", " + c))})
                SELECT organization_id, hour, api_key_id, client_id, sum(requests), sum(CASE WHEN status >= 400 THEN requests ELSE 0 END){string.Concat(measures.Select(c => $", sum({c})"))}
                FROM api_usage_hourly GROUP BY organization_id, hour, api_key_id, client_id;
            """);
    }
}
