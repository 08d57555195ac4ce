using System.Text.Json;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Docs;
using Switchboard.Integrations.Catalog;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Pagination;
using Switchboard.Platform.Storage;
using Switchboard.Platform.Validation;

namespace Switchboard.Integrations.Syncs;

/// <summary>Starts a sync: one model of the provider's, or every one when <c>model</c> is left out.</summary>
public sealed record SyncRequest(string? Model);

public sealed record SyncRunCounts(int Added, int Updated, int Deleted, int Skipped, int Failed);

/// <summary>
/// A sync run: <c>queued</c>, <c>running</c>, <c>succeeded</c> or <c>failed</c>; its trigger (<c>manual</c>,
/// <c>scheduled</c> or <c>webhook</c>, a provider's change notification); what it did; its first errors.
/// </summary>
public sealed record SyncRunResponse(string Id, string InstallationId, string Model, string Trigger, string Status, SyncRunCounts Counts,
    IReadOnlyList<string> Errors, int Attempts, DateTime CreatedAt, DateTime? StartedAt, DateTime? FinishedAt);

/// <summary>The runs a sync request queued.</summary>
public sealed record SyncRunsQueued(IReadOnlyList<SyncRunResponse> Data);

internal sealed class SyncRequestValidator : AbstractValidator<SyncRequest>
{
    public SyncRequestValidator() =>
        RuleFor(x => x.Model).NotEmpty().MaximumLength(40).When(x => x.Model is not null).OverridePropertyName("model");
}

public static class SyncApi
{
    public static IEndpointRouteBuilder MapIntegrationSyncApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/integrations").WithTags("Integrations");
        var installations = IntegrationResources.Installations;
        group.MapPost("/{id}/sync", Start).RequireScope(installations.WriteScope).WithName("startIntegrationSync")
            .WithSummary("Queue a sync of one model, or of all the provider's models").ProducesErrors(ErrorCodes.NotFound, ErrorCodes.Conflict);
        group.MapGet("/{id}/sync-runs", List).RequireScope(installations.ReadScope).WithPaging().WithName("listIntegrationSyncRuns")
            .WithSummary("The installation's sync runs, newest first");
        group.MapGet("/{id}/sync-runs/{runId}", Get).RequireScope(installations.ReadScope).WithName("getIntegrationSyncRun")
            .WithSummary("One sync run: status, counts and errors");
        return app;
    }

    public static SyncRunResponse AsResponse(IntegrationSyncRun r) => new(r.Id, r.InstallationId, r.Model, r.Trigger, r.Status,
        new SyncRunCounts(r.Added, r.Updated, r.Deleted, r.Skipped, r.Failed),
        r.Errors is null ? [] : JsonSerializer.Deserialize<List<string>>(r.Errors) ?? [], r.Attempts, r.CreatedAt, r.StartedAt, r.FinishedAt);

    private static Task<IntegrationInstallation?> FindAsync(SwitchboardDbContext db, string id, CancellationToken ct) =>
        Ids.LooksValid(id, IntegrationResources.Installations)
            ? db.Set<IntegrationInstallation>().AsNoTracking().FirstOrDefaultAsync(i => i.Id == id, ct)
            : Task.FromResult<IntegrationInstallation?>(null);

    internal static async Task<Results<Accepted<SyncRunsQueued>, ProblemHttpResult>> Start(string id, SyncRequest? input, IValidator<SyncRequest> validator,
        SwitchboardDbContext db, ProviderCatalog catalog, SyncQueue queue, CancellationToken ct)
    {
        input ??= new SyncRequest(null);
        if (await validator.CheckAsync(input, ct) is { } invalid) return invalid;
        if (await FindAsync(db, id, ct) is not { } installation) return ApiProblem.NotFound("integration");
        var syncs = catalog.Find(installation.ProviderKey)?.Definition.Syncs ?? [];
        if (syncs.Count == 0)
            return ApiProblem.Conflict(ErrorCodes.Conflict, "This integration's provider has no sync models.");
        if (input.Model is { } model && syncs.All(s => s.Model != model))
            return ApiProblem.Validation("model", $"Unknown sync model; this provider syncs: {string.Join(", ", syncs.Select(s => s.Model))}.");
        if (installation.Status != InstallationStatus.Active)
            return ApiProblem.Conflict(ErrorCodes.Conflict,
                $"The integration is {installation.Status}, not active{(installation.Status == InstallationStatus.PendingAuth ? ": connect it first" : "")}.");
        var models = input.Model is { } one ? [one] : syncs.Select(s => s.Model).ToList();
        var outcome = await queue.QueueAsync(db, installation, models, SyncTrigger.Manual, ct);
        if (outcome.Queued.Count == 0)
            return ApiProblem.Conflict(ErrorCodes.Conflict, $"A sync of {string.Join(", ", outcome.Busy.Distinct())} is already queued or running.");
        return TypedResults.Accepted($"/api/v1/integrations/{id}/sync-runs/{outcome.Queued[0].Id}", new SyncRunsQueued(outcome.Queued.Select(AsResponse).ToList()));
    }

    internal static async Task<Results<Ok<ListResponse<SyncRunResponse>>, ProblemHttpResult>> List(string id, SwitchboardDbContext db, HttpContext http, CancellationToken ct)
    {
        if (!PageRequest.TryParse(http.Request, out var page, out var problem)) return problem!;
        if (await FindAsync(db, id, ct) is null) return ApiProblem.NotFound("integration");
        return TypedResults.Ok(await Paging.NewestFirstAsync(db.Set<IntegrationSyncRun>().AsNoTracking().Where(r => r.InstallationId == id), r => r.Id, page, http,
            AsResponse, ct));
    }

    internal static async Task<Results<Ok<SyncRunResponse>, ProblemHttpResult>> Get(string id, string runId, SwitchboardDbContext db, CancellationToken ct)
    {
        var run = Ids.LooksValid(runId, IntegrationResources.SyncRuns)
            ? await db.Set<IntegrationSyncRun>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId && r.InstallationId == id, ct)
            : null;
        return run is null ? ApiProblem.NotFound("sync run") : TypedResults.Ok(AsResponse(run));
    }
}
