using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Platform;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Pagination;
using Switchboard.Platform.Storage;

namespace Switchboard.Webhooks;

/// <summary>
/// The delivery log as the API shows it, written once for both kinds of endpoint: a webhook's deliveries
/// (<c>/api/v1/webhooks/{id}/deliveries</c>) and an installation's action runs (<c>/api/v1/integrations/{id}/action-runs</c>)
/// are rows of the same queue, filtered, paged and retried the same way.
/// </summary>
public static class DeliveryLog
{
    /// <summary>
    /// One page of <paramref name="query"/>, newest first, filtered by the request's query (<see cref="DeliveryFilter"/>), each delivery with
    /// its attempts in order (read in one query for the page).
    /// </summary>
    public static async Task<Results<Ok<ListResponse<T>>, ProblemHttpResult>> PageAsync<T>(SwitchboardDbContext db, IQueryable<WebhookDelivery> query,
        HttpContext http, Func<WebhookDelivery, IReadOnlyList<AttemptResponse>, T> map, CancellationToken ct)
    {
        if (!PageRequest.TryParse(http.Request, out var page, out var problem)) return problem!;
        var filter = DeliveryFilter.Parse(http.Request.Query, out var errors);
        if (errors.Count > 0) return ApiProblem.Validation(errors);
        query = filter.Apply(query);
        var list = await Paging.NewestFirstAsync(query, d => d.Id, page, http, d => d, ct);
        var ids = list.Data.Select(d => d.Id).ToList();
        var attempts = (await db.Set<WebhookAttempt>().AsNoTracking().Where(a => ids.Contains(a.DeliveryId)).ToListAsync(ct)).ToLookup(a => a.DeliveryId);
        return TypedResults.Ok(new ListResponse<T>(list.Data.Select(d => map(d,
            attempts[d.Id].OrderBy(a => a.Attempt).Select(a => new AttemptResponse(a.Attempt, a.AttemptedAt, a.StatusCode, a.LatencyMs, a.ResponseBody, a.Error)).ToList())).ToList(),
            list.HasMore, list.NextCursor));
    }

    /// <summary>Puts a (tracked) delivery back in the queue, due now, saves it and wakes the delivery loops.</summary>
    public static async Task RetryNowAsync(SwitchboardDbContext db, WebhookDelivery delivery, TimeProvider time, WebhookSignals signals, CancellationToken ct)
    {
        delivery.Status = DeliveryStatus.Pending;
        delivery.NextAttemptAt = time.UtcNow();
        delivery.CompletedAt = null;
        delivery.UpdatedAt = delivery.NextAttemptAt;
        await db.SaveChangesAsync(ct);
        signals.DeliveriesCreated();
    }
}
