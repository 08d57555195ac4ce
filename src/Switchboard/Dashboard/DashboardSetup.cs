using Switchboard.Dashboard.Components;

namespace Switchboard.Dashboard;

/// <summary>
/// The browser dashboard: Razor components rendered on the server (static rendering: no circuit, no WebSocket, every
/// page an ordinary GET and every action an ordinary form POST) under <c>/dashboard</c>, and the landing page at <c>/</c>.
/// Every page goes through <see cref="DashboardGate"/>; every action calls the code of the API operation it stands for.
/// </summary>
public static class DashboardSetup
{
    public static IServiceCollection AddDashboard(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddScoped<DashboardSession>();
        return services;
    }

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapDashboardAssets();
        // A download, not a page: the code of GET /api/v1/usage/export, admitted by the same gate as the pages.
        app.MapGet(DashboardNavigation.UsageExport, Usage.UsageApi.ExportAsync)
            .WithMetadata(new DashboardPageAttribute { Read = Usage.UsageResource.Declaration.ReadScope })
            .ExcludeFromDescription()
            .Add(endpoint => endpoint.RequestDelegate = DashboardGate.Wrap(endpoint.RequestDelegate!, new EndpointMetadataCollection(endpoint.Metadata)));
        app.MapRazorComponents<DashboardApp>()
            // Forms carry FormTokens instead, verified by the gate on every POST (one key on every node; ASP.NET Core's
            // antiforgery would need a Data Protection key ring shared by the nodes, which this installation does not have).
            .DisableAntiforgery()
            .Add(endpoint =>
            {
                // Pages only: Blazor's own /_framework/opaque-redirect (for its enhanced navigation, unused here) is left as it is.
                if (!endpoint.Metadata.OfType<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>().Any()) return;
                var portal = endpoint is RouteEndpointBuilder { RoutePattern.RawText: { } route }
                    && route.StartsWith(Webhooks.PortalLinks.EmbedPrefix + "/", StringComparison.Ordinal);
                endpoint.RequestDelegate = DashboardGate.Wrap(endpoint.RequestDelegate!, new EndpointMetadataCollection(endpoint.Metadata), portal);
            });
        return app;
    }
}
