using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Switchboard.Platform;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Docs;

/// <summary>
/// docs/configuration.md is generated from the options classes: every key under <c>Switchboard</c> with its type, default
/// (read from a fresh instance), validation (the data annotations the node checks at start-up) and description (the
/// property's own <c>/// &lt;summary&gt;</c> in the source). A property added without regenerating the page, or without a
/// description, fails here. Regenerate with <c>UPDATE_CONFIGURATION_REFERENCE=1</c>.
/// </summary>
public sealed partial class ConfigurationReferenceTests
{
    private const string Intro = """
        # Configuration reference

        Every setting of a Switchboard node, generated from the options classes the node binds and validates at start-up
        (a value out of range stops the node with the key's name). Set them in `appsettings.json`, in
        `appsettings.{Environment}.json`, on the command line (`--Switchboard:Database:Provider=postgres`) or as environment
        variables, where `:` becomes `__` (`Switchboard__Database__Provider=postgres`). Keys are case-insensitive.

        Besides these:

        - `ConnectionStrings:Switchboard` (`ConnectionStrings__Switchboard`): the database. For SQLite, a
          `Data Source=…` file (default `data/switchboard.db` under the working directory); for PostgreSQL, an Npgsql
          connection string, required.
        - `ASPNETCORE_URLS` (or `--urls`): where the node listens (`http://localhost:5080` by default).
        - `Logging:LogLevel:*`: log levels per category (JSON logs on standard output).

        Keys written `{provider}`, `{name}` or `{plan}` stand for a name you choose; `[n]` is a list index (`0`, `1`, …).

        """;

    [Fact]
    public async Task TheConfigurationReferenceListsEveryOptionWithItsDefaultValidationAndDescription()
    {
        var root = NodeTools.RepositoryRoot() ?? throw new InvalidOperationException("No repository root above the tests.");
        var sources = SourceDescriptions(Path.Combine(root, "src", "Switchboard"));
        var rows = new List<Row>();
        Walk(typeof(SwitchboardOptions), SwitchboardOptions.Section, rows, sources);
        rows.Count.ShouldBeGreaterThan(60);
        rows.Where(r => r.Description.Length == 0).Select(r => r.Key).ShouldBeEmpty("every option needs a /// <summary> on its property");

        var generated = Markdown(rows);
        var path = Path.Combine(root, "docs", "configuration.md");
        if (Environment.GetEnvironmentVariable("UPDATE_CONFIGURATION_REFERENCE") == "1") await File.WriteAllTextAsync(path, generated);
        var current = File.Exists(path) ? (await File.ReadAllTextAsync(path)).ReplaceLineEndings("\n") : "";
        current.ShouldBe(generated, "docs/configuration.md is not what the options classes say: run this test with UPDATE_CONFIGURATION_REFERENCE=1");
    }

    private sealed record Row(string Section, string Key, string Type, string Default, string Validation, string Description);

    private static bool IsSection(Type t) => t.IsClass && t != typeof(string) && t.Namespace?.StartsWith("Switchboard", StringComparison.Ordinal) == true;

