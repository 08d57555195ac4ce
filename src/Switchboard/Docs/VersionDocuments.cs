using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Switchboard.Platform.Versioning;

namespace Switchboard.Docs;

/// <summary>
/// The OpenAPI documents of the versions after v1 (<c>/api/openapi/v2.json</c>: the /api/v2 operations only), and what
/// every document shares: deprecated operations marked as such (<see cref="DeprecationDocumentation"/>).
/// </summary>
public static class VersionDocuments
{
    public static IServiceCollection AddVersionDocuments(this IServiceCollection services)
    {
        services.ConfigureAll<OpenApiOptions>(o => o.AddOperationTransformer<DeprecationDocumentation>());
        foreach (var version in ApiVersions.Declared.All.Where(v => v != ApiVersions.V1))
            services.AddOpenApi(version.Name, o => Configure(o, version));
        return services;
    }

    private static void Configure(OpenApiOptions o, ApiVersion version)
    {
        o.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
        o.ShouldInclude = d => ApiVersions.Declared.Of(d.RelativePath) == version;
        // ContactV2Response is "ContactResponse" in the v2 document: the suffix only tells the C# types apart.
        var suffix = char.ToUpperInvariant(version.Name[0]) + version.Name[1..];
        o.CreateSchemaReferenceId = type => OpenApiOptions.CreateDefaultSchemaReferenceId(type)?.Replace(suffix, "", StringComparison.Ordinal);
        o.AddDocumentTransformer(async (document, context, cancellationToken) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Switchboard API",
                Version = version.Name,
                Description = $"The operations that changed shape in {version.Name}; every other operation is served by v1 " +
                              "(/api/openapi/v1.json), with the same credentials. See /developers/versioning.",
            };
            // The same security schemes as v1, taken from the v1 document so that both always agree.
            var v1 = await context.ApplicationServices.GetRequiredKeyedService<IOpenApiDocumentProvider>(ApiVersions.V1.Name).GetOpenApiDocumentAsync(cancellationToken);
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            foreach (var (name, scheme) in v1.Components?.SecuritySchemes ?? new Dictionary<string, IOpenApiSecurityScheme>())
                document.Components.SecuritySchemes[name] = scheme;
            if (v1.Security is { Count: > 0 }) document.Security = v1.Security;
        });
        o.AddSchemaTransformer<OptionalAsItsValue>();
    }
}

/// <summary>
/// PATCH and create bodies use Optional&lt;T&gt; (absent vs null vs value); in a document such a field is just a T.
/// (The v1 document does the same inline in <see cref="DocsSetup"/>.)
/// </summary>
internal sealed class OptionalAsItsValue : IOpenApiSchemaTransformer
{
    public async Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(Platform.Http.Optional<>)) return;
        var inner = await context.GetOrCreateSchemaAsync(type.GetGenericArguments()[0], null, cancellationToken);
        foreach (var property in typeof(OpenApiSchema).GetProperties().Where(p => p is { CanRead: true, CanWrite: true }))
            if (property.GetValue(inner) is { } value) property.SetValue(schema, value); // unset stays unset ("const": null would constrain)
    }
}
