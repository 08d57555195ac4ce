using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Switchboard.Platform;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Docs;

/// <summary>
/// deploy/: Docker does not run on the test machines, so the files are checked, not run. Each goes through a linter npm
/// serves (dockerfile-utils for the Dockerfile, dclint for compose.yaml, kubernetes-models' schema validation for the
/// manifests), and the facts an operator relies on are asserted one by one: a non-root user, a health check, a
/// read-only root filesystem with its writable volumes, probes on /health and /alive, a PodDisruptionBudget, secrets
/// referenced and never written inline, and a grace period longer than the node's shutdown timeout.
/// </summary>
public sealed partial class DeploymentFilesTests
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(2);

    private static string Root => NodeTools.RepositoryRoot() ?? throw new InvalidOperationException("No repository root above the tests.");
    private static string Deploy(string file) => Path.Combine(Root, "deploy", file);

    [Fact]
    public async Task TheDockerfilePassesDockerfileUtilsLint()
    {
        var run = await NodeTools.RunAsync("dockerfile-utils", ["lint", Deploy("Dockerfile")], ToolTimeout);
        run.ExitCode.ShouldBe(0, run.ToString());
    }

    [Fact]
    public async Task TheDockerfileBuildsWithTheSdkRunsOnTheRuntimeAsANonRootUserAndChecksItsHealth()
    {
        var lines = Instructions(await File.ReadAllTextAsync(Deploy("Dockerfile")));
        var stages = lines.Where(l => l.Instruction == "FROM").Select(l => l.Arguments).ToList();
        stages.Count.ShouldBeGreaterThanOrEqualTo(2, "multi-stage");
        stages[0].ShouldStartWith("mcr.microsoft.com/dotnet/sdk:10.0");
        stages[^1].ShouldStartWith("mcr.microsoft.com/dotnet/aspnet:10.0");
        var final = lines.SkipWhile(l => !(l.Instruction == "FROM" && l.Arguments == stages[^1])).ToList();

        var user = final.Last(l => l.Instruction == "USER").Arguments.Split(':')[0];
        int.TryParse(user, NumberStyles.None, CultureInfo.InvariantCulture, out var uid).ShouldBeTrue("a numeric UID, which Kubernetes' runAsNonRoot can check");
        uid.ShouldBeGreaterThan(0);

        var health = final.Single(l => l.Instruction == "HEALTHCHECK").Arguments;
        health.ShouldContain("\"admin\", \"health\"", Case.Sensitive, "the node's own CLI: the runtime image has no curl");
        final.Single(l => l.Instruction == "VOLUME").Arguments.ShouldContain("\"/data\"");
        final.Single(l => l.Instruction == "VOLUME").Arguments.ShouldContain("\"/tmp\"");
        final.Single(l => l.Instruction == "ENTRYPOINT").Arguments.ShouldBe("[\"dotnet\", \"/app/Switchboard.dll\"]");
        // Nothing secret is baked into the image.
        lines.Where(l => l.Instruction is "ENV" or "ARG").Select(l => l.Arguments)
            .ShouldAllBe(a => !a.Contains("Encryption__Key") && !a.Contains("Password", StringComparison.OrdinalIgnoreCase));

        // The build context is the repository root: the Dockerfile's own ignore file keeps builds' outputs and the rest out.
        var ignore = await File.ReadAllTextAsync(Deploy("Dockerfile.dockerignore"));
        foreach (var excluded in new[] { "**/bin/", "**/obj/", "**/node_modules/", ".git/", "tests/" }) ignore.ShouldContain(excluded);
        // What the build copies exists.
        foreach (var copied in lines.Where(l => l.Instruction == "COPY" && !l.Arguments.StartsWith("--from", StringComparison.Ordinal))
                     .SelectMany(l => l.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1]))
            Path.Exists(Path.Combine(Root, copied)).ShouldBeTrue($"COPY {copied}: not in the repository");
    }

    [Fact]
    public async Task TheComposeFilePassesDclint()
    {
        var run = await NodeTools.RunAsync("dclint", [Deploy("compose.yaml")], ToolTimeout);
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Output.ShouldNotContain("warning");
    }

    [Fact]
    public async Task TheComposeFileRunsTwoNodesOnPostgres15WithSecretsFromTheEnvironment()
    {
        var compose = (await YamlAsync(Deploy("compose.yaml"))).Single()!;
        var services = compose["services"]!.AsObject();
        services["postgres"]!["image"]!.GetValue<string>().ShouldBe("postgres:15");
        services["postgres"]!["healthcheck"]!["test"]!.ToJsonString().ShouldContain("pg_isready");
        services["postgres"]!["environment"]!["POSTGRES_PASSWORD"]!.GetValue<string>().ShouldStartWith("${POSTGRES_PASSWORD:?");

        var nodes = services.Where(s => s.Value!["build"]?["dockerfile"]?.GetValue<string>() == "deploy/Dockerfile").Select(s => s.Value!).ToList();
        nodes.Count.ShouldBe(2);
        foreach (var node in nodes)
        {
            node["depends_on"]!["postgres"]!["condition"]!.GetValue<string>().ShouldBe("service_healthy");
            node["healthcheck"]!["test"]!.ToJsonString().ShouldContain("\"admin\",\"health\"");
            node["read_only"]!.GetValue<bool>().ShouldBeTrue();
            node["tmpfs"]!.AsArray().Select(t => t!.GetValue<string>()).ShouldContain("/tmp");
            node["volumes"]!.AsArray().Select(v => v!.GetValue<string>()).ShouldContain(v => v.EndsWith(":/data", StringComparison.Ordinal));
            var environment = node["environment"]!;
            environment["Switchboard__Database__Provider"]!.GetValue<string>().ShouldBe("postgres");
            // Required from the environment (Compose refuses to start without them), never a value written here.
            environment["Switchboard__Encryption__Key"]!.GetValue<string>().ShouldStartWith("${SWITCHBOARD_ENCRYPTION_KEY:?");
            SecretFreeConnectionString().IsMatch(environment["ConnectionStrings__Switchboard"]!.GetValue<string>()).ShouldBeTrue();
            var grace = Seconds(node["stop_grace_period"]!.GetValue<string>());
            grace.ShouldBeGreaterThan(ShutdownTimeout(environment["Switchboard__Shutdown__TimeoutSeconds"]?.GetValue<string>()),
                "Compose sends SIGKILL after stop_grace_period: it must outlast the node's own shutdown timeout");
        }
    }

    [Fact]
    public async Task TheKubernetesManifestsPassKubernetesModelsValidation()
    {
        var manifests = Directory.GetFiles(Deploy("k8s"), "*.yaml").Order(StringComparer.Ordinal).ToArray();
        manifests.Length.ShouldBeGreaterThanOrEqualTo(3);
        var run = await ExternalProcess.RunAsync(NodeTools.NodeExecutable(), [Path.Combine(NodeTools.ToolsDirectory, "deploy-check", "validate.mjs"), .. manifests],
            ToolTimeout);
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Output.ShouldContain("apps/v1/Deployment switchboard: valid");
        run.Output.ShouldContain("policy/v1/PodDisruptionBudget switchboard: valid");
    }

    [Fact]
    public async Task TheDeploymentProbesHealthAndAliveRunsNonRootReadOnlyTakesItsSecretsFromASecretAndOutlastsTheShutdownTimeout()
    {
        var documents = new List<JsonNode>();
        foreach (var file in Directory.GetFiles(Deploy("k8s"), "*.yaml")) documents.AddRange((await YamlAsync(file))!);
        JsonNode Only(string kind) => documents.Single(d => d["kind"]!.GetValue<string>() == kind);

        var deployment = Only("Deployment");
        deployment["spec"]!["replicas"]!.GetValue<int>().ShouldBeGreaterThanOrEqualTo(2);
        var labels = deployment["spec"]!["selector"]!["matchLabels"]!.ToJsonString();
        var pod = deployment["spec"]!["template"]!["spec"]!;
        pod["securityContext"]!["runAsNonRoot"]!.GetValue<bool>().ShouldBeTrue();
        var container = pod["containers"]!.AsArray().Single()!;
        container["readinessProbe"]!["httpGet"]!["path"]!.GetValue<string>().ShouldBe("/health");
        container["livenessProbe"]!["httpGet"]!["path"]!.GetValue<string>().ShouldBe("/alive");
        container["securityContext"]!["readOnlyRootFilesystem"]!.GetValue<bool>().ShouldBeTrue();
        container["securityContext"]!["allowPrivilegeEscalation"]!.GetValue<bool>().ShouldBeFalse();
        container["resources"]!["requests"]!["cpu"].ShouldNotBeNull();
        container["resources"]!["requests"]!["memory"].ShouldNotBeNull();
        container["resources"]!["limits"]!["memory"].ShouldNotBeNull();
        var mounts = container["volumeMounts"]!.AsArray().Select(m => m!["mountPath"]!.GetValue<string>()).ToList();
        mounts.ShouldContain("/tmp", "the root filesystem is read-only");

        var env = container["env"]!.AsArray().ToDictionary(e => e!["name"]!.GetValue<string>(), e => e!);
        foreach (var secret in new[] { "Switchboard__Encryption__Key", "ConnectionStrings__Switchboard" })
        {
            env[secret]["value"].ShouldBeNull($"{secret} is not written inline");
            env[secret]["valueFrom"]!["secretKeyRef"]!["name"]!.GetValue<string>().ShouldNotBeNullOrEmpty();
        }
        documents.ShouldNotContain(d => d["kind"]!.GetValue<string>() == "Secret", "the Secret is the operator's, created outside these files");

        var grace = pod["terminationGracePeriodSeconds"]!.GetValue<int>();
        var preStop = container["lifecycle"]?["preStop"]?["sleep"]?["seconds"]?.GetValue<int>() ?? 0;
        TimeSpan.FromSeconds(grace - preStop).ShouldBeGreaterThan(ShutdownTimeout(env.GetValueOrDefault("Switchboard__Shutdown__TimeoutSeconds")?["value"]?.GetValue<string>()),
            "the kubelet sends SIGKILL after the grace period (which includes the preStop pause): it must outlast the node's shutdown timeout");

        var budget = Only("PodDisruptionBudget");
        budget["spec"]!["selector"]!["matchLabels"]!.ToJsonString().ShouldBe(labels);
        (budget["spec"]!["maxUnavailable"] ?? budget["spec"]!["minAvailable"]).ShouldNotBeNull();
        Only("Service")["spec"]!["selector"]!.ToJsonString().ShouldBe(labels);
    }

    /// <summary>The shutdown timeout a deployment file sets for its nodes, else the node's default.</summary>
    private static TimeSpan ShutdownTimeout(string? configured) =>
        configured is null ? new ShutdownOptions().Timeout : TimeSpan.FromSeconds(double.Parse(configured, CultureInfo.InvariantCulture));

    private static TimeSpan Seconds(string composeDuration) =>
        composeDuration.EndsWith('s') ? TimeSpan.FromSeconds(double.Parse(composeDuration[..^1], CultureInfo.InvariantCulture))
            : composeDuration.EndsWith('m') ? TimeSpan.FromMinutes(double.Parse(composeDuration[..^1], CultureInfo.InvariantCulture))
            : throw new FormatException($"'{composeDuration}': write a duration in s or m");

    /// <summary>A connection string whose password is a required variable, not a value.</summary>
    [GeneratedRegex(@"^Host=[^;]+;.*Password=\$\{POSTGRES_PASSWORD:\?[^}]*\}$")]
    private static partial Regex SecretFreeConnectionString();

    private static async Task<JsonArray> YamlAsync(string file)
    {
        var run = await ExternalProcess.RunAsync(NodeTools.NodeExecutable(), [Path.Combine(NodeTools.ToolsDirectory, "deploy-check", "yaml-to-json.mjs"), file], ToolTimeout);
        run.ExitCode.ShouldBe(0, run.ToString());
        return JsonNode.Parse(run.Output)!.AsArray();
    }

    private sealed record Line(string Instruction, string Arguments);

    /// <summary>The Dockerfile's instructions, continuation lines joined, comments dropped.</summary>
    private static List<Line> Instructions(string dockerfile)
    {
        var joined = Regex.Replace(dockerfile.ReplaceLineEndings("\n"), @"\\\n\s*", " ");
        return joined.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split(' ', 2)).Select(p => new Line(p[0].ToUpperInvariant(), p.Length > 1 ? p[1].Trim() : "")).ToList();
    }
}
