using System.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Switchboard.Platform;
using Switchboard.Platform.Auth;

namespace Switchboard.Usage;

/// <summary>Times each /api request and hands its usage record to the recorder once the response is done.</summary>
public sealed class UsageMiddleware(RequestDelegate next, UsageRecorder recorder, TimeProvider time)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
        {
            await next(context);
            return;
        }
        var started = Stopwatch.GetTimestamp();
        var body = context.Features.Get<IHttpResponseBodyFeature>()!;
        var counting = new CountingBody(body);
        context.Features.Set<IHttpResponseBodyFeature>(counting);
        try
        {
            await next(context);
        }
        finally
        {
            context.Features.Set(body);
            if (context.FindCaller() is { } caller)
            {
                var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(unmatched)";
                recorder.Record(new UsageRecord(caller.OrganizationId, caller.ApiKeyId ?? "", caller.UserId ?? "", context.Request.Method,
                    route.Length <= 200 ? route : route[..200], context.Response.StatusCode, (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds,
                    context.Request.ContentLength ?? 0, context.Response.ContentLength ?? counting.Written, context.TraceIdentifier, time.UtcNow(),
                    caller.Kind == CallerKind.OAuthClient ? caller.ClientId ?? "" : ""));
            }
        }
    }
}
