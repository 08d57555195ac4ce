namespace Switchboard.OAuth.Protocol;

/// <summary>The authorization server's protocol endpoints. They live outside <c>/api</c>: clients speak RFC 6749 to them, not the REST API.</summary>
public static class OAuthProtocolApi
{
    public static IEndpointRouteBuilder MapOAuthProtocol(this IEndpointRouteBuilder app)
    {
        app.MapMethods(OAuthIssuer.AuthorizePath, [HttpMethods.Get, HttpMethods.Post], AuthorizeEndpoint.HandleAsync)
            .AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        app.MapPost(OAuthIssuer.TokenPath, TokenEndpoint.HandleAsync).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        app.MapPost(OAuthIssuer.ParPath, ParEndpoint.HandleAsync).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        app.MapPost(OAuthIssuer.RevocationPath, RevocationEndpoint.HandleAsync).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        app.MapPost(OAuthIssuer.IntrospectionPath, IntrospectionEndpoint.HandleAsync).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        app.MapGet(OAuthIssuer.MetadataPath, MetadataEndpoint.Handle).AllowAnonymous().ExcludeFromDescription();
        app.MapGet(OAuthIssuer.OpenIdConfigurationPath, MetadataEndpoint.HandleOpenIdConfiguration).AllowAnonymous().ExcludeFromDescription();
        app.MapMethods(OAuthIssuer.UserInfoPath, [HttpMethods.Get, HttpMethods.Post], UserInfoEndpoint.HandleAsync)
            .RequireAuthorization().DisableAntiforgery().ExcludeFromDescription();
        return app;
    }

    public static IServiceCollection AddOAuthProtocol(this IServiceCollection services)
    {
        services.AddSingleton<OAuthIssuer>();
        services.AddScoped<AuthorizationRequests>();
        services.AddSingleton<OAuthAppCache>();
        services.AddSingleton<ReplayCache>();
        services.AddSingleton<DpopProofs>();
        services.AddScoped<ClientAuthenticator>();
        services.AddScoped<GrantRevocation>();
        services.AddScoped<TokenEndpoint>();
        services.AddHostedService<ProtocolPruner>();
        return services;
    }
}
