using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Switchboard.Platform.Versioning;

/// <summary>
/// In every OpenAPI document: a deprecated operation (its own <see cref="Deprecation"/> or its version's) is
/// <c>deprecated: true</c>, its description says since when and until when, and its responses list the headers it sends.
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
        // Shared problem responses are components other operations use too: a deprecated operation gets its own copy,
        // since the headers below come with its error answers as well.
        foreach (var (status, shared) in (operation.Responses ?? []).Where(r => r.Value is OpenApiResponseReference).ToList())
            if (((OpenApiResponseReference)shared).Reference.Id is { } id && context.Document?.Components?.Responses?.TryGetValue(id, out var found) == true
                && found is OpenApiResponse target)
                operation.Responses![status] = new OpenApiResponse
                {
                    Description = target.Description,
                    Content = target.Content is null ? null : new Dictionary<string, OpenApiMediaType>(target.Content),
                    Headers = target.Headers is null ? null : new Dictionary<string, IOpenApiHeader>(target.Headers),
                };
        foreach (var response in (operation.Responses ?? []).Values.OfType<OpenApiResponse>())
        {
            response.Headers ??= new Dictionary<string, IOpenApiHeader>();
            response.Headers["Deprecation"] = Header("When the operation was deprecated (RFC 9745): '@' and unix seconds.", deprecation.DeprecationHeader);
            response.Headers["Sunset"] = Header("When the operation stops working (RFC 8594), as an HTTP-date.", deprecation.SunsetHeader);
        }
        return Task.CompletedTask;
    }

    private static OpenApiHeader Header(string description, string example) => new()
    {
        Description = description,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        Example = System.Text.Json.Nodes.JsonValue.Create(example),
    };
}
