using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using Switchboard.Platform.Resources;

namespace Switchboard.Webhooks;

/// <summary>An event type: what it means, the JSON Schema of its <c>data</c>, and an example of the whole body a receiver gets.</summary>
public sealed record EventTypeInfo(string Type, string Description, JsonNode Schema, JsonNode Example);

/// <summary>
/// Every event type the platform emits, with the JSON Schema of its <c>data</c>: what the resources declare
/// (<see cref="ResourceRegistry.EventTypes"/>), in their order; nothing is listed here by hand.
/// </summary>
public static class EventTypes
{
    private static readonly IReadOnlyList<EventType> Types = ResourceRegistry.EventTypes;

    public static IReadOnlyCollection<string> All { get; } = Types.Select(t => t.Type).ToArray();

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<JsonSerializerOptions, IReadOnlyList<EventTypeInfo>> Catalogs = new();

    /// <summary>
    /// Every type with the JSON Schema of its data and an example body, as the given serializer options write it. Built once per options
    /// instance (the schemas are fixed for the life of the process); callers get copies, so nothing shared is mutated.
    /// </summary>
    public static IReadOnlyList<EventTypeInfo> Catalog(JsonSerializerOptions json) =>
        Catalogs.GetValue(json, o => Types.Select(t =>
            {
                var schema = o.GetJsonSchemaAsNode(t.Data);
                return new EventTypeInfo(t.Type, t.Description, schema, EventExamples.For(t.Type, schema));
            }).ToList())
            .Select(e => e with { Schema = e.Schema.DeepClone(), Example = e.Example.DeepClone() }).ToList();

    /// <summary>A subscription pattern: a known type, <c>prefix.*</c> of a known prefix, or <c>*</c>.</summary>
    public static bool IsValidPattern(string pattern) =>
        pattern == "*" || Types.Any(t => t.Type == pattern)
        || (pattern.EndsWith(".*", StringComparison.Ordinal) && Types.Any(t => t.Type.StartsWith(pattern[..^1], StringComparison.Ordinal)));

    public static bool Matches(IEnumerable<string> patterns, string type) => patterns.Any(p =>
        p == "*" || p == type || (p.EndsWith(".*", StringComparison.Ordinal) && type.StartsWith(p[..^1], StringComparison.Ordinal)));
}
