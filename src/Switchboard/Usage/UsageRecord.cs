namespace Switchboard.Usage;

/// <summary>One answered API request, as the middleware hands it to the <see cref="UsageRecorder"/>.</summary>
public readonly record struct UsageRecord(
    string OrganizationId, string ApiKeyId, string UserId, string Method, string Route, int Status, long LatencyMicros,
    long RequestBytes, long ResponseBytes, string RequestId, DateTime At);
