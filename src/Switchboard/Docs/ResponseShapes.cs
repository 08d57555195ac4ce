using Microsoft.OpenApi;

namespace Switchboard.Docs;

/// <summary>
/// Corrections the generator cannot know: responses of operations that take <c>fields</c> may hold only the selected
/// fields, and a nullable JSON value (already "any JSON", null included) must not be a oneOf of null and itself,
/// which no value could satisfy exactly once.
/// </summary>
internal static class ResponseShapes
{
    public const string PartialRecord = "PartialRecord";
    public const string PartialList = "PartialList";

    public static void Apply(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        foreach (var schema in document.Components.Schemas.Values.OfType<OpenApiSchema>())
            foreach (var (name, property) in (schema.Properties ?? new Dictionary<string, IOpenApiSchema>()).ToList())
                if (property.OneOf is { Count: 2 } choices && choices.Any(c => c.Type == JsonSchemaType.Null)
                    && choices.FirstOrDefault(c => c is OpenApiSchemaReference) is OpenApiSchemaReference { Reference.Id: "JsonElement" or "JsonNode" } anyJson)
                    schema.Properties![name] = anyJson;

        var partialRecord = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "A record reduced to the fields named in `fields` (and its id).",
            Required = new HashSet<string> { "id" },
            Properties = new Dictionary<string, IOpenApiSchema> { ["id"] = new OpenApiSchema { Type = JsonSchemaType.String } },
        };
        var partialList = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "A page of records reduced to the fields named in `fields`.",
            Required = new HashSet<string> { "data", "hasMore", "nextCursor" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["data"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchemaReference(PartialRecord, document) },
                ["hasMore"] = new OpenApiSchema { Type = JsonSchemaType.Boolean },
                ["nextCursor"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
            },
        };
        var used = false;
        foreach (var item in document.Paths.Values)
            foreach (var operation in (item.Operations ?? []).Values)
            {
                if (operation.Parameters?.Any(p => p.In == ParameterLocation.Query && p.Name == "fields") != true) continue;
                if (operation.Responses is null || !operation.Responses.TryGetValue("200", out var ok) || ok is not OpenApiResponse { Content: { } content }) continue;
                if (!content.TryGetValue("application/json", out var media) || media.Schema is not { } full) continue;
                var isList = full is OpenApiSchemaReference { Reference.Id: { } id } && id.StartsWith("ListResponseOf", StringComparison.Ordinal);
                media.Schema = new OpenApiSchema
                {
                    AnyOf = [full, new OpenApiSchemaReference(isList ? PartialList : PartialRecord, document)],
                };
                used = true;
            }
        if (!used) return;
        document.Components.Schemas[PartialRecord] = partialRecord;
        document.Components.Schemas[PartialList] = partialList;
    }
}
