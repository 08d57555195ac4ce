using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Switchboard.Platform.Versioning;

namespace Switchboard.Docs;

/// <summary>
/// The OpenAPI documents of the versions after v1 (<c>/api/openapi/v2.json</c>: the /api/v2 operations only), with the
/// same conventions as v1 (<see cref="DocsSetup.ApplyConventions"/>, which also marks deprecated operations).
/// </summary>
public static class VersionDocuments
{
    public static IServiceCollection AddVersionDocuments(this IServiceCollection services)
    {
        foreach (var version in ApiVersions.Declared.All.Where(v => v != ApiVersions.V1))
            services.AddOpenApi(version.Name, o => Configure(o, version));
        return services;
    }

    private static void Configure(OpenApiOptions o, ApiVersion version)
    {
        o.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
        o.ShouldInclude = d => ApiVersions.Declared.Of(d.RelativePath) == version;
        o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Switchboard API",
                Version = version.Name,
                Description = $"The operations that changed shape in {version.Name}; every other operation is served by v1 " +
                              "(/api/openapi/v1.json), with the same credentials. See /developers/versioning.",
                License = new OpenApiLicense { Name = "MIT", Identifier = "MIT" },
            };
            return Task.CompletedTask;
        });
        // The conventions every document shares (security, errors, headers, examples, code samples); the suffix only
        // tells the C# types apart: ContactV2Response is "ContactResponse" in the v2 document.
        DocsSetup.ApplyConventions(o, char.ToUpperInvariant(version.Name[0]) + version.Name[1..]);
    }
}
