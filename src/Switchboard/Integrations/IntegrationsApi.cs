using System.Text.Json.Nodes;
using FluentValidation;
using FluentValidation.Results;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Docs;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Http;
using Switchboard.Platform.Pagination;
using Switchboard.Platform.Storage;
using Switchboard.Platform.Validation;
using Switchboard.Webhooks;

namespace Switchboard.Integrations;

internal sealed class InstallationInputValidator : AbstractValidator<InstallationInput>
{
    public InstallationInputValidator()
    {
        When(x => x.Name.IsSet, () => RuleFor(x => x.Name.Value).Must(n => !string.IsNullOrWhiteSpace(n)).WithMessage("Must not be empty.")
            .MaximumLength(200).OverridePropertyName("name"));
        When(x => x.MaxActionsPerSecond.IsSet, () => RuleFor(x => x.MaxActionsPerSecond.Value).InclusiveBetween(1, 10_000)
            .When(x => x.MaxActionsPerSecond.Value is not null).OverridePropertyName("maxActionsPerSecond"));
        When(x => x.Config.IsSet, () => RuleFor(x => x.Config.Value).Must(c => c is null || c.ToJsonString().Length <= 16_000)
            .WithMessage("At most 16,000 characters of JSON.").OverridePropertyName("config"));
    }

    public override ValidationResult Validate(ValidationContext<InstallationInput> context) => WithWholeBody(base.Validate(context), context);

    public override async Task<ValidationResult> ValidateAsync(ValidationContext<InstallationInput> context, CancellationToken cancellation = default) =>
        WithWholeBody(await base.ValidateAsync(context, cancellation), context);

    /// <summary>A create names the provider; the provider of an installation never changes (install another one).</summary>
    private static ValidationResult WithWholeBody(ValidationResult fields, ValidationContext<InstallationInput> context)
    {
        if (!fields.IsValid) return fields;
        var input = context.InstanceToValidate;
        List<ValidationFailure> failures = [];
        if (context.IsCreate())
        {
            if (!input.Provider.IsSet || string.IsNullOrWhiteSpace(input.Provider.Value)) failures.Add(new("provider", "Is required: a key of GET /api/v1/integrations/providers."));
            if (input.Enabled.IsSet) failures.Add(new("enabled", "An installation starts enabled; disable it with PATCH."));
        }
        else if (input.Provider.IsSet) failures.Add(new("provider", "An installation's provider cannot change; install the other provider instead."));
        return new ValidationResult(failures);
    }
}

/// <summary>
/// Installations: install (create, the configuration validated against the provider's schema, its credentials split off
/// and encrypted), list, get, change, uninstall (tokens revoked where the provider can, the installation's rules and
/// their deliveries deleted with it), and the connection test and health.
/// </summary>
public static class IntegrationsApi
{
    public const string BasePath = "/api/v1/integrations";

    public static IEndpointRouteBuilder MapIntegrationsApi(this IEndpointRouteBuilder app)
    {
        var read = IntegrationResources.Installations.ReadScope;
        var write = IntegrationResources.Installations.WriteScope;
        app.MapIntegrationCatalogApi();
        var group = app.MapGroup(BasePath).WithTags("Integrations");
        group.MapPost("/", Create).RequireScope(write).WithName("createIntegration").WithSummary("Install a provider (credentials are stored encrypted, never returned)");
        group.MapGet("/", List).RequireScope(read).WithPaging().WithName("listIntegrations").WithSummary("List installations")
            .WithQueryParameters(
                new QueryParameterDoc("provider", "Only installations of this provider.", Example: "slack"),
                new QueryParameterDoc("status", "Only installations in this state.", Enum: InstallationStatus.All, Example: "active"));
        group.MapGet("/{id}", Get).RequireScope(read).WithName("getIntegration").WithSummary("Get an installation");
        group.MapPatch("/{id}", Update).RequireScope(write).WithName("updateIntegration").WithSummary("Rename, reconfigure, throttle, enable or disable an installation");
        group.MapDelete("/{id}", Delete).RequireScope(write).WithName("deleteIntegration").WithSummary("Uninstall: revoke the provider's tokens, delete the rules and syncs");
        group.MapPost("/{id}/test", Test).RequireScope(write).WithName("testIntegration").WithSummary("Make one real, cheap provider call and report it");
        group.MapGet("/{id}/status", Status).RequireScope(read).WithName("getIntegrationStatus").WithSummary("An installation's health over the last 24 hours");
        Connections.ConnectApi.Map(group, app);
        return app;
    }

