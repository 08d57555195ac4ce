using Switchboard.OAuth;
using Switchboard.Platform.Http;

namespace Switchboard.Dashboard;

/// <summary>The dashboard's form for registering an OAuth app, as typed, and the body of <c>POST /api/v1/oauth/apps</c> it stands for.</summary>
public sealed class OAuthAppForm
{
    public const string NameField = "name", TypeField = "type", RedirectUrisField = "redirectUris", ScopesField = "scopes",
        HomepageUrlField = "homepageUrl", DescriptionField = "description";

    public string Name { get; init; } = "";
    public string Type { get; init; } = OAuthAppTypes.Confidential;
    /// <summary>One URI per line.</summary>
    public string RedirectUris { get; init; } = "";
    public IReadOnlyList<string> Scopes { get; init; } = [];
    public string HomepageUrl { get; init; } = "";
    public string Description { get; init; } = "";

    public static OAuthAppForm From(IFormCollection form) => new()
    {
        Name = form[NameField].ToString(),
        Type = form[TypeField].ToString(),
        RedirectUris = form[RedirectUrisField].ToString(),
        Scopes = form[ScopesField].Where(s => !string.IsNullOrEmpty(s)).Select(s => s!).ToList(),
        HomepageUrl = form[HomepageUrlField].ToString().Trim(),
        Description = form[DescriptionField].ToString(),
    };

    /// <summary>The redirect URIs typed, one per line, blank lines dropped.</summary>
    public static string[] Lines(string text) => text.Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Optional fields left empty are not sent, as a client of the API would leave them out.</summary>
    public OAuthAppInput ToInput() => new(Name, Lines(RedirectUris), Scopes.ToArray(), Type,
        Description.Trim().Length > 0 ? Description : default(Optional<string?>), HomepageUrl.Length > 0 ? HomepageUrl : default(Optional<string?>), default, default);
}
