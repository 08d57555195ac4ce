using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Switchboard.Platform.Storage.Migrations;

/// <summary>Scaffolded by tools/MigrationScaffolder; see MigrationsMatchModelTests.</summary>
[DbContext(typeof(SwitchboardDbContext))]
[Migration("20261204165234_WebhookPortalLinks")]
public sealed class WebhookPortalLinks : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable("webhook_portal_links", t => new
        {
            id = t.Column<string>(maxLength: 40),
            organization_id = t.Column<string>(maxLength: 40),
            token_hash = t.Column<string>(maxLength: 64),
            capabilities = t.Column<string>(maxLength: 200),
            allowed_origins = t.Column<string>(maxLength: 4000),
            expires_at = t.Column<DateTime>(),
            created_by_type = t.Column<string>(maxLength: 20, nullable: true),
            created_by_id = t.Column<string>(maxLength: 40, nullable: true),
            created_at = t.Column<DateTime>(),
            revoked_at = t.Column<DateTime>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_webhook_portal_links", x => x.id);
            t.ForeignKey("FK_webhook_portal_links_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateIndex("IX_webhook_portal_links_organization_id_id", "webhook_portal_links", ["organization_id", "id"]);
        migrationBuilder.CreateIndex("IX_webhook_portal_links_token_hash", "webhook_portal_links", "token_hash", unique: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("webhook_portal_links");
    }
}
