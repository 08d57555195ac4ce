using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Switchboard.Docs;

/// <summary>
/// The Postman collection of an OpenAPI document at /api/postman/{documentName}.json (v1: the contract's
/// /api/postman/v1.json), generated from the document the framework generates, once per process, and pointed at the
/// node that serves it through its <c>{{baseUrl}}</c> variable.
/// </summary>
public static class PostmanApi
{
    public const string CollectionPath = "/api/postman/{documentName}.json";

    public static IServiceCollection AddPostmanCollections(this IServiceCollection services) => services.AddSingleton<PostmanCollections>();

    public static IEndpointRouteBuilder MapPostmanCollections(this IEndpointRouteBuilder app)
    {
        app.MapGet(CollectionPath, async Task<IResult> (string documentName, PostmanCollections collections, HttpRequest request, CancellationToken cancellationToken) =>
            {
                if (await collections.FindAsync(documentName, cancellationToken) is not { } generated) return TypedResults.NotFound();
                var collection = generated.DeepClone().AsObject();
                PostmanCollection.SetBaseUrl(collection, $"{request.Scheme}://{request.Host}{request.PathBase}");
                return TypedResults.Text(collection.ToJsonString(), "application/json");
            })
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }
}

/// <summary>The generated collections, by document name; each is built on first use and kept for the process's life.</summary>
public sealed class PostmanCollections(IServiceProvider services)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<JsonObject>>> _built = new(StringComparer.Ordinal);

    /// <summary>The collection of the OpenAPI document <paramref name="documentName"/>, or null when there is no such document.</summary>
    public async Task<JsonObject?> FindAsync(string documentName, CancellationToken cancellationToken)
    {
        if (services.GetKeyedService<IOpenApiDocumentProvider>(documentName) is not { } provider) return null;
        // The build is shared by every caller, so it does not stop when the first caller goes away; a failed build is
        // dropped so the next request tries again.
        var build = _built.GetOrAdd(documentName, _ => new Lazy<Task<JsonObject>>(() => BuildAsync(provider)));
        try
        {
            return await build.Value.WaitAsync(cancellationToken);
        }
        catch when (build.Value.IsFaulted)
        {
            _built.TryRemove(new KeyValuePair<string, Lazy<Task<JsonObject>>>(documentName, build));
            throw;
        }
    }

    private static async Task<JsonObject> BuildAsync(IOpenApiDocumentProvider provider)
    {
        var document = await provider.GetOpenApiDocumentAsync(CancellationToken.None);
        // Serialized as MapOpenApi serves it (OpenAPI 3.1 JSON), so the collection reads exactly the published document.
        var json = await document.SerializeAsJsonAsync(OpenApiSpecVersion.OpenApi3_1, CancellationToken.None);
        return PostmanCollection.FromOpenApi(JsonNode.Parse(json)!.AsObject());
    }
}
