using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Integrations;
using Switchboard.Integrations.Catalog;

namespace Switchboard.Dashboard;

/// <summary>How the integrations pages name the catalog's values and where their pages are.</summary>
public static class IntegrationDisplay
{
    public static string ProviderPath(string key) => $"{DashboardNavigation.Marketplace}/{Uri.EscapeDataString(key)}";

    public static string InstallationPath(string id) => $"{DashboardNavigation.Integrations}/{Uri.EscapeDataString(id)}";

    public static string Category(string category) => category switch
    {
        ProviderCategory.Crm => "CRM",
        ProviderCategory.ProjectManagement => "Project management",
        _ => char.ToUpperInvariant(category[0]) + category[1..].Replace('_', ' '),
    };

    public static string AuthKind(string kind) => kind switch
    {
        ProviderAuthKind.OAuth2 => "connects with OAuth",
        ProviderAuthKind.ApiKey => "API key",
        ProviderAuthKind.Basic => "user name and password",
        ProviderAuthKind.WebhookUrl => "webhook URL",
        ProviderAuthKind.External => "set up in its own app",
        _ => "no sign-in",
    };

    /// <summary>What the provider can do, in a few words each: its actions, syncs and inbound traffic.</summary>
    public static IEnumerable<string> Capabilities(ProviderInfo provider) =>
        provider.Actions.Select(a => "action: " + a.Name)
            .Concat(provider.Syncs.Select(s => $"sync: {s.Model} ({s.Direction.Replace('_', '-')})"))
            .Concat(provider.Inbound.Select(i => "inbound: " + i));

    public static string Rating(ProviderRating rating) => rating.Average is { } average
        ? $"★ {average.ToString("0.0", CultureInfo.InvariantCulture)} of 5 ({(rating.Count == 1 ? "1 review" : $"{rating.Count.ToString(CultureInfo.InvariantCulture)} reviews")})"
        : "No reviews yet";

    public static string Stars(int rating) => new string('★', rating) + new string('☆', 5 - rating);

    /// <summary>A problem the API answered, as one sentence for a notice: each refused field named with its messages.</summary>
    public static string Describe(ProblemHttpResult problem) => problem.ProblemDetails.Extensions.TryGetValue("errors", out var errors) && errors is IDictionary<string, string[]> fields
        ? string.Join(" ", fields.Select(f => $"{f.Key}: {string.Join(" ", f.Value)}"))
        : problem.ProblemDetails.Detail ?? problem.ProblemDetails.Title ?? "Refused.";

    /// <summary>The installation's state in words, for the list and its page.</summary>
    public static string Status(string status) => status switch
    {
        InstallationStatus.Active => "Active",
        InstallationStatus.PendingAuth => "Waiting to be connected",
        InstallationStatus.NeedsReauth => "Needs to be connected again",
        InstallationStatus.Error => "Failing",
        InstallationStatus.Disabled => "Disabled",
        _ => status,
    };
}
