using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Http;

namespace Switchboard.Crm.Pipeline;

/// <summary>
/// The steps every CRM write takes, shared by the generic endpoints and a resource's own actions (convert, complete…).
/// Each adds to the writer's unit of work; the caller commits with <see cref="CrmWriter.SaveAsync"/>. They are members of
/// the resource's definition (a C# 14 extension block), so the type parameters and their constraints are stated once;
/// they compile to the same static generic methods as before: no virtual call, nothing allocated for it.
/// </summary>
public static class CrmOperations
{
    extension<TEntity, TInput, TResponse>(ResourceDefinition<TEntity, TInput, TResponse> def)
        where TEntity : CrmRecord, new() where TInput : CrmInput where TResponse : class
    {
        /// <summary>A record of the caller's organization, or the 404 to answer; with If-Match, the 412 when it changed.</summary>
        public async Task<(TEntity? Entity, ProblemHttpResult? Problem)> FindAsync(CrmWriter writer, string id, HttpContext http, bool checkIfMatch, CancellationToken cancellationToken)
        {
            var entity = Ids.LooksValid(id, def.IdPrefix) ? await ById<TEntity>.Tracked(writer.Db, id, cancellationToken) : null;
            if (entity is null) return (null, def.NotFound());
            if (checkIfMatch && !ETags.IfMatchSatisfied(http.Request, CrmWriter.ETagOf(entity)))
                return (null, PreconditionFailed(def.Singular));
            return (entity, null);
        }

        /// <summary>
        /// A record of the caller's organization read without tracking, for answering (<see cref="RecordReader"/>), or the 404.
        /// </summary>
        public async Task<(TEntity? Entity, ProblemHttpResult? Problem)> ReadAsync(RecordReader records, string id, HttpContext http, CancellationToken cancellationToken)
        {
            var entity = Ids.LooksValid(id, def.IdPrefix) ? await records.FindAsync<TEntity>(http.GetCaller().OrganizationId, id, cancellationToken) : null;
            return entity is null ? (null, def.NotFound()) : (entity, null);
        }

        private ProblemHttpResult NotFound() => ApiProblem.NotFound(def.Singular.Replace('_', ' '));

        /// <summary>Adds a new record with its <c>.created</c> event (and any state events) to the unit of work.</summary>
        public async Task<ProblemHttpResult?> InsertAsync(CrmWriter writer, TEntity entity, Caller caller, CancellationToken cancellationToken)
        {
            var life = def.Lifecycle;
            if (string.IsNullOrEmpty(entity.Id)) entity.Id = writer.NewId(def.IdPrefix);
            entity.OrganizationId = caller.OrganizationId;
            entity.CreatedAt = entity.UpdatedAt = writer.Now;
            entity.Version = 1;
            life.OnChange(entity, null, writer.Now);
            if (life.CheckInvariants(null, entity) is { Count: > 0 } invalid) return ApiProblem.Validation(def.WireNames(invalid));
            if (await writer.CheckReferencesAsync(def.References, entity, _ => true, cancellationToken) is { } badRefs) return ApiProblem.Validation(def.WireNames(badRefs));

            writer.Db.Add(entity);
            var snapshot = life.Snapshot(entity);
            var data = writer.ToJson(snapshot);
            if (life.ChangeEvents is { } events) writer.Record(caller.OrganizationId, events.Created, life.Singular, entity.Id, data);
            foreach (var type in life.StateEvents(null, snapshot)) writer.Record(caller.OrganizationId, type, life.Singular, entity.Id, data.DeepClone().AsObject());
            return null;
        }

        /// <summary>
        /// Applies <paramref name="mutate"/> and, if anything visible changed, bumps the version and records <c>.updated</c>
        /// (with the previous values) and any state events. Answers whether the record changed, or a problem.
        /// </summary>
        public async Task<(bool Changed, ProblemHttpResult? Problem)> ChangeAsync(CrmWriter writer, TEntity entity, Action<TEntity> mutate, CancellationToken cancellationToken)
        {
            // Whichever version's endpoint changes the record, the canonical representation decides what changed and what the
            // events say (see IRecordLifecycle).
            var life = def.Lifecycle;
            var before = life.Snapshot(entity);
            var beforeJson = writer.ToJson(before);
            var referencesBefore = def.References.Select(r => r.Read(entity)).ToArray();
            mutate(entity);
            life.OnChange(entity, before, writer.Now);
            if (life.CheckInvariants(before, entity) is { Count: > 0 } invalid) return (false, ApiProblem.Validation(def.WireNames(invalid)));
            var index = 0;
            var changedRefs = def.References.ToDictionary(r => r, r => !string.Equals(referencesBefore[index++], r.Read(entity), StringComparison.Ordinal));
            if (await writer.CheckReferencesAsync(def.References, entity, r => changedRefs[r], cancellationToken) is { } badRefs)
                return (false, ApiProblem.Validation(def.WireNames(badRefs)));

            var previous = CrmWriter.Changes(beforeJson, writer.ToJson(life.Snapshot(entity)));
            if (previous is null) return (false, null);
            entity.UpdatedAt = writer.Now;
            entity.Version++;
            var after = life.Snapshot(entity);
            var data = writer.ToJson(after);
            if (life.ChangeEvents is { } events) writer.Record(entity.OrganizationId, events.Updated, life.Singular, entity.Id, data, previous);
            // CONTRACT.md: previousAttributes travels on *.updated only; the state event that accompanies it carries the record.
            foreach (var type in life.StateEvents(before, after))
                writer.Record(entity.OrganizationId, type, life.Singular, entity.Id, data.DeepClone().AsObject());
            return (true, null);
        }

        /// <summary>
        /// The whole of an update, for PATCH and for a resource's own actions (complete, transcript…): the record (404), its
        /// If-Match (412), an optional <paramref name="validate"/> step, the change, the commit and the 200 with its ETag.
        /// </summary>
        public async Task<Results<Ok<TResponse>, ProblemHttpResult>> UpdateAsync(
            CrmWriter writer, string id, HttpContext http, Action<TEntity> mutate, CancellationToken cancellationToken, Func<Task<ProblemHttpResult?>>? validate = null)
        {
            var (entity, problem) = await def.FindAsync(writer, id, http, checkIfMatch: true, cancellationToken);
            if (problem is not null) return problem;
            if (validate is not null && await validate() is { } invalid) return invalid;
            var (_, changeProblem) = await def.ChangeAsync(writer, entity!, mutate, cancellationToken);
            if (changeProblem is not null) return changeProblem;
            var response = def.Map(entity!);
            var etag = CrmWriter.ETagOf(entity!);
            if (await SaveAsync(writer, http, def.Singular, 200, response, new Dictionary<string, string> { ["ETag"] = etag }, cancellationToken) is { } conflict)
                return conflict;
            ETags.Set(http.Response, etag);
            return TypedResults.Ok(response);
        }

        public void Remove(CrmWriter writer, TEntity entity)
        {
            var life = def.Lifecycle;
            writer.Db.Remove(entity);
            if (life.ChangeEvents is { } events) writer.Record(entity.OrganizationId, events.Deleted, life.Singular, entity.Id, writer.ToJson(life.Snapshot(entity)));
        }
    }

