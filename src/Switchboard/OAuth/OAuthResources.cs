using System.Text.Json;
using Switchboard.Platform;
using Switchboard.Platform.Outbox;
using Switchboard.Platform.Resources;
using Switchboard.Platform.Storage;

namespace Switchboard.OAuth;

/// <summary>The data of <c>oauth.authorization_granted</c> and <c>oauth.authorization_revoked</c>.</summary>
public sealed record OAuthAuthorizationEventData(string Id, string AppId, string ClientId, string AppName, string UserId, IReadOnlyList<string> Scopes, DateTime CreatedAt, DateTime? RevokedAt);

/// <summary>Third-party apps and the authorizations users grant them, as <see cref="ResourceRegistry"/> knows them.</summary>
public static class OAuthResources
{
    public const string GrantedEvent = "oauth.authorization_granted";
    public const string RevokedEvent = "oauth.authorization_revoked";

    /// <summary>Registering apps reveals who can act for the organization: only an explicit grant or <c>admin</c> reaches it.</summary>
    public static readonly ApiResource Apps = new("oauth_app")
    {
        IdPrefix = "app", Scope = "oauth_apps", SensitiveScope = true, Collection = "oauth/apps",
        IdFields = ["appId"],
        Representations = [typeof(OAuthAppResponse)],
        Enumerations = [new("type", OAuthAppTypes.All) { Inputs = [typeof(OAuthAppInput)], Outputs = [typeof(OAuthAppResponse)] }],
        Formats =
        [
            new("homepageUrl", FieldFormat.Url) { Inputs = [typeof(OAuthAppInput)], Outputs = [typeof(OAuthAppResponse)] },
            new("logoUrl", FieldFormat.Url) { Inputs = [typeof(OAuthAppInput)], Outputs = [typeof(OAuthAppResponse)] },
            new("appHomepageUrl", FieldFormat.Url) { Outputs = [typeof(OAuthAuthorizationResponse)] },
            new("appLogoUrl", FieldFormat.Url) { Outputs = [typeof(OAuthAuthorizationResponse)] },
        ],
    };

    /// <summary>A user's grant to an app (<see cref="OAuthGrant"/>). Each user manages their own; no scope gates it.</summary>
    public static readonly ApiResource Authorizations = new("oauth_authorization")
    {
        IdPrefix = "grt", Collection = "oauth/authorizations",
        IdFields = ["authorizationId"],
        Representations = [typeof(OAuthAuthorizationResponse)],
        Enumerations = [new("status", ["active", "revoked"]) { Outputs = [typeof(OAuthAuthorizationResponse)] }],
        Events =
        [
            new(GrantedEvent, "A user authorized a third-party app, or widened what it may do.", typeof(OAuthAuthorizationEventData)),
            new(RevokedEvent, "A user's authorization of a third-party app was revoked (by the user, an admin, the app's deletion, or a replayed refresh token or code).", typeof(OAuthAuthorizationEventData)),
        ],
    };

    /// <summary>Adds the event to <paramref name="db"/>'s unit of work, to commit with the change it reports.</summary>
    public static OutboxEvent StageEvent(SwitchboardDbContext db, string type, OAuthGrant grant, OAuthApp app, TimeProvider time)
    {
        var data = new OAuthAuthorizationEventData(grant.Id, app.Id, app.ClientId, app.Name, grant.UserId, grant.Scopes, grant.CreatedAt, grant.RevokedAt);
        var row = new OutboxEvent
        {
            Id = Ids.New(ResourceRegistry.Events, time), OrganizationId = grant.OrganizationId, Type = type,
            ResourceType = Authorizations.Name, ResourceId = grant.Id,
            Data = JsonSerializer.Serialize(data, JsonSerializerOptions.Web), CreatedAt = time.UtcNow(),
        };
        db.OutboxEvents.Add(row);
        return row;
    }
}
