namespace Switchboard.Usage;

/// <summary>
/// One answered API request, as the middleware hands it to the <see cref="UsageRecorder"/>. The credential is an API key
/// (<see cref="ApiKeyId"/>), a user's session (<see cref="UserId"/>), or an OAuth app (<see cref="ClientId"/>, with the
/// user it acts for, if any); absent parts are empty.
/// </summary>
public readonly record struct UsageRecord(
    string OrganizationId, string ApiKeyId, string UserId, string Method, string Route, int Status, long LatencyMicros,
    long RequestBytes, long ResponseBytes, string RequestId, DateTime At, string ClientId = "");
