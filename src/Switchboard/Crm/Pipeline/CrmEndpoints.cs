using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Microsoft.EntityFrameworkCore;
using Switchboard.Docs;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Http;
using Switchboard.Platform.Pagination;
using Switchboard.Platform.Validation;
using Switchboard.Platform.Versioning;

namespace Switchboard.Crm.Pipeline;

/// <summary>Maps list, get, create, update and delete of a declared resource, with every convention of the API.</summary>
public static class CrmEndpoints
{
    private static readonly HashSet<string> Reserved = ["limit", "cursor", "offset", "sort", "fields", "q"];

    public static RouteGroupBuilder MapCrmResource<TEntity, TInput, TResponse>(this IEndpointRouteBuilder app, ResourceDefinition<TEntity, TInput, TResponse> def)
        where TEntity : CrmRecord, new() where TInput : CrmInput where TResponse : class
    {
        if (def.Canonical is not null && (def.OnChange, def.StateEvents, def.Invariants) is not (null, null, null))
            throw new InvalidOperationException($"{def.Version.Name} {def.Path}: rules and events belong to the canonical definition, not to a version's shape.");
        var group = app.MapGroup($"{def.Version.PathPrefix}{def.Path}").WithTags(def.Tag);
        var title = char.ToUpperInvariant(def.Singular[0]) + def.Singular[1..].Replace("_", " ", StringComparison.Ordinal);
        var one = ("aeiou".Contains(def.Singular[0], StringComparison.Ordinal) ? "an " : "a ") + title.ToLowerInvariant(); // "an activity", "a deal"
        var plural = def.Plural.Replace("_", " ", StringComparison.Ordinal);
        var pascal = Pascal(def.Singular);
        var pascalPlural = Pascal(def.Plural);

        // Handlers are built as delegates first: the route-handler analyzer cannot follow generic lambdas inline.
        Delegate list = (HttpContext http, CrmWriter writer, CancellationToken ct) => def.ListAsync(http, writer, ct);
        Delegate get = (string id, HttpContext http, RecordReader records, IOptions<JsonOptions> json, CancellationToken ct) =>
            def.GetAsync(id, http, records, json.Value.SerializerOptions, ct);
        Delegate create = (TInput input, HttpContext http, CrmWriter writer, IValidator<TInput> validator, CancellationToken ct) =>
            def.CreateAsync(input, http, writer, validator, ct);
        Delegate update = (string id, TInput input, HttpContext http, CrmWriter writer, IValidator<TInput> validator, CancellationToken ct) =>
            def.UpdateAsync(id, input, http, writer, validator, ct);
        Delegate delete = (string id, HttpContext http, CrmWriter writer, CancellationToken ct) => def.DeleteAsync(id, http, writer, ct);

        group.MapGet("/", list).RequireScope(def.ReadScope).Named(def.Version, $"list{pascalPlural}").WithSummary($"List {plural}")
            .WithQueryParameters(def.ListParameters());
        group.MapGet("/{id}", get).RequireScope(def.ReadScope).Named(def.Version, $"get{pascal}").WithSummary($"Get {one}")
            .WithQueryParameters(FieldsParameter).WithConditionalRequests(ifMatch: false, ifNoneMatch: true);
        group.MapPost("/", create).RequireScope(def.WriteScope).Named(def.Version, $"create{pascal}").WithSummary($"Create {one}")
            .WithConditionalRequests(ifMatch: false, ifNoneMatch: false);
        if (def.AllowUpdate)
            group.MapPatch("/{id}", update).RequireScope(def.WriteScope).Named(def.Version, $"update{pascal}").WithSummary($"Update {one} (only the fields sent)")
                .WithConditionalRequests(ifMatch: true, ifNoneMatch: false);
        if (def.AllowDelete)
            group.MapDelete("/{id}", delete).RequireScope(def.WriteScope).Named(def.Version, $"delete{pascal}").WithSummary($"Delete {one}")
                .WithConditionalRequests(ifMatch: true, ifNoneMatch: false);
        return group;
    }

