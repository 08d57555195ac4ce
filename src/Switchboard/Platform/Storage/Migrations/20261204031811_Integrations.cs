using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Switchboard.Platform;

namespace Switchboard.Platform.Storage.Migrations;

/// <summary>Scaffolded by tools/MigrationScaffolder; see MigrationsMatchModelTests.</summary>
[DbContext(typeof(SwitchboardDbContext))]
[Migration("20261204031811_Integrations")]
public sealed class Integrations : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable("integration_installations", t => new
        {
            id = t.Column<string>(maxLength: 40),
            organization_id = t.Column<string>(maxLength: 40),
            provider_key = t.Column<string>(maxLength: 60),
            name = t.Column<string>(maxLength: 200),
            config = t.Column<string>(maxLength: 20000),
            credentials_encrypted = t.Column<string>(maxLength: 20000, nullable: true),
            tokens_encrypted = t.Column<string>(maxLength: 20000, nullable: true),
            token_expires_at = t.Column<DateTime>(nullable: true),
            token_version = t.Column<int>(),
            refresh_lease_until = t.Column<DateTime>(nullable: true),
            status = t.Column<string>(maxLength: 20),
            status_reason = t.Column<string>(maxLength: 1000, nullable: true),
            installed_by_user_id = t.Column<string>(maxLength: 40, nullable: true),
            max_actions_per_second = t.Column<int>(nullable: true),
            created_at = t.Column<DateTime>(),
            updated_at = t.Column<DateTime>(),
            last_success_at = t.Column<DateTime>(nullable: true),
            last_failure_at = t.Column<DateTime>(nullable: true),
            last_error = t.Column<string>(maxLength: 1000, nullable: true),
            consecutive_failures = t.Column<int>(),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_integration_installations", x => x.id);
            t.ForeignKey("FK_integration_installations_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.AddColumn<string>("kind", "webhook_endpoints", maxLength: 10, defaultValue: "webhook");
        migrationBuilder.AddColumn<string>("installation_id", "webhook_endpoints", maxLength: 40, nullable: true);
        migrationBuilder.AddColumn<string>("action", "webhook_endpoints", maxLength: 80, nullable: true);
        migrationBuilder.AddColumn<string>("action_input", "webhook_endpoints", maxLength: 20000, nullable: true);
        migrationBuilder.AddColumn<string>("schedule", "webhook_endpoints", maxLength: 100, nullable: true);
        migrationBuilder.AddColumn<string>("schedule_time_zone", "webhook_endpoints", maxLength: 64, nullable: true);
        migrationBuilder.AddColumn<DateTime>("next_scheduled_at", "webhook_endpoints", nullable: true);
        migrationBuilder.AddColumn<string>("filter", "webhook_endpoints", maxLength: 1000, nullable: true);
        migrationBuilder.CreateTable("provider_reviews", t => new
        {
            id = t.Column<string>(maxLength: 40),
            provider_key = t.Column<string>(maxLength: 60),
            user_id = t.Column<string>(maxLength: 40),
            organization_id = t.Column<string>(maxLength: 40),
            rating = t.Column<int>(),
            text = t.Column<string>(maxLength: 2000, nullable: true),
            created_at = t.Column<DateTime>(),
            updated_at = t.Column<DateTime>(),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_provider_reviews", x => x.id);
            t.ForeignKey("FK_provider_reviews_users_user_id", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateTable("integration_record_links", t => new
        {
            id = t.Column<string>(maxLength: 40),
            organization_id = t.Column<string>(maxLength: 40),
            installation_id = t.Column<string>(maxLength: 40),
            model = t.Column<string>(maxLength: 40),
            local_id = t.Column<string>(maxLength: 40),
            remote_id = t.Column<string>(maxLength: 200),
            local_updated_at = t.Column<DateTime>(nullable: true),
            remote_updated_at = t.Column<DateTime>(nullable: true),
            fingerprint = t.Column<string>(maxLength: 64, nullable: true),
            updated_at = t.Column<DateTime>(),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_integration_record_links", x => x.id);
            t.ForeignKey("FK_integration_record_links_integration_installations_installa~", x => x.installation_id, "integration_installations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateTable("integration_sync_runs", t => new
        {
            id = t.Column<string>(maxLength: 40),
            organization_id = t.Column<string>(maxLength: 40),
            installation_id = t.Column<string>(maxLength: 40),
            model = t.Column<string>(maxLength: 40),
            trigger = t.Column<string>(maxLength: 20),
            status = t.Column<string>(maxLength: 20),
            added = t.Column<int>(),
            updated = t.Column<int>(),
            deleted = t.Column<int>(),
            skipped = t.Column<int>(),
            failed = t.Column<int>(),
            errors = t.Column<string>(maxLength: 20000, nullable: true),
            start_cursor = t.Column<string>(maxLength: 4000, nullable: true),
            checkpoint = t.Column<string>(maxLength: 4000, nullable: true),
            leased_until = t.Column<DateTime>(nullable: true),
            attempts = t.Column<int>(),
            created_at = t.Column<DateTime>(),
            updated_at = t.Column<DateTime>(),
            started_at = t.Column<DateTime>(nullable: true),
            finished_at = t.Column<DateTime>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_integration_sync_runs", x => x.id);
            t.ForeignKey("FK_integration_sync_runs_integration_installations_installatio~", x => x.installation_id, "integration_installations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateTable("integration_sync_states", t => new
        {
            installation_id = t.Column<string>(maxLength: 40),
            model = t.Column<string>(maxLength: 40),
            organization_id = t.Column<string>(maxLength: 40),
            cursor = t.Column<string>(maxLength: 4000, nullable: true),
            interval_seconds = t.Column<int>(),
            next_run_at = t.Column<DateTime>(nullable: true),
            updated_at = t.Column<DateTime>(),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_integration_sync_states", x => new { x.installation_id, x.model });
            t.ForeignKey("FK_integration_sync_states_integration_installations_installat~", x => x.installation_id, "integration_installations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateIndex("IX_integration_installations_organization_id_id", "integration_installations", ["organization_id", "id"]);
        migrationBuilder.CreateIndex("IX_integration_installations_token_expires_at", "integration_installations", "token_expires_at", filter: "token_expires_at IS NOT NULL");
        migrationBuilder.CreateIndex("IX_integration_record_links_installation_id_model_local_id", "integration_record_links", ["installation_id", "model", "local_id"], unique: true);
        migrationBuilder.CreateIndex("IX_integration_record_links_installation_id_model_remote_id", "integration_record_links", ["installation_id", "model", "remote_id"], unique: true);
        migrationBuilder.CreateIndex("IX_integration_sync_runs_created_at", "integration_sync_runs", "created_at", filter: "status IN ('queued', 'running')");
        migrationBuilder.CreateIndex("IX_integration_sync_runs_installation_id_id", "integration_sync_runs", ["installation_id", "id"]);
        migrationBuilder.CreateIndex("IX_integration_sync_states_next_run_at", "integration_sync_states", "next_run_at", filter: "next_run_at IS NOT NULL");
        migrationBuilder.CreateIndex("IX_provider_reviews_provider_key_id", "provider_reviews", ["provider_key", "id"]);
        migrationBuilder.CreateIndex("IX_provider_reviews_provider_key_user_id", "provider_reviews", ["provider_key", "user_id"], unique: true);
        migrationBuilder.CreateIndex("IX_provider_reviews_user_id", "provider_reviews", "user_id");
        migrationBuilder.CreateIndex("IX_webhook_endpoints_installation_id_id", "webhook_endpoints", ["installation_id", "id"], filter: "installation_id IS NOT NULL");
        migrationBuilder.CreateIndex("IX_webhook_endpoints_next_scheduled_at", "webhook_endpoints", "next_scheduled_at", filter: "next_scheduled_at IS NOT NULL");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("integration_sync_states");
        migrationBuilder.DropTable("integration_sync_runs");
        migrationBuilder.DropTable("integration_record_links");
        migrationBuilder.DropTable("provider_reviews");
        migrationBuilder.DropTable("integration_installations");
        migrationBuilder.DropIndex("IX_webhook_endpoints_installation_id_id", "webhook_endpoints");
        migrationBuilder.DropIndex("IX_webhook_endpoints_next_scheduled_at", "webhook_endpoints");
        DropColumn(migrationBuilder, "kind");
        DropColumn(migrationBuilder, "installation_id");
        DropColumn(migrationBuilder, "action");
        DropColumn(migrationBuilder, "action_input");
        DropColumn(migrationBuilder, "schedule");
        DropColumn(migrationBuilder, "schedule_time_zone");
        DropColumn(migrationBuilder, "next_scheduled_at");
        DropColumn(migrationBuilder, "filter");
    }

    /// <summary>EF Core refuses DropColumn on SQLite; SQLite (3.35+) drops a column that no index or key uses.</summary>
    private static void DropColumn(MigrationBuilder migrationBuilder, string column)
    {
        if (DatabaseSettings.ProviderOf(migrationBuilder.ActiveProvider) == DatabaseProvider.Postgres) migrationBuilder.DropColumn(column, "webhook_endpoints");
        else migrationBuilder.Sql($"ALTER TABLE webhook_endpoints DROP COLUMN {column};");
    }
}