    private static void Walk(Type type, string prefix, List<Row> rows, Dictionary<(string Type, string Property), string> sources)
    {
        var instance = Activator.CreateInstance(type);
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.SetMethod!.IsPublic))
        {
            var key = $"{prefix}:{p.Name}";
            var t = p.PropertyType;
            var description = sources.GetValueOrDefault((type.Name, p.Name), "");
            if (IsSection(t) && !typeof(IEnumerable).IsAssignableFrom(t))
            {
                Walk(t, key, rows, sources);
                continue;
            }
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Dictionary<,>) && IsSection(t.GetGenericArguments()[1]))
            {
                Walk(t.GetGenericArguments()[1], key + ":{" + KeyName(p.Name) + "}", rows, sources);
                continue;
            }
            var section = prefix;
            var (typeName, shown) = Describe(t, p.GetValue(instance), ref key, p.Name);
            rows.Add(new Row(section, key, typeName, shown, Validation(p), description));
        }
    }

    private static string KeyName(string name) => name switch { "Providers" => "provider", _ => "name" };

    private static (string Type, string Default) Describe(Type t, object? value, ref string key, string name)
    {
        var nullable = Nullable.GetUnderlyingType(t);
        if (nullable is not null) t = nullable;
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            key += name == "PlanDailyQuotas" ? ":{plan}" : ":{name}";
            var map = (IDictionary)value!;
            var entries = map.Keys.Cast<object>().Select(k => $"`{k}`: {Format(map[k])}").ToList();
            return ($"map of {Simple(t.GetGenericArguments()[1])}", entries.Count == 0 ? "(none)" : string.Join(", ", entries));
        }
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>))
        {
            key += ":[n]";
            var items = ((IEnumerable)value!).Cast<object>().Select(Format).ToList();
            return ($"list of {Simple(t.GetGenericArguments()[0])}", items.Count == 0 ? "(empty)" : string.Join(", ", items));
        }
        return (Simple(t), value is null ? "(unset)" : Format(value));
    }

    private static string Simple(Type t) => t switch
    {
        _ when t == typeof(string) => "string",
        _ when t == typeof(bool) => "boolean",
        _ when t == typeof(int) || t == typeof(long) => "integer",
        _ when t == typeof(double) => "number",
        _ when t.IsEnum => "one of " + string.Join(", ", Enum.GetNames(t).Select(n => $"`{n.ToLowerInvariant()}`")),
        _ => t.Name,
    };

    private static string Format(object? value) => value switch
    {
        null => "(unset)",
        bool b => b ? "`true`" : "`false`",
        Enum e => $"`{e.ToString().ToLowerInvariant()}`",
        string s => $"`{s}`",
        IFormattable f => $"`{f.ToString(null, CultureInfo.InvariantCulture)}`",
        _ => $"`{value}`",
    };

    private static string Validation(PropertyInfo p)
    {
        var parts = new List<string>();
        foreach (var a in p.GetCustomAttributes<ValidationAttribute>())
            parts.Add(a switch
            {
                RangeAttribute r => $"{Convert.ToString(r.Minimum, CultureInfo.InvariantCulture)} to {Convert.ToString(r.Maximum, CultureInfo.InvariantCulture)}",
                RequiredAttribute => "required",
                MinLengthAttribute m => $"at least {m.Length} characters",
                _ => a.GetType().Name.Replace("Attribute", "", StringComparison.Ordinal),
            });
        return string.Join("; ", parts);
    }

    private static string Markdown(List<Row> rows)
    {
        var md = new StringBuilder(Intro.ReplaceLineEndings("\n").TrimEnd('\n')).Append("\n\n");
        foreach (var group in rows.GroupBy(r => r.Section))
        {
            md.Append("## `").Append(group.Key).Append("`\n\n");
            md.Append("| key | type | default | validation | description |\n| --- | --- | --- | --- | --- |\n");
            foreach (var r in group)
                md.Append(CultureInfo.InvariantCulture, $"| `{r.Key[(group.Key.Length + 1)..]}` | {Cell(r.Type)} | {Cell(r.Default)} | {Cell(r.Validation)} | {Cell(r.Description)} |\n");
            md.Append('\n');
        }
        return md.ToString().TrimEnd('\n') + "\n";
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");

    /// <summary>Each option property's summary, read from the source: class name and property name → the summary's text, as Markdown.</summary>
    private static Dictionary<(string Type, string Property), string> SourceDescriptions(string sourceRoot)
    {
        var found = new Dictionary<(string, string), string>();
        foreach (var file in Directory.EnumerateFiles(sourceRoot, "*Options.cs", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(file);
            foreach (Match cls in ClassPattern().Matches(text))
            {
                var start = cls.Index + cls.Length;
                var next = ClassPattern().Match(text, start);
                var body = text[start..(next.Success ? next.Index : text.Length)];
                foreach (Match m in PropertyPattern().Matches(body))
                {
                    var summary = Regex.Replace(m.Groups["doc"].Value, @"^\s*///\s?", "", RegexOptions.Multiline);
                    summary = Regex.Replace(summary, "</?summary>", "");
                    summary = Regex.Replace(summary, @"<(?:c|code)>(.*?)</(?:c|code)>", "`$1`");
                    summary = Regex.Replace(summary, @"<see cref=""(?:[A-Za-z]+\.)*([A-Za-z]+)""\s*/>", "`$1`");
                    summary = Regex.Replace(summary, @"\s+", " ").Trim();
                    found[(cls.Groups["name"].Value, m.Groups["name"].Value)] = summary;
                }
            }
        }
        return found;
    }

    [GeneratedRegex(@"^public sealed class (?<name>\w+)", RegexOptions.Multiline)]
    private static partial Regex ClassPattern();

    [GeneratedRegex(@"(?<doc>(?:^[ \t]*///.*\n)+)(?:^[ \t]*\[.*\]\s*\n)*^[ \t]*(?:\[[^\]]*\]\s*)*public [^=;{(]+? (?<name>\w+) \{ get; set; \}", RegexOptions.Multiline)]
    private static partial Regex PropertyPattern();
}
