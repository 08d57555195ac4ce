using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Switchboard.Platform.Storage.Migrations;

/// <summary>
/// Raw usage rows are written once per API request and read only by the pruner (by <c>created_at</c>); the usage API
/// answers from the hourly roll-ups. The (organization_id, created_at) index served no query and cost every request
/// a B-tree insert, so it goes.
/// </summary>
[DbContext(typeof(SwitchboardDbContext))]
[Migration("20261122170000_ApiRequestsLeanerIndexes")]
public sealed class ApiRequestsLeanerIndexes : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex("IX_api_requests_organization_id_created_at", "api_requests");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateIndex("IX_api_requests_organization_id_created_at", "api_requests", ["organization_id", "created_at"]);
    }
}
