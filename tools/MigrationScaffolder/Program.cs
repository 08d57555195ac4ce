// Scaffolds the next additive migration: the tables, columns and indexes the model has that the existing migrations do
// not create, as provider-neutral MigrationBuilder calls (no store types), so one migration set serves SQLite and
// PostgreSQL. `dotnet ef migrations add` writes one provider's store types into the migration and its model snapshot:
// against a snapshot made on SQLite, PostgreSQL reports 335 altered columns (docs/architecture.md, "Migrations").
// Renames, drops and data moves are written by hand; MigrationsMatchModelTests checks the result on both databases.
// Usage: dotnet run --project tools/MigrationScaffolder -- <MigrationName>
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Switchboard.Platform;
using Switchboard.Platform.Storage;

if (args.Length != 1) { Console.Error.WriteLine("usage: MigrationScaffolder <MigrationName>"); return 2; }
var name = args[0];
var path = Path.Combine(Path.GetTempPath(), $"scaffold-{Guid.NewGuid():N}.db");
var settings = new DatabaseSettings(DatabaseProvider.Sqlite, $"Data Source={path};Pooling=false", Path.GetTempPath());
await using var db = new SwitchboardDbContext(
    (DbContextOptions<SwitchboardDbContext>)DatabaseSetup.Configure(new DbContextOptionsBuilder<SwitchboardDbContext>(), settings).Options);
await db.Database.MigrateAsync();

var existingTables = new HashSet<string>(StringComparer.Ordinal);
var existingColumns = new HashSet<string>(StringComparer.Ordinal);
var existingIndexes = new HashSet<string>(StringComparer.Ordinal);
await using (var connection = new SqliteConnection(settings.ConnectionString))
{
    await connection.OpenAsync();
    foreach (var (sql, set) in new[] {
        ("SELECT name FROM sqlite_master WHERE type = 'table'", existingTables),
        ("SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'", existingColumns),
        ("SELECT name FROM sqlite_master WHERE type = 'index'", existingIndexes) })
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) set.Add(reader.GetString(0));
    }
}
File.Delete(path);

var differ = db.GetService<IMigrationsModelDiffer>();
var model = db.GetService<IDesignTimeModel>().Model.GetRelationalModel();
var operations = differ.GetDifferences(null, model);
var up = new StringBuilder();
var downTables = new List<string>();
var downColumns = new List<string>();
foreach (var operation in operations)
{
    switch (operation)
    {
        case CreateTableOperation t when !existingTables.Contains(t.Name):
            up.AppendLine(CultureInfo.InvariantCulture, $"        migrationBuilder.CreateTable(\"{t.Name}\", t => new");
            up.AppendLine("        {");
            foreach (var c in t.Columns) up.AppendLine(CultureInfo.InvariantCulture, $"            {c.Name} = {Column(c)},");
            up.AppendLine("        }, constraints: t =>");
            up.AppendLine("        {");
            up.AppendLine(CultureInfo.InvariantCulture, $"            t.PrimaryKey(\"{t.PrimaryKey!.Name}\", x => {Members(t.PrimaryKey.Columns)});");
            foreach (var fk in t.ForeignKeys)
                up.AppendLine(CultureInfo.InvariantCulture, $"            t.ForeignKey(\"{fk.Name}\", x => {Members(fk.Columns)}, \"{fk.PrincipalTable}\", \"{fk.PrincipalColumns![0]}\", onDelete: ReferentialAction.{fk.OnDelete});");
            up.AppendLine("        });");
            downTables.Insert(0, t.Name);
            break;
        case CreateTableOperation t:
            foreach (var c in t.Columns.Where(c => !existingColumns.Contains($"{t.Name}.{c.Name}")))
            {
                // A NOT NULL column added to a table that has rows needs a default to fill them; the model must declare
                // it (HasDefaultValue), or MigrationsMatchModelTests sees the migration's schema differ from the model's.
                if (!c.IsNullable && c.DefaultValue is null && c.DefaultValueSql is null && c.ComputedColumnSql is null)
                    Console.Error.WriteLine($"warning: {t.Name}.{c.Name} is NOT NULL without a default; existing rows cannot be filled. " +
                        "Declare HasDefaultValue in the model, or fill the column by hand in the migration.");
                up.AppendLine(CultureInfo.InvariantCulture, $"        migrationBuilder.AddColumn<{ClrName(c.ClrType)}>(\"{c.Name}\", \"{t.Name}\"{Facets(c)});");
                downColumns.Add($"        migrationBuilder.DropColumn(\"{c.Name}\", \"{t.Name}\");");
            }
            break;
        case CreateIndexOperation i when !existingIndexes.Contains(i.Name):
            var columns = i.Columns.Length == 1 ? $"\"{i.Columns[0]}\"" : "[" + string.Join(", ", i.Columns.Select(c => $"\"{c}\"")) + "]";
            up.AppendLine(CultureInfo.InvariantCulture, $"        migrationBuilder.CreateIndex(\"{i.Name}\", \"{i.Table}\", {columns}{(i.IsUnique ? ", unique: true" : "")}{(i.Filter is null ? "" : ", filter: " + Literal(i.Filter))});");
            break;
    }
}
if (up.Length == 0) { Console.Error.WriteLine("The migrations already create everything the model has."); return 1; }

