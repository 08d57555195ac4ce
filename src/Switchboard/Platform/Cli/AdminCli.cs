using Switchboard.Identity;

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

        builder.AddSwitchboard();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        await using var app = builder.Build();
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
