using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Switchboard.Platform.Versioning;

/// <summary>
/// In every OpenAPI document: a deprecated operation (its own <see cref="Deprecation"/> or its version's) is
/// <c>deprecated: true</c> and its description says since when and until when. The headers its responses carry are added
/// with the rest of the operation's headers (<see cref="AddHeaders"/>).
/// </summary>
public sealed class DeprecationDocumentation : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var versions = context.ApplicationServices.GetRequiredService<ApiVersions>();
        var deprecation = versions.DeprecationOf(
            context.Description.ActionDescriptor.EndpointMetadata.OfType<Deprecation>().LastOrDefault(), context.Description.RelativePath);
        if (deprecation is null) return Task.CompletedTask;

        operation.Deprecated = true;
        operation.Description = string.IsNullOrEmpty(operation.Description) ? deprecation.Notice : operation.Description + "\n\n" + deprecation.Notice;
        return Task.CompletedTask;
    }

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