    internal static InstallationResponse AsResponse(IntegrationInstallation i, IntegrationSecrets secrets)
    {
        var credentials = secrets.Credentials(i);
        return new InstallationResponse(i.Id, i.ProviderKey, i.Name, JsonNode.Parse(i.Config) as JsonObject ?? [], credentials.Select(c => c.Key).Order(StringComparer.Ordinal).ToList(),
            i.Status, i.StatusReason, i.TokensEncrypted is not null, i.MaxActionsPerSecond, i.LastSuccessAt, i.LastFailureAt, i.LastError, i.ConsecutiveFailures,
            i.CreatedAt, i.UpdatedAt);
    }

    internal static Task<IntegrationInstallation?> FindAsync(SwitchboardDbContext db, string id, CancellationToken ct) =>
        Ids.LooksValid(id, IntegrationResources.Installations) ? db.Set<IntegrationInstallation>().FirstOrDefaultAsync(i => i.Id == id, ct)
            : Task.FromResult<IntegrationInstallation?>(null);

    /// <summary>
    /// The configuration's errors: its provider's schema, and for a provider whose URLs the user supplies (custom HTTP),
    /// the SSRF guard's save-time check of <c>url</c> (the connect-time check runs on every request too).
    /// </summary>
    private static Dictionary<string, string[]> ConfigProblems(ProviderDefinition provider, JsonObject config, HttpContext http)
    {
        var errors = ConfigSchemas.Validate(provider, config);
        if (errors.Count == 0 && provider.UserSuppliedUrls && config["url"] is JsonValue url && url.GetValueKind() == System.Text.Json.JsonValueKind.String
            && OutboundGuard.ValidateUrl(url.GetValue<string>(),
                http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<SwitchboardOptions>>().Value.Webhooks.AllowPrivateNetworks) is { } refused)
            errors["config.url"] = [refused];
        return errors;
    }

