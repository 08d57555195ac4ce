using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Switchboard.Platform.Storage.Migrations;

/// <summary>
/// Usage by OAuth app: a <c>client_id</c> column (empty for keys and sessions) on the raw rows and on the hourly roll-up,
/// whose key it joins so that an app's requests are summed apart from its user's own. The columns were scaffolded by
/// tools/MigrationScaffolder; the key change is written by hand: PostgreSQL alters the key in place, SQLite (which cannot)
/// rebuilds the table as EF Core's own SQLite migrations do. See MigrationsMatchModelTests.
/// </summary>
[DbContext(typeof(SwitchboardDbContext))]
[Migration("20261203224550_UsageByOAuthApp")]
public sealed class UsageByOAuthApp : Migration
{
    private const string Sums = "requests, latency_micros, request_bytes, response_bytes, l0, l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12, l13";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<string>("client_id", "api_requests", maxLength: 64, defaultValue: "");
        if (DatabaseSettings.ProviderOf(migrationBuilder.ActiveProvider) == DatabaseProvider.Postgres)
        {
            migrationBuilder.AddColumn<string>("client_id", "api_usage_hourly", maxLength: 64, defaultValue: "");
            migrationBuilder.DropPrimaryKey("PK_api_usage_hourly", "api_usage_hourly");
            migrationBuilder.AddPrimaryKey("PK_api_usage_hourly", "api_usage_hourly",
                ["organization_id", "hour", "api_key_id", "user_id", "client_id", "method", "route", "status"]);
            return;
        }
        migrationBuilder.Sql(RebuildOnSqlite(withClient: true));
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        if (DatabaseSettings.ProviderOf(migrationBuilder.ActiveProvider) == DatabaseProvider.Postgres)
        {
            migrationBuilder.DropColumn("client_id", "api_requests");
            // Rows that differ only by app fold into one: their sums add up.
            migrationBuilder.Sql($"""
                CREATE TEMPORARY TABLE usage_folded AS SELECT organization_id, hour, api_key_id, user_id, method, route, status,
                    {string.Join(", ", Sums.Split(", ").Select(c => $"sum({c})::bigint AS {c}"))}
                FROM api_usage_hourly GROUP BY organization_id, hour, api_key_id, user_id, method, route, status;
                DELETE FROM api_usage_hourly;
                ALTER TABLE api_usage_hourly DROP CONSTRAINT "PK_api_usage_hourly";
                ALTER TABLE api_usage_hourly DROP COLUMN client_id;
                ALTER TABLE api_usage_hourly ADD CONSTRAINT "PK_api_usage_hourly" PRIMARY KEY (organization_id, hour, api_key_id, user_id, method, route, status);
                INSERT INTO api_usage_hourly (organization_id, hour, api_key_id, user_id, method, route, status, {Sums})
                    SELECT organization_id, hour, api_key_id, user_id, method, route, status, {Sums} FROM usage_folded;
                DROP TABLE usage_folded;
                """);
            return;
        }
        // EF Core's SQLite provider refuses DropColumn without a model to rebuild from; SQLite itself (3.35+) drops it.
        migrationBuilder.Sql("ALTER TABLE api_requests DROP COLUMN client_id;");
        migrationBuilder.Sql(RebuildOnSqlite(withClient: false));
    }

    /// <summary>The roll-up table again with or without <c>client_id</c> in its key, its rows copied (folded when it goes).</summary>
    private static string RebuildOnSqlite(bool withClient)
    {
        var key = withClient ? "organization_id, hour, api_key_id, user_id, client_id, method, route, status" : "organization_id, hour, api_key_id, user_id, method, route, status";
        var copy = withClient
            ? $"INSERT INTO ef_temp_api_usage_hourly (organization_id, hour, api_key_id, user_id, client_id, method, route, status, {Sums}) " +
              $"SELECT organization_id, hour, api_key_id, user_id, '', method, route, status, {Sums} FROM api_usage_hourly;"
            : $"INSERT INTO ef_temp_api_usage_hourly (organization_id, hour, api_key_id, user_id, method, route, status, {Sums}) " +
              $"SELECT organization_id, hour, api_key_id, user_id, method, route, status, {string.Join(", ", Sums.Split(", ").Select(c => $"sum({c})"))} " +
              "FROM api_usage_hourly GROUP BY organization_id, hour, api_key_id, user_id, method, route, status;";
        return $"""
            CREATE TABLE ef_temp_api_usage_hourly (
                organization_id TEXT NOT NULL, hour TEXT NOT NULL, api_key_id TEXT NOT NULL, user_id TEXT NOT NULL,
                {(withClient ? "client_id TEXT NOT NULL DEFAULT ''," : "")}
                method TEXT NOT NULL, route TEXT NOT NULL, status INTEGER NOT NULL, requests INTEGER NOT NULL, latency_micros INTEGER NOT NULL,
                request_bytes INTEGER NOT NULL, response_bytes INTEGER NOT NULL, l0 INTEGER NOT NULL, l1 INTEGER NOT NULL, l2 INTEGER NOT NULL,
                l3 INTEGER NOT NULL, l4 INTEGER NOT NULL, l5 INTEGER NOT NULL, l6 INTEGER NOT NULL, l7 INTEGER NOT NULL, l8 INTEGER NOT NULL,
                l9 INTEGER NOT NULL, l10 INTEGER NOT NULL, l11 INTEGER NOT NULL, l12 INTEGER NOT NULL, l13 INTEGER NOT NULL,
                CONSTRAINT "PK_api_usage_hourly" PRIMARY KEY ({key}),
                CONSTRAINT "FK_api_usage_hourly_organizations_organization_id" FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE);
            {copy}
            DROP TABLE api_usage_hourly;
            ALTER TABLE ef_temp_api_usage_hourly RENAME TO api_usage_hourly;
            CREATE INDEX "IX_api_usage_hourly_hour" ON api_usage_hourly (hour);
            """;
    }
}
