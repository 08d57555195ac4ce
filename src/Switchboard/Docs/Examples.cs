using System.Collections.Frozen;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Switchboard.Platform.Resources;

namespace Switchboard.Docs;

/// <summary>
/// Example values built from the schemas themselves, so every request body and response in the document has an
/// example that stays in step with the code. Field names pick realistic values that pass the API's validation
/// (E.164 phone numbers, ISO 4217 currencies, lower-case enumerations, ids with the right prefix).
/// </summary>
internal static class Examples
{
    private const int MaxDepth = 6;

    /// <summary>
    /// Id prefixes of the fields that hold a record's id, as the resources declare them; an audit entry's
    /// <c>targetId</c> names a record of any kind, and its example a contact.
    /// </summary>
    private static readonly FrozenDictionary<string, string> IdPrefixes =
        ResourceRegistry.PrefixByIdField.Append(new("targetId", ResourceRegistry.Named("contact").IdPrefix!)).ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The sample id for a path's record, by the collection the path names.</summary>
    public static string IdFor(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var index = Array.FindIndex(segments, s => s.StartsWith('{'));
        var collection = index > 0 ? segments[index - 1] : "";
        return ResourceRegistry.PrefixByCollection.GetValueOrDefault(collection, "id") + "_01JD4V2Q8M3ZC5X7T9W1E6R0YB";
    }

    /// <summary>Prefixes of the ids of the records each response schema describes (schemas are named after their types).</summary>
    private static readonly FrozenDictionary<string, string> RecordPrefixes = ResourceRegistry.PrefixByRepresentation;

    /// <summary>A JWK Set of one real P-256 public key: what an app registers for <c>private_key_jwt</c>.</summary>
    public static readonly JsonObject JwkSetExample = new()
    {
        ["keys"] = new JsonArray(new JsonObject
        {
            ["kty"] = "EC", ["kid"] = "2026-11", ["use"] = "sig", ["alg"] = "ES256", ["crv"] = "P-256",
            ["x"] = "GPlfHY_bX79PMdv17PgR_qsZATFFrsfTJHl6M3HDANo", ["y"] = "Ww35CiJrdRgM9uGQgVC813ZEv8-Ng8M_4uTHFkCPm3k",
        }),
    };

    /// <summary>Whole examples of types whose generated one would read oddly or fail validation, by type.</summary>
    public static readonly FrozenDictionary<Type, JsonObject> ByType = new Dictionary<Type, JsonObject>
    {
        [typeof(OAuth.JwkSet)] = JwkSetExample,
        [typeof(OAuth.OAuthAppInput)] = new()
        {
            ["name"] = "Scheduler",
            ["description"] = "Books meetings with your contacts and logs them as activities.",
            ["homepageUrl"] = "https://scheduler.example.com",
            ["logoUrl"] = "https://scheduler.example.com/logo.png",
            ["redirectUris"] = new JsonArray("https://scheduler.example.com/oauth/callback", "http://127.0.0.1/callback"),
            ["scopes"] = new JsonArray("contacts:read", "activities:write"),
            ["type"] = "confidential",
            ["jwks"] = JwkSetExample.DeepClone(),
        },
    }.Concat(Integrations.IntegrationExamples.ByType).ToFrozenDictionary();

    public static JsonNode? For(IOpenApiSchema? schema, OpenApiDocument document, bool forInput, string? name = null, int depth = 0, string? record = null)
    {
        if (schema is OpenApiSchemaReference { Reference.Id: { } referenced }) record = referenced;
        schema = Resolve(schema, document);
        if (schema is null || depth > MaxDepth) return null;
        if (schema.Examples is { Count: > 0 } given) return given[0]?.DeepClone();
        if (schema.Default is { } fallback) return fallback.DeepClone();
        if (schema.Enum is { Count: > 0 } values) return values.FirstOrDefault(v => v is not null)?.DeepClone();
        if (schema.AllOf is { Count: > 0 } all)
        {
            var merged = new JsonObject();
            foreach (var part in all)
                if (For(part, document, forInput, name, depth + 1) is JsonObject o)
                    foreach (var (k, v) in o) merged[k] = v?.DeepClone();
            return merged;
        }
        if ((schema.OneOf ?? schema.AnyOf) is { Count: > 0 } choices)
            return For(choices.FirstOrDefault(c => Resolve(c, document)?.Type != JsonSchemaType.Null), document, forInput, name, depth + 1);

        var type = schema.Type ?? (schema.Properties is { Count: > 0 } ? JsonSchemaType.Object : JsonSchemaType.String);
        if (type.HasFlag(JsonSchemaType.Object))
        {
            if (schema.Properties is { Count: > 0 } properties)
            {
                var result = new JsonObject();
                foreach (var (property, propertySchema) in properties)
                {
                    // Inputs show what a client sends: server-managed fields stay out, and so does a webhook secret (better generated).
                    if (forInput && property is "id" or "createdAt" or "updatedAt" or "secret") continue;
                    result[property] = property == "id" && record is not null && RecordPrefixes.TryGetValue(record, out var prefix)
                        ? prefix + "_01JD4V2Q8M3ZC5X7T9W1E6R0YB"
                        : For(propertySchema, document, forInput, property, depth + 1);
                }
                return result;
            }
            if (schema.AdditionalProperties is { } values2)
                return new JsonObject { [name == "headers" ? "X-Team" : "source"] = For(values2, document, forInput, name == "headers" ? "header" : "metadata", depth + 1) };
            return new JsonObject();
        }
        if (type.HasFlag(JsonSchemaType.Array))
        {
            var item = For(schema.Items, document, forInput, Singular(name), depth + 1);
            return item is null ? new JsonArray() : new JsonArray(item);
        }
        if (type.HasFlag(JsonSchemaType.Integer)) return Integer(name);
        if (type.HasFlag(JsonSchemaType.Number)) return Number(name);
        if (type.HasFlag(JsonSchemaType.Boolean)) return name is not "hasMore";
        if (type.HasFlag(JsonSchemaType.String)) return Text(name, schema.Format);
        return null;
    }

