using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Switchboard.Platform;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Platform;

/// <summary>
/// The migrations are hand-written, so this is what keeps them honest: a database built by the migrations must have
/// exactly the schema EF derives from the model (tables, column types and nullability, keys, indexes, foreign keys).
/// </summary>
public abstract class MigrationsMatchModelTests
{
    protected abstract DatabaseSettings NewDatabase();
    protected abstract DbConnection Open(DatabaseSettings settings);
    protected abstract IEnumerable<string> DescribeSchema(DbConnection connection);
    protected abstract void DropColumnOrIndex(DbConnection connection);

    protected static SwitchboardDbContext Context(DatabaseSettings settings) =>
        new(DatabaseSetup.Configure(new DbContextOptionsBuilder<SwitchboardDbContext>(), settings).Options as DbContextOptions<SwitchboardDbContext>
            ?? throw new InvalidOperationException());

    private List<string> Schema(DatabaseSettings settings)
    {
        using var connection = Open(settings);
        return DescribeSchema(connection).Order(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public async Task MigrationsProduceExactlyTheModelsSchema()
    {
        var migrated = NewDatabase();
        var modelled = NewDatabase();
        await using (var db = Context(migrated)) await db.Database.MigrateAsync();
        await using (var db = Context(modelled)) (await db.Database.EnsureCreatedAsync()).ShouldBeTrue();

        var fromMigrations = Schema(migrated);
        var fromModel = Schema(modelled);
        fromModel.Count.ShouldBeGreaterThan(50);
        var missing = fromModel.Except(fromMigrations).ToList();
        var extra = fromMigrations.Except(fromModel).ToList();
        missing.ShouldBeEmpty("the model has schema the migrations do not create: " + string.Join("; ", missing));
        extra.ShouldBeEmpty("the migrations create schema the model does not have: " + string.Join("; ", extra));
    }

    [Fact]
    public async Task MigratingTwiceAppliesEachMigrationOnce()
    {
        var settings = NewDatabase();
        await using (var db = Context(settings)) await db.Database.MigrateAsync();
        await using (var db = Context(settings))
        {
            await db.Database.MigrateAsync();
            (await db.Database.GetPendingMigrationsAsync()).ShouldBeEmpty();
            (await db.Database.GetAppliedMigrationsAsync()).ShouldBe(db.Database.GetMigrations());
        }
    }

    [Fact]
    public async Task RawUsageRowsKeepTheirDataWhenTheirKeyBecomesAnInteger()
    {
        var settings = NewDatabase();
        await using (var db = Context(settings))
        {
            var migrator = Microsoft.EntityFrameworkCore.Infrastructure.AccessorExtensions.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>(db);
            await migrator.MigrateAsync("20261122174500_PartialQueueIndexes");
            await db.Database.ExecuteSqlRawAsync("""
                INSERT INTO api_requests (id, organization_id, api_key_id, user_id, method, route, status, latency_micros, request_bytes, response_bytes, request_id, created_at)
                VALUES ('ar_B', 'org_1', 'key_1', '', 'GET', '/api/v1/contacts', 200, 1500, 0, 99, 'req_2', '2026-11-22 10:00:02'),
                       ('ar_A', 'org_1', '', 'usr_1', 'POST', '/api/v1/contacts', 201, 2500, 40, 120, 'req_1', '2026-11-22 10:00:01');
                """);
            await migrator.MigrateAsync();
        }
        await using (var db = Context(settings))
        {
            var rows = await db.Set<Switchboard.Usage.ApiRequestRecord>().IgnoreQueryFilters().OrderBy(r => r.Id).ToListAsync();
            rows.Select(r => r.RequestId).ShouldBe(["req_1", "req_2"]); // numbered in the order they were made
            rows.ShouldAllBe(r => r.Id > 0);
            rows[0].ShouldSatisfyAllConditions(
                r => r.OrganizationId.ShouldBe("org_1"), r => r.UserId.ShouldBe("usr_1"), r => r.Method.ShouldBe("POST"), r => r.Status.ShouldBe(201),
                r => r.LatencyMicros.ShouldBe(2500), r => r.RequestBytes.ShouldBe(40), r => r.ResponseBytes.ShouldBe(120));
            // New rows get the next keys from the database.
            await db.Database.ExecuteSqlRawAsync("""
                INSERT INTO api_requests (organization_id, api_key_id, user_id, method, route, status, latency_micros, request_bytes, response_bytes, request_id, created_at)
                VALUES ('org_1', 'key_1', '', 'GET', '/api/v1/me', 200, 10, 0, 5, 'req_3', '2026-11-22 10:00:03')
                """);
            (await db.Set<Switchboard.Usage.ApiRequestRecord>().IgnoreQueryFilters().MaxAsync(r => r.Id)).ShouldBeGreaterThan(rows[1].Id);

            // And back: the rows keep their data under text ids again, and the way up still works.
            var migrator = Microsoft.EntityFrameworkCore.Infrastructure.AccessorExtensions.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>(db);
            await migrator.MigrateAsync("20261122174500_PartialQueueIndexes");
            using (var connection = Open(settings))
                Query(connection, "SELECT id, request_id FROM api_requests ORDER BY request_id", r => $"{r.GetString(0)} {r.GetString(1)}").Select(x => x.Split(' ')[1])
                    .ShouldBe(["req_1", "req_2", "req_3"]);
            using (var connection = Open(settings))
                Query(connection, "SELECT id FROM api_requests", r => r.GetString(0)).ShouldAllBe(id => id.StartsWith("ar_") && id.Length == 29);
            await migrator.MigrateAsync();
            (await db.Set<Switchboard.Usage.ApiRequestRecord>().IgnoreQueryFilters().CountAsync()).ShouldBe(3);
        }
    }

    [Fact]
    public async Task TheDailyUsageRollUpAndHourlyTotalsWithTheirLatencyAreFilledFromTheHourlyRowsThere()
    {
        var settings = NewDatabase();
        await using var db = Context(settings);
        var migrator = Microsoft.EntityFrameworkCore.Infrastructure.AccessorExtensions.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>(db);
        await migrator.MigrateAsync("20261204031811_Integrations");
        var at = new DateTime(2026, 11, 30, 0, 0, 0, DateTimeKind.Utc);
        db.Organizations.Add(new Switchboard.Identity.Organization { Id = "org_1", Name = "Migrated", CreatedAt = at, UpdatedAt = at });
        // Two hours of one day (one of them twice over: two routes) and the last hour of the day before.
        foreach (var (hour, route, status, requests) in new[] { (at.AddHours(9), "/a", 200, 5L), (at.AddHours(9), "/b", 500, 2L), (at.AddHours(23), "/a", 200, 7L), (at.AddHours(-1), "/a", 200, 11L) })
            db.Add(new Switchboard.Usage.UsageHour
            {
                OrganizationId = "org_1", Hour = hour, ApiKeyId = "key_1", Method = "GET", Route = route, Status = status, Requests = requests,
                LatencyMicros = requests * 1000, RequestBytes = requests, ResponseBytes = requests * 10, L3 = requests,
            });
        await db.SaveChangesAsync();
        db.ChangeTracker.Clear();
        await migrator.MigrateAsync();

        var days = await db.Set<Switchboard.Usage.UsageDay>().IgnoreQueryFilters().OrderBy(d => d.Day).ThenBy(d => d.Route).ToListAsync();
        days.Select(d => (d.Day, d.Route, d.Status, d.Requests, d.LatencyMicros, d.ResponseBytes, d.L3)).ShouldBe(
        [
            (at.AddDays(-1), "/a", 200, 11L, 11_000L, 110L, 11L),
            (at, "/a", 200, 12L, 12_000L, 120L, 12L),
            (at, "/b", 500, 2L, 2_000L, 20L, 2L),
        ]);
        days.ShouldAllBe(d => d.ApiKeyId == "key_1" && d.Method == "GET" && d.OrganizationId == "org_1");
        var totals = await db.Set<Switchboard.Usage.UsageHourTotal>().IgnoreQueryFilters().OrderBy(t => t.Hour).ToListAsync();
        // With their latency and bytes (20261204200742_UsageTotalsMeasures), summed over the hour's routes and statuses.
        totals.Select(t => (t.Hour, t.ApiKeyId, t.Requests, t.Failed, t.LatencyMicros, t.RequestBytes, t.ResponseBytes, t.L3, t.L0)).ShouldBe(
        [
            (at.AddHours(-1), "key_1", 11L, 0L, 11_000L, 11L, 110L, 11L, 0L),
            (at.AddHours(9), "key_1", 7L, 2L, 7_000L, 7L, 70L, 7L, 0L),
            (at.AddHours(23), "key_1", 7L, 0L, 7_000L, 7L, 70L, 7L, 0L),
        ]);
    }

    [Fact]
    public async Task TheRollUpsWithoutTheCredentialAreFilledFromThoseWithIt()
    {
        var settings = NewDatabase();
        await using var db = Context(settings);
        var migrator = Microsoft.EntityFrameworkCore.Infrastructure.AccessorExtensions.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>(db);
        await migrator.MigrateAsync("20261204200742_UsageTotalsMeasures");
        var at = new DateTime(2026, 11, 30, 9, 0, 0, DateTimeKind.Utc);
        db.Organizations.Add(new Switchboard.Identity.Organization { Id = "org_1", Name = "Migrated", CreatedAt = at, UpdatedAt = at });
        // One hour and its day: two keys and an app on one endpoint and status, one key on another status.
        foreach (var (key, client, status, requests) in new[] { ("key_1", "", 200, 5L), ("key_2", "", 200, 3L), ("", "sbc_app", 200, 2L), ("key_1", "", 404, 4L) })
        {
            db.Add(new Switchboard.Usage.UsageHour
            {
                OrganizationId = "org_1", Hour = at, ApiKeyId = key, ClientId = client, Method = "GET", Route = "/a", Status = status, Requests = requests,
                LatencyMicros = requests * 1000, RequestBytes = requests, ResponseBytes = requests * 10, L3 = requests,
            });
            db.Add(new Switchboard.Usage.UsageDay
            {
                OrganizationId = "org_1", Day = at.Date, ApiKeyId = key, ClientId = client, Method = "GET", Route = "/a", Status = status, Requests = requests * 2,
                LatencyMicros = requests * 2000, L4 = requests * 2,
            });
        }
        await db.SaveChangesAsync();
        db.ChangeTracker.Clear();
        await migrator.MigrateAsync();

        var hours = await db.Set<Switchboard.Usage.UsageEndpointHour>().IgnoreQueryFilters().OrderBy(h => h.Status).ToListAsync();
        hours.Select(h => (h.OrganizationId, h.Hour, h.Method, h.Route, h.Status, h.Requests, h.LatencyMicros, h.RequestBytes, h.ResponseBytes, h.L3)).ShouldBe(
        [
            ("org_1", at, "GET", "/a", 200, 10L, 10_000L, 10L, 100L, 10L),
            ("org_1", at, "GET", "/a", 404, 4L, 4_000L, 4L, 40L, 4L),
        ]);
        var days = await db.Set<Switchboard.Usage.UsageEndpointDay>().IgnoreQueryFilters().OrderBy(d => d.Status).ToListAsync();
        days.Select(d => (d.Day, d.Status, d.Requests, d.LatencyMicros, d.L4, d.L3)).ShouldBe([(at.Date, 200, 20L, 20_000L, 20L, 0L), (at.Date, 404, 8L, 8_000L, 8L, 0L)]);
    }

    [Fact]
    public async Task TheComparisonNoticesADifference()
    {
        var migrated = NewDatabase();
        await using (var db = Context(migrated)) await db.Database.MigrateAsync();
        var before = Schema(migrated);
        using (var connection = Open(migrated)) DropColumnOrIndex(connection);
        Schema(migrated).ShouldNotBe(before);
    }

    protected static IEnumerable<string> Query(DbConnection connection, string sql, Func<DbDataReader, string> row)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read()) rows.Add(row(reader));
        return rows;
    }

