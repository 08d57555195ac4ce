using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Switchboard.Platform.Storage.Migrations;

/// <summary>Scaffolded by tools/MigrationScaffolder; see MigrationsMatchModelTests.</summary>
[DbContext(typeof(SwitchboardDbContext))]
[Migration("20261203222939_BrowserSessions")]
public sealed class BrowserSessions : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable("browser_sessions", t => new
        {
            id = t.Column<string>(maxLength: 40),
            token_hash = t.Column<string>(maxLength: 64),
            user_id = t.Column<string>(maxLength: 40),
            password_stamp = t.Column<string>(maxLength: 64),
            created_at = t.Column<DateTime>(),
            last_seen_at = t.Column<DateTime>(),
            expires_at = t.Column<DateTime>(),
            revoked_at = t.Column<DateTime>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_browser_sessions", x => x.id);
            t.ForeignKey("FK_browser_sessions_users_user_id", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateIndex("IX_browser_sessions_expires_at", "browser_sessions", "expires_at");
        migrationBuilder.CreateIndex("IX_browser_sessions_token_hash", "browser_sessions", "token_hash", unique: true);
        migrationBuilder.CreateIndex("IX_browser_sessions_user_id", "browser_sessions", "user_id");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("browser_sessions");
    }
}
