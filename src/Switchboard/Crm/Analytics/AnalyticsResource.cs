using Switchboard.Platform.Resources;

namespace Switchboard.Crm.Analytics;

/// <summary>CRM analytics as <see cref="ResourceRegistry"/> knows them: a scope, no records of their own.</summary>
public static class AnalyticsResource
{
    public static readonly ApiResource Declaration = new("analytics") { Scope = "analytics", Formats = [new("currency", FieldFormat.Currency) { Outputs = [typeof(MoneyTotal)] }] };
}