    protected static void Execute(DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

public sealed class MigrationsMatchModelOnSqlite : MigrationsMatchModelTests, IDisposable
{
    private readonly List<string> _files = [];

    protected override DatabaseSettings NewDatabase()
    {
        var path = Path.Combine(Path.GetTempPath(), "switchboard-tests", $"schema-{Guid.NewGuid():N}.db");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _files.Add(path);
        return new DatabaseSettings(DatabaseProvider.Sqlite, $"Data Source={path};Pooling=false", Path.GetDirectoryName(path));
    }

    protected override DbConnection Open(DatabaseSettings settings)
    {
        var connection = new Microsoft.Data.Sqlite.SqliteConnection(settings.ConnectionString);
        connection.Open();
        return connection;
    }

    protected override IEnumerable<string> DescribeSchema(DbConnection c)
    {
        var tables = Query(c, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('schema_migrations', '__EFMigrationsLock')", r => r.GetString(0)).ToList();
        foreach (var t in tables)
        {
            // As on PostgreSQL: the default, and an index's filter (a partial index), are schema too.
            foreach (var col in Query(c, $"SELECT name, type, \"notnull\", pk, coalesce(dflt_value, '') FROM pragma_table_info('{t}')",
                         r => $"column {t}.{r.GetString(0)} {r.GetString(1)} notnull={r.GetInt64(2)} pk={r.GetInt64(3)} default={r.GetString(4)}"))
                yield return col;
            foreach (var index in Query(c, $"SELECT name, \"unique\", origin, partial FROM pragma_index_list('{t}')", r => $"{r.GetString(0)}|{r.GetInt64(1)}|{r.GetString(2)}|{r.GetInt64(3)}").ToList())
            {
                var parts = index.Split('|');
                var columns = string.Join(",", Query(c, $"SELECT name FROM pragma_index_info('{parts[0]}') ORDER BY seqno", r => r.GetString(0)));
                var filter = parts[3] == "1" ? " where " + Query(c, $"SELECT sql FROM sqlite_master WHERE type = 'index' AND name = '{parts[0]}'", r => r.GetString(0)).Single().Split(" WHERE ", 2)[1] : "";
                // Auto-indexes of primary keys are named by SQLite; describe them by their columns.
                yield return parts[2] == "pk" ? $"pk {t}({columns})" : $"index {t}.{parts[0]}({columns}) unique={parts[1]}{filter}";
            }
            foreach (var fk in Query(c, $"SELECT \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list('{t}')", r => $"fk {t}.{r.GetString(1)} -> {r.GetString(0)}.{r.GetString(2)} on delete {r.GetString(3)}"))
                yield return fk;
        }
    }

    protected override void DropColumnOrIndex(DbConnection connection) => Execute(connection, "DROP INDEX \"IX_api_keys_key_hash\"");

    [Fact]
    public async Task TheComparisonNoticesAPartialIndexThatLostItsFilter()
    {
        var migrated = NewDatabase();
        await using (var db = Context(migrated)) await db.Database.MigrateAsync();
        using var connection = Open(migrated);
        var before = DescribeSchema(connection).ToList();
        before.ShouldContain("index outbox_events.IX_outbox_events_id(id) unique=0 where dispatched_at IS NULL");
        Execute(connection, "DROP INDEX \"IX_outbox_events_id\"; CREATE INDEX \"IX_outbox_events_id\" ON outbox_events (id)");
        DescribeSchema(connection).ShouldContain("index outbox_events.IX_outbox_events_id(id) unique=0");
    }

    public void Dispose()
    {
        foreach (var f in _files) File.Delete(f);
    }
}

public sealed class MigrationsMatchModelOnPostgres : MigrationsMatchModelTests, IDisposable
{
    private readonly List<PostgresDatabase> _databases = [];

    protected override DatabaseSettings NewDatabase()
    {
        var database = PostgresDatabase.Create();
        _databases.Add(database);
        return new DatabaseSettings(DatabaseProvider.Postgres, database.ConnectionString, null);
    }

    protected override DbConnection Open(DatabaseSettings settings)
    {
        var connection = new NpgsqlConnection(settings.ConnectionString);
        connection.Open();
        return connection;
    }

    protected override IEnumerable<string> DescribeSchema(DbConnection c)
    {
        const string user = "table_schema = 'public' AND table_name NOT IN ('schema_migrations')";
        foreach (var col in Query(c, $"""
            SELECT table_name, column_name, data_type, coalesce(character_maximum_length, -1), is_nullable, coalesce(numeric_precision, -1),
                   coalesce(numeric_scale, -1), is_identity, coalesce(column_default, '')
            FROM information_schema.columns WHERE {user}
            """, r => $"column {r.GetString(0)}.{r.GetString(1)} {r.GetString(2)}({r.GetInt32(3)},{r.GetInt32(5)},{r.GetInt32(6)}) nullable={r.GetString(4)} identity={r.GetString(7)} default={r.GetString(8)}"))
            yield return col;
        foreach (var index in Query(c, "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'schema_migrations'", r => "index " + r.GetString(0)))
            yield return index;
        foreach (var constraint in Query(c, """
            SELECT cl.relname, co.conname, pg_get_constraintdef(co.oid) FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid
            WHERE co.connamespace = 'public'::regnamespace AND cl.relname <> 'schema_migrations'
            """, r => $"constraint {r.GetString(0)}.{r.GetString(1)} {r.GetString(2)}"))
            yield return constraint;
    }

    protected override void DropColumnOrIndex(DbConnection connection) => Execute(connection, "ALTER TABLE api_keys DROP COLUMN rotated_to_id");

    public void Dispose()
    {
        foreach (var d in _databases) d.Release();
    }
}
