using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Switchboard.Platform.Resources;

namespace Switchboard.Docs;

/// <summary>
/// Puts into the schemas what the validators enforce on plain string fields: the allowed values of enumerations (as the
/// resources declare them, <see cref="ResourceRegistry.FieldValues"/>: the same lists the validators check against, so
/// they cannot drift apart) and the formats of emails, phone numbers, currencies and URLs (<see cref="ResourceRegistry.FieldFormats"/>).
/// </summary>
internal static class FieldConstraints
{
    public static Task ApplyAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken _)
    {
        if (context.JsonPropertyInfo is not { } property || schema.Type is not { } type || !type.HasFlag(JsonSchemaType.String)) return Task.CompletedTask;
        if (ResourceRegistry.FieldValues.TryGetValue((property.DeclaringType, property.Name), out var values))
        {
            schema.Enum = values.Select(v => (JsonNode)JsonValue.Create(v)).ToList();
            if (type.HasFlag(JsonSchemaType.Null)) schema.Enum.Add(null!); // a nullable enum must list null to allow it (JSON Schema §6.1.2)
            return Task.CompletedTask;
        }
        if (!ResourceRegistry.FieldFormats.TryGetValue((property.DeclaringType, property.Name), out var format)) return Task.CompletedTask;
        switch (format)
        {
            case FieldFormat.Email:
                schema.Format = "email";
                break;
            case FieldFormat.Phone:
                schema.Pattern = Platform.Validation.PhoneNumber.Pattern; // E.164
                schema.Description ??= "A phone number in E.164 form, e.g. +14155550123.";
                break;
            case FieldFormat.Currency:
                schema.Pattern = "^[A-Z]{3}$";
                schema.Description ??= "An ISO 4217 currency code in upper case.";
                break;
            case FieldFormat.Url:
                schema.Format = "uri";
                break;
        }
        return Task.CompletedTask;
    }
}
