using Microsoft.OpenApi;

namespace Switchboard.Platform.Versioning;

/// <summary>
/// How a deprecated operation's responses are documented. <c>OperationConventions</c>, which every OpenAPI document
/// applies, marks the operation <c>deprecated: true</c> with its notice and adds these headers where it builds the
/// operation's responses.
/// </summary>
public static class DeprecationDocumentation
{
    /// <summary>
    /// The headers every response of a deprecated operation carries, errors included; <c>OperationConventions</c> adds them
    /// where it builds the operation's responses (and gives its problem responses components of their own).
    /// </summary>
    public static void AddHeaders(OpenApiResponse response, Deprecation deprecation)
    {
        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        response.Headers["Deprecation"] = Header("When the operation was deprecated (RFC 9745): '@' and unix seconds.", deprecation.DeprecationHeader);
        response.Headers["Sunset"] = Header("When the operation stops working (RFC 8594), as an HTTP-date.", deprecation.SunsetHeader);
    }

    private static OpenApiHeader Header(string description, string example) => new()
    {
        Description = description,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        Example = System.Text.Json.Nodes.JsonValue.Create(example),
    };
}
