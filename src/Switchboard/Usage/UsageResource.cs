using Switchboard.Platform.Resources;

namespace Switchboard.Usage;

/// <summary>The organization's API usage as <see cref="ResourceRegistry"/> knows it: a scope, no records of its own.</summary>
public static class UsageResource
{
    public static readonly ApiResource Declaration = new("usage") { Scope = "usage", ScopeSubject = "API usage figures" };
}
