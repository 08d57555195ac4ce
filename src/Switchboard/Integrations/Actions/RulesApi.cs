using System.Text.Json.Nodes;
using FluentValidation;
using FluentValidation.Results;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Docs;
using Switchboard.Integrations.Catalog;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Http;
using Switchboard.Platform.Pagination;
using Switchboard.Platform.Storage;
using Switchboard.Platform.Validation;
using Switchboard.Webhooks;

namespace Switchboard.Integrations.Actions;

/// <summary>A rule's body: which events (or which schedule) run which action of the installation's provider, with what input.</summary>
public sealed record RuleInput(
    Optional<string[]> Events, Optional<string?> Filter, Optional<string> Action, Optional<JsonObject> Input,
    Optional<string?> Schedule, Optional<string?> ScheduleTimeZone, Optional<bool> IsActive);

public sealed record RuleHealth(DateTime? LastSuccessAt, DateTime? LastFailureAt, DateTime? FailingSince);

public sealed record RuleResponse(
    string Id, string InstallationId, IReadOnlyList<string> Events, string? Filter, string Action, JsonObject Input, string? Schedule,
    string? ScheduleTimeZone, DateTime? NextScheduledAt, bool IsActive, RuleHealth Health, DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>One run of a rule's action: a delivery of the one queue, with its attempts.</summary>
public sealed record ActionRunResponse(string Id, string RuleId, string EventId, string EventType, string Status, int Attempts,
    DateTime NextAttemptAt, int? LastStatusCode, string? LastError, DateTime CreatedAt, DateTime? CompletedAt, IReadOnlyList<AttemptResponse> AttemptLog);

internal sealed class RuleInputValidator : AbstractValidator<RuleInput>
{
    public RuleInputValidator()
    {
        When(x => x.Events.IsSet, () => RuleFor(x => x.Events.Value).Custom((events, ctx) =>
        {
            if (events is null || events.Length > 100) ctx.AddFailure("events", "Give up to 100 event types (wildcards: lead.*, *); an empty list with a schedule.");
            else if (events.Any(e => e is null)) ctx.AddFailure("events", "Event types must be strings, not null.");
            else if (events.FirstOrDefault(e => !EventTypes.IsValidPattern(e)) is { } unknown)
                ctx.AddFailure("events", $"Unknown event type '{unknown}'; GET /api/v1/webhooks/event-types lists them.");
        }));
        When(x => x.Filter.IsSet && x.Filter.Value is not null, () => RuleFor(x => x.Filter.Value).Custom((filter, ctx) =>
        {
            if (!EventFilter.TryParse(filter!, out _, out var error)) ctx.AddFailure("filter", error!);
        }));
        When(x => x.Action.IsSet, () => RuleFor(x => x.Action.Value).NotEmpty().MaximumLength(80).OverridePropertyName("action"));
        When(x => x.Input.IsSet, () => RuleFor(x => x.Input.Value).Custom((input, ctx) =>
        {
            if (input is null) ctx.AddFailure("input", "Must be a JSON object (the action's input; {} when it takes none).");
            else if (input.ToJsonString().Length > 20_000) ctx.AddFailure("input", "Must be at most 20,000 characters of JSON.");
        }));
    }

    public override ValidationResult Validate(ValidationContext<RuleInput> context) => WithWholeBody(base.Validate(context), context);

    public override async Task<ValidationResult> ValidateAsync(ValidationContext<RuleInput> context, CancellationToken cancellation = default) =>
        WithWholeBody(await base.ValidateAsync(context, cancellation), context);

    /// <summary>A create names the action and something that runs it (events, a schedule, or both); the schedule and its zone are checked together.</summary>
    private static ValidationResult WithWholeBody(ValidationResult fields, ValidationContext<RuleInput> context)
    {
        var input = context.InstanceToValidate;
        var failures = fields.Errors.ToList();
        if (input.Schedule.IsSet || input.ScheduleTimeZone.IsSet)
            if (RuleScheduler.Check(input.Schedule.Value, input.ScheduleTimeZone.Value) is { } bad
                && (bad.Field == "schedule" ? input.Schedule.IsSet : input.ScheduleTimeZone.IsSet))
                failures.Add(new(bad.Field, bad.Message));
        if (context.IsCreate())
        {
            if (!input.Action.IsSet) failures.Add(new("action", "Is required."));
            if ((!input.Events.IsSet || input.Events.Value is not { Length: > 0 }) && input.Schedule.Value is null)
                failures.Add(new("events", "Give the event types that run the action, a schedule, or both."));
        }
        return new ValidationResult(failures);
    }
}

/// <summary>
/// <c>/api/v1/integrations/{id}/rules</c>: an installation's action rules (webhook endpoints of kind action on the one
/// delivery queue), and <c>/action-runs</c>: their deliveries with every attempt, retryable by hand.
/// </summary>
public static class RulesApi
{
    public static IEndpointRouteBuilder MapIntegrationRulesApi(this IEndpointRouteBuilder app)
    {
        var read = IntegrationResources.Installations.ReadScope;
        var write = IntegrationResources.Installations.WriteScope;
        var group = app.MapGroup("/api/v1/integrations/{id}").WithTags("Integration rules");
        group.MapPost("/rules", Create).RequireScope(write).WithName("createIntegrationRule").WithSummary("Create an action rule: events (or a schedule) that run one of the provider's actions");
        group.MapGet("/rules", List).RequireScope(read).WithPaging().WithName("listIntegrationRules").WithSummary("List the installation's action rules");
        group.MapGet("/rules/{ruleId}", Get).RequireScope(read).WithName("getIntegrationRule").WithSummary("Get an action rule");
        group.MapPatch("/rules/{ruleId}", Update).RequireScope(write).WithName("updateIntegrationRule").WithSummary("Update an action rule");
        group.MapDelete("/rules/{ruleId}", Delete).RequireScope(write).WithName("deleteIntegrationRule").WithSummary("Delete an action rule (and its runs)");
        group.MapGet("/action-runs", Runs).RequireScope(read).WithPaging()
            .WithQueryParameters([.. DeliveryFilter.QueryDocs, new QueryParameterDoc("ruleId", "Only this rule's runs.", Example: "rul_01J0000000000000000000000")])
            .WithName("listIntegrationActionRuns").WithSummary("The installation's action runs, newest first, with their attempts");
        group.MapPost("/action-runs/{deliveryId}/retry", Retry).RequireScope(write).WithName("retryIntegrationActionRun").WithSummary("Run an action again now");
        return app;
    }

    private static RuleResponse AsResponse(WebhookEndpoint r) => new(r.Id, r.InstallationId!, r.Events, r.Filter, r.Action!,
        JsonNode.Parse(r.ActionInput ?? "{}") as JsonObject ?? [], r.Schedule, r.ScheduleTimeZone, r.NextScheduledAt, r.IsActive,
        new RuleHealth(r.LastSuccessAt, r.LastFailureAt, r.FailingSince), r.CreatedAt, r.UpdatedAt);

    private static Task<IntegrationInstallation?> InstallationAsync(SwitchboardDbContext db, string id, CancellationToken ct) =>
        Ids.LooksValid(id, IntegrationResources.Installations)
            ? db.Set<IntegrationInstallation>().FirstOrDefaultAsync(i => i.Id == id, ct) : Task.FromResult<IntegrationInstallation?>(null);

    private static Task<WebhookEndpoint?> RuleAsync(SwitchboardDbContext db, string installationId, string ruleId, CancellationToken ct) =>
        Ids.LooksValid(ruleId, IntegrationResources.Rules)
            ? db.Set<WebhookEndpoint>().FirstOrDefaultAsync(r => r.Id == ruleId && r.Kind == EndpointKind.Action && r.InstallationId == installationId, ct)
            : Task.FromResult<WebhookEndpoint?>(null);

    /// <summary>The checks that need the provider: the action and its input (<see cref="ActionInputCheck"/>).</summary>
    private static ProblemHttpResult? CheckAction(ProviderCatalog catalog, IntegrationInstallation installation, string action, JsonObject input, SwitchboardOptions options)
    {
        var provider = catalog.Find(installation.ProviderKey)?.Definition;
        if (provider is null) return ApiProblem.Validation("action", $"The provider '{installation.ProviderKey}' is not in this build.");
        var errors = ActionInputCheck.Check(provider, action, input, options.Webhooks.AllowPrivateNetworks);
        return errors.Count == 0 ? null : ApiProblem.Validation(errors);
    }

    internal static async Task<Results<Created<RuleResponse>, ProblemHttpResult>> Create(string id, RuleInput input, IValidator<RuleInput> validator,
        SwitchboardDbContext db, ProviderCatalog catalog, IOptions<SwitchboardOptions> options, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        if (await InstallationAsync(db, id, ct) is not { } installation) return ApiProblem.NotFound("integration");
        if (await validator.CheckAsync(input, BodyUse.Create, ct) is { } invalid) return invalid;
        var body = input.Input.IsSet ? input.Input.Value! : [];
        if (CheckAction(catalog, installation, input.Action.Value!, body, options.Value) is { } refused) return refused;
        var caller = http.GetCaller();
        var now = time.UtcNow();
        var schedule = input.Schedule.Value;
        var zone = schedule is null ? null : input.ScheduleTimeZone.Value;
        var rule = new WebhookEndpoint
        {
            Id = Ids.New(IntegrationResources.Rules, time), OrganizationId = caller.OrganizationId, Kind = EndpointKind.Action, InstallationId = installation.Id,
            Url = "", SecretEncrypted = "", Action = input.Action.Value, ActionInput = body.ToJsonString(),
            Events = (input.Events.Value ?? []).Distinct(StringComparer.Ordinal).ToArray(), Filter = input.Filter.Value,
            Schedule = schedule, ScheduleTimeZone = zone, NextScheduledAt = schedule is null ? null : RuleScheduler.NextOccurrence(schedule, zone, now),
            IsActive = !input.IsActive.IsSet || input.IsActive.Value, CreatedAt = now, UpdatedAt = now,
        };
        db.Add(rule);
        AuditTrail.Record(db, http, time, caller, "integration.rule_created", IntegrationResources.Rules.Name, rule.Id, new { rule.InstallationId, rule.Action, rule.Events, rule.Schedule });
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/integrations/{installation.Id}/rules/{rule.Id}", AsResponse(rule));
    }

    internal static async Task<Results<Ok<ListResponse<RuleResponse>>, ProblemHttpResult>> List(string id, SwitchboardDbContext db, HttpContext http, CancellationToken ct)
    {
        if (await InstallationAsync(db, id, ct) is null) return ApiProblem.NotFound("integration");
        if (!PageRequest.TryParse(http.Request, out var page, out var problem)) return problem!;
        var query = db.Set<WebhookEndpoint>().AsNoTracking().Where(r => r.Kind == EndpointKind.Action && r.InstallationId == id);
        return TypedResults.Ok(await Paging.NewestFirstAsync(query, r => r.Id, page, http, AsResponse, ct));
    }

    internal static async Task<Results<Ok<RuleResponse>, ProblemHttpResult>> Get(string id, string ruleId, SwitchboardDbContext db, CancellationToken ct)
    {
        if (await InstallationAsync(db, id, ct) is null) return ApiProblem.NotFound("integration");
        return await RuleAsync(db, id, ruleId, ct) is { } rule ? TypedResults.Ok(AsResponse(rule)) : ApiProblem.NotFound("rule");
    }

    internal static async Task<Results<Ok<RuleResponse>, ProblemHttpResult>> Update(string id, string ruleId, RuleInput input, IValidator<RuleInput> validator,
        SwitchboardDbContext db, ProviderCatalog catalog, IOptions<SwitchboardOptions> options, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        if (await InstallationAsync(db, id, ct) is not { } installation) return ApiProblem.NotFound("integration");
        if (await RuleAsync(db, id, ruleId, ct) is not { } rule) return ApiProblem.NotFound("rule");
        if (await validator.CheckAsync(input, BodyUse.Update, ct) is { } invalid) return invalid;
        var action = input.Action.IsSet ? input.Action.Value! : rule.Action!;
        var body = input.Input.IsSet ? input.Input.Value! : JsonNode.Parse(rule.ActionInput ?? "{}") as JsonObject ?? [];
        if ((input.Action.IsSet || input.Input.IsSet) && CheckAction(catalog, installation, action, body, options.Value) is { } refused) return refused;
        var events = input.Events.IsSet ? (input.Events.Value ?? []).Distinct(StringComparer.Ordinal).ToArray() : rule.Events;
        var schedule = input.Schedule.IsSet ? input.Schedule.Value : rule.Schedule;
        var zone = schedule is null ? null : input.ScheduleTimeZone.IsSet ? input.ScheduleTimeZone.Value : rule.ScheduleTimeZone;
        if (schedule is not null && RuleScheduler.Check(schedule, zone) is { } bad) return ApiProblem.Validation(bad.Field, bad.Message);
        if (events.Length == 0 && schedule is null) return ApiProblem.Validation("events", "Give the event types that run the action, a schedule, or both.");
        var now = time.UtcNow();
        var rescheduled = schedule != rule.Schedule || zone != rule.ScheduleTimeZone || (input.IsActive.IsSet && input.IsActive.Value && !rule.IsActive);
        rule.Action = action;
        rule.ActionInput = body.ToJsonString();
        rule.Events = events;
        input.Filter.IfSet(v => rule.Filter = v);
        rule.Schedule = schedule;
        rule.ScheduleTimeZone = zone;
        if (schedule is null) rule.NextScheduledAt = null;
        else if (rescheduled || rule.NextScheduledAt is null) rule.NextScheduledAt = RuleScheduler.NextOccurrence(schedule, zone, now);
        if (input.IsActive.IsSet && input.IsActive.Value != rule.IsActive)
        {
            rule.IsActive = input.IsActive.Value;
            rule.DisabledReason = rule.IsActive ? null : "Disabled by a user.";
            if (rule.IsActive) rule.FailingSince = null;
        }
        rule.UpdatedAt = now;
        AuditTrail.Record(db, http, time, http.GetCaller(), "integration.rule_updated", IntegrationResources.Rules.Name, rule.Id, new { rule.Action, rule.Events, rule.Schedule, rule.IsActive });
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(AsResponse(rule));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, string ruleId, SwitchboardDbContext db, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        if (await InstallationAsync(db, id, ct) is null) return ApiProblem.NotFound("integration");
        if (await RuleAsync(db, id, ruleId, ct) is not { } rule) return ApiProblem.NotFound("rule");
        db.Remove(rule);
        AuditTrail.Record(db, http, time, http.GetCaller(), "integration.rule_deleted", IntegrationResources.Rules.Name, rule.Id, new { rule.InstallationId, rule.Action });
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    internal static async Task<Results<Ok<ListResponse<ActionRunResponse>>, ProblemHttpResult>> Runs(string id, SwitchboardDbContext db, HttpContext http, CancellationToken ct)
    {
        if (await InstallationAsync(db, id, ct) is null) return ApiProblem.NotFound("integration");
        var rules = db.Set<WebhookEndpoint>().Where(r => r.Kind == EndpointKind.Action && r.InstallationId == id).Select(r => r.Id);
        var query = db.Set<WebhookDelivery>().AsNoTracking().Where(d => rules.Contains(d.EndpointId));
        if (http.Request.Query["ruleId"].ToString() is { Length: > 0 } ruleId) query = query.Where(d => d.EndpointId == ruleId);
        return await DeliveryLog.PageAsync(db, query, http, (d, attempts) => new ActionRunResponse(d.Id, d.EndpointId, d.EventId, d.EventType, d.Status,
            d.Attempts, d.NextAttemptAt, d.LastStatusCode, d.LastError, d.CreatedAt, d.CompletedAt, attempts), ct);
    }

    internal static async Task<Results<Accepted, ProblemHttpResult>> Retry(string id, string deliveryId, SwitchboardDbContext db, TimeProvider time, WebhookSignals signals,
        CancellationToken ct)
    {
        if (await InstallationAsync(db, id, ct) is null) return ApiProblem.NotFound("integration");
        var rules = db.Set<WebhookEndpoint>().Where(r => r.Kind == EndpointKind.Action && r.InstallationId == id).Select(r => r.Id);
        var delivery = Ids.LooksValid(deliveryId, WebhookResources.Deliveries)
            ? await db.Set<WebhookDelivery>().FirstOrDefaultAsync(d => d.Id == deliveryId && rules.Contains(d.EndpointId), ct) : null;
        if (delivery is null) return ApiProblem.NotFound("action run");
        await DeliveryLog.RetryNowAsync(db, delivery, time, signals, ct);
        return TypedResults.Accepted($"/api/v1/integrations/{id}/action-runs");
    }
}
