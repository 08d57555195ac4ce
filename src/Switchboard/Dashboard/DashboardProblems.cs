using Microsoft.AspNetCore.Http.HttpResults;

namespace Switchboard.Dashboard;

/// <summary>The problem an API operation answered, as a form shows it: its field errors beside the fields.</summary>
public static class DashboardProblems
{
    /// <summary>
    /// The problem's <c>errors</c>, or, for a problem about no one field (such as a scope the member may not grant), its
    /// detail under <paramref name="fallbackField"/>.
    /// </summary>
    public static Dictionary<string, string[]> Errors(ProblemHttpResult problem, string fallbackField) =>
        problem.ProblemDetails.Extensions.TryGetValue("errors", out var errors) && errors is IDictionary<string, string[]> fields
            ? new Dictionary<string, string[]>(fields, StringComparer.OrdinalIgnoreCase)
            : new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase) { [fallbackField] = [problem.ProblemDetails.Detail ?? problem.ProblemDetails.Title ?? "Refused."] };

    /// <summary>
    /// Answers 404 with the page's own explanation. Static rendering writes no body for a page that sets 404 itself (it
    /// leaves the answer to a not-found page), so the status is set as the response starts, after the page is rendered.
    /// </summary>
    public static void NotFound(HttpResponse response) =>
        response.OnStarting(static state => { ((HttpResponse)state).StatusCode = StatusCodes.Status404NotFound; return Task.CompletedTask; }, response);
}
