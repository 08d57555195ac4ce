using System.Globalization;
using System.Text.Json.Nodes;
using Switchboard.Crm.Tasks;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Syncs;

namespace Switchboard.Integrations.Providers.Asana;

/// <summary>
/// The project's tasks ↔ CRM tasks. Pull: <c>GET /tasks?project=…&amp;modified_since=…</c>
/// (https://developers.asana.com/reference/gettasks), 100 a page by Asana's <c>offset</c> (https://developers.asana.com/docs/pagination),
/// the fields named with <c>opt_fields</c>. Asana does not order that listing by modification time, so the high-water
/// mark is not the newest <c>modified_at</c> read but the time the run started (carried in the page cursor), a minute
/// early: a task changed while the run paged comes again next run, and the engine skips what did not change. Push:
/// <c>POST /tasks</c> with the project, <c>PUT /tasks/{gid}</c> (https://developers.asana.com/reference/updatetask),
/// answered with the same opt_fields, so the push and the next pull read one record alike (no echo).
/// <para>
/// name ↔ title, notes ↔ description, <c>due_at</c> (a time) or <c>due_on</c> (a date, as midnight UTC) ↔ dueAt,
/// completed ↔ status (completed / open).
/// </para>
/// </summary>
public sealed class AsanaTasksSync(TimeProvider time) : ISyncModel, ISyncFieldMap
{
    public const int PageSize = 100;
    public const string OptFields = "name,notes,due_on,due_at,completed,modified_at";
    public static readonly TimeSpan Overlap = TimeSpan.FromMinutes(1);

    public IReadOnlyList<string> Fields { get; } = ["title", "description", "dueAt", "status"];

    public async Task<SyncPage> PullAsync(ConnectorContext context, string? since, string? pageCursor, CancellationToken cancellationToken)
    {
        var project = context.Required("projectGid");
        var (started, offset) = ParseCursor(pageCursor);
        var query = $"/tasks?project={Uri.EscapeDataString(project)}&limit={PageSize}&opt_fields={OptFields}";
        if (AsanaApi.Time(since) is { } mark) query += "&modified_since=" + Uri.EscapeDataString(mark.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        if (offset is not null) query += "&offset=" + Uri.EscapeDataString(offset);
        var json = await AsanaApi.SendAsync(context, HttpMethod.Get, query, null, cancellationToken);
        var records = (json["data"] as JsonArray ?? []).OfType<JsonObject>().Select(Read).ToList();
        var next = AsanaApi.Text(json["next_page"]?["offset"]);
        return new SyncPage(records, next is null ? null : $"{started.Ticks.ToString(CultureInfo.InvariantCulture)}|{next}",
            next is null ? (started - Overlap).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture) : null);

        (DateTime Started, string? Offset) ParseCursor(string? cursor)
        {
            var bar = cursor?.IndexOf('|') ?? -1;
            return bar > 0 && long.TryParse(cursor![..bar], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                ? (new DateTime(ticks, DateTimeKind.Utc), cursor[(bar + 1)..])
                : (time.GetUtcNow().UtcDateTime, null);
        }
    }

    public async Task<SyncRecord> PushAsync(ConnectorContext context, string? remoteId, JsonObject fields, CancellationToken cancellationToken)
    {
        var data = new JsonObject();
        if (fields.TryGetPropertyValue("title", out var title)) data["name"] = AsanaApi.Text(title) ?? "";
        if (fields.TryGetPropertyValue("description", out var description)) data["notes"] = AsanaApi.Text(description) ?? "";
        if (fields.TryGetPropertyValue("status", out var status)) data["completed"] = AsanaApi.Text(status) == TaskState.Completed;
        if (fields.TryGetPropertyValue("dueAt", out var due))
        {
            // A date (midnight UTC) is Asana's due_on; a time is due_at. Setting one clears the other; null clears both.
            var at = AsanaApi.Time(AsanaApi.Text(due));
            if (at is null) { data["due_on"] = null; data["due_at"] = null; }
            else if (at.Value.TimeOfDay == TimeSpan.Zero) data["due_on"] = at.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            else data["due_at"] = at.Value.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        }
        JsonObject answer;
        if (remoteId is null)
        {
            data["projects"] = new JsonArray(context.Required("projectGid"));
            if (data["due_on"] is null && data["due_at"] is null) { data.Remove("due_on"); data.Remove("due_at"); }
            answer = await AsanaApi.SendAsync(context, HttpMethod.Post, $"/tasks?opt_fields={OptFields}", data, cancellationToken);
        }
        else answer = await AsanaApi.SendAsync(context, HttpMethod.Put, $"/tasks/{Uri.EscapeDataString(remoteId)}?opt_fields={OptFields}", data, cancellationToken);
        return Read(answer["data"] as JsonObject ?? throw new ProviderException("Asana answered without the task.", null, null, retryable: false));
    }

    /// <summary>An Asana task (<c>{"gid","name","notes","due_on","due_at","completed","modified_at"}</c>) in CRM task names.</summary>
    public SyncRecord Read(JsonObject task)
    {
        var fields = new JsonObject
        {
            ["title"] = AsanaApi.Text(task["name"]) is { } name ? (name.Length <= 300 ? name : name[..300]) : "(untitled)",
            ["description"] = AsanaApi.Text(task["notes"]),
            ["status"] = task["completed"] is JsonValue c && c.TryGetValue<bool>(out var completed) && completed ? TaskState.Completed : TaskState.Open,
        };
        var due = AsanaApi.Time(AsanaApi.Text(task["due_at"]))
            ?? (DateOnly.TryParseExact(AsanaApi.Text(task["due_on"]), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
                ? day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc) : null);
        fields["dueAt"] = due?.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        return new SyncRecord(AsanaApi.Text(task["gid"]) ?? throw new ProviderException("An Asana task has no gid.", null, null, retryable: false),
            AsanaApi.Time(AsanaApi.Text(task["modified_at"])) ?? time.GetUtcNow().UtcDateTime, fields);
    }
}
