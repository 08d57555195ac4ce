using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Switchboard.Platform.Storage.Migrations;

/// <summary>
/// The usage roll-ups without the credential (<see cref="Usage.UsageEndpointHour"/>, <see cref="Usage.UsageEndpointDay"/>),
/// filled from the roll-ups with it, so the organization's breakdown by endpoint reads a fifth of the rows. The tables
/// were scaffolded by tools/MigrationScaffolder; the copy is written by hand. See MigrationsMatchModelTests.
/// </summary>
[DbContext(typeof(SwitchboardDbContext))]
[Migration("20261204223829_UsageEndpointRollups")]
public sealed class UsageEndpointRollups : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable("api_usage_daily_endpoints", t => new
        {
            organization_id = t.Column<string>(maxLength: 40),
            method = t.Column<string>(maxLength: 10),
            route = t.Column<string>(maxLength: 200),
            status = t.Column<int>(),
            day = t.Column<DateTime>(),
            requests = t.Column<long>(),
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
            t.PrimaryKey("PK_api_usage_daily_endpoints", x => new { x.organization_id, x.day, x.method, x.route, x.status });
            t.ForeignKey("FK_api_usage_daily_endpoints_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateTable("api_usage_hourly_endpoints", t => new
        {
            organization_id = t.Column<string>(maxLength: 40),
            method = t.Column<string>(maxLength: 10),
            route = t.Column<string>(maxLength: 200),
            status = t.Column<int>(),
            hour = t.Column<DateTime>(),
            requests = t.Column<long>(),
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
            t.PrimaryKey("PK_api_usage_hourly_endpoints", x => new { x.organization_id, x.hour, x.method, x.route, x.status });
            t.ForeignKey("FK_api_usage_hourly_endpoints_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateIndex("IX_api_usage_daily_endpoints_day", "api_usage_daily_endpoints", "day");
        migrationBuilder.CreateIndex("IX_api_usage_hourly_endpoints_hour", "api_usage_hourly_endpoints", "hour");

        var sums = string.Join(", ", Sums.Split(", ").Select(c => $"sum({c})"));
        migrationBuilder.Sql($"""
            INSERT INTO api_usage_hourly_endpoints (organization_id, hour, method, route, status, {Sums})
                SELECT organization_id, hour, method, route, status, {sums}
                FROM api_usage_hourly GROUP BY organization_id, hour, method, route, status;
            INSERT INTO api_usage_daily_endpoints (organization_id, day, method, route, status, {Sums})
                SELECT organization_id, day, method, route, status, {sums}
                FROM api_usage_daily GROUP BY organization_id, day, method, route, status;
            """);
    }

    private const string Sums = "requests, latency_micros, request_bytes, response_bytes, l0, l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12, l13";

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("api_usage_hourly_endpoints");
        migrationBuilder.DropTable("api_usage_daily_endpoints");
    }
}