    /// <summary>Commits, turning a lost optimistic-concurrency race into 412.</summary>
    public static async Task<ProblemHttpResult?> SaveAsync(CrmWriter writer, HttpContext http, string singular, int status, object? body,
        IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken)
    {
        try
        {
            await writer.SaveAsync(http, status, body, headers, cancellationToken);
            return null;
        }
        catch (DbUpdateConcurrencyException)
        {
            return PreconditionFailed(singular);
        }
    }

    /// <summary>
    /// Tracked reads by id for the writes (GETs go through <see cref="RecordReader"/>), compiled once per record type and
    /// model. A process normally has one model; test hosts on SQLite and PostgreSQL side by side each get their own.
    /// The tenant filter still applies (it reads the leased context's tenant as a parameter).
    /// </summary>
    private static class ById<TEntity> where TEntity : CrmRecord
    {
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<Microsoft.EntityFrameworkCore.Metadata.IModel,
            Func<Platform.Storage.SwitchboardDbContext, string, CancellationToken, Task<TEntity?>>> Compiled = new();

        public static Task<TEntity?> Tracked(Platform.Storage.SwitchboardDbContext db, string id, CancellationToken cancellationToken) =>
            Compiled.GetOrAdd(db.Model, _ => EF.CompileAsyncQuery((Platform.Storage.SwitchboardDbContext c, string key, CancellationToken _) =>
                c.Set<TEntity>().FirstOrDefault(e => e.Id == key)))(db, id, cancellationToken);
    }

    public static ProblemHttpResult PreconditionFailed(string singular) =>
        ApiProblem.Result(412, ErrorCodes.PreconditionFailed, $"The {singular.Replace('_', ' ')} changed since you read it; fetch it again and retry.");
}
