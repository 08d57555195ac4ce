using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Switchboard.Platform.Storage.Migrations;

/// <summary>
/// Scaffolded by tools/MigrationScaffolder; see MigrationsMatchModelTests. The installation's provider account (QuickBooks'
/// realm, Xero's tenant), for the providers' app-wide webhooks. Not backfilled: the value is kept only in the encrypted
/// tokens, which SQL cannot read; an installation connected before answers those webhooks once it is connected again.
/// </summary>
[DbContext(typeof(SwitchboardDbContext))]
[Migration("20261204232800_ProviderAccountId")]
public sealed class ProviderAccountId : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<string>("provider_account_id", "integration_installations", maxLength: 100, nullable: true);
        migrationBuilder.CreateIndex("IX_integration_installations_provider_key_provider_account_id", "integration_installations", ["provider_key", "provider_account_id"], filter: "provider_account_id IS NOT NULL");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex("IX_integration_installations_provider_key_provider_account_id", "integration_installations");
        // Plain SQL: EF's SQLite provider rebuilds the table for DropColumn only with a model snapshot, which these
        // migrations do not keep; SQLite (3.35+) and PostgreSQL both drop an unindexed column with this statement.
        migrationBuilder.Sql("ALTER TABLE integration_installations DROP COLUMN provider_account_id");
    }
}