var stamp = DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
var file = Path.Combine(FindRepoRoot(), "src/Switchboard/Platform/Storage/Migrations", $"{stamp}_{name}.cs");
await File.WriteAllTextAsync(file, $$"""
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Switchboard.Platform.Storage.Migrations;

/// <summary>Scaffolded by tools/MigrationScaffolder; see MigrationsMatchModelTests.</summary>
[DbContext(typeof(SwitchboardDbContext))]
[Migration("{{stamp}}_{{name}}")]
public sealed class {{name}} : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
{{up.ToString().TrimEnd()}}
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
{{string.Join("\n", downTables.Select(t => $"        migrationBuilder.DropTable(\"{t}\");").Concat(downColumns))}}
    }
}

""");
Console.WriteLine(file);
return 0;

static string Column(AddColumnOperation c) => $"t.Column<{ClrName(c.ClrType)}>({Facets(c).TrimStart(',', ' ')})";

static string Facets(AddColumnOperation c)
{
    var parts = new List<string>();
    if (c.MaxLength is { } max) parts.Add($"maxLength: {max}");
    if (c.IsNullable && !c.ClrType.IsValueType) parts.Add("nullable: true");
    if (c.IsNullable && c.ClrType.IsValueType && Nullable.GetUnderlyingType(c.ClrType) is null) parts.Add("nullable: true");
    // The model's default (HasDefaultValue, already in the provider's type, e.g. an enum stored as text) or SQL.
    if (c.DefaultValue is { } value) parts.Add("defaultValue: " + Literal(value));
    if (c.DefaultValueSql is { } sql) parts.Add("defaultValueSql: " + Literal(sql));
    return parts.Count == 0 ? "" : ", " + string.Join(", ", parts);
}

// A C# literal of a column default, of the types the model's columns have.
static string Literal(object value) => value switch
{
    string s => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"",
    bool b => b ? "true" : "false",
    int i => i.ToString(CultureInfo.InvariantCulture),
    long l => l.ToString(CultureInfo.InvariantCulture) + "L",
    double d => d.ToString("R", CultureInfo.InvariantCulture) + "d",
    decimal m => m.ToString(CultureInfo.InvariantCulture) + "m",
    DateTime t => $"new DateTime({t.Ticks}L, DateTimeKind.{t.Kind})",
    _ => throw new NotSupportedException($"A default of type {value.GetType().Name} ({value}): write this column's default by hand."),
};

static string ClrName(Type t) => Nullable.GetUnderlyingType(t) is { } inner ? ClrName(inner) + "?" : t switch
{
    _ when t == typeof(string) => "string",
    _ when t == typeof(int) => "int",
    _ when t == typeof(long) => "long",
    _ when t == typeof(bool) => "bool",
    _ when t == typeof(byte[]) => "byte[]",
    _ when t == typeof(decimal) => "decimal",
    _ when t == typeof(double) => "double",
    _ => t.Name,
};

static string Members(string[] columns) => columns.Length == 1 ? $"x.{columns[0]}" : "new { " + string.Join(", ", columns.Select(c => $"x.{c}")) + " }";

static string FindRepoRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Switchboard.slnx"))) dir = dir.Parent;
    return dir?.FullName ?? throw new InvalidOperationException("Run from inside the repository.");
}
