using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Switchboard.Platform.Storage.Migrations;

/// <summary>Scaffolded by tools/MigrationScaffolder; see MigrationsMatchModelTests.</summary>
[DbContext(typeof(SwitchboardDbContext))]
[Migration("20261203221756_OAuthAppsAndGrants")]
public sealed class OAuthAppsAndGrants : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable("oauth_apps", t => new
        {
            id = t.Column<string>(maxLength: 40),
            organization_id = t.Column<string>(maxLength: 40),
            client_id = t.Column<string>(maxLength: 64),
            name = t.Column<string>(maxLength: 200),
            description = t.Column<string>(maxLength: 2000, nullable: true),
            homepage_url = t.Column<string>(maxLength: 2000, nullable: true),
            logo_url = t.Column<string>(maxLength: 2000, nullable: true),
            redirect_uris = t.Column<string>(maxLength: 20000),
            scopes = t.Column<string>(maxLength: 2000),
            type = t.Column<string>(maxLength: 20),
            secret_hash = t.Column<string>(maxLength: 64, nullable: true),
            secret_prefix = t.Column<string>(maxLength: 20, nullable: true),
            previous_secret_hash = t.Column<string>(maxLength: 64, nullable: true),
            previous_secret_expires_at = t.Column<DateTime>(nullable: true),
            jwks = t.Column<string>(maxLength: 20000, nullable: true),
            created_by_user_id = t.Column<string>(maxLength: 40, nullable: true),
            created_at = t.Column<DateTime>(),
            updated_at = t.Column<DateTime>(),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_oauth_apps", x => x.id);
            t.ForeignKey("FK_oauth_apps_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateTable("oauth_grants", t => new
        {
            id = t.Column<string>(maxLength: 40),
            organization_id = t.Column<string>(maxLength: 40),
            app_id = t.Column<string>(maxLength: 40),
            user_id = t.Column<string>(maxLength: 40),
            scopes = t.Column<string>(maxLength: 2000),
            created_at = t.Column<DateTime>(),
            updated_at = t.Column<DateTime>(),
            last_used_at = t.Column<DateTime>(nullable: true),
            revoked_at = t.Column<DateTime>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_oauth_grants", x => x.id);
            t.ForeignKey("FK_oauth_grants_oauth_apps_app_id", x => x.app_id, "oauth_apps", "id", onDelete: ReferentialAction.Cascade);
            t.ForeignKey("FK_oauth_grants_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
            t.ForeignKey("FK_oauth_grants_users_user_id", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateIndex("IX_oauth_apps_client_id", "oauth_apps", "client_id", unique: true);
        migrationBuilder.CreateIndex("IX_oauth_apps_organization_id_id", "oauth_apps", ["organization_id", "id"]);
        migrationBuilder.CreateIndex("IX_oauth_grants_app_id", "oauth_grants", "app_id");
        migrationBuilder.CreateIndex("IX_oauth_grants_organization_id_user_id_app_id", "oauth_grants", ["organization_id", "user_id", "app_id"]);
        migrationBuilder.CreateIndex("IX_oauth_grants_user_id", "oauth_grants", "user_id");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("oauth_grants");
        migrationBuilder.DropTable("oauth_apps");
    }
}
