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

    public const string BearerScheme = "bearer";
    public const string ApiKeyScheme = "apiKey";
    public const string AdminTokenScheme = "adminToken";
    public const string OAuth2Scheme = "oauth2";

    /// <summary>The authorization server's endpoints (RFC 8414 names them too), relative to the node that serves the document.</summary>
    public const string AuthorizationPath = "/oauth/authorize";
    public const string TokenPath = "/oauth/token";

    /// <summary>Where Swagger UI's Authorize button comes back to (its own page, served with it): register it as a redirect URI.</summary>
    public const string SwaggerRedirectPath = "/api/docs/oauth2-redirect.html";

    /// <summary>The headers of every rate-limited response (see RateLimitMiddleware).</summary>
    public static readonly string[] RateLimitHeaders = ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "RateLimit-Policy", "RateLimit"];

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
                    Description = "The REST API of the CRM: its records, analytics, API keys, members, usage, webhooks and OAuth apps. " +
                                  "Authenticate with `Authorization: Bearer <API key or access token>` or `X-API-Key`, " +
                                  "or as a third-party app with an OAuth 2.0 access token (the `oauth2` scheme).",
                    License = new OpenApiLicense { Name = "MIT", Identifier = "MIT" },
                };
                return Task.CompletedTask;
            });
            ApplyConventions(o);
        });
        services.AddVersionDocuments();
        return services;
    }

    /// <summary>
    /// What every version's document shares: security schemes, the problem schema, the response headers, per-operation
    /// parameters, errors and headers (<see cref="OperationConventions"/>), examples and code samples.
    /// </summary>
    /// <param name="typeSuffix">Dropped from schema names: a later version's C# types (ContactV2Response) are that version's ContactResponse.</param>
    public static void ApplyConventions(OpenApiOptions o, string? typeSuffix = null)
    {
        // HEAD is answered wherever GET is (RFC 9110 §9.3.2: the same response without its content); it is not an
        // operation of its own.
        var include = o.ShouldInclude;
        o.ShouldInclude = d => !string.Equals(d.HttpMethod, HttpMethods.Head, StringComparison.OrdinalIgnoreCase) && include(d);
        // Optional<T> (absent / null / value) is a T on the wire: inline it rather than naming a component after it.
        o.CreateSchemaReferenceId = type => type.Type.IsGenericType && type.Type.GetGenericTypeDefinition() == typeof(Platform.Http.Optional<>)
            ? null
            : typeSuffix is null
                ? OpenApiOptions.CreateDefaultSchemaReferenceId(type)
                : OpenApiOptions.CreateDefaultSchemaReferenceId(type)?.Replace(typeSuffix, "", StringComparison.Ordinal);
        o.AddDocumentTransformer((document, _, _) =>
        {
            // The generator names the server the request came to, with a trailing slash that paths would double.
            foreach (var server in document.Servers ?? []) server.Url = server.Url?.TrimEnd('/');
            foreach (var tag in document.Tags ?? new HashSet<OpenApiTag>())
                if (tag.Name is { } name && TagDescriptions.TryGetValue(name, out var description)) tag.Description = description;
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http, Scheme = "bearer",
                Description = "An API key (sbk_…) or a JWT access token from /api/v1/auth/login.",
            };
            document.Components.SecuritySchemes[ApiKeyScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = "X-API-Key", Description = "An API key (sbk_…).",
            };
            document.Components.SecuritySchemes[AdminTokenScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = RateLimiting.PlansApi.AdminTokenHeader,
                Description = "The installation's operator token (Switchboard:Admin:Token).",
            };
            document.Components.SecuritySchemes[OAuth2Scheme] = OAuth2();
            document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
            document.Components.Schemas[OperationConventions.ProblemSchema] = ProblemSchema();
            document.Components.Headers ??= new Dictionary<string, IOpenApiHeader>();
            foreach (var (name, header) in Headers()) document.Components.Headers[name] = header;
            return Task.CompletedTask;
        });
        o.AddOperationTransformer(new OperationConventions());
        // PATCH and create bodies use Optional<T> (absent vs null vs value); in the document such a field is just a T.
        o.AddSchemaTransformer(async (schema, context, cancellationToken) =>
        {
            var type = context.JsonTypeInfo.Type;
            if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(Platform.Http.Optional<>)) return;
            var inner = await context.GetOrCreateSchemaAsync(type.GetGenericArguments()[0], null, cancellationToken);
            foreach (var property in typeof(OpenApiSchema).GetProperties().Where(p => p is { CanRead: true, CanWrite: true }))
                if (property.GetValue(inner) is { } value) property.SetValue(schema, value); // unset stays unset ("const": null would constrain)
        });
        // PATCH and create share an input whose every field may be left out (Optional<T>): none is "required" in the
        // schema; the validators decide what a create needs, and answer which field is missing.
        o.AddSchemaTransformer((schema, context, _) =>
        {
            if (schema.Required is { Count: > 0 } required)
                foreach (var property in context.JsonTypeInfo.Properties)
                    if (property.PropertyType.IsGenericType && property.PropertyType.GetGenericTypeDefinition() == typeof(Platform.Http.Optional<>))
                        required.Remove(property.Name);
            return Task.CompletedTask;
        });
        o.AddSchemaTransformer(FieldConstraints.ApplyAsync);
        // A few types have a whole example (a JWK Set's key must be a point on the curve; an app reads better as an app).
        o.AddSchemaTransformer((schema, context, _) =>
        {
            if (context.JsonPropertyInfo is null && Examples.ByType.TryGetValue(context.JsonTypeInfo.Type, out var example)) schema.Examples = [example.DeepClone()];
            return Task.CompletedTask;
        });
        // Last: examples and code samples read the finished operations (security, parameters, bodies).
        o.AddDocumentTransformer((document, _, _) =>
        {
            ResponseShapes.Apply(document);
            CodeSamples.Apply(document);
            // A version without operator endpoints (v2) does not list the admin token: a scheme nothing uses is noise.
            var used = document.Paths.Values.SelectMany(p => (p.Operations ?? []).Values).SelectMany(op => op.Security ?? [])
                .SelectMany(r => r.Keys).Select(k => (k as OpenApiSecuritySchemeReference)?.Reference.Id).ToHashSet();
            foreach (var name in document.Components?.SecuritySchemes?.Keys.Where(k => !used.Contains(k)).ToList() ?? [])
                document.Components!.SecuritySchemes!.Remove(name);
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// Third-party apps: the authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636; S256 only, as RFC 9700 §2.1.1
    /// recommends) for apps acting for a user, client credentials (RFC 6749 §4.4) for an app acting for its own
    /// organization. The URLs are relative to the node (Swagger UI resolves them against the page), so the document does
    /// not depend on the address it was fetched from. Every scope of the registry is listed.
    /// </summary>
    private static OpenApiSecurityScheme OAuth2() => new()
    {
        Type = SecuritySchemeType.OAuth2,
        Description = "An OAuth 2.0 access token of a registered app (`/api/v1/oauth/apps`), sent as `Authorization: Bearer` " +
                      "(or `Authorization: DPoP` with a DPoP proof when the token is DPoP-bound, RFC 9449). Authorization code " +
                      "requires PKCE with S256. Metadata: `/.well-known/oauth-authorization-server`.",
        Flows = new OpenApiOAuthFlows
        {
            AuthorizationCode = new OpenApiOAuthFlow
            {
                AuthorizationUrl = new Uri(AuthorizationPath, UriKind.Relative),
                TokenUrl = new Uri(TokenPath, UriKind.Relative),
                RefreshUrl = new Uri(TokenPath, UriKind.Relative),
                Scopes = ScopeDescriptions(),
            },
            ClientCredentials = new OpenApiOAuthFlow
            {
                TokenUrl = new Uri(TokenPath, UriKind.Relative),
                Scopes = ScopeDescriptions(),
            },
        },
    };

    /// <summary>Every scope a token may carry, from the resource registry, each with what it allows.</summary>
    public static Dictionary<string, string> ScopeDescriptions() =>
        OAuth.Protocol.MetadataEndpoint.ScopesSupported().ToDictionary(scope => scope, scope =>
        {
            // The consent page's words for the scope (one place), and for a developer whether a wildcard reaches it.
            var colon = scope.IndexOf(':', StringComparison.Ordinal);
            var sensitive = colon > 0 && Platform.Resources.ResourceRegistry.SensitiveScopes.Contains(scope[..colon]);
            return OAuth.Protocol.OAuthScopes.Describe(scope) + (sensitive ? " (sensitive: only this scope or admin grants it)." : ".");
        }, StringComparer.Ordinal);

    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Authentication"] = "Sign up, sign in, refresh and end sessions; who the credentials belong to.",
        ["API keys"] = "Keys for server-to-server calls: scopes, expiry, IP allowlists, rotation with a grace period, usage.",
        ["Organization"] = "The caller's organization (tenant) and its plan.",
        ["Members"] = "The people of the organization, their roles, and invitations.",
        ["Audit logs"] = "Security-relevant events: sign-ins, key changes, role changes.",
        ["Usage"] = "Requests made by the organization, by endpoint, status, hour and key, with latency and the plan quota.",
        ["Contacts"] = "People the business deals with.",
        ["Leads"] = "Prospects, until they are converted into a contact and a deal.",
        ["Deals"] = "Opportunities moving through stages to won or lost.",
        ["Activities"] = "Calls, meetings, notes and emails linked to a contact, lead or deal.",
        ["Tasks"] = "Things to do, with a due time; completing one is a state change of its own.",
        ["Tickets"] = "Support requests with a priority and a status.",
        ["Calls"] = "Phone calls: direction, numbers, duration, outcome and transcript.",
        ["Chat"] = "Chat sessions with visitors and their messages.",
        ["Payments"] = "Money received or attempted, with its life cycle.",
        ["Analytics"] = "Aggregates computed by the database over a period.",
        ["Webhooks"] = "Endpoints that receive signed events, their deliveries and the event catalog.",
        ["OAuth apps"] = "Third-party apps (OAuth 2.0 clients) of the organization: redirect URIs, allowed scopes, client secrets with rotation.",
        ["OAuth authorizations"] = "Connected apps: what users authorized apps to do, and revoking it.",
        ["Platform administration"] = "Operator endpoints of the installation, guarded by its admin token.",
        ["Integrations"] = "Third-party providers: the catalog and its reviews, installations with encrypted credentials, OAuth connections, tests and health.",
        ["Overview"] = "The organization at a glance: integrations, webhooks, API keys, requests and deliveries of the last 24 hours.",
        ["Integration rules"] = "An installation's action rules (CRM events or a schedule that run a provider's action), their runs with every attempt, and the providers' own verified requests.",
    };

    /// <summary>RFC 9457 problem details with this API's extensions (see ApiProblem).</summary>
    private static OpenApiSchema ProblemSchema() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "An RFC 9457 problem. Switch on `code`, which is stable; `detail` is for people.",
        Required = new HashSet<string> { "type", "title", "status", "code", "requestId" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri", Description = "Identifies the kind of problem; one per code." },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The HTTP status text." },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "The HTTP status code." },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What went wrong in this occurrence, in English." },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The request's method and path." },
            ["code"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String, Description = "The stable, machine-readable error code.",
                Enum = Platform.Errors.ErrorCodes.Catalog.Select(c => (System.Text.Json.Nodes.JsonNode)System.Text.Json.Nodes.JsonValue.Create(c.Code)).ToList(),
            },
            ["requestId"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The X-Request-Id of the request; quote it when asking for help." },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object, Description = "validation_failed and malformed_json: each field at fault and its messages.",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
            ["policy"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object, Description = "rate_limited: the limit that was exhausted.",
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    ["name"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["limit"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                    ["windowSeconds"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                },
            },
        },
    };

    private static IEnumerable<(string, OpenApiHeader)> Headers()
    {
        static OpenApiHeader Text(string description, string example, JsonSchemaType type = JsonSchemaType.String) =>
            new() { Description = description, Schema = new OpenApiSchema { Type = type }, Example = System.Text.Json.Nodes.JsonValue.Create(example) };
        yield return ("X-Request-Id", Text("The request's id (an incoming valid X-Request-Id is echoed); quote it when asking for help.", "req_01JD4V2Q8M3ZC5X7T9W1E6R0YB"));
        yield return ("X-RateLimit-Limit", Text("Requests allowed in the window of the policy closest to exhaustion.", "1000", JsonSchemaType.Integer));
        yield return ("X-RateLimit-Remaining", Text("Requests left in that window.", "998", JsonSchemaType.Integer));
        yield return ("X-RateLimit-Reset", Text("When that window is full again, in Unix seconds.", "1767225600", JsonSchemaType.Integer));
        yield return ("RateLimit-Policy", Text("Every policy applied, as draft-ietf-httpapi-ratelimit-headers-10 `\"name\";q=<quota>;w=<window seconds>` items.",
            "\"api_key\";q=1000;w=3600, \"plan_daily\";q=10000;w=86400"));
        yield return ("RateLimit", Text("The policy closest to exhaustion: `\"name\";r=<remaining>;t=<seconds until reset>`.", "\"api_key\";r=998;t=3"));
        yield return ("Retry-After", Text("Seconds to wait before retrying.", "30", JsonSchemaType.Integer));
        yield return ("ETag", Text("The version of the record; send it in If-Match to update safely.", "\"5f8a2c\""));
        yield return ("Location", Text("The URL of the created resource.", "/api/v1/contacts/con_01JD4V2Q8M3ZC5X7T9W1E6R0YB"));
        yield return ("Link", Text("`<url>; rel=\"next\"` when there is a next page.", "</api/v1/contacts?cursor=eyJ2IjoxfQ>; rel=\"next\""));
    }

    public static WebApplication MapApiDocs(this WebApplication app)
    {
        app.MapOpenApi(DocumentPath).AllowAnonymous();
        app.MapPostmanCollections();
        // Swashbuckle's middlewares match every request's path with a regular expression; branching on the prefix
        // first keeps that cost off the rest of the API.
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api/docs", StringComparison.OrdinalIgnoreCase), docs => docs.UseSwaggerUI(o =>
        {
            o.RoutePrefix = "api/docs";
            o.SwaggerEndpoint("/api/openapi/v1.json", "Switchboard API v1");
            o.SwaggerEndpoint("/api/openapi/v2.json", "Switchboard API v2");
            o.DocumentTitle = "Switchboard API reference";
            o.EnablePersistAuthorization();
            o.EnableTryItOutByDefault();
            // Links to an operation (#/Contacts/listContacts) open and scroll to it: past 150 tags and operations
            // Swagger UI renders only the part of the list that is on screen, so a link is how to reach one directly.
            o.EnableDeepLinking();
            // The Authorize button runs the authorization code flow with PKCE (S256) against this node; the app is a
            // public app whose redirect URI is this page's oauth2-redirect.html (SwaggerRedirectPath).
            o.OAuthUsePkce();
            o.OAuthScopeSeparator(" ");
            o.OAuthAppName("Switchboard API reference");
        }));
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api/redoc", StringComparison.OrdinalIgnoreCase), redoc => redoc.UseReDoc(o =>
        {
            o.RoutePrefix = "api/redoc";
            o.SpecUrl = "/api/openapi/v1.json";
            o.DocumentTitle = "Switchboard API";
            o.IndexStream = ReDocPage.Index;
        }));
        return app;
    }
}