    internal static async Task<Results<Created<InstallationResponse>, ProblemHttpResult>> Create(
        InstallationInput input, IValidator<InstallationInput> validator, ProviderCatalog catalog, IntegrationSecrets secrets, SwitchboardDbContext db,
        IOptions<SwitchboardOptions> options, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        if (await validator.CheckAsync(input, BodyUse.Create, ct) is { } invalid) return invalid;
        if (catalog.Find(input.Provider.Value!.Trim()) is not { } connector)
            return ApiProblem.Validation("provider", $"No provider '{input.Provider.Value}' in the catalog (GET {CatalogApi.ProvidersPath}).");
        var provider = connector.Definition;
        if (provider.Auth.Kind == ProviderAuthKind.External)
            return ApiProblem.Conflict(ErrorCodes.Conflict, $"{provider.Name} is set up from {provider.Name}'s side, not installed here: add the Switchboard app at " +
                $"{ProviderUrls.BaseUrl(options.Value, provider, ProviderAuthKind.SetupUrlName)} and sign in to Switchboard there.");
        var config = input.Config.Value ?? [];
        if (ConfigProblems(provider, config, http) is { Count: > 0 } errors) return ApiProblem.Validation(errors);
        var (plain, credentials) = ConfigSchemas.Split(provider, config);
        var caller = http.GetCaller();
        var now = time.UtcNow();
        var id = Ids.New(IntegrationResources.Installations, time);
        var installation = new IntegrationInstallation
        {
            Id = id, OrganizationId = caller.OrganizationId, ProviderKey = provider.Key,
            Name = input.Name.IsSet && !string.IsNullOrWhiteSpace(input.Name.Value) ? input.Name.Value.Trim() : provider.Name,
            Config = plain.ToJsonString(), CredentialsEncrypted = credentials.Count > 0 ? secrets.ProtectCredentials(id, credentials) : null,
            Status = connector.NeedsConnection(plain, credentials) ? InstallationStatus.PendingAuth : InstallationStatus.Active,
            InstalledByUserId = caller.UserId, MaxActionsPerSecond = input.MaxActionsPerSecond.Value, CreatedAt = now, UpdatedAt = now,
        };
        db.Add(installation);
        // Facts only: the configuration's plain fields may be the user's own text, the credentials' names are enough.
        AuditTrail.Record(db, http, time, caller, "integration.installed", IntegrationResources.Installations.Name, id,
            new { provider = provider.Key, installation.Name, credentials = credentials.Select(c => c.Key).ToList() });
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"{BasePath}/{id}", AsResponse(installation, secrets));
    }

    internal static async Task<Results<Ok<ListResponse<InstallationResponse>>, ProblemHttpResult>> List(
        SwitchboardDbContext db, IntegrationSecrets secrets, HttpContext http, CancellationToken ct)
    {
        if (!PageRequest.TryParse(http.Request, out var page, out var problem)) return problem!;
        var query = db.Set<IntegrationInstallation>().AsNoTracking();
        if (http.Request.Query["provider"].ToString() is { Length: > 0 } provider) query = query.Where(i => i.ProviderKey == provider);
        if (http.Request.Query["status"].ToString() is { Length: > 0 } status)
        {
            if (!InstallationStatus.All.Contains(status)) return ApiProblem.Validation("status", $"Must be one of {string.Join(", ", InstallationStatus.All)}.");
            query = query.Where(i => i.Status == status);
        }
        return TypedResults.Ok(await Paging.NewestFirstAsync(query, i => i.Id, page, http, i => AsResponse(i, secrets), ct));
    }

    internal static async Task<Results<Ok<InstallationResponse>, ProblemHttpResult>> Get(string id, SwitchboardDbContext db, IntegrationSecrets secrets, CancellationToken ct) =>
        await FindAsync(db, id, ct) is { } installation ? TypedResults.Ok(AsResponse(installation, secrets)) : ApiProblem.NotFound("integration");

    internal static async Task<Results<Ok<InstallationResponse>, ProblemHttpResult>> Update(
        string id, InstallationInput input, IValidator<InstallationInput> validator, ProviderCatalog catalog, IntegrationSecrets secrets, SwitchboardDbContext db,
        TimeProvider time, HttpContext http, CancellationToken ct)
    {
        if (await FindAsync(db, id, ct) is not { } installation) return ApiProblem.NotFound("integration");
        if (await validator.CheckAsync(input, BodyUse.Update, ct) is { } invalid) return invalid;
        var connector = catalog.Find(installation.ProviderKey);
        if (input.Config.IsSet)
        {
            if (connector is null) return ApiProblem.Conflict(ErrorCodes.Conflict, $"The provider '{installation.ProviderKey}' is not in this build; its configuration cannot change.");
            var provider = connector.Definition;
            // The whole configuration (credentials included) is checked after the merge: a change may break a rule across fields.
            var current = ConfigSchemas.Merge(JsonNode.Parse(installation.Config) as JsonObject ?? [], secrets.Credentials(installation));
            var merged = ConfigSchemas.Merge(current, input.Config.Value ?? []);
            if (ConfigProblems(provider, merged, http) is { Count: > 0 } errors) return ApiProblem.Validation(errors);
            var (plain, credentials) = ConfigSchemas.Split(provider, merged);
            var newCredentials = !JsonNode.DeepEquals(credentials, secrets.Credentials(installation));
            installation.Config = plain.ToJsonString();
            installation.CredentialsEncrypted = credentials.Count > 0 ? secrets.ProtectCredentials(installation.Id, credentials) : null;
            // A pasted credential can make a connection unnecessary (or necessary again); a new one is the cure for an
            // installation whose credential the provider refused (needs_reauth) or that failed, when it has no OAuth tokens.
            if (installation.TokensEncrypted is null && (installation.Status is InstallationStatus.PendingAuth or InstallationStatus.Active
                || newCredentials && installation.Status is InstallationStatus.NeedsReauth or InstallationStatus.Error))
            {
                if (installation.Status is InstallationStatus.NeedsReauth or InstallationStatus.Error)
                {
                    installation.StatusReason = null;
                    installation.ConsecutiveFailures = 0;
                }
                installation.Status = connector.NeedsConnection(plain, credentials) ? InstallationStatus.PendingAuth : InstallationStatus.Active;
            }
        }
        input.Name.IfSet(v => installation.Name = v!.Trim());
        input.MaxActionsPerSecond.IfSet(v => installation.MaxActionsPerSecond = v);
        if (input.Enabled.IsSet)
        {
            if (!input.Enabled.Value && installation.Status != InstallationStatus.Disabled)
            {
                installation.Status = InstallationStatus.Disabled;
                installation.StatusReason = "Disabled by a user.";
            }
            else if (input.Enabled.Value && installation.Status == InstallationStatus.Disabled)
            {
                var needs = installation.TokensEncrypted is null && connector?.NeedsConnection(JsonNode.Parse(installation.Config) as JsonObject ?? [], secrets.Credentials(installation)) == true;
                installation.Status = needs ? InstallationStatus.PendingAuth : InstallationStatus.Active;
                installation.StatusReason = null;
                installation.ConsecutiveFailures = 0;
            }
        }
        installation.UpdatedAt = time.UtcNow();
        AuditTrail.Record(db, http, time, http.GetCaller(), "integration.updated", IntegrationResources.Installations.Name, installation.Id,
            new { provider = installation.ProviderKey, installation.Name, installation.Status, configChanged = input.Config.IsSet });
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(AsResponse(installation, secrets));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        string id, SwitchboardDbContext db, ConnectorContexts contexts, TimeProvider time, HttpContext http, ILoggerFactory logs, CancellationToken ct)
    {
        if (await FindAsync(db, id, ct) is not { } installation) return ApiProblem.NotFound("integration");
        var bound = TimeSpan.FromSeconds(http.RequestServices.GetRequiredService<IOptions<SwitchboardOptions>>().Value.Integrations.TimeoutSeconds);
        await CleanUpAtProviderAsync(installation, contexts, http.RequestServices, logs.CreateLogger(typeof(IntegrationsApi)), bound, ct);
        // One transaction: the rules (action endpoints; no foreign key from webhook_endpoints), their deliveries and
        // attempts, and the installation, whose sync runs, states and links cascade.
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var rules = db.Set<WebhookEndpoint>().Where(e => e.InstallationId == id && e.Kind == EndpointKind.Action).Select(e => e.Id);
        await db.Set<WebhookAttempt>().Where(a => rules.Contains(a.EndpointId)).ExecuteDeleteAsync(ct);
        await db.Set<WebhookDelivery>().Where(d => rules.Contains(d.EndpointId)).ExecuteDeleteAsync(ct);
        var deletedRules = await db.Set<WebhookEndpoint>().Where(e => e.InstallationId == id && e.Kind == EndpointKind.Action).ExecuteDeleteAsync(ct);
        db.Remove(installation);
        AuditTrail.Record(db, http, time, http.GetCaller(), "integration.uninstalled", IntegrationResources.Installations.Name, installation.Id,
            new { provider = installation.ProviderKey, installation.Name, rules = deletedRules });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Best effort: a provider that cannot be reached does not keep an organization from uninstalling; a failure is
    /// logged. First what the installation registered at the provider (its webhooks,
    /// <see cref="Connector.RemoveProviderStateAsync"/>), while the tokens still work, bounded as a whole by the provider
    /// call timeout (<c>Switchboard:Integrations:TimeoutSeconds</c>, the bound each revocation call has) since it may
    /// take a list and a few deletes; then the tokens (<see cref="Connector.RevokeAsync"/>).
    /// </summary>
    private static async Task CleanUpAtProviderAsync(IntegrationInstallation installation, ConnectorContexts contexts, IServiceProvider services, ILogger logger,
        TimeSpan bound, CancellationToken ct)
    {
        Connector connector;
        ConnectorContext context;
        try { (connector, context) = contexts.For(installation, services); }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning("Could not clean up installation {InstallationId} ({Provider}) at the provider on uninstall: {Error}", installation.Id,
                installation.ProviderKey, ex.GetType().Name);
            return;
        }
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            limit.CancelAfter(bound);
            await BestEffortAsync(installation, "remove the webhooks", () => connector.RemoveProviderStateAsync(context, limit.Token), logger, ct);
        }
        await BestEffortAsync(installation, "revoke the tokens", () => connector.RevokeAsync(context, ct), logger, ct);
    }

    /// <remarks>Logs the provider's error or the exception's type, never a token or a request.</remarks>
    private static async Task BestEffortAsync(IntegrationInstallation installation, string what, Func<Task> step, ILogger logger, CancellationToken ct)
    {
        try { await step(); }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning("Could not {Step} of the {Provider} installation {InstallationId} on uninstall: {Error}", what, installation.ProviderKey, installation.Id,
                ex is ProviderException p ? p.ProviderError ?? p.Message : ex is OperationCanceledException ? "timed out" : ex.GetType().Name);
        }
    }

    internal static async Task<Results<Ok<ConnectionTestResponse>, ProblemHttpResult>> Test(
        string id, SwitchboardDbContext db, ConnectorContexts contexts, ProviderCatalog catalog, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        if (await FindAsync(db, id, ct) is not { } installation) return ApiProblem.NotFound("integration");
        if (catalog.Find(installation.ProviderKey) is null) return ApiProblem.Conflict(ErrorCodes.Conflict, $"The provider '{installation.ProviderKey}' is not in this build.");
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        ConnectionTestResponse result;
        try
        {
            var (connector, context) = contexts.For(installation, http.RequestServices);
            var response = await connector.TestAsync(context, ct);
            result = response.IsSuccess
                ? new ConnectionTestResponse(true, response.LatencyMs, installation.Status, response.Status, null)
                : new ConnectionTestResponse(false, response.LatencyMs, installation.Status, response.Status, ProviderException.Truncate(response.Body));
        }
        catch (ProviderException ex)
        {
            var latency = (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            result = new ConnectionTestResponse(false, latency, installation.Status, ex.Status, ex.ProviderError ?? ex.Message);
            if (ex.NeedsReauthorization && installation.Status is not (InstallationStatus.PendingAuth or InstallationStatus.Disabled))
            {
                installation.Status = InstallationStatus.NeedsReauth;
                installation.StatusReason = ProviderException.Truncate(ex.ProviderError ?? ex.Message);
            }
        }
        await RecordOutcomeAsync(db, installation, result, time, ct);
        return TypedResults.Ok(result with { Status = installation.Status });
    }

    /// <summary>Records a call's outcome on the installation: the last success or failure, and the current run of failures.</summary>
    internal static async Task RecordOutcomeAsync(SwitchboardDbContext db, IntegrationInstallation installation, ConnectionTestResponse result, TimeProvider time, CancellationToken ct)
    {
        var now = time.UtcNow();
        if (result.Success)
        {
            installation.LastSuccessAt = now;
            installation.ConsecutiveFailures = 0;
            if (installation.Status == InstallationStatus.Error) { installation.Status = InstallationStatus.Active; installation.StatusReason = null; }
        }
        else
        {
            installation.LastFailureAt = now;
            installation.LastError = Truncate(result.ProviderError ?? "The provider refused the call.", 1000);
            installation.ConsecutiveFailures++;
        }
        installation.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];

    internal static async Task<Results<Ok<InstallationHealthResponse>, ProblemHttpResult>> Status(string id, SwitchboardDbContext db, TimeProvider time, CancellationToken ct)
    {
        if (await FindAsync(db, id, ct) is not { } i) return ApiProblem.NotFound("integration");
        var since = time.UtcNow().AddHours(-24);
        // The installation's actions are the attempts of its rules (action endpoints), its syncs the runs finished in the window.
        var rules = db.Set<WebhookEndpoint>().Where(e => e.InstallationId == id && e.Kind == EndpointKind.Action).Select(e => e.Id);
        var actions = (await db.Set<WebhookAttempt>().AsNoTracking().Where(a => rules.Contains(a.EndpointId) && a.AttemptedAt >= since)
            .GroupBy(_ => 1).Select(g => new { Total = g.LongCount(), Ok = g.LongCount(a => a.StatusCode >= 200 && a.StatusCode < 300) }).ToListAsync(ct)).FirstOrDefault();
        var syncs = (await db.Set<IntegrationSyncRun>().AsNoTracking()
            .Where(r => r.InstallationId == id && r.FinishedAt >= since && (r.Status == SyncRunStatus.Succeeded || r.Status == SyncRunStatus.Failed))
            .GroupBy(_ => 1).Select(g => new { Total = g.LongCount(), Ok = g.LongCount(r => r.Status == SyncRunStatus.Succeeded) }).ToListAsync(ct)).FirstOrDefault();
        var total = (actions?.Total ?? 0) + (syncs?.Total ?? 0);
        var ok = (actions?.Ok ?? 0) + (syncs?.Ok ?? 0);
        var nextSync = await db.Set<IntegrationSyncState>().AsNoTracking().Where(s => s.InstallationId == id && s.NextRunAt != null)
            .OrderBy(s => s.NextRunAt).Select(s => s.NextRunAt).FirstOrDefaultAsync(ct);
        return TypedResults.Ok(new InstallationHealthResponse(i.Status, i.StatusReason, total > 0 ? Math.Round(ok * 100.0 / total, 1) : null, total,
            i.LastSuccessAt, i.LastError, i.LastFailureAt, i.ConsecutiveFailures, i.Status == InstallationStatus.Disabled ? null : nextSync));
    }
}