    private static readonly QueryParameterDoc FieldsParameter =
        new("fields", "Comma-separated fields to return (`id` always comes back), e.g. `fields=id,createdAt`.");

    extension<TEntity, TInput, TResponse>(ResourceDefinition<TEntity, TInput, TResponse> def)
        where TEntity : CrmRecord, new() where TInput : CrmInput where TResponse : class
    {
        /// <summary>The query parameters <see cref="ListAsync"/> reads for this resource, for the API document.</summary>
        public QueryParameterDoc[] ListParameters()
        {
            var sorts = def.AllSorts().SelectMany(s => new[] { s.Name, "-" + s.Name }).ToList();
            List<QueryParameterDoc> parameters =
            [
                .. OperationDocsExtensions.Paging,
                new("sort", $"Order of the list; `-` for descending. Default `{def.DefaultSort}`.", Enum: sorts, Example: def.DefaultSort),
                FieldsParameter,
            ];
            if (def.SearchFields.Count > 0) parameters.Add(new("q", "Text search (case-insensitive, at most 200 characters) in the main text fields."));
            parameters.AddRange(def.AllFilters().SelectMany(f => f.Documentation));
            return [.. parameters];
        }

        /// <summary>
        /// The list's filters, text search (<c>q</c>) and sort of a query string, applied to <paramref name="rows"/>: what
        /// <see cref="ListAsync"/> reads, and the one reading of them for whatever else lists records by the same
        /// parameters (a connector's export to a sheet). Paging and field selection (<c>limit</c>, <c>cursor</c>,
        /// <c>offset</c>, <c>fields</c>) are skipped here; an unknown parameter, a bad value or an unknown sort is a field
        /// error named by its parameter. <c>Rows</c> is not yet ordered: <c>Sort</c> orders it (and pages it by keyset).
        /// </summary>
        public CrmListQuery<TEntity> Query(IQueryable<TEntity> rows, IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>> query)
        {
            var errors = new Dictionary<string, string[]>();
            var parameters = query.ToList();
            var sortParameter = parameters.FirstOrDefault(p => p.Key == "sort").Value.ToString() is { Length: > 0 } s ? s : def.DefaultSort;
            var descending = sortParameter.StartsWith('-');
            var sortName = sortParameter.TrimStart('-', '+');
            var sorts = def.AllSorts();
            var sort = sorts.FirstOrDefault(x => x.Name == sortName);
            if (sort is null) errors["sort"] = [$"Sort by one of: {string.Join(", ", sorts.Select(x => x.Name))} (prefix '-' for descending)."];

            var filters = def.AllFilters().SelectMany(f => f.Names.Select(n => (Name: n, Filter: f))).ToDictionary(x => x.Name, x => x.Filter, StringComparer.Ordinal);
            foreach (var (name, values) in parameters)
            {
                if (Reserved.Contains(name)) continue;
                if (!filters.TryGetValue(name, out var filter))
                {
                    errors[name] = [$"Unknown parameter. Filters of {def.Plural}: {string.Join(", ", filters.Keys.Order(StringComparer.Ordinal))}."];
                    continue;
                }
                if (values.Count != 1) { errors[name] = ["Give this filter once."]; continue; }
                if (filter.Apply(ref rows, name, values[0]!) is { } error) errors[name] = [error];
            }
            if (parameters.FirstOrDefault(p => p.Key == "q").Value.ToString() is { Length: > 0 } text)
            {
                if (text.Length > 200) errors["q"] = ["At most 200 characters."];
                else if (def.SearchFields.Count == 0) errors["q"] = [$"{def.Plural} do not support text search."];
                else rows = rows.Where(def.Search(text));
            }
            return new CrmListQuery<TEntity>(rows, sort, descending, sortParameter, errors);
        }

        /// <summary>Lists records; <paramref name="within"/> narrows to a parent's (e.g. one chat session's messages).</summary>
        public async Task<Results<Ok<ListResponse<TResponse>>, JsonHttpResult<ListResponse<JsonObject>>, ProblemHttpResult>> ListAsync(
            HttpContext http, CrmWriter writer, CancellationToken cancellationToken, Func<IQueryable<TEntity>, IQueryable<TEntity>>? within = null)
        {
            if (!PageRequest.TryParse(http.Request, out var page, out var pageProblem)) return pageProblem!;
            var query = http.Request.Query;
            IQueryable<TEntity> rows = writer.Db.Set<TEntity>().AsNoTracking();
            if (within is not null) rows = within(rows);
            var (filtered, sort, descending, sortParameter, errors) = def.Query(rows, query);
            rows = filtered;

            if (!FieldSelection.TryParse(query["fields"], typeof(TResponse), out var selection, out var fieldsError)) errors["fields"] = [fieldsError!];
            if (page.Cursor is { } cursor && sort is not null)
            {
                if (cursor.Sort != sortParameter || cursor.Value is null) errors["cursor"] = ["This cursor belongs to another sort order; start again without it."];
                else if (sort.After(rows, descending, cursor.Value, cursor.After) is { } after) rows = after;
                else errors["cursor"] = ["Is not a cursor this API issued."];
            }
            if (errors.Count > 0) return ApiProblem.Validation(errors);

            var (found, next) = await Paging.PageAsync(sort!.Order(rows, descending), page, http,
                last => PageRequest.EncodeCursor(last.Id, sortParameter, sort.ValueOf(last)), cancellationToken);
            var data = found.Select(def.Map).ToList();
            if (selection is null) return TypedResults.Ok(new ListResponse<TResponse>(data, next is not null, next));
            return TypedResults.Json(new ListResponse<JsonObject>(data.Select(d => selection.Apply(writer.ToJson(d))).ToList(), next is not null, next), writer.Json);
        }

        internal async Task<Results<OkJson<TResponse>, JsonHttpResult<JsonObject>, StatusCodeHttpResult, ProblemHttpResult>> GetAsync(
            string id, HttpContext http, RecordReader records, JsonSerializerOptions json, CancellationToken cancellationToken)
        {
            if (!FieldSelection.TryParse(http.Request.Query["fields"], typeof(TResponse), out var selection, out var fieldsError))
                return ApiProblem.Validation("fields", fieldsError!);
            var (entity, problem) = await def.ReadAsync(records, id, http, cancellationToken);
            if (problem is not null) return problem;
            var etag = CrmWriter.ETagOf(entity!);
            ETags.Set(http.Response, etag);
            // RFC 9110 §13.1.2: a client holding the current representation gets 304 and no body.
            if (ETags.IfNoneMatchHits(http.Request, etag)) return TypedResults.StatusCode(304);
            var response = def.Map(entity!);
            return selection is null ? new OkJson<TResponse>(response, json) : TypedResults.Json(selection.Apply(JsonSerializer.SerializeToNode(response, json)!.AsObject()), json);
        }

        internal async Task<Results<Created<TResponse>, ProblemHttpResult>> CreateAsync(
            TInput input, HttpContext http, CrmWriter writer, IValidator<TInput> validator, CancellationToken cancellationToken)
        {
            if (await validator.CheckAsync(input, BodyUse.Create, cancellationToken) is { } invalid) return invalid;
            var entity = new TEntity();
            def.Initialize?.Invoke(entity, writer.Now);
            def.Apply(entity, input);
            if (await def.InsertAsync(writer, entity, http.GetCaller(), cancellationToken) is { } problem) return problem;
            var response = def.Map(entity);
            var location = def.Location(entity.Id);
            var etag = CrmWriter.ETagOf(entity);
            var headers = new Dictionary<string, string> { ["Location"] = location, ["ETag"] = etag };
            if (await CrmOperations.SaveAsync(writer, http, def.Singular, 201, response, headers, cancellationToken) is { } conflict) return conflict;
            ETags.Set(http.Response, etag);
            return TypedResults.Created(location, response);
        }

        /// <summary>PATCH: the record (404) and its If-Match (412) come before the body's validation.</summary>
        internal Task<Results<Ok<TResponse>, ProblemHttpResult>> UpdateAsync(
            string id, TInput input, HttpContext http, CrmWriter writer, IValidator<TInput> validator, CancellationToken cancellationToken) =>
            def.UpdateAsync(writer, id, http, e => def.Apply(e, input), cancellationToken,
                () => validator.CheckAsync(input, BodyUse.Update, cancellationToken));

        internal async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, HttpContext http, CrmWriter writer, CancellationToken cancellationToken)
        {
            var (entity, problem) = await def.FindAsync(writer, id, http, checkIfMatch: true, cancellationToken);
            if (problem is not null) return problem;
            def.Remove(writer, entity!);
            if (await CrmOperations.SaveAsync(writer, http, def.Singular, 204, null, null, cancellationToken) is { } conflict) return conflict;
            return TypedResults.NoContent();
        }