    /// <summary>
    /// The example of a scalar field named <paramref name="name"/> of a JSON Schema <paramref name="type"/>
    /// (<c>integer</c>, <c>number</c>, <c>boolean</c>, <c>string</c>): the values the document uses, for other schema
    /// walkers (the webhook event catalog's example payloads).
    /// </summary>
    internal static JsonNode? Scalar(string type, string? name, string? format) => type switch
    {
        "integer" => Integer(name),
        "number" => Number(name),
        "boolean" => true,
        "string" => Text(name, format),
        _ => null,
    };

    internal static string? SingularOf(string? name) => Singular(name);

    private static IOpenApiSchema? Resolve(IOpenApiSchema? schema, OpenApiDocument document) =>
        schema is OpenApiSchemaReference { Reference.Id: { } id } && document.Components?.Schemas?.TryGetValue(id, out var target) == true ? target : schema;

    private static string? Singular(string? name) => name switch
    {
        "scopes" => "scope",
        "events" => "event",
        "allowedIps" => "allowedIp",
        "redirectUris" => "redirectUri",
        _ => name,
    };

    private static JsonNode Integer(string? name) => name switch
    {
        "score" => 72,
        "probability" => 60,
        "durationSeconds" => 245,
        "requests" => 1000,
        "windowSeconds" => 3600,
        "dailyQuota" or "dailyLimit" => 10000,
        "gracePeriodSeconds" => 86400,
        "maxDeliveriesPerSecond" => 10,
        "expiresIn" => 900,
        "status" or "statusCode" or "lastStatusCode" => 200,
        "latencyMs" => 42,
        _ => 1,
    };

    private static JsonNode Number(string? name) => name switch
    {
        "amount" => 1250.5,
        "conversionRate" or "leadConversionRate" or "successRateLast24h" => 0.25,
        _ => 1.5,
    };

    private static JsonNode? Text(string? name, string? format)
    {
        if (name is not null && IdPrefixes.TryGetValue(name, out var prefix)) return prefix + "_01JD4V2Q8M3ZC5X7T9W1E6R0YB";
        switch (format)
        {
            // Times a client sets are in the future (a key's expiry, a task's due time); the rest read as recent.
            case "date-time" when name is "expiresAt" or "dueAt" or "nextAttemptAt" or "nextRetryAt" or "resetsAt": return "2027-06-30T17:00:00Z";
            case "date-time": return "2026-11-22T09:30:00Z";
            case "date": return "2026-12-15";
            case "email": return "ada.lovelace@example.com";
            case "uri": return name switch
            {
                "homepageUrl" or "appHomepageUrl" => "https://scheduler.example.com",
                "logoUrl" or "appLogoUrl" => "https://scheduler.example.com/logo.png",
                _ => "https://hooks.example.com/switchboard",
            };
        }
        return name switch
        {
            "id" => "con_01JD4V2Q8M3ZC5X7T9W1E6R0YB",
            "email" or "visitorEmail" => "ada.lovelace@example.com",
            "phone" or "fromNumber" => "+14155550123",
            "toNumber" => "+14155550188",
            "currency" => "USD",
            "firstName" => "Ada",
            "lastName" => "Lovelace",
            "name" or "visitorName" or "authorName" => "Ada Lovelace",
            "company" => "Analytical Engines Ltd",
            "jobTitle" => "Head of Operations",
            "organizationName" => "Analytical Engines Ltd",
            "password" => "correct horse battery staple",
            "title" => "Send the proposal",
            "subject" => "Question about my invoice",
            "description" or "notes" => "Met at the trade fair; interested in the annual plan.",
            "body" => "Hello, can you tell me more about the annual plan?",
            "transcript" => "Agent: Hello, how can I help?\nCaller: I'd like to upgrade my plan.",
            "transcriptLanguage" or "language" => "en",
            "source" => "website",
            "outcome" => "interested",
            "failureReason" => "card_declined",
            "externalId" => "ch_3PZ8xK2eZvKYlo2C",
            "url" => "https://hooks.example.com/switchboard",
            "scope" => "contacts:read",
            "event" => "contact.created",
            "allowedIp" => "203.0.113.0/24",
            "header" => "sales",
            "metadata" => "website",
            "secret" => "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "token" or "accessToken" => "eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9…",
            "refreshToken" => "rt_01JD4V2Q8M3ZC5X7T9W1E6R0YB.nQ8…",
            "tokenType" => "Bearer",
            "key" => "sbk_…",
            "keyPrefix" => "sbk_4f9Q",
            "redirectUri" => "https://scheduler.example.com/oauth/callback",
            "clientId" => "sbc_3q2Vx9Kf0hZt7YpLmN4wRb8c",
            "clientSecret" => "sbs_…",
            "secretPrefix" => "sbs_Jq8Xv2Lp",
            "appName" => "Scheduler",
            "nextCursor" => null,
            "method" => "GET",
            "route" => "/api/v1/contacts",
            _ => "string",
        };
    }
}
