using System.Text.Json.Nodes;
using Switchboard.Docs;
using Switchboard.Platform.Outbox;

namespace Switchboard.Webhooks;

/// <summary>
/// An example of what a receiver gets for an event type, built from the JSON Schema of its data (the catalog's own), with
/// the field values the OpenAPI document's examples use (<see cref="Examples.Scalar"/>), and wrapped as a delivery is
/// (<see cref="WebhookDeliveries.Payload"/>), so the example and the real body cannot drift apart.
/// </summary>
internal static class EventExamples
{
    private const int MaxDepth = 6;
    private const string SampleEventId = "evt_01JD4V2Q8M3ZC5X7T9W1E6R0YB";
    private static readonly DateTime SampleTime = new(2026, 11, 22, 9, 30, 0, DateTimeKind.Utc);

    public static JsonNode For(string type, JsonNode schema)
    {
        var data = Value(schema, null, 0) ?? new JsonObject();
        string? previous = null;
        // An update carries the old values of the fields that changed: the example changes the first ordinary field.
        if (type.EndsWith(".updated", StringComparison.Ordinal) && data is JsonObject fields
            && fields.FirstOrDefault(f => f.Key is not ("id" or "createdAt" or "updatedAt") && f.Value is JsonValue) is { Key: { } changed, Value: { } old })
            previous = new JsonObject { [changed] = old.DeepClone() }.ToJsonString();
        var evt = new OutboxEvent
        {
            Id = SampleEventId, OrganizationId = "", Type = type, ResourceType = "", ResourceId = "", Data = data.ToJsonString(),
            PreviousAttributes = previous, CreatedAt = SampleTime,
        };
        return JsonNode.Parse(WebhookDeliveries.Payload(evt))!;
    }

    private static JsonNode? Value(JsonNode? node, string? name, int depth)
    {
        if (node is not JsonObject schema || depth > MaxDepth) return null;
        if (schema["enum"] is JsonArray values) return values.FirstOrDefault(v => v is not null)?.DeepClone();
        if ((schema["anyOf"] ?? schema["oneOf"]) is JsonArray choices)
            return Value(choices.FirstOrDefault(c => TypeOf(c as JsonObject) is not (null or "null")), name, depth + 1);
        switch (TypeOf(schema))
        {
            case "object":
                var result = new JsonObject();
                if (schema["properties"] is JsonObject properties)
                    foreach (var (property, propertySchema) in properties)
                        result[property] = Value(propertySchema, property, depth + 1);
                return result;
            case "array":
                return Value(schema["items"], Examples.SingularOf(name), depth + 1) is { } item ? new JsonArray(item) : new JsonArray();
            case { } scalar:
                return Examples.Scalar(scalar, name, schema["format"]?.GetValue<string>());
            default:
                return null;
        }
    }

    /// <summary>The schema's type, the first that is not <c>null</c> when it lists several (a nullable field).</summary>
    private static string? TypeOf(JsonObject? schema) => schema?["type"] switch
    {
        JsonValue one => one.GetValue<string>(),
        JsonArray many => many.Select(t => t?.GetValue<string>()).FirstOrDefault(t => t is not "null") ?? "null",
        _ => schema?["properties"] is not null ? "object" : null,
    };
}
