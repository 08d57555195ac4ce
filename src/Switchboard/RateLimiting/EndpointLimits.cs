namespace Switchboard.RateLimiting;

/// <summary>An extra per-organization limit for the endpoints it is declared on (a group's own budget).</summary>
public sealed record EndpointRateLimit(string Name, int Requests, int WindowSeconds);

/// <summary>How many tokens a request to the endpoint takes from every bucket (default 1).</summary>
public sealed record RateLimitCost(int Tokens);

/// <summary>Marks an unauthenticated endpoint limited per client IP (signup, login, token endpoints).</summary>
public sealed record PerIpRateLimit;

public static class EndpointLimitExtensions
{
    public static TBuilder WithRateLimit<TBuilder>(this TBuilder builder, string name, int requests, int windowSeconds) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new EndpointRateLimit(name, requests, windowSeconds));

    public static TBuilder WithRateLimitCost<TBuilder>(this TBuilder builder, int tokens) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RateLimitCost(tokens));

    public static TBuilder WithPerIpRateLimit<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new PerIpRateLimit());
}
