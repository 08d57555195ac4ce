using Switchboard.Identity;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;

namespace Switchboard.Platform.Cli;

/// <summary>
/// Operator commands run by the same binary: <c>dotnet run --project src/Switchboard -- admin &lt;command&gt;</c>.
/// They use the same configuration (database, encryption key) as the server.
/// </summary>
public static class AdminCli
{
    private const string Usage = """
        Usage: switchboard admin <command> [options]

        Commands:
          create-owner --email <email> --name <name> --organization <name> (--password <pw> | --password-stdin)
                             Create an organization and its owner (works with signup turned off).
          rotate-signing-key Add a new JWT signing key; the old one verifies until its tokens expire.
          migrate            Apply pending database migrations and exit.
          re-encrypt [--check]
                             Move every value encrypted at rest to the current Switchboard:Encryption:Key, reading the
                             others with PreviousKeys; run it once every node has the new key. With --check: count
                             what is under other keys, change nothing, exit 1 if anything is. Exit 1 as well when a
                             value cannot be read (its key is not configured).
          backup --to <file> SQLite: copy the database, consistent, into a new file (VACUUM INTO). Nothing is migrated.
                             With Switchboard:Database:SqliteExclusive (the default) only while the node is stopped.
          restore --from <file>
                             SQLite, node stopped: replace the database with a backup (SQLite's online backup API).
          health [--url <base URL>]
                             Exit 0 when the node at the URL (default: http://127.0.0.1:8080, or the first of
                             ASPNETCORE_URLS / ASPNETCORE_HTTP_PORTS) answers GET /health with 200, 1 otherwise.
        """;

    public static bool IsAdminCommand(string[] args) => args.Length > 0 && args[0] == "admin";