        private IEnumerable<ISort<TEntity>> AllSorts() =>
            [Sorts.Time<TEntity>("createdAt", e => e.CreatedAt), Sorts.Time<TEntity>("updatedAt", e => e.UpdatedAt), .. def.Sorts];

        private IEnumerable<IFilter<TEntity>> AllFilters() =>
            [Filter.Time<TEntity>("created", e => e.CreatedAt), Filter.Time<TEntity>("updated", e => e.UpdatedAt), .. def.Filters];

        private Expression<Func<TEntity, bool>> Search(string text)
        {
            // lower(field) contains lower(q): EF turns this into instr/strpos with a parameter, so '%' and '_' are literal.
            var needle = QueryExpressions.Parameter(text.ToLowerInvariant(), typeof(string));
            var row = Expression.Parameter(typeof(TEntity), "e");
            Expression? any = null;
            foreach (var field in def.SearchFields)
            {
                var value = QueryExpressions.Rebind(field, row);
                var test = Expression.AndAlso(Expression.NotEqual(value, Expression.Constant(null, typeof(string))),
                    Expression.Call(Expression.Call(value, ToLower), Contains, needle));
                any = any is null ? test : Expression.OrElse(any, test);
            }
            return QueryExpressions.Predicate<TEntity>(any!, row);
        }
    }

    private static readonly MethodInfo ToLower = typeof(string).GetMethod(nameof(string.ToLower), Type.EmptyTypes)!;
    private static readonly MethodInfo Contains = typeof(string).GetMethod(nameof(string.Contains), [typeof(string)])!;

    /// <summary>
    /// Endpoint names are unique across the app, so a later version's are suffixed (<c>listContactsV2</c>); its own
    /// OpenAPI document still calls the operation <c>listContacts</c>, as SDK generators expect.
    /// </summary>
    private static RouteHandlerBuilder Named(this RouteHandlerBuilder builder, ApiVersion version, string operationId)
    {
        if (version == ApiVersions.V1) return builder.WithName(operationId);
        return builder.WithName(operationId + Pascal(version.Name))
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.OperationId = operationId;
                return Task.CompletedTask;
            });
    }

    private static string Pascal(string snake) => string.Concat(snake.Split('_').Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
}

/// <summary>
/// A list's rows narrowed by its query string's filters and text search (<see cref="CrmEndpoints"/>' <c>Query</c>), the
/// sort it asked for (null when unknown: then <paramref name="Errors"/> says so) and the field errors, keyed by parameter.
/// </summary>
public sealed record CrmListQuery<TEntity>(IQueryable<TEntity> Rows, ISort<TEntity>? Sort, bool Descending, string SortParameter,
    Dictionary<string, string[]> Errors);
