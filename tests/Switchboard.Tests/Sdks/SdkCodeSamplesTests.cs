using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Switchboard.Client;
using Switchboard.Docs;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Sdks;

/// <summary>
/// The OpenAPI document's SDK code samples: <c>sdk-methods.json</c> is what the SDKs themselves say (the TypeScript SDK's
/// operation table, the Python SDK's marked methods), every TypeScript sample type-checks against the SDK, and every
/// Python sample's call binds to its method's signature.
/// </summary>
public sealed partial class SdkCodeSamplesTests(SqliteSwitchboard node) : IClassFixture<SqliteSwitchboard>
{
    private static string Root => NodeTools.RepositoryRoot() ?? throw new InvalidOperationException("The repository root was not found.");
    private static string TablePath => Path.Combine(Root, "src", "Switchboard", "Docs", SdkMethods.ResourceName);

    [Fact(Timeout = 120_000)]
    public async Task TheSdkMethodTableIsWhatTheSdksSay()
    {
        var typeScript = TypeScriptMethods();
        var python = await PythonMethodsAsync();
        var dotNet = DotNetMethods();
        typeScript.Keys.Order(StringComparer.Ordinal).ShouldBe(python.Keys.Order(StringComparer.Ordinal), "both SDKs cover the same operations");
        dotNet.Keys.Order(StringComparer.Ordinal).ShouldBe(typeScript.Keys.Order(StringComparer.Ordinal), "the .NET SDK covers the same operations");
        var derived = new JsonObject();
        foreach (var id in typeScript.Keys.Order(StringComparer.Ordinal))
        {
            var entry = new JsonObject { ["typeScript"] = typeScript[id], ["python"] = python[id].Method };
            if (python[id].Keywords is { Count: > 0 } keywords)
                entry["pythonKeywords"] = new JsonObject(keywords.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => KeyValuePair.Create(k.Key, (JsonNode?)k.Value)));
            if (python[id].RawBody) entry["pythonRawBody"] = true;
            var net = new JsonObject { ["method"] = dotNet[id].Method };
            if (dotNet[id].Body is { } body) net["body"] = body;
            if (dotNet[id].Query is { } query) net["query"] = query;
            if (dotNet[id].ReturnsNothing) net["returnsNothing"] = true;
            entry["dotNet"] = net;
            derived[id] = entry;
        }
        var text = derived.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        if (Environment.GetEnvironmentVariable("UPDATE_SDK_METHODS") == "1") await File.WriteAllTextAsync(TablePath, text);
        (await File.ReadAllTextAsync(TablePath)).ShouldBe(text,
            $"{SdkMethods.ResourceName} is not what the SDKs say: run this test with UPDATE_SDK_METHODS=1 and commit the file");
        SdkMethods.All.Count.ShouldBe(typeScript.Count, "the node embeds the committed table");
    }

    [Fact(Timeout = 300_000)]
    public async Task EveryOperationHasSdkSamplesAndTheTypeScriptOnesTypeCheck()
    {
        var samples = await SamplesAsync("TypeScript SDK");
        samples.Count.ShouldBe(SdkMethods.All.Count);
        await TypeScriptSdk.EnsureBuiltAsync();
        // Inside the package, so `@switchboard/sdk` resolves to its own build (a package may import itself by name).
        var dir = Path.Combine(TypeScriptSdk.Directory, ".samples-check", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            foreach (var (id, source) in samples) await File.WriteAllTextAsync(Path.Combine(dir, id + ".mts"), "export {};\n" + source + "\n");
            await File.WriteAllTextAsync(Path.Combine(dir, "env.d.ts"), "declare const process: { env: Record<string, string | undefined> };\n");
            await File.WriteAllTextAsync(Path.Combine(dir, "tsconfig.json"), """
                { "compilerOptions": { "module": "Node16", "moduleResolution": "Node16", "target": "ES2022", "lib": ["ES2022", "DOM"],
                  "strict": true, "noEmit": true, "types": [], "skipLibCheck": true }, "include": ["*.mts", "env.d.ts"] }
                """);
            var tsc = await TypeScriptSdk.RunNodeAsync([Path.Combine(TypeScriptSdk.Directory, "node_modules", "typescript", "bin", "tsc"), "-p", dir],
                TimeSpan.FromMinutes(3));
            tsc.ExitCode.ShouldBe(0, "the TypeScript SDK samples do not type-check:\n" + tsc);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task EveryPythonSampleCallsItsMethodWithArgumentsItsSignatureTakes()
    {
        var samples = await SamplesAsync("Python SDK");
        samples.Count.ShouldBe(SdkMethods.All.Count);
        var file = Path.Combine(Path.GetTempPath(), $"switchboard-python-samples-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(samples));
        try
        {
            // Each sample parses; its one call of client.<method>(...) is found, its literal arguments evaluated and bound to
            // the SDK method's signature (a wrong keyword or a missing id fails), and the method is the table's.
            const string Check = """
                import ast, inspect, json, sys
                sys.path.insert(0, sys.argv[2])
                from switchboard import Switchboard
                samples = json.load(open(sys.argv[1]))
                client = Switchboard(api_key="sbk_unused", admin_token="unused", base_url="http://127.0.0.1:9")
                failures = []
                for op, source in samples.items():
                    try:
                        tree = ast.parse(source)
                        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.unparse(n.func).startswith("client.")]
                        assert len(calls) == 1, f"{len(calls)} client calls"
                        call = calls[0]
                        target = client
                        for part in ast.unparse(call.func).split(".")[1:]:
                            target = getattr(target, part)
                        assert getattr(target, "__operation_id__", None) == op, f"{ast.unparse(call.func)} calls {getattr(target, '__operation_id__', None)}"
                        def value(node):
                            try: return ast.literal_eval(node)
                            except ValueError: return None  # an expression such as json.dumps(...).encode(): only its place is checked
                        args = [value(a) for a in call.args]
                        kwargs = {}
                        for k in call.keywords:
                            if k.arg is None: kwargs.update(value(k.value))
                            else: kwargs[k.arg] = value(k.value)
                        inspect.signature(target).bind(*args, **kwargs)
                    except Exception as e:
                        failures.append(f"{op}: {type(e).__name__}: {e}")
                print("\n".join(failures))
                sys.exit(1 if failures else 0)
                """;
            var run = await ExternalProcess.RunAsync(PythonSdkTests<SqliteSwitchboard>.Python(), ["-c", Check, file, Path.Combine(Root, "sdks", "python")],
                TimeSpan.FromMinutes(1));
            run.ExitCode.ShouldBe(0, "Python SDK samples that do not fit their method:\n" + run);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact(Timeout = 240_000)]
    public async Task EveryDotNetSampleCompilesAgainstTheSdk()
    {
        var samples = await SamplesAsync(".NET SDK");
        samples.Count.ShouldBe(SdkMethods.All.Count);
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        var dir = Path.Combine(Path.GetTempPath(), $"switchboard-dotnet-samples-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            foreach (var (id, source) in samples)
            {
                // The sample's using directives (its first paragraph) head the file; its statements are the body of one method.
                var split = source.IndexOf("\n\n", StringComparison.Ordinal);
                split.ShouldBePositive($"{id}: the sample has no using directives before its statements:\n{source}");
                var statements = string.Join("\n", source[(split + 2)..].Split('\n').Select(line => line.Length == 0 ? line : "        " + line));
                await File.WriteAllTextAsync(Path.Combine(dir, id + ".cs"), $$"""
                    {{source[..split]}}

                    namespace Samples;

                    internal static class {{char.ToUpperInvariant(id[0]) + id[1..]}}Sample
                    {
                        public static async Task RunAsync()
                        {
                    {{statements}}
                        }
                    }

                    """);
            }
            // A user's project as `dotnet new console` makes it (implicit usings, nullable), and no warning let through.
            await File.WriteAllTextAsync(Path.Combine(dir, "Samples.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                  </PropertyGroup>
                  <ItemGroup>
                    <ProjectReference Include="{Path.Combine(Root, "sdks", "dotnet", "src", "Switchboard.Client", "Switchboard.Client.csproj")}" />
                  </ItemGroup>
                </Project>
                """);
            // The test project references the client, so it is built already: the samples compile against that build.
            var build = await ExternalProcess.RunAsync("dotnet",
                ["build", dir, "-c", configuration, "-p:BuildProjectReferences=false", "-nologo", "-v:q", "-clp:NoSummary"],
                TimeSpan.FromSeconds(180), dir, new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" });
            build.ExitCode.ShouldBe(0, "the .NET SDK samples do not compile:\n" + build);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task TheSamplesShowTheSdksBesideCurl()
    {
        using var client = node.Client();
        var document = JsonNode.Parse(await client.Http.GetStringAsync("/api/openapi/v1.json"))!;
        var samples = document["paths"]!["/api/v1/contacts/{id}"]!["patch"]!["x-codeSamples"]!.AsArray();
        samples.Select(s => s!["label"]!.GetValue<string>()).Take(4).ShouldBe(["curl", "TypeScript SDK", "Python SDK", ".NET SDK"]);
        samples[3]!["lang"]!.GetValue<string>().ShouldBe("C#", "ReDoc highlights a sample by its lang");
        var ts = samples[1]!["source"]!.GetValue<string>();
        ts.ShouldContain("new Switchboard({ apiKey: process.env.SWITCHBOARD_API_KEY! }, \"http://localhost:5080\")");
        TypeScriptCall().IsMatch(ts).ShouldBeTrue(ts);
        var py = samples[2]!["source"]!.GetValue<string>();
        py.ShouldContain("client = Switchboard(api_key=os.environ[\"SWITCHBOARD_API_KEY\"], base_url=\"http://localhost:5080\")");
        py.ShouldContain("result = client.contacts.update(\n    \"con_");
        var cs = samples[3]!["source"]!.GetValue<string>();
        cs.ShouldStartWith("using Switchboard.Client;\n");
        cs.ShouldContain("BaseAddress = new Uri(\"http://localhost:5080\"),\n    ApiKey = Environment.GetEnvironmentVariable(\"SWITCHBOARD_API_KEY\"),\n});");
        DotNetCall().IsMatch(cs).ShouldBeTrue(cs);
        cs.ShouldContain("    FirstName = \"Ada\",\n");
        cs.ShouldEndWith("\nConsole.WriteLine(result);");
        // An operation without credentials builds its client without them.
        var signup = document["paths"]!["/api/v1/auth/signup"]!["post"]!["x-codeSamples"]!.AsArray();
        signup[2]!["source"]!.GetValue<string>().ShouldContain("client = Switchboard(base_url=\"http://localhost:5080\")");
        signup[3]!["source"]!.GetValue<string>().ShouldContain("BaseAddress = new Uri(\"http://localhost:5080\"),\n});");
        // An operation answering 204 has no result to print; an operator's one sends the admin token.
        var delete = document["paths"]!["/api/v1/contacts/{id}"]!["delete"]!["x-codeSamples"]!.AsArray()[3]!["source"]!.GetValue<string>();
        delete.ShouldEndWith("\nawait client.Contacts.DeleteAsync(\"con_01JD4V2Q8M3ZC5X7T9W1E6R0YB\");");
        var plan = document["paths"]!["/api/v1/admin/organizations/{id}/plan"]!["put"]!["x-codeSamples"]!.AsArray()[3]!["source"]!.GetValue<string>();
        plan.ShouldContain("AdminToken = Environment.GetEnvironmentVariable(\"SWITCHBOARD_ADMIN_TOKEN\"),");
        // Free-form JSON fields are JsonObjects, whose namespace the sample imports.
        var integration = document["paths"]!["/api/v1/integrations"]!["post"]!["x-codeSamples"]!.AsArray()[3]!["source"]!.GetValue<string>();
        integration.ShouldStartWith("using System.Text.Json.Nodes;\nusing Switchboard.Client;\n");
        integration.ShouldContain("Config = new JsonObject\n    {\n");
    }

    [GeneratedRegex(@"await client\.contacts\.update\(""con_\w+"", \{")]
    private static partial Regex TypeScriptCall();

    [GeneratedRegex(@"var result = await client\.Contacts\.UpdateAsync\(""con_\w+"", new ContactInput\n\{\n")]
    private static partial Regex DotNetCall();

    private async Task<Dictionary<string, string>> SamplesAsync(string label)
    {
        using var client = node.Client();
        var document = JsonNode.Parse(await client.Http.GetStringAsync("/api/openapi/v1.json"))!;
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (_, item) in document["paths"]!.AsObject())
            foreach (var (_, operation) in item!.AsObject())
                if (operation is JsonObject op && op["operationId"] is { } id && op["x-codeSamples"] is JsonArray samples
                    && samples.FirstOrDefault(s => s!["label"]!.GetValue<string>() == label) is { } sample)
                    found[id.GetValue<string>()] = sample["source"]!.GetValue<string>();
        return found;
    }

    /// <summary>operationId → resource.name, from the TypeScript SDK's operation table (src/operations.ts).</summary>
    private static Dictionary<string, string> TypeScriptMethods()
    {
        var table = File.ReadAllText(Path.Combine(Root, "sdks", "typescript", "src", "operations.ts"));
        var methods = OperationLine().Matches(table).ToDictionary(m => m.Groups["id"].Value, m => $"{m.Groups["resource"].Value}.{m.Groups["name"].Value}");
        methods.ShouldNotBeEmpty("no operation found in sdks/typescript/src/operations.ts");
        return methods;
    }

    [GeneratedRegex(@"^\s+(?<id>\w+): \{ resource: ""(?<resource>\w+)"", name: ""(?<name>\w+)""", RegexOptions.Multiline)]
    private static partial Regex OperationLine();

    /// <summary>
    /// operationId → the .NET SDK's method, from the built Switchboard.Client assembly: each resource property of
    /// SwitchboardClient, its methods marked with the operation they call (not the ListAll iterators, which are unmarked), the
    /// record types of their <c>body</c> and <c>query</c> parameters, and whether they return a bare Task.
    /// </summary>
    private static Dictionary<string, DotNetSdkMethod> DotNetMethods()
    {
        var methods = new Dictionary<string, DotNetSdkMethod>(StringComparer.Ordinal);
        foreach (var resource in typeof(SwitchboardClient).GetProperties().Where(p => p.PropertyType.Name.EndsWith("Resource", StringComparison.Ordinal)))
            foreach (var method in resource.PropertyType.GetMethods())
                if (method.GetCustomAttribute<SwitchboardOperationAttribute>() is { } operation)
                {
                    var parameters = method.GetParameters();
                    methods.Add(operation.OperationId, new DotNetSdkMethod($"{resource.Name}.{method.Name}",
                        parameters.FirstOrDefault(p => p.Name == "body")?.ParameterType.Name,
                        parameters.FirstOrDefault(p => p.Name == "query")?.ParameterType.Name,
                        method.ReturnType == typeof(Task)));
                }
        methods.ShouldNotBeEmpty("no operation method found on SwitchboardClient's resources");
        return methods;
    }

    private sealed record PythonMethod(string Method, Dictionary<string, string>? Keywords, bool RawBody);

    /// <summary>
    /// operationId → the Python SDK's method path, found by walking the sync client's resources (a list's plain method before
    /// its _all iterator), with the keyword-only parameters it names differently from the API's fields and whether it takes raw bytes.
    /// </summary>
    private static async Task<Dictionary<string, PythonMethod>> PythonMethodsAsync()
    {
        const string Walk = """
            import inspect, json, re, sys
            sys.path.insert(0, sys.argv[1])
            from switchboard import Switchboard
            from switchboard._sync._resources import Resource
            found = {}
            def describe(path, method):
                parameters = inspect.signature(method).parameters
                keywords = {}
                for name, p in parameters.items():
                    if p.kind == inspect.Parameter.KEYWORD_ONLY and name not in ("idempotency_key", "if_match", "fields"):
                        camel = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)
                        if camel != name: keywords[camel] = name
                return {"method": path, "keywords": keywords or None, "rawBody": "content" in parameters}
            def walk(resource, prefix):
                for name, member in inspect.getmembers(resource):
                    if name.startswith("_"): continue
                    if isinstance(member, Resource): walk(member, prefix + name + ".")
                    elif callable(member) and hasattr(member, "__operation_id__"): found.setdefault(member.__operation_id__, []).append((prefix + name, member))
            walk(Switchboard(api_key="sbk_unused", base_url="http://127.0.0.1:9"), "")
            print(json.dumps({op: describe(*sorted(named, key=lambda n: (n[0].endswith("_all"), n[0]))[0]) for op, named in found.items()}))
            """;
        var run = await ExternalProcess.RunAsync(PythonSdkTests<SqliteSwitchboard>.Python(), ["-c", Walk, Path.Combine(Root, "sdks", "python")], TimeSpan.FromMinutes(1));
        run.ExitCode.ShouldBe(0, run.ToString());
        return JsonSerializer.Deserialize<Dictionary<string, PythonMethod>>(run.Output, JsonSerializerOptions.Web)!;
    }
}
