using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Switchboard.Platform.Storage.Migrations;

/// <summary>Scaffolded by tools/MigrationScaffolder; see MigrationsMatchModelTests.</summary>
[DbContext(typeof(SwitchboardDbContext))]
[Migration("20261122124258_RateLimitsAndUsage")]
public sealed class RateLimitsAndUsage : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable("api_requests", t => new
        {
            id = t.Column<string>(maxLength: 40),
            organization_id = t.Column<string>(maxLength: 40),
            api_key_id = t.Column<string>(maxLength: 40),
            user_id = t.Column<string>(maxLength: 40),
            method = t.Column<string>(maxLength: 10),
            route = t.Column<string>(maxLength: 200),
            status = t.Column<int>(),
            latency_micros = t.Column<long>(),
            request_bytes = t.Column<long>(),
            response_bytes = t.Column<long>(),
            request_id = t.Column<string>(maxLength: 128, nullable: true),
            created_at = t.Column<DateTime>(),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_api_requests", x => x.id);
        });
        migrationBuilder.AddColumn<long>("daily_quota", "organizations", nullable: true);
        migrationBuilder.CreateTable("rate_limit_buckets", t => new
        {
            key = t.Column<string>(maxLength: 200),
            tat = t.Column<long>(),
            day = t.Column<long>(),
            used = t.Column<long>(),
            expires_at = t.Column<DateTime>(),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_rate_limit_buckets", x => x.key);
        });
        migrationBuilder.CreateTable("api_usage_hourly", t => new
        {
            organization_id = t.Column<string>(maxLength: 40),
            hour = t.Column<DateTime>(),
            api_key_id = t.Column<string>(maxLength: 40),
            user_id = t.Column<string>(maxLength: 40),
            method = t.Column<string>(maxLength: 10),
            route = t.Column<string>(maxLength: 200),
            status = t.Column<int>(),
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
            t.PrimaryKey("PK_api_usage_hourly", x => new { x.organization_id, x.hour, x.api_key_id, x.user_id, x.method, x.route, x.status });
            t.ForeignKey("FK_api_usage_hourly_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateTable("quota_alerts", t => new
        {
            organization_id = t.Column<string>(maxLength: 40),
            day = t.Column<long>(),
            level = t.Column<string>(maxLength: 20),
            limit = t.Column<long>(),
            created_at = t.Column<DateTime>(),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_quota_alerts", x => new { x.organization_id, x.day, x.level });
            t.ForeignKey("FK_quota_alerts_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateIndex("IX_api_requests_created_at", "api_requests", "created_at");
        migrationBuilder.CreateIndex("IX_api_requests_organization_id_created_at", "api_requests", ["organization_id", "created_at"]);
        migrationBuilder.CreateIndex("IX_api_usage_hourly_hour", "api_usage_hourly", "hour");
        migrationBuilder.CreateIndex("IX_rate_limit_buckets_expires_at", "rate_limit_buckets", "expires_at");
        // Counters need no WAL (PostgreSQL only; SQLite keeps counters in memory).
        if (DatabaseSettings.ProviderOf(migrationBuilder.ActiveProvider) == DatabaseProvider.Postgres)
            migrationBuilder.Sql("ALTER TABLE rate_limit_buckets SET UNLOGGED;");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("quota_alerts");
        migrationBuilder.DropTable("api_usage_hourly");
        migrationBuilder.DropTable("rate_limit_buckets");
        migrationBuilder.DropTable("api_requests");
        migrationBuilder.DropColumn("daily_quota", "organizations");
    }
}
