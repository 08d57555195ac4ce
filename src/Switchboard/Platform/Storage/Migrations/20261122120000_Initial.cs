using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Switchboard.Platform.Storage.Migrations;

/// <summary>
/// Identity, tenancy, API keys and the audit log. Migrations here are written by hand (EF's design-time tools are not
/// part of this build) in provider-neutral form: columns are typed by CLR type and length, so SQLite and PostgreSQL
/// each get their own mapping. <c>MigrationsMatchModelTests</c> proves the result equals the model's schema on both.
/// </summary>
[DbContext(typeof(SwitchboardDbContext))]
[Migration("20261122120000_Initial")]
public sealed class Initial : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable("organizations", t => new
        {
            id = t.Column<string>(maxLength: 40),
            name = t.Column<string>(maxLength: 200),
            plan = t.Column<string>(maxLength: 40),
            created_at = t.Column<DateTime>(),
            updated_at = t.Column<DateTime>(),
        }, constraints: t => t.PrimaryKey("PK_organizations", x => x.id));

        migrationBuilder.CreateTable("users", t => new
        {
            id = t.Column<string>(maxLength: 40),
            email = t.Column<string>(maxLength: 320),
            normalized_email = t.Column<string>(maxLength: 320),
            name = t.Column<string>(maxLength: 200),
            password_hash = t.Column<string>(maxLength: 200),
            created_at = t.Column<DateTime>(),
            updated_at = t.Column<DateTime>(),
            last_login_at = t.Column<DateTime>(nullable: true),
        }, constraints: t => t.PrimaryKey("PK_users", x => x.id));
        migrationBuilder.CreateIndex("IX_users_normalized_email", "users", "normalized_email", unique: true);

        migrationBuilder.CreateTable("memberships", t => new
        {
            id = t.Column<string>(maxLength: 40),
            organization_id = t.Column<string>(maxLength: 40),
            user_id = t.Column<string>(maxLength: 40),
            role = t.Column<string>(maxLength: 20),
            created_at = t.Column<DateTime>(),
            updated_at = t.Column<DateTime>(),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_memberships", x => x.id);
            t.ForeignKey("FK_memberships_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
            t.ForeignKey("FK_memberships_users_user_id", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateIndex("IX_memberships_organization_id_user_id", "memberships", ["organization_id", "user_id"], unique: true);
        migrationBuilder.CreateIndex("IX_memberships_user_id", "memberships", "user_id");

        migrationBuilder.CreateTable("invitations", t => new
        {
            id = t.Column<string>(maxLength: 40),
            organization_id = t.Column<string>(maxLength: 40),
            email = t.Column<string>(maxLength: 320),
            normalized_email = t.Column<string>(maxLength: 320),
            role = t.Column<string>(maxLength: 20),
            token_hash = t.Column<string>(maxLength: 64),
            invited_by_user_id = t.Column<string>(maxLength: 40, nullable: true),
            created_at = t.Column<DateTime>(),
            expires_at = t.Column<DateTime>(),
            accepted_at = t.Column<DateTime>(nullable: true),
            revoked_at = t.Column<DateTime>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_invitations", x => x.id);
            t.ForeignKey("FK_invitations_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateIndex("IX_invitations_organization_id_id", "invitations", ["organization_id", "id"]);
        migrationBuilder.CreateIndex("IX_invitations_token_hash", "invitations", "token_hash", unique: true);

        migrationBuilder.CreateTable("refresh_tokens", t => new
        {
            id = t.Column<string>(maxLength: 40),
            family_id = t.Column<string>(maxLength: 40),
            token_hash = t.Column<string>(maxLength: 64),
            user_id = t.Column<string>(maxLength: 40),
            organization_id = t.Column<string>(maxLength: 40),
            created_at = t.Column<DateTime>(),
            expires_at = t.Column<DateTime>(),
            used_at = t.Column<DateTime>(nullable: true),
            revoked_at = t.Column<DateTime>(nullable: true),
        }, constraints: t => t.PrimaryKey("PK_refresh_tokens", x => x.id));
        migrationBuilder.CreateIndex("IX_refresh_tokens_expires_at", "refresh_tokens", "expires_at");
        migrationBuilder.CreateIndex("IX_refresh_tokens_family_id", "refresh_tokens", "family_id");
        migrationBuilder.CreateIndex("IX_refresh_tokens_token_hash", "refresh_tokens", "token_hash", unique: true);

        migrationBuilder.CreateTable("signing_keys", t => new
        {
            id = t.Column<string>(maxLength: 40),
            algorithm = t.Column<string>(maxLength: 10),
            private_key_encrypted = t.Column<string>(maxLength: 1000),
            public_key_x = t.Column<string>(maxLength: 100),
            public_key_y = t.Column<string>(maxLength: 100),
            created_at = t.Column<DateTime>(),
            retires_at = t.Column<DateTime>(nullable: true),
        }, constraints: t => t.PrimaryKey("PK_signing_keys", x => x.id));

        migrationBuilder.CreateTable("api_keys", t => new
        {
            id = t.Column<string>(maxLength: 40),
            organization_id = t.Column<string>(maxLength: 40),
            name = t.Column<string>(maxLength: 200),
            key_prefix = t.Column<string>(maxLength: 20),
            key_hash = t.Column<string>(maxLength: 64),
            scopes = t.Column<string>(maxLength: 2000),
            expires_at = t.Column<DateTime>(nullable: true),
            rate_limit_requests = t.Column<int>(nullable: true),
            rate_limit_window_seconds = t.Column<int>(nullable: true),
            allowed_ips = t.Column<string>(maxLength: 4000),
            created_by_user_id = t.Column<string>(maxLength: 40, nullable: true),
            created_at = t.Column<DateTime>(),
            updated_at = t.Column<DateTime>(),
            last_used_at = t.Column<DateTime>(nullable: true),
            revoked_at = t.Column<DateTime>(nullable: true),
            rotated_to_id = t.Column<string>(maxLength: 40, nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_api_keys", x => x.id);
            t.ForeignKey("FK_api_keys_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateIndex("IX_api_keys_key_hash", "api_keys", "key_hash", unique: true);
        migrationBuilder.CreateIndex("IX_api_keys_organization_id_id", "api_keys", ["organization_id", "id"]);

        migrationBuilder.CreateTable("audit_logs", t => new
        {
            id = t.Column<string>(maxLength: 40),
            organization_id = t.Column<string>(maxLength: 40),
            actor_type = t.Column<string>(maxLength: 20),
            actor_id = t.Column<string>(maxLength: 40, nullable: true),
            action = t.Column<string>(maxLength: 80),
            target_type = t.Column<string>(maxLength: 40, nullable: true),
            target_id = t.Column<string>(maxLength: 40, nullable: true),
            ip_address = t.Column<string>(maxLength: 64, nullable: true),
            user_agent = t.Column<string>(maxLength: 512, nullable: true),
            request_id = t.Column<string>(maxLength: 128, nullable: true),
            details = t.Column<string>(maxLength: 8000, nullable: true),
            created_at = t.Column<DateTime>(),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_audit_logs", x => x.id);
            t.ForeignKey("FK_audit_logs_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateIndex("IX_audit_logs_organization_id_id", "audit_logs", ["organization_id", "id"]);

        migrationBuilder.CreateTable("auth_invalidations", t => new
        {
            id = t.Column<string>(maxLength: 40),
            kind = t.Column<string>(maxLength: 20),
            subject_id = t.Column<string>(maxLength: 64),
            not_before = t.Column<DateTime>(),
            created_at = t.Column<DateTime>(),
        }, constraints: t => t.PrimaryKey("PK_auth_invalidations", x => x.id));
        migrationBuilder.CreateIndex("IX_auth_invalidations_created_at", "auth_invalidations", "created_at");

        migrationBuilder.CreateTable("login_throttles", t => new
        {
            key = t.Column<string>(maxLength: 100),
            failures = t.Column<int>(),
            window_started_at = t.Column<DateTime>(),
            locked_until = t.Column<DateTime>(nullable: true),
        }, constraints: t => t.PrimaryKey("PK_login_throttles", x => x.key));
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        foreach (var table in new[] { "login_throttles", "auth_invalidations", "audit_logs", "api_keys", "signing_keys", "refresh_tokens", "invitations", "memberships", "users", "organizations" })
            migrationBuilder.DropTable(table);
    }
}
