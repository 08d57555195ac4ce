using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Switchboard.Platform.Storage.Migrations;

/// <summary>
/// The daily usage roll-up and the hourly totals (<see cref="Usage.UsageDay"/>, <see cref="Usage.UsageHourTotal"/>), filled
/// from the hourly roll-up already there, an index for the overview's attempts of the last 24 hours, and one for an endpoint's next retry due (its
/// pending deliveries). The tables were
/// scaffolded by tools/MigrationScaffolder; the copy is written by hand (SQLite stores a timestamp as text,
/// <c>yyyy-MM-dd HH:mm:ss</c>, so its day is the first ten characters). See MigrationsMatchModelTests.
/// </summary>
[DbContext(typeof(SwitchboardDbContext))]
[Migration("20261204170737_UsageDailyRollups")]
public sealed class UsageDailyRollups : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable("api_usage_daily", t => new
        {
            organization_id = t.Column<string>(maxLength: 40),
            api_key_id = t.Column<string>(maxLength: 40),
            user_id = t.Column<string>(maxLength: 40),
            client_id = t.Column<string>(maxLength: 64),
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
            t.PrimaryKey("PK_api_usage_daily", x => new { x.organization_id, x.day, x.api_key_id, x.user_id, x.client_id, x.method, x.route, x.status });
            t.ForeignKey("FK_api_usage_daily_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
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
        migrationBuilder.CreateIndex("IX_api_usage_daily_day", "api_usage_daily", "day");
        migrationBuilder.CreateIndex("IX_api_usage_hourly_totals_hour", "api_usage_hourly_totals", "hour");
        migrationBuilder.CreateIndex("IX_webhook_attempts_organization_id_attempted_at", "webhook_attempts", ["organization_id", "attempted_at"]);
        migrationBuilder.CreateIndex("IX_webhook_deliveries_endpoint_id_next_attempt_at", "webhook_deliveries", ["endpoint_id", "next_attempt_at"],
            filter: "status = 'pending'");

        var day = DatabaseSettings.ProviderOf(migrationBuilder.ActiveProvider) == DatabaseProvider.Postgres
            ? "(date_trunc('day', hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"
            : "substr(hour, 1, 10) || ' 00:00:00'";
        migrationBuilder.Sql($"""
            INSERT INTO api_usage_daily (organization_id, day, api_key_id, user_id, client_id, method, route, status, {Sums})
                SELECT organization_id, {day}, api_key_id, user_id, client_id, method, route, status, {string.Join(", ", Sums.Split(", ").Select(c => $"sum({c})"))}
                FROM api_usage_hourly GROUP BY organization_id, {day}, api_key_id, user_id, client_id, method, route, status;
            INSERT INTO api_usage_hourly_totals (organization_id, hour, api_key_id, client_id, requests, failed)
                SELECT organization_id, hour, api_key_id, client_id, sum(requests), sum(CASE WHEN status >= 400 THEN requests ELSE 0 END)
                FROM api_usage_hourly GROUP BY organization_id, hour, api_key_id, client_id;
            """);
    }

    private const string Sums = "requests, latency_micros, request_bytes, response_bytes, l0, l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12, l13";

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex("IX_webhook_deliveries_endpoint_id_next_attempt_at", "webhook_deliveries");
        migrationBuilder.DropIndex("IX_webhook_attempts_organization_id_attempted_at", "webhook_attempts");
        migrationBuilder.DropTable("api_usage_hourly_totals");
        migrationBuilder.DropTable("api_usage_daily");
    }
}
