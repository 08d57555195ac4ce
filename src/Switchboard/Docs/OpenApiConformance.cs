using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Switchboard.Docs;

/// <summary>
/// What every OpenAPI document needs to pass an independent linter (Redocly's recommended rules, run by the test suite),
/// applied after <see cref="DocsSetup"/>'s own transformers, so each step only fills in what is still missing:
/// <list type="bullet">
/// <item>server URLs without a trailing slash: the framework writes <c>http://host/</c>, and a client joining it with
/// <c>/api/v1/…</c> gets <c>//api/v1/…</c>;</item>
/// <item>component names made only of the characters OpenAPI allows (<c>^[a-zA-Z0-9.\-_]+$</c>, OAS 3.1 §4.8.7.1): the
/// framework's id for <c>Optional&lt;string[]&gt;</c> is <c>OptionalOfString[]</c>;</item>
/// <item>a security requirement on every operation that has none: bearer or <c>X-API-Key</c> where the endpoint requires
/// authorization, the empty requirement (<c>{}</c>, "no credentials") where it allows anonymous callers. Swagger UI only
/// sends the credentials entered under Authorize to operations that declare them.</item>
/// </list>
/// </summary>
public static partial class OpenApiConformance
{
    private const string BearerScheme = "bearer";
    private const string ApiKeyScheme = "apiKey";

    public static IServiceCollection AddApiDocsConformance(this IServiceCollection services)
    {
        services.ConfigureAll<OpenApiOptions>(o =>
        {
            var createId = o.CreateSchemaReferenceId;
            o.CreateSchemaReferenceId = type => createId(type) is { } id ? ComponentName(id) : null;
            o.AddOperationTransformer((operation, context, _) =>
            {
                if (operation.Security is not null) return Task.CompletedTask;
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                var authorized = !metadata.OfType<IAllowAnonymous>().Any() &&
                                 (metadata.OfType<IAuthorizeData>().Any() || metadata.OfType<AuthorizationPolicy>().Any());
                operation.Security = authorized
                    ?
                    [
                        new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] },
                        new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyScheme, context.Document)] = [] },
                    ]
                    : [new OpenApiSecurityRequirement()];
                return Task.CompletedTask;
            });
            o.AddDocumentTransformer((document, _, _) =>
            {
                foreach (var server in document.Servers ?? [])
                    if (server.Url is { Length: > 1 } url && url.EndsWith('/')) server.Url = url.TrimEnd('/');
                return Task.CompletedTask;
            });
        });
        return services;
    }

    /// <summary><c>OptionalOfString[]</c> → <c>OptionalOfStringArray</c>; any other character outside the allowed set is dropped.</summary>
    internal static string ComponentName(string id) => NotAllowed().Replace(id.Replace("[]", "Array", StringComparison.Ordinal), "");

    [GeneratedRegex(@"[^a-zA-Z0-9.\-_]")]
    private static partial Regex NotAllowed();
}
