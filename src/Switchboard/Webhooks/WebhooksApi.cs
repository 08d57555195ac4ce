using Switchboard.Platform.Resources;
using Switchboard.Docs;
using System.Text.Json;
using System.Text.Json.Serialization;
using FluentValidation;
using FluentValidation.Results;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Http;
using Switchboard.Platform.Outbox;
using Switchboard.Platform.Pagination;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;
using Switchboard.Platform.Validation;

namespace Switchboard.Webhooks;

public sealed record WebhookInput(
    Optional<string> Url, Optional<string[]> Events, Optional<string?> Name, Optional<string?> Description, Optional<string> Secret,
    Optional<Dictionary<string, string>?> Headers, Optional<bool> IsActive, Optional<int?> MaxDeliveriesPerSecond);

/// <summary>Every event type the platform emits (a list, but not paginated: the catalog is short and fixed).</summary>
public sealed record EventTypeCatalog(IReadOnlyList<EventTypeInfo> Data);

/// <summary>
/// Last success and failure, the start of the current run of failures, the share of attempts in the last 24 hours that
/// were answered 2xx, and when the next retry of a failing delivery is due (the current backoff).
/// </summary>
public sealed record WebhookHealth(DateTime? LastSuccessAt, DateTime? LastFailureAt, DateTime? FailingSince,
    double? SuccessRateLast24h = null, long AttemptsLast24h = 0, DateTime? NextRetryAt = null);

public sealed record WebhookResponse(
    string Id, string Url, string? Name, string? Description, IReadOnlyList<string> Events, IReadOnlyList<string> HeaderNames, bool IsActive,
    int? MaxDeliveriesPerSecond, string? DisabledReason, WebhookHealth Health, DateTime CreatedAt, DateTime UpdatedAt)
{
    /// <summary>Present only in the answers to create and rotate-secret.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Secret { get; init; }
}

/// <summary>A delivery with its attempts; <c>payload</c> is the exact body every attempt sent (what the receiver got).</summary>
public sealed record DeliveryResponse(string Id, string EndpointId, string EventId, string EventType, string Status, int Attempts,
    DateTime NextAttemptAt, int? LastStatusCode, string? LastError, DateTime CreatedAt, DateTime? CompletedAt, IReadOnlyList<AttemptResponse>? AttemptLog, string Payload);
public sealed record AttemptResponse(int Attempt, DateTime AttemptedAt, int? StatusCode, long LatencyMs, string? ResponseBody, string? Error);
public sealed record ReplayRequest(DateTime? Since);
public sealed record ReplayResponse(int Deliveries);

/// <summary>
/// The deliveries of an endpoint to send again now, chosen as <c>GET …/deliveries</c> chooses them (<see cref="DeliveryFilter"/>).
/// Without a <c>status</c>, the failed ones: dead, or pending after at least one failed attempt. <c>dryRun</c> only counts them.
/// </summary>
public sealed record RetryDeliveriesRequest(string? Status = null, string? EventType = null, string? EventId = null, string? DeliveryId = null,
    DateTime? CreatedAfter = null, DateTime? CreatedBefore = null, bool? DryRun = null)
{
    [JsonIgnore]
    public DeliveryFilter Filter => new(Status, EventType, EventId, DeliveryId, Utc(CreatedAfter), Utc(CreatedBefore));

    /// <summary>A time without an offset is UTC, as in the query string (never the server's local time).</summary>
    private static DateTime? Utc(DateTime? time) => time is not { } t ? null : t.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : t.ToUniversalTime();
}

/// <summary>How many deliveries were put back in the queue (or, for a dry run, would be).</summary>
public sealed record RetryDeliveriesResponse(int Deliveries, bool DryRun);

