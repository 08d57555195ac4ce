using System.Net;

namespace Switchboard.Platform.Auth;

public enum CallerKind { User, ApiKey, OAuthClient }

/// <summary>Who is calling, for which organization, with which scopes. Set once per request by authentication.</summary>
public sealed record Caller(
    CallerKind Kind,
    string OrganizationId,
    IReadOnlyCollection<string> Scopes,
    string? UserId = null,
    string? ApiKeyId = null,
    string? Role = null,
    string? SessionId = null,
    string? ClientId = null,
    (int Requests, int WindowSeconds)? RateLimit = null)
{
    public bool Has(string scope) => Auth.Scopes.Grants(Scopes, scope);

    public string ActorType => Kind switch { CallerKind.User => "user", CallerKind.ApiKey => "api_key", _ => "oauth_client" };
    public string? ActorId => Kind switch { CallerKind.User => UserId, CallerKind.ApiKey => ApiKeyId, _ => ClientId };
}

public static class CallerHttpContextExtensions
{
    /// <summary>The authenticated caller. Endpoints that call this require authorization, so it is always set.</summary>
    public static Caller GetCaller(this HttpContext context) =>
        context.Features.Get<Caller>() ?? throw new InvalidOperationException("No authenticated caller on this request.");

    public static Caller? FindCaller(this HttpContext context) => context.Features.Get<Caller>();

    /// <summary>The client address, IPv4-mapped IPv6 folded back to IPv4 so allowlists match either form.</summary>
    public static IPAddress? ClientIp(this HttpContext context)
    {
        var ip = context.Connection.RemoteIpAddress;
        return ip is { IsIPv4MappedToIPv6: true } ? ip.MapToIPv4() : ip;
    }
}
