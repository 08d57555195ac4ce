using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Switchboard.Platform.Auth;

/// <summary>Puts the API's own authentication and authorization steps in the places of ASP.NET Core's.</summary>
public static class AuthPipelineExtensions
{
    public static IApplicationBuilder UseSwitchboardAuthentication(this IApplicationBuilder app)
    {
        MarkAsUsed(app, static b => b.UseAuthentication());
        return app.UseMiddleware<AuthenticationStep>();
    }

    public static IApplicationBuilder UseSwitchboardAuthorization(this IApplicationBuilder app)
    {
        MarkAsUsed(app, static b => b.UseAuthorization());
        return app.Use(next =>
        {
            var standard = app.New();
            standard.UseAuthorization();
            standard.Run(next);
            var services = app.ApplicationServices;
            return new AuthorizationStep(next, standard.Build(),
                services.GetRequiredService<IOptions<AuthorizationOptions>>(),
                services.GetRequiredService<IAuthorizationPolicyProvider>()).InvokeAsync;
        });
    }

    /// <summary>
    /// Leaves on <paramref name="app"/> the marks ASP.NET Core's own <paramref name="use"/> leaves, without its middleware:
    /// WebApplication adds UseAuthentication and UseAuthorization at the start of the pipeline unless they were called,
    /// and tells by properties those calls set on the builder under keys it keeps private. Rather than copy the keys,
    /// the call is made on a branch that is never built, and the properties it set there are set here.
    /// </summary>
    private static void MarkAsUsed(IApplicationBuilder app, Action<IApplicationBuilder> use)
    {
        var branch = app.New(); // starts with the app's properties; what it sets stays on the branch
        var before = branch.Properties.Keys.ToHashSet(StringComparer.Ordinal);
        use(branch);
        foreach (var (key, value) in branch.Properties)
            if (!before.Contains(key)) app.Properties[key] = value;
    }
}