internal sealed class WebhookInputValidator : AbstractValidator<WebhookInput>
{
    public WebhookInputValidator(IOptions<SwitchboardOptions> options)
    {
        When(x => x.Url.IsSet, () => RuleFor(x => x.Url.Value).Custom((url, ctx) =>
        {
            if (OutboundGuard.ValidateUrl(url, options.Value.Webhooks.AllowPrivateNetworks) is { } error) ctx.AddFailure("url", error);
        }));
        When(x => x.Events.IsSet, () => RuleFor(x => x.Events.Value).Custom((events, ctx) =>
        {
            if (events is null || events.Length is 0 or > 100) ctx.AddFailure("events", "Give 1 to 100 event types (wildcards: contact.*, *).");
            else if (events.Any(e => e is null)) ctx.AddFailure("events", "Event types must be strings, not null.");
            else if (events.FirstOrDefault(e => !EventTypes.IsValidPattern(e)) is { } unknown)
                ctx.AddFailure("events", $"Unknown event type '{unknown}'; GET /api/v1/webhooks/event-types lists them.");
        }));
        When(x => x.Name.IsSet, () => RuleFor(x => x.Name.Value).MaximumLength(200).OverridePropertyName("name"));
        When(x => x.MaxDeliveriesPerSecond.IsSet, () => RuleFor(x => x.MaxDeliveriesPerSecond.Value).InclusiveBetween(1, 10_000)
            .When(x => x.MaxDeliveriesPerSecond.Value is not null).OverridePropertyName("maxDeliveriesPerSecond"));
        When(x => x.Description.IsSet, () => RuleFor(x => x.Description.Value).MaximumLength(1000).OverridePropertyName("description"));
        When(x => x.Secret.IsSet, () => RuleFor(x => x.Secret.Value).Must(s => s is not null && WebhookSignature.IsValidSecret(s))
            .WithMessage("Must be whsec_ followed by base64 of 24 to 64 random bytes.").OverridePropertyName("secret"));
        When(x => x.Headers.IsSet, () => RuleFor(x => x.Headers.Value).Custom((headers, ctx) =>
        {
            if (headers is null) return;
            if (headers.Count > 20) ctx.AddFailure("headers", "At most 20 headers.");
            foreach (var (name, value) in headers)
            {
                if (value is null) ctx.AddFailure("headers", $"'{name}' must have a string value, not null.");
                else if (name.Length is 0 or > 100 || name.Any(c => c <= 32 || c >= 127 || c == ':') || value.Length > 2000 || value.Any(c => c is '\r' or '\n' or '\0'))
                    ctx.AddFailure("headers", $"'{name}' is not a valid header name or value.");
                else if (WebhookHeaderNames.IsReserved(name))
                    ctx.AddFailure("headers", $"'{name}' is set by Switchboard or by HTTP itself (framing, hop-by-hop); it cannot be a custom header.");
            }
        }));
    }

    public override ValidationResult Validate(ValidationContext<WebhookInput> context) => WithWholeBody(base.Validate(context), context);

    public override async Task<ValidationResult> ValidateAsync(ValidationContext<WebhookInput> context, CancellationToken cancellation = default) =>
        WithWholeBody(await base.ValidateAsync(context, cancellation), context);

    /// <summary>
    /// The rules of the body as a whole, for the write it is sent to: a create names the url and the events; an update
    /// leaves the secret alone (rotate-secret changes it, with its overlap). They speak once every field sent is valid.
    /// </summary>
    private static ValidationResult WithWholeBody(ValidationResult fields, ValidationContext<WebhookInput> context)
    {
        if (!fields.IsValid) return fields;
        var input = context.InstanceToValidate;
        List<ValidationFailure> failures = [];
        if (context.IsCreate())
        {
            if (!input.Url.IsSet) failures.Add(new("url", "Is required."));
            if (!input.Events.IsSet) failures.Add(new("events", "Is required."));
        }
        else if (input.Secret.IsSet) failures.Add(new("secret", "Use POST /api/v1/webhooks/{id}/rotate-secret to change the secret."));
        return new ValidationResult(failures);
    }
}

