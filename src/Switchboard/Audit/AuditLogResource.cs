using Switchboard.Platform.Resources;

namespace Switchboard.Audit;

/// <summary>The audit log as <see cref="ResourceRegistry"/> knows it.</summary>
public static class AuditLogResource
{
    /// <summary>Its scope reveals the organization's security posture: only an explicit grant or <c>admin</c> reaches it.</summary>
    public static readonly ApiResource Declaration = new("audit_log")
    {
        IdPrefix = "aud", Scope = "audit_logs", ScopeSubject = "audit log", SensitiveScope = true, Collection = "audit-logs",
        Representations = [typeof(AuditLogResponse)],
    };
}
