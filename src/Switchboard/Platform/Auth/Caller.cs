using System.Net;

namespace Switchboard.Platform.Auth;

/// <summary>
/// Who acts. <see cref="PortalLink"/>: whoever holds a link to the embeddable webhook portal, on its pages only
/// (<see cref="Webhooks.PortalLinks"/>); the audit log names the link.
/// </summary>
public enum CallerKind { User, ApiKey, OAuthClient, PortalLink }

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
    (int Requests, int WindowSeconds)? RateLimit = null,
    string? PortalLinkId = null)
{
    public bool Has(string scope) => Auth.Scopes.Grants(Scopes, scope);

    public string ActorType => Kind switch { CallerKind.User => "user", CallerKind.ApiKey => "api_key", CallerKind.PortalLink => "webhook_portal_link", _ => "oauth_client" };
    public string? ActorId => Kind switch { CallerKind.User => UserId, CallerKind.ApiKey => ApiKeyId, CallerKind.PortalLink => PortalLinkId, _ => ClientId };
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
