using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Switchboard.Platform.Storage.Migrations;

/// <summary>Scaffolded by tools/MigrationScaffolder; see MigrationsMatchModelTests.</summary>
[DbContext(typeof(SwitchboardDbContext))]
[Migration("20261203222937_OAuthProtocol")]
public sealed class OAuthProtocol : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<string>("client_id", "refresh_tokens", maxLength: 64, nullable: true);
        migrationBuilder.AddColumn<string>("scopes", "refresh_tokens", maxLength: 2000, nullable: true);
        migrationBuilder.AddColumn<string>("dpop_jkt", "refresh_tokens", maxLength: 64, nullable: true);
        migrationBuilder.CreateTable("oauth_authorization_requests", t => new
        {
            id = t.Column<string>(maxLength: 40),
            app_id = t.Column<string>(maxLength: 40),
            client_id = t.Column<string>(maxLength: 64),
            pushed = t.Column<bool>(),
            redirect_uri = t.Column<string>(maxLength: 2000),
            scopes = t.Column<string>(maxLength: 2000),
            state = t.Column<string>(maxLength: 2000, nullable: true),
            code_challenge = t.Column<string>(maxLength: 128),
            nonce = t.Column<string>(maxLength: 500, nullable: true),
            dpop_jkt = t.Column<string>(maxLength: 64, nullable: true),
            prompt = t.Column<string>(maxLength: 100, nullable: true),
            max_age = t.Column<int>(nullable: true),
            issuer = t.Column<string>(maxLength: 2000),
            created_at = t.Column<DateTime>(),
            expires_at = t.Column<DateTime>(),
            used_at = t.Column<DateTime>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_oauth_authorization_requests", x => x.id);
            t.ForeignKey("FK_oauth_authorization_requests_oauth_apps_app_id", x => x.app_id, "oauth_apps", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateTable("oauth_authorization_codes", t => new
        {
            id = t.Column<string>(maxLength: 40),
            code_hash = t.Column<string>(maxLength: 64),
            organization_id = t.Column<string>(maxLength: 40),
            app_id = t.Column<string>(maxLength: 40),
            client_id = t.Column<string>(maxLength: 64),
            user_id = t.Column<string>(maxLength: 40),
            grant_id = t.Column<string>(maxLength: 40),
            redirect_uri = t.Column<string>(maxLength: 2000),
            scopes = t.Column<string>(maxLength: 2000),
            code_challenge = t.Column<string>(maxLength: 128),
            nonce = t.Column<string>(maxLength: 500, nullable: true),
            dpop_jkt = t.Column<string>(maxLength: 64, nullable: true),
            auth_time = t.Column<DateTime>(nullable: true),
            created_at = t.Column<DateTime>(),
            expires_at = t.Column<DateTime>(),
            used_at = t.Column<DateTime>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_oauth_authorization_codes", x => x.id);
            t.ForeignKey("FK_oauth_authorization_codes_oauth_apps_app_id", x => x.app_id, "oauth_apps", "id", onDelete: ReferentialAction.Cascade);
            t.ForeignKey("FK_oauth_authorization_codes_oauth_grants_grant_id", x => x.grant_id, "oauth_grants", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateIndex("IX_oauth_authorization_codes_app_id", "oauth_authorization_codes", "app_id");
        migrationBuilder.CreateIndex("IX_oauth_authorization_codes_code_hash", "oauth_authorization_codes", "code_hash", unique: true);
        migrationBuilder.CreateIndex("IX_oauth_authorization_codes_expires_at", "oauth_authorization_codes", "expires_at");
        migrationBuilder.CreateIndex("IX_oauth_authorization_codes_grant_id", "oauth_authorization_codes", "grant_id");
        migrationBuilder.CreateIndex("IX_oauth_authorization_requests_app_id", "oauth_authorization_requests", "app_id");
        migrationBuilder.CreateIndex("IX_oauth_authorization_requests_expires_at", "oauth_authorization_requests", "expires_at");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("oauth_authorization_codes");
        migrationBuilder.DropTable("oauth_authorization_requests");
        foreach (var column in new[] { "client_id", "scopes", "dpop_jkt" })
        {
            // EF Core's SQLite provider refuses DropColumn without a model to rebuild from; SQLite itself (3.35+) drops it.
            if (DatabaseSettings.ProviderOf(migrationBuilder.ActiveProvider) == DatabaseProvider.Postgres) migrationBuilder.DropColumn(column, "refresh_tokens");
            else migrationBuilder.Sql($"ALTER TABLE refresh_tokens DROP COLUMN {column};");
        }
    }
}
