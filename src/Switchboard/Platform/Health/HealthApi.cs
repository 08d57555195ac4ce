using Switchboard.Platform.Storage;

namespace Switchboard.Platform.Health;

public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        // Liveness: the process runs. Readiness: this node can serve (its database answers).
        app.MapGet("/alive", () => TypedResults.Ok(new { status = "alive" })).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/health", Health).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> Health(SwitchboardDbContext db, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        bool up;
        try { up = await db.Database.CanConnectAsync(timeout.Token); }
        catch (Exception) { up = false; }
        var body = new { status = up ? "healthy" : "unhealthy", checks = new { database = up ? "up" : "down" } };
        return up ? TypedResults.Ok(body) : TypedResults.Json(body, statusCode: 503);
    }
}