    public static async Task<int> RunAsync(WebApplicationBuilder builder, string[] args, TextReader? stdin = null, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        stdin ??= Console.In;
        stdout ??= Console.Out;
        stderr ??= Console.Error;
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            await stdout.WriteLineAsync(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        // These three do not start the node's services: a health probe must be cheap, and a backup or a restore must not
        // migrate the database it copies (a backup taken before an upgrade is the one to roll back to).
        switch (args[0])
        {
            case "health":
                return await HealthAsync(builder.Configuration, ParseOptions(args[1..]), stdout, stderr);
            case "backup":
                return await SqliteBackup.BackupAsync(builder.Configuration, ParseOptions(args[1..]).GetValueOrDefault("to"), stdout, stderr);
            case "restore":
                return await SqliteBackup.RestoreAsync(builder.Configuration, ParseOptions(args[1..]).GetValueOrDefault("from"), stdout, stderr);
        }

        builder.AddSwitchboard();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        await using var app = builder.Build();
        // Re-encryption needs the schema, not the key ring: starting the ring decrypts the signing key, which must not be
        // what stops a re-encryption that would report its key missing.
        if (args[0] == "re-encrypt")
        {
            await app.Services.MigrateDatabaseAsync(CancellationToken.None);
            return await ReEncryptAsync(app.Services, check: ParseOptions(args[1..]).ContainsKey("check"), stdout);
        }
        await app.Services.InitializeSwitchboardAsync();

        switch (args[0])
        {
            case "migrate":
                await stdout.WriteLineAsync("Database is up to date.");
                return 0;
            case "rotate-signing-key":
                var kid = await app.Services.GetRequiredService<SigningKeyRing>().RotateAsync(CancellationToken.None);
                await stdout.WriteLineAsync($"New signing key: {kid}");
                return 0;
            case "create-owner":
                return await CreateOwnerAsync(app.Services, ParseOptions(args[1..]), stdin, stdout, stderr);
            default:
                await stderr.WriteLineAsync($"Unknown command '{args[0]}'.\n\n{Usage}");
                return 2;
        }
    }

    private static async Task<int> CreateOwnerAsync(IServiceProvider services, Dictionary<string, string?> options, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var email = options.GetValueOrDefault("email");
        var name = options.GetValueOrDefault("name");
        var organization = options.GetValueOrDefault("organization");
        var password = options.ContainsKey("password-stdin") ? (await stdin.ReadLineAsync())?.TrimEnd('\r', '\n') : options.GetValueOrDefault("password");
        var request = new SignupRequest(email, password, name, organization);
        var validation = await new SignupRequestValidator().ValidateAsync(request);
        if (!validation.IsValid)
        {
            foreach (var error in validation.Errors)
                await stderr.WriteLineAsync($"--{Flag(error.PropertyName)}: {error.ErrorMessage}");
            return 2;
        }

        await using var scope = services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        var created = await accounts.CreateOrganizationWithOwnerAsync(email!, password!, name!, organization!, null, CancellationToken.None);
        if (created is not { } c)
        {
            await stderr.WriteLineAsync($"An account with email {email} already exists.");
            return 1;
        }
        await stdout.WriteLineAsync($"Created organization {c.Organization.Id} ({c.Organization.Name}) with owner {c.User.Id} <{c.User.Email}>.");
        return 0;
    }

    private static async Task<int> ReEncryptAsync(IServiceProvider services, bool check, TextWriter stdout)
    {
        await using var scope = services.CreateAsyncScope();
        var protector = scope.ServiceProvider.GetRequiredService<SecretProtector>();
        var outcomes = await new ReEncryption(scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>(), protector)
            .RunAsync(write: !check, CancellationToken.None);
        var key = protector.CurrentKeyId;
        foreach (var o in outcomes)
        {
            var moved = check ? $"{o.Moved} under other keys" : $"{o.Moved} moved to key {key}";
            var changed = o.Changed > 0 ? $", {o.Changed} changed meanwhile by a node (left as written)" : "";
            await stdout.WriteLineAsync($"{o.Column}: {moved}, {o.Current} already under key {key}{changed}");
            foreach (var (why, count) in o.Unreadable) await stdout.WriteLineAsync($"  {count} cannot be read: {why}");
        }
        var unreadable = outcomes.Sum(o => o.Unreadable.Values.Sum());
        var pending = check ? outcomes.Sum(o => o.Moved) : 0;
        if (unreadable > 0)
            await stdout.WriteLineAsync($"{unreadable} values cannot be read. Add the key that encrypted them under Switchboard:Encryption:PreviousKeys and run this again.");
        else if (pending > 0)
            await stdout.WriteLineAsync($"{pending} values are under other keys: run admin re-encrypt.");
        else
            await stdout.WriteLineAsync($"Every encrypted value is under key {key}. Once every node runs with it, PreviousKeys can be removed.");
        return unreadable + pending > 0 ? 1 : 0;
    }

    /// <summary>
    /// The container's health check (the runtime image has no curl): <c>GET /health</c> on the node's own listener.
    /// The URL is the one given, else the first of <c>urls</c> (ASPNETCORE_URLS), else the first of <c>http_ports</c>
    /// (ASPNETCORE_HTTP_PORTS, which the .NET container images set to 8080) on 127.0.0.1; a wildcard host becomes 127.0.0.1.
    /// </summary>
    private static async Task<int> HealthAsync(IConfiguration configuration, Dictionary<string, string?> options, TextWriter stdout, TextWriter stderr)
    {
        var url = options.GetValueOrDefault("url") ?? LocalUrl(configuration);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
        {
            await stderr.WriteLineAsync($"--url: '{url}' is not an absolute http(s) URL.");
            return 2;
        }
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.GetAsync(new Uri(baseUri, "/health"));
            await stdout.WriteLineAsync($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await stderr.WriteLineAsync($"{baseUri}health: {ex.Message}");
            return 1;
        }
    }

    internal static string LocalUrl(IConfiguration configuration)
    {
        if (configuration["urls"] is { Length: > 0 } urls)
        {
            var first = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0];
            return first.Replace("://+", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal)
                .Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal).Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal);
        }
        if (configuration["http_ports"] is { Length: > 0 } ports)
            return "http://127.0.0.1:" + ports.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0];
        return "http://127.0.0.1:8080";
    }

    private static string Flag(string property) => property switch
    {
        "OrganizationName" => "organization",
        _ => property.ToLowerInvariant(),
    };

    internal static Dictionary<string, string?> ParseOptions(string[] args)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) continue;
            var name = args[i][2..];
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0) result[name[..eq]] = name[(eq + 1)..];
            else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) result[name] = args[++i];
            else result[name] = null;
        }
        return result;
    }
}
