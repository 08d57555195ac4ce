using Switchboard.Docs;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Pagination;
using Switchboard.Platform.Storage;

namespace Switchboard.Audit;

public sealed record AuditLogResponse(
    string Id, string Action, string ActorType, string? ActorId, string? TargetType, string? TargetId,
    string? IpAddress, string? UserAgent, string? RequestId, JsonElement? Details, DateTime CreatedAt);

public static class AuditApi
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/audit-logs", List).RequireScope(AuditLogResource.Declaration.ReadScope).WithPaging().WithTags("Audit logs")
            .WithName("listAuditLogs").WithSummary("Security events of the organization, newest first")
            .WithQueryParameters(
                new QueryParameterDoc("action", "Only this action.", Example: "api_key.created"),
                new QueryParameterDoc("actorId", "Only events of this actor (a user, API key or OAuth app id).", Example: "usr_01JD4V2Q8M3ZC5X7T9W1E6R0YB"),
                new QueryParameterDoc("targetId", "Only events about this record.", Example: "key_01JD4V2Q8M3ZC5X7T9W1E6R0YB"),
                new QueryParameterDoc("createdAfter", "Only events after this time.", Format: "date-time", Example: "2026-12-01T00:00:00Z"),
                new QueryParameterDoc("createdBefore", "Only events before this time.", Format: "date-time", Example: "2026-12-04T00:00:00Z"),
                new QueryParameterDoc("q", $"Search: events whose action contains the text (case-insensitive), or whose actor, target or request id or IP address is the text. At most {MaxSearchLength} characters.",
                    Example: "api_key."));
        return app;
    }

    public const int MaxSearchLength = 200;

    internal static async Task<Results<Ok<ListResponse<AuditLogResponse>>, ProblemHttpResult>> List(
        SwitchboardDbContext db, HttpContext http, CancellationToken cancellationToken)
    {
        if (!PageRequest.TryParse(http.Request, out var page, out var problem)) return problem!;
        var query = db.AuditLogs.AsNoTracking();
        var q = http.Request.Query;
        if (q["action"].ToString() is { Length: > 0 } action) query = query.Where(a => a.Action == action);
        if (q["actorId"].ToString() is { Length: > 0 } actor) query = query.Where(a => a.ActorId == actor);
        if (q["targetId"].ToString() is { Length: > 0 } target) query = query.Where(a => a.TargetId == target);
        if (q["q"].ToString().Trim() is { Length: > 0 } search)
        {
            if (search.Length > MaxSearchLength) return ApiProblem.Validation("q", $"Must be at most {MaxSearchLength} characters.");
            // Actions are lower-case ASCII by construction, so a lower-cased substring match is case-insensitive on every database.
            var lowered = search.ToLowerInvariant();
            query = query.Where(a => a.Action.Contains(lowered) || a.ActorId == search || a.TargetId == search || a.RequestId == search || a.IpAddress == search);
        }
        foreach (var (name, after) in new[] { ("createdAfter", true), ("createdBefore", false) })
        {
            if (q[name].ToString() is not { Length: > 0 } text) continue;
            if (!DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at))
                return ApiProblem.Validation(name, "Must be an ISO 8601 timestamp.");
            query = after ? query.Where(a => a.CreatedAt > at) : query.Where(a => a.CreatedAt < at);
        }
        return TypedResults.Ok(await Paging.NewestFirstAsync(query, a => a.Id, page, http, AsResponse, cancellationToken));
    }

    private static AuditLogResponse AsResponse(AuditLog a) => new(
        a.Id, a.Action, a.ActorType, a.ActorId, a.TargetType, a.TargetId, a.IpAddress, a.UserAgent, a.RequestId,
        a.Details is null ? null : JsonDocument.Parse(a.Details).RootElement.Clone(), a.CreatedAt);
}