public static class WebhooksApi
{
    private static readonly TimeSpan SecretOverlap = TimeSpan.FromHours(24);

    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        var hooks = app.MapGroup("/api/v1/webhooks").WithTags("Webhooks");
        hooks.MapGet("/event-types", EventTypeList)
            .RequireScope(WebhookResources.Endpoints.ReadScope).WithName("listWebhookEventTypes").WithSummary("Every event type, with the JSON Schema of its data");
        hooks.MapPost("/", Create).RequireScope(WebhookResources.Endpoints.WriteScope).WithName("createWebhook").WithSummary("Create an endpoint (the secret is shown once)");
        hooks.MapGet("/", List).RequireScope(WebhookResources.Endpoints.ReadScope).WithPaging().WithName("listWebhooks").WithSummary("List endpoints");
        hooks.MapGet("/{id}", Get).RequireScope(WebhookResources.Endpoints.ReadScope).WithName("getWebhook").WithSummary("Get an endpoint and its health");
        hooks.MapPatch("/{id}", Update).RequireScope(WebhookResources.Endpoints.WriteScope).WithName("updateWebhook").WithSummary("Update an endpoint");
        hooks.MapDelete("/{id}", Delete).RequireScope(WebhookResources.Endpoints.WriteScope).WithName("deleteWebhook").WithSummary("Delete an endpoint");
        hooks.MapGet("/{id}/deliveries", Deliveries).RequireScope(WebhookResources.Endpoints.ReadScope).WithPaging()
            .WithQueryParameters(DeliveryFilter.QueryDocs).WithName("listWebhookDeliveries").WithSummary("The endpoint's deliveries and their attempts");
        hooks.MapPost("/{id}/deliveries/retry", RetryDeliveries).RequireScope(WebhookResources.Endpoints.WriteScope).WithName("retryWebhookDeliveries")
            .WithSummary("Send again now every delivery a filter selects (by default the failed ones), or count them (dryRun)");
        hooks.MapPost("/deliveries/{deliveryId}/retry", Retry).RequireScope(WebhookResources.Endpoints.WriteScope).WithName("retryWebhookDelivery").WithSummary("Send a delivery again now");
        hooks.MapPost("/{id}/test", Test).RequireScope(WebhookResources.Endpoints.WriteScope).WithName("testWebhook").WithSummary("Send a webhook.test event to the endpoint");
        hooks.MapPost("/{id}/rotate-secret", RotateSecret).RequireScope(WebhookResources.Endpoints.WriteScope).WithName("rotateWebhookSecret")
            .WithSummary("New secret; the old one keeps signing (a second signature) for 24 hours");
        hooks.MapPost("/{id}/replay", Replay).RequireScope(WebhookResources.Endpoints.WriteScope).WithName("replayWebhook")
            .WithSummary("Deliver again every subscribed event since a time");
        return app;
    }

    internal static Ok<EventTypeCatalog> EventTypeList(IOptions<JsonOptions> json) => TypedResults.Ok(new EventTypeCatalog(EventTypes.Catalog(json.Value.SerializerOptions)));

    private static WebhookResponse AsResponse(WebhookEndpoint w, SecretProtector protector, string? secret = null) => new(
        w.Id, w.Url, w.Name, w.Description, w.Events,
        w.HeadersEncrypted is null ? [] : (JsonSerializer.Deserialize<Dictionary<string, string>>(protector.Unprotect(w.HeadersEncrypted, WebhookSender.HeadersPurpose(w.Id))) ?? []).Keys.ToList(),
        w.IsActive, w.MaxDeliveriesPerSecond, w.DisabledReason, new WebhookHealth(w.LastSuccessAt, w.LastFailureAt, w.FailingSince), w.CreatedAt, w.UpdatedAt) { Secret = secret };

    internal static async Task<Results<Created<WebhookResponse>, ProblemHttpResult>> Create(
        WebhookInput input, IValidator<WebhookInput> validator, SwitchboardDbContext db, SecretProtector protector, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        if (await validator.CheckAsync(input, BodyUse.Create, ct) is { } invalid) return invalid;
        var caller = http.GetCaller();
        var now = time.UtcNow();
        var id = Ids.New(WebhookResources.Endpoints, time);
        var secret = input.Secret.IsSet ? input.Secret.Value! : WebhookSignature.NewSecret();
        var endpoint = new WebhookEndpoint
        {
            Id = id, OrganizationId = caller.OrganizationId, Url = input.Url.Value!, Name = input.Name.Value?.Trim(), Description = input.Description.Value?.Trim(),
            Events = input.Events.Value!.Distinct(StringComparer.Ordinal).ToArray(), SecretEncrypted = protector.Protect(secret, WebhookSender.SecretPurpose(id)),
            HeadersEncrypted = input.Headers.Value is { Count: > 0 } h ? protector.Protect(JsonSerializer.Serialize(h), WebhookSender.HeadersPurpose(id)) : null,
            IsActive = !input.IsActive.IsSet || input.IsActive.Value, MaxDeliveriesPerSecond = input.MaxDeliveriesPerSecond.Value, CreatedAt = now, UpdatedAt = now,
        };
        db.Add(endpoint);
        AuditTrail.Record(db, http, time, caller, "webhook.created", "webhook_endpoint", id, new { endpoint.Url, endpoint.Events });
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/webhooks/{id}", AsResponse(endpoint, protector, secret));
    }

    internal static async Task<Results<Ok<ListResponse<WebhookResponse>>, ProblemHttpResult>> List(
        SwitchboardDbContext db, SecretProtector protector, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        if (!PageRequest.TryParse(http.Request, out var page, out var problem)) return problem!;
        var list = await Paging.NewestFirstAsync(db.Set<WebhookEndpoint>().AsNoTracking().Where(w => w.Kind == EndpointKind.Webhook), w => w.Id, page, http,
            w => AsResponse(w, protector), ct);
        return TypedResults.Ok(list with { Data = await WithHealthAsync(db, time, list.Data, ct) });
    }

    /// <summary>
    /// The endpoints with the parts of their health read from their attempts and deliveries: the success rate over the
    /// last 24 hours and the next retry due (two grouped queries for the whole page, on the (endpoint, attempted_at) and
    /// (endpoint, id) indexes).
    /// </summary>
    private static async Task<IReadOnlyList<WebhookResponse>> WithHealthAsync(SwitchboardDbContext db, TimeProvider time, IReadOnlyList<WebhookResponse> endpoints, CancellationToken ct)
    {
        if (endpoints.Count == 0) return endpoints;
        var ids = endpoints.Select(e => e.Id).ToList();
        var since = time.UtcNow().AddHours(-24);
        var attempts = await db.Set<WebhookAttempt>().Where(a => ids.Contains(a.EndpointId) && a.AttemptedAt >= since)
            .GroupBy(a => a.EndpointId).Select(g => new { Id = g.Key, Total = g.LongCount(), Ok = g.LongCount(a => a.StatusCode >= 200 && a.StatusCode < 300) })
            .ToDictionaryAsync(g => g.Id, ct);
        var retries = await db.Set<WebhookDelivery>().Where(d => ids.Contains(d.EndpointId) && d.Status == DeliveryStatus.Pending && d.Attempts > 0)
            .GroupBy(d => d.EndpointId).Select(g => new { Id = g.Key, Next = g.Min(d => d.NextAttemptAt) }).ToDictionaryAsync(g => g.Id, g => g.Next, ct);
        return endpoints.Select(e => e with
        {
            Health = e.Health with
            {
                AttemptsLast24h = attempts.TryGetValue(e.Id, out var a) ? a.Total : 0,
                SuccessRateLast24h = a is { Total: > 0 } ? Math.Round(a.Ok * 100.0 / a.Total, 1) : null,
                NextRetryAt = retries.TryGetValue(e.Id, out var next) ? next : null,
            },
        }).ToList();
    }

    /// <summary>
    /// A webhook endpoint of the caller's organization. Never an integration's action rule (the same table, kind
    /// action): those are /api/v1/integrations/{id}/rules', and this API neither shows nor touches them.
    /// </summary>
    private static Task<WebhookEndpoint?> FindAsync(SwitchboardDbContext db, string id, CancellationToken ct) =>
        Ids.LooksValid(id, WebhookResources.Endpoints)
            ? db.Set<WebhookEndpoint>().FirstOrDefaultAsync(w => w.Id == id && w.Kind == EndpointKind.Webhook, ct) : Task.FromResult<WebhookEndpoint?>(null);

    internal static async Task<Results<Ok<WebhookResponse>, ProblemHttpResult>> Get(
        string id, SwitchboardDbContext db, SecretProtector protector, TimeProvider time, CancellationToken ct)
    {
        if (await FindAsync(db, id, ct) is not { } w) return ApiProblem.NotFound("webhook endpoint");
        return TypedResults.Ok((await WithHealthAsync(db, time, [AsResponse(w, protector)], ct))[0]);
    }

    internal static async Task<Results<Ok<WebhookResponse>, ProblemHttpResult>> Update(
        string id, WebhookInput input, IValidator<WebhookInput> validator, SwitchboardDbContext db, SecretProtector protector, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        var endpoint = await FindAsync(db, id, ct);
        if (endpoint is null) return ApiProblem.NotFound("webhook endpoint");
        if (await validator.CheckAsync(input, BodyUse.Update, ct) is { } invalid) return invalid;
        input.Url.IfSet(v => endpoint.Url = v!);
        input.Events.IfSet(v => endpoint.Events = v!.Distinct(StringComparer.Ordinal).ToArray());
        input.Name.IfSet(v => endpoint.Name = v?.Trim());
        input.Description.IfSet(v => endpoint.Description = v?.Trim());
        input.MaxDeliveriesPerSecond.IfSet(v => endpoint.MaxDeliveriesPerSecond = v);
        input.Headers.IfSet(v => endpoint.HeadersEncrypted = v is { Count: > 0 } h ? protector.Protect(JsonSerializer.Serialize(h), WebhookSender.HeadersPurpose(endpoint.Id)) : null);
        if (input.IsActive.IsSet && input.IsActive.Value != endpoint.IsActive)
        {
            endpoint.IsActive = input.IsActive.Value;
            endpoint.DisabledReason = endpoint.IsActive ? null : "Disabled by a user.";
            if (endpoint.IsActive) endpoint.FailingSince = null;
        }
        endpoint.UpdatedAt = time.UtcNow();
        AuditTrail.Record(db, http, time, http.GetCaller(), "webhook.updated", "webhook_endpoint", endpoint.Id, new { endpoint.Url, endpoint.Events, endpoint.IsActive });
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(AsResponse(endpoint, protector));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, SwitchboardDbContext db, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        var endpoint = await FindAsync(db, id, ct);
        if (endpoint is null) return ApiProblem.NotFound("webhook endpoint");
        db.Remove(endpoint);
        AuditTrail.Record(db, http, time, http.GetCaller(), "webhook.deleted", "webhook_endpoint", endpoint.Id, new { endpoint.Url });
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    internal static async Task<Results<Ok<ListResponse<DeliveryResponse>>, ProblemHttpResult>> Deliveries(string id, SwitchboardDbContext db, HttpContext http, CancellationToken ct)
    {
        if (await FindAsync(db, id, ct) is null) return ApiProblem.NotFound("webhook endpoint");
        return await DeliveryLog.PageAsync(db, db.Set<WebhookDelivery>().AsNoTracking().Where(d => d.EndpointId == id), http,
            (d, attempts) => new DeliveryResponse(d.Id, d.EndpointId, d.EventId, d.EventType, d.Status, d.Attempts, d.NextAttemptAt, d.LastStatusCode,
                d.LastError, d.CreatedAt, d.CompletedAt, attempts, d.Payload), ct);
    }

    internal static async Task<Results<Ok<RetryDeliveriesResponse>, ProblemHttpResult>> RetryDeliveries(string id, RetryDeliveriesRequest request,
        IValidator<RetryDeliveriesRequest> validator, SwitchboardDbContext db, TimeProvider time, WebhookSignals signals, HttpContext http, CancellationToken ct)
    {
        if (await validator.CheckAsync(request, ct) is { } invalid) return invalid;
        if (await FindAsync(db, id, ct) is not { } endpoint) return ApiProblem.NotFound("webhook endpoint");
        var selected = request.Filter.Apply(db.Set<WebhookDelivery>().Where(d => d.EndpointId == endpoint.Id));
        if (request.Status is null) selected = selected.Where(d => d.Status == DeliveryStatus.Dead || (d.Status == DeliveryStatus.Pending && d.Attempts > 0));
        if (request.DryRun == true) return TypedResults.Ok(new RetryDeliveriesResponse(await selected.CountAsync(ct), DryRun: true));

        // One statement, so a filter of any size costs one round trip; what RetryNowAsync does to one delivery.
        var now = time.UtcNow();
        var count = await selected.ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DeliveryStatus.Pending).SetProperty(d => d.NextAttemptAt, now)
            .SetProperty(d => d.CompletedAt, (DateTime?)null).SetProperty(d => d.UpdatedAt, now), ct);
        AuditTrail.Record(db, http, time, http.GetCaller(), "webhook.deliveries_retried", "webhook_endpoint", endpoint.Id, new { Deliveries = count, request.Filter });
        await db.SaveChangesAsync(ct);
        if (count > 0) signals.DeliveriesCreated();
        return TypedResults.Ok(new RetryDeliveriesResponse(count, DryRun: false));
    }

    internal static async Task<Results<Accepted, ProblemHttpResult>> Retry(string deliveryId, SwitchboardDbContext db, TimeProvider time, WebhookSignals signals, CancellationToken ct)
    {
        var webhooks = db.Set<WebhookEndpoint>().Where(w => w.Kind == EndpointKind.Webhook).Select(w => w.Id);
        var delivery = Ids.LooksValid(deliveryId, WebhookResources.Deliveries)
            ? await db.Set<WebhookDelivery>().FirstOrDefaultAsync(d => d.Id == deliveryId && webhooks.Contains(d.EndpointId), ct) : null;
        if (delivery is null) return ApiProblem.NotFound("delivery");
        await DeliveryLog.RetryNowAsync(db, delivery, time, signals, ct);
        return TypedResults.Accepted($"/api/v1/webhooks/{delivery.EndpointId}/deliveries");
    }

    internal static async Task<Results<Accepted, ProblemHttpResult>> Test(string id, SwitchboardDbContext db, TimeProvider time, CancellationToken ct)
    {
        var endpoint = await FindAsync(db, id, ct);
        if (endpoint is null) return ApiProblem.NotFound("webhook endpoint");
        var now = time.UtcNow();
        // A test goes to this endpoint only (not through the outbox, which fans out to every subscriber).
        var evt = new OutboxEvent
        {
            Id = Ids.New(ResourceRegistry.Events, time), OrganizationId = endpoint.OrganizationId, Type = "webhook.test", ResourceType = "webhook_endpoint", ResourceId = endpoint.Id,
            Data = JsonSerializer.Serialize(new WebhookTestData(endpoint.Id, "This is a test delivery from Switchboard."), JsonSerializerOptions.Web), CreatedAt = now,
        };
        db.Add(WebhookDeliveries.For(evt, endpoint.Id, now));
        await db.SaveChangesAsync(ct);
        return TypedResults.Accepted($"/api/v1/webhooks/{id}/deliveries");
    }

    internal static async Task<Results<Ok<WebhookResponse>, ProblemHttpResult>> RotateSecret(
        string id, SwitchboardDbContext db, SecretProtector protector, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        var endpoint = await FindAsync(db, id, ct);
        if (endpoint is null) return ApiProblem.NotFound("webhook endpoint");
        var now = time.UtcNow();
        var secret = WebhookSignature.NewSecret();
        endpoint.PreviousSecretEncrypted = endpoint.SecretEncrypted;
        endpoint.PreviousSecretExpiresAt = now + SecretOverlap;
        endpoint.SecretEncrypted = protector.Protect(secret, WebhookSender.SecretPurpose(endpoint.Id));
        endpoint.UpdatedAt = now;
        AuditTrail.Record(db, http, time, http.GetCaller(), "webhook.secret_rotated", "webhook_endpoint", endpoint.Id);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(AsResponse(endpoint, protector, secret));
    }

    internal static async Task<Results<Ok<ReplayResponse>, ProblemHttpResult>> Replay(
        string id, ReplayRequest request, IValidator<ReplayRequest> validator, SwitchboardDbContext db, TimeProvider time, CancellationToken ct)
    {
        if (await validator.CheckAsync(request, ct) is { } invalid) return invalid;
        var endpoint = await FindAsync(db, id, ct);
        if (endpoint is null) return ApiProblem.NotFound("webhook endpoint");
        var since = request.Since!.Value.ToUniversalTime();
        var now = time.UtcNow();
        var events = await db.OutboxEvents.AsNoTracking().Where(e => e.CreatedAt >= since).OrderBy(e => e.Id).Take(10_000).ToListAsync(ct);
        var count = 0;
        foreach (var evt in events.Where(e => EventTypes.Matches(endpoint.Events, e.Type)))
        {
            db.Add(WebhookDeliveries.For(evt, endpoint.Id, now));
            count++;
        }
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new ReplayResponse(count));
    }
}

internal sealed class RetryDeliveriesRequestValidator : AbstractValidator<RetryDeliveriesRequest>
{
    public RetryDeliveriesRequestValidator() => RuleFor(x => x).Custom((request, ctx) =>
    {
        foreach (var (field, messages) in request.Filter.Check())
            foreach (var message in messages) ctx.AddFailure(field, message);
    });
}

internal sealed class ReplayRequestValidator : AbstractValidator<ReplayRequest>
{
    public ReplayRequestValidator() => RuleFor(x => x.Since).NotNull().WithMessage("Is required: replay the events since this time.");
}
