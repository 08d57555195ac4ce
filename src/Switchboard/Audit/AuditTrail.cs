using System.Text.Json;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Storage;

namespace Switchboard.Audit;

/// <summary>
/// Adds audit entries to the caller's unit of work, so an entry commits with the change it records or not at all.
/// Details are plain facts (ids, names, scopes); callers never pass secrets.
/// </summary>
public static class AuditTrail
{
    public static AuditLog Record(
        SwitchboardDbContext db, HttpContext? http, TimeProvider time, string organizationId,
        string actorType, string? actorId, string action, string? targetType = null, string? targetId = null, object? details = null)
    {
        var entry = new AuditLog
        {
            Id = Ids.New(AuditLogResource.Declaration, time),
            OrganizationId = organizationId,
            ActorType = actorType,
            ActorId = actorId,
            Action = action,
            TargetType = targetType,
            TargetId = targetId,
            IpAddress = http?.ClientIp()?.ToString(),
            UserAgent = Truncate(http?.Request.Headers.UserAgent.ToString(), 512),
            RequestId = http?.TraceIdentifier,
            Details = details is null ? null : JsonSerializer.Serialize(details, JsonSerializerOptions.Web),
            CreatedAt = time.UtcNow(),
        };
        db.AuditLogs.Add(entry);
        return entry;
    }

    public static AuditLog Record(SwitchboardDbContext db, HttpContext http, TimeProvider time, Caller caller,
        string action, string? targetType = null, string? targetId = null, object? details = null) =>
        Record(db, http, time, caller.OrganizationId, caller.ActorType, caller.ActorId, action, targetType, targetId, details);

    private static string? Truncate(string? value, int max) =>
        string.IsNullOrEmpty(value) ? null : value.Length <= max ? value : value[..max];
}
