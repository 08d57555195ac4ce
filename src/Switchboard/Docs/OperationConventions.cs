using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Versioning;
using Switchboard.RateLimiting;

namespace Switchboard.Docs;

/// <summary>
/// Makes each operation say what the running endpoint does, from the endpoint's own metadata rather than from
/// hand-written per-operation docs: who may call it (security, scope), the query and header parameters it reads,
/// every problem+json response it can answer (grouped by status, with the exact <c>code</c>s), and the headers that
/// come with its responses (request id, rate limits, ETag, Location, Link, and Deprecation/Sunset on deprecated operations,
/// which are also marked <c>deprecated: true</c>).
/// </summary>
internal sealed class OperationConventions : IOpenApiOperationTransformer
{
    public const string ProblemSchema = "Problem";

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var method = context.Description.HttpMethod?.ToUpperInvariant() ?? "GET";
        var path = context.Description.RelativePath ?? "";
        var document = context.Document;
        var deprecation = context.ApplicationServices.GetRequiredService<ApiVersions>().DeprecationOf(metadata.OfType<Deprecation>().LastOrDefault(), path);
        var shape = Shape.Of(metadata, method, path, context.Description.ParameterDescriptions.Any(p => p.Source.Id == "Body"), deprecation);

        Describe(operation, shape, document);
        AddParameters(operation, shape);
        AddResponses(operation, document, shape);
        return Task.CompletedTask;
    }

    /// <summary>What an endpoint is, as far as the conventions of the API go.</summary>
    internal sealed record Shape(
        string Method, bool Authenticated, bool AdminToken, IReadOnlyList<string> Scopes, bool PerIpLimited, bool HasBody, bool HasPathId,
        bool Paged, ConditionalRequestDoc? Conditional, IReadOnlyList<string> DeclaredErrors, IReadOnlyList<QueryParameterDoc> Query,
        Deprecation? Deprecation)
    {
        public static Shape Of(IList<object> metadata, string method, string path, bool hasBody, Deprecation? deprecation = null)
        {
            var anonymous = metadata.OfType<IAllowAnonymous>().Any();
            var scopes = metadata.OfType<AuthorizationPolicy>().SelectMany(p => p.Requirements.OfType<ScopeRequirement>())
                .Select(r => r.Scope).Distinct(StringComparer.Ordinal).ToList();
            var authenticated = !anonymous && (scopes.Count > 0 || metadata.OfType<IAuthorizeData>().Any() || metadata.OfType<AuthorizationPolicy>().Any());
            var query = metadata.OfType<QueryParameterDoc>().ToList();
            return new Shape(method, authenticated, metadata.OfType<AdminTokenDoc>().Any(), scopes, metadata.OfType<PerIpRateLimit>().Any(), hasBody,
                path.Contains('{', StringComparison.Ordinal), query.Any(q => q.Name == "cursor"), metadata.OfType<ConditionalRequestDoc>().LastOrDefault(),
                metadata.OfType<DocumentedErrors>().SelectMany(e => e.Codes).ToList(), query, deprecation);
        }

        public bool RateLimited => Authenticated || PerIpLimited;

        /// <summary>Every problem code the endpoint can answer: inferred from its shape, plus those it declares.</summary>
        public SortedSet<string> ErrorCodes()
        {
            var codes = new SortedSet<string>(StringComparer.Ordinal) { Platform.Errors.ErrorCodes.InternalError, Platform.Errors.ErrorCodes.ServiceUnavailable };
            if (Authenticated)
            {
                codes.UnionWith([
                    Platform.Errors.ErrorCodes.Unauthorized, Platform.Errors.ErrorCodes.InvalidToken, Platform.Errors.ErrorCodes.InvalidApiKey,
                    Platform.Errors.ErrorCodes.ApiKeyExpired, Platform.Errors.ErrorCodes.ApiKeyRevoked, Platform.Errors.ErrorCodes.IpNotAllowed,
                ]);
                if (Scopes.Count > 0) codes.Add(Platform.Errors.ErrorCodes.InsufficientScope);
                if (Method == "POST")
                    codes.UnionWith([Platform.Errors.ErrorCodes.IdempotencyKeyInvalid, Platform.Errors.ErrorCodes.IdempotencyKeyReused,
                        Platform.Errors.ErrorCodes.IdempotencyRequestInProgress]);
            }
            if (AdminToken) codes.Add(Platform.Errors.ErrorCodes.Unauthorized);
            if (RateLimited) codes.Add(Platform.Errors.ErrorCodes.RateLimited);
            if (HasBody)
                codes.UnionWith([Platform.Errors.ErrorCodes.ValidationFailed, Platform.Errors.ErrorCodes.MalformedJson,
                    Platform.Errors.ErrorCodes.UnsupportedMediaType, Platform.Errors.ErrorCodes.PayloadTooLarge]);
            if (Query.Count > 0) codes.Add(Platform.Errors.ErrorCodes.ValidationFailed);
            if (HasPathId) codes.Add(Platform.Errors.ErrorCodes.NotFound);
            if (Conditional?.IfMatch == true) codes.Add(Platform.Errors.ErrorCodes.PreconditionFailed);
            codes.UnionWith(DeclaredErrors);
            return codes;
        }
    }

    private static void Describe(OpenApiOperation operation, Shape shape, OpenApiDocument? document)
    {
        var lines = new List<string>();
        if (!string.IsNullOrEmpty(operation.Description)) lines.Add(operation.Description);
        if (shape.Scopes.Count > 0)
            lines.Add($"Requires the {string.Join(" and ", shape.Scopes.Select(s => $"`{s}`"))} scope{(shape.Scopes.Count > 1 ? "s" : "")}.");
        else if (shape.Authenticated) lines.Add("Requires any valid credentials.");
        else if (shape.AdminToken) lines.Add($"Operator endpoint: requires the `{PlansApi.AdminTokenHeader}` header with the installation's admin token.");
        else lines.Add("Needs no credentials." + (shape.PerIpLimited ? " Limited per client IP address." : ""));
        if (shape.Paged) lines.Add("Paginated: follow `nextCursor` (or the `Link: rel=\"next\"` header) while `hasMore` is true.");
        // A deprecated operation (its own Deprecation or its version's) says since when and until when.
        if (shape.Deprecation is { } deprecation) lines.Add(deprecation.Notice);
        operation.Description = string.Join("\n\n", lines);
        if (shape.Deprecation is not null) operation.Deprecated = true;

        if (shape.AdminToken)
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(DocsSetup.AdminTokenScheme, document)] = [] }];
        else if (shape.Authenticated)
            operation.Security =
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(DocsSetup.BearerScheme, document)] = [] },
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(DocsSetup.ApiKeyScheme, document)] = [] },
                // An app's token needs the operation's scope among those granted (RFC 6749 §3.3).
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(DocsSetup.OAuth2Scheme, document)] = [.. shape.Scopes] },
            ];
        else operation.Security = [];
    }

    private static void AddParameters(OpenApiOperation operation, Shape shape)
    {
        operation.Parameters ??= [];
        foreach (var parameter in operation.Parameters.OfType<OpenApiParameter>().Where(p => p.In == ParameterLocation.Path && string.IsNullOrEmpty(p.Description)))
            parameter.Description = parameter.Name == "id" ? "The record's id." : $"The {parameter.Name}.";

        foreach (var q in shape.Query)
        {
            if (operation.Parameters.Any(p => p.Name == q.Name && p.In == ParameterLocation.Query)) continue;
            var schema = new OpenApiSchema { Type = TypeOf(q.Type), Format = q.Format };
            if (q.Enum is { Count: > 0 }) schema.Enum = q.Enum.Select(v => (JsonNode)JsonValue.Create(v)).ToList();
            if (q.Minimum is { } min) schema.Minimum = min.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (q.Maximum is { } max) schema.Maximum = max.ToString(System.Globalization.CultureInfo.InvariantCulture);
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = q.Name, In = ParameterLocation.Query, Required = q.Required, Description = q.Description, Schema = schema,
                Example = q.Example is null ? null : q.Type is "integer" or "number" ? JsonNode.Parse(q.Example) : JsonValue.Create(q.Example),
            });
        }

        if (shape.Authenticated && shape.Method == "POST")
            operation.Parameters.Add(Header("Idempotency-Key",
                "Makes a retry safe: the same key with the same body replays the first response (`Idempotent-Replayed: true`) for at least 24 hours; " +
                "with another body it answers 422, and while the first request runs, 409. 1–255 visible ASCII characters; use a UUID.",
                example: "5d1f6f5e-8f1c-4a53-9a55-0d7a1d6b4f0e"));
        if (shape.Conditional is { IfMatch: true } && shape.Method is "PATCH" or "DELETE" or "POST")
            operation.Parameters.Add(Header("If-Match", "Apply only if the record's current `ETag` matches (else 412), so concurrent edits are not lost.",
                example: "\"5f8a2c\""));
        if (shape.Conditional is { IfNoneMatch: true } && shape.Method == "GET")
            operation.Parameters.Add(Header("If-None-Match", "Answer 304 with no body when the record's `ETag` still matches.", example: "\"5f8a2c\""));
    }

    private static OpenApiParameter Header(string name, string description, string? example) => new()
    {
        Name = name, In = ParameterLocation.Header, Required = false, Description = description,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String }, Example = example is null ? null : JsonValue.Create(example),
    };

    private static JsonSchemaType TypeOf(string type) => type switch
    {
        "integer" => JsonSchemaType.Integer,
        "number" => JsonSchemaType.Number,
        "boolean" => JsonSchemaType.Boolean,
        _ => JsonSchemaType.String,
    };

    private static void AddResponses(OpenApiOperation operation, OpenApiDocument? document, Shape shape)
    {
        operation.Responses ??= new OpenApiResponses();
        foreach (var (status, response) in operation.Responses.ToList())
        {
            if (response is not OpenApiResponse concrete || !status.StartsWith('2')) continue;
            concrete.Headers ??= new Dictionary<string, IOpenApiHeader>();
            AddCommonHeaders(concrete, document, shape);
            if (status == "201") concrete.Headers["Location"] = new OpenApiHeaderReference("Location", document);
            if (shape.Conditional is { ETag: true } && status is "200" or "201") concrete.Headers["ETag"] = new OpenApiHeaderReference("ETag", document);
            if (shape.Paged && status == "200") concrete.Headers["Link"] = new OpenApiHeaderReference("Link", document);
        }
        if (shape.Conditional is { IfNoneMatch: true } && shape.Method == "GET")
        {
            var notModified = new OpenApiResponse { Description = "Not Modified: the `If-None-Match` ETag is current.", Headers = new Dictionary<string, IOpenApiHeader>() };
            AddCommonHeaders(notModified, document, shape);
            notModified.Headers["ETag"] = new OpenApiHeaderReference("ETag", document);
            operation.Responses["304"] = notModified;
        }

        // Problems are shared components, one per (status, codes, headers): many operations answer the same set, and
        // inlining them would repeat the same few kilobytes under almost every operation.
        foreach (var group in shape.ErrorCodes().GroupBy(OperationDocsExtensions.StatusOf).OrderBy(g => g.Key))
        {
            var codes = group.ToList();
            // 401 is decided before any limit is counted (no caller, no bucket), so it carries no rate-limit headers.
            var limited = shape.RateLimited && group.Key != 401;
            // A deprecated operation's errors carry its Deprecation and Sunset headers too, so they are components of their own.
            var name = $"{group.Key}-{string.Join('-', codes)}{(limited ? "-limited" : "")}" +
                (shape.Deprecation is { } deprecated ? "-deprecated-" + deprecated.ChangelogAnchor : "");
            if (document is not null)
            {
                document.Components ??= new OpenApiComponents();
                document.Components.Responses ??= new Dictionary<string, IOpenApiResponse>();
                if (!document.Components.Responses.ContainsKey(name))
                    document.Components.Responses[name] = ProblemResponse(group.Key, codes, limited, shape.Deprecation, document);
                operation.Responses[group.Key.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new OpenApiResponseReference(name, document);
            }
            else operation.Responses[group.Key.ToString(System.Globalization.CultureInfo.InvariantCulture)] = ProblemResponse(group.Key, codes, limited, shape.Deprecation, null);
        }
    }

    private static OpenApiResponse ProblemResponse(int status, List<string> codes, bool limited, Deprecation? deprecation, OpenApiDocument? document)
    {
        var schema = new OpenApiSchema
        {
            AllOf =
            [
                new OpenApiSchemaReference(ProblemSchema, document),
                new OpenApiSchema
                {
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = codes.Select(c => (JsonNode)JsonValue.Create(c)).ToList() },
                    },
                },
            ],
        };
        var response = new OpenApiResponse
        {
            Description = $"{ApiProblem.TitleFor(status)}, with `code`:\n\n" + string.Join("\n", codes.Select(c => $"- `{c}`: {Meaning(c)}")),
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [ApiProblem.ContentType] = new() { Schema = schema, Example = ExampleProblem(status, codes[0]) },
            },
            Headers = new Dictionary<string, IOpenApiHeader> { ["X-Request-Id"] = new OpenApiHeaderReference("X-Request-Id", document) },
        };
        if (limited)
            foreach (var header in DocsSetup.RateLimitHeaders) response.Headers[header] = new OpenApiHeaderReference(header, document);
        if (status is 429 or 503) response.Headers["Retry-After"] = new OpenApiHeaderReference("Retry-After", document);
        if (deprecation is not null) DeprecationDocumentation.AddHeaders(response, deprecation);
        return response;
    }

    private static void AddCommonHeaders(OpenApiResponse response, OpenApiDocument? document, Shape shape)
    {
        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        response.Headers["X-Request-Id"] = new OpenApiHeaderReference("X-Request-Id", document);
        if (shape.Deprecation is not null) DeprecationDocumentation.AddHeaders(response, shape.Deprecation);
        if (!shape.RateLimited) return;
        foreach (var name in DocsSetup.RateLimitHeaders) response.Headers[name] = new OpenApiHeaderReference(name, document);
    }

    private static string Meaning(string code) => ErrorCodes.Catalog.First(c => c.Code == code).Meaning;

    private static JsonObject ExampleProblem(int status, string code)
    {
        var example = new JsonObject
        {
            ["type"] = "https://switchboard.dev/errors/" + code.Replace('_', '-'),
            ["title"] = ApiProblem.TitleFor(status),
            ["status"] = status,
            ["detail"] = Meaning(code).Replace("`", "", StringComparison.Ordinal),
            ["code"] = code,
            ["requestId"] = "req_01JD4V2Q8M3ZC5X7T9W1E6R0YB",
        };
        if (code == ErrorCodes.ValidationFailed) example["errors"] = new JsonObject { ["email"] = new JsonArray("Must be a valid email address.") };
        return example;
    }
}

/// <summary>Marks an operator endpoint guarded by the installation's admin token rather than by user credentials.</summary>
public sealed record AdminTokenDoc;
