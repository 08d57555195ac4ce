using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Switchboard.Docs;

/// <summary>
/// The OpenAPI 3.1 document of every /api/v1 operation, generated from the endpoints themselves
/// (Microsoft.AspNetCore.OpenApi), at /api/openapi/v1.json; the interactive reference at /api/docs and the reading
/// view at /api/redoc.
/// </summary>
public static class DocsSetup
{
    public const string DocumentPath = "/api/openapi/{documentName}.json";

    public static IServiceCollection AddApiDocs(this IServiceCollection services)
    {
        services.AddOpenApi("v1", o =>
        {
            o.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            o.ShouldInclude = d => d.RelativePath?.StartsWith("api/v1/", StringComparison.Ordinal) == true || d.RelativePath == "api/v1";
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Switchboard API",
                    Version = "v1",
                    Description = "The REST API of the CRM: its records, analytics, API keys, members, usage and webhooks. " +
                                  "Authenticate with `Authorization: Bearer <API key or access token>` or `X-API-Key`.",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http, Scheme = "bearer",
                    Description = "An API key (sbk_…) or a JWT access token from /api/v1/auth/login.",
                };
                document.Components.SecuritySchemes["apiKey"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = "X-API-Key",
                };
                return Task.CompletedTask;
            });
            // PATCH and create bodies use Optional<T> (absent vs null vs value); in the document such a field is just a T.
            o.AddSchemaTransformer(async (schema, context, cancellationToken) =>
            {
                var type = context.JsonTypeInfo.Type;
                if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(Platform.Http.Optional<>)) return;
                var inner = await context.GetOrCreateSchemaAsync(type.GetGenericArguments()[0], null, cancellationToken);
                foreach (var property in typeof(OpenApiSchema).GetProperties().Where(p => p is { CanRead: true, CanWrite: true }))
                    if (property.GetValue(inner) is { } value) property.SetValue(schema, value); // unset stays unset ("const": null would constrain)
            });
        });
        return services;
    }

    public static WebApplication MapApiDocs(this WebApplication app)
    {
        app.MapOpenApi(DocumentPath).AllowAnonymous();
        app.MapPostmanCollections();
        app.UseSwaggerUI(o =>
        {
            o.RoutePrefix = "api/docs";
            o.SwaggerEndpoint("/api/openapi/v1.json", "Switchboard API v1");
            o.DocumentTitle = "Switchboard API reference";
            o.EnablePersistAuthorization();
            o.EnableTryItOutByDefault();
        });
        app.UseReDoc(o =>
        {
            o.RoutePrefix = "api/redoc";
            o.SpecUrl = "/api/openapi/v1.json";
            o.DocumentTitle = "Switchboard API";
            o.IndexStream = ReDocPage.Index;
        });
        return app;
    }
}
