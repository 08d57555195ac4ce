using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Activities;
using Switchboard.Crm.Contacts;
using Switchboard.Crm.Leads;
using Switchboard.Crm.Pipeline;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform;
using Switchboard.Platform.Auth;

namespace Switchboard.Integrations.Providers.Calendly;

/// <summary>
/// Calendly's webhook deliveries to the installation's inbound URL (kind <c>events</c>), verified first as Calendly's
/// "Webhook signatures" describes: <c>Calendly-Webhook-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex&gt;</c>, where v1 is the
/// HMAC-SHA256, keyed with the signing key, of <c>"{t}.{raw body}"</c>, compared in constant time; and t within
/// <see cref="Tolerance"/> of the node's clock (Calendly's guide uses three minutes), so a captured delivery cannot be
/// replayed later. Anything else is 401 and nothing is read or changed.
/// <para>
/// <c>invitee.created</c>: the invitee is matched by email to a CRM contact, else a lead, else a new lead (source
/// <c>calendly</c>) is made; a <c>meeting</c> activity at the event's start is added for them. <c>invitee.canceled</c>: that
/// activity is marked canceled (subject prefixed, <c>metadata.calendlyStatus = canceled</c>, the reason in metadata), an
/// <c>activity.updated</c> like any other change. The invitee's URI is kept in the installation's id map, so Calendly's
/// redeliveries (at least once, with retries) change nothing more.
/// </para>
/// </summary>
public static partial class CalendlyInbound
{
    public const string SignatureHeader = "Calendly-Webhook-Signature";
    public const string InviteesModel = "invitees";
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(3);
    public const string Canceled = "canceled", Scheduled = "scheduled";

    [GeneratedRegex("^\\+[1-9][0-9]{6,14}$")]
    private static partial Regex E164();

    public static async Task<InboundResult> ReceiveAsync(ConnectorContext context, InboundRequest request, CancellationToken cancellationToken)
    {
        if (!Verifies(context, request)) return InboundResult.Unauthorized;
        JsonObject? delivery;
        try { delivery = JsonNode.Parse(request.Body) as JsonObject; }
        catch (System.Text.Json.JsonException) { delivery = null; }
        if (delivery is null || delivery["payload"] is not JsonObject invitee || CalendlyApi.Text(invitee["uri"]) is not { Length: <= 200 } uri)
            return new InboundResult(400, """{"error":"Expected a Calendly webhook delivery with payload.uri."}""");
        if (context.Installation.Status == InstallationStatus.Disabled) return InboundResult.Ok;
        try
        {
            switch (CalendlyApi.Text(delivery["event"]))
            {
                case "invitee.created": await CreatedAsync(context, uri, invitee, cancellationToken); break;
                case "invitee.canceled": await CanceledAsync(context, uri, invitee, cancellationToken); break;
            }
        }
        catch (DbUpdateException)
        {
            // The same delivery written by another node at this moment (the id map's unique index refused the second):
            // not acknowledged, so Calendly retries and finds it done.
            return new InboundResult(503, """{"error":"Busy with the same delivery; try again."}""");
        }
        return InboundResult.Ok;
    }

    /// <summary>The <c>t=…,v1=…</c> header checked: the window, then each v1 against the HMAC of "t.body" in constant time.</summary>
    public static bool Verifies(ConnectorContext context, InboundRequest request)
    {
        var key = context.Value("webhookSigningKey");
        var header = request.Header(SignatureHeader);
        if (string.IsNullOrEmpty(key) || string.IsNullOrEmpty(header)) return false;
        string? timestamp = null;
        var signatures = new List<string>();
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0) continue;
            var (name, value) = (part[..equals], part[(equals + 1)..]);
            if (name == "t") timestamp = value;
            else if (name == "v1") signatures.Add(value);
        }
        if (timestamp is null || signatures.Count == 0 || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)) return false;
        var age = context.Time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, 0, 253_402_300_799));
        if (age.Duration() > Tolerance) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(key, timestamp, request.Body));
        var verified = false;
        foreach (var signature in signatures) verified |= CryptographicOperations.FixedTimeEquals(expected, Encoding.UTF8.GetBytes(signature));
        return verified;
    }

    /// <summary>The lowercase hex HMAC-SHA256 of <c>{timestamp}.{body}</c>.</summary>
    public static string Sign(string key, string timestamp, byte[] body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message, prefix.Length);
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), message));
    }

    private static async Task CreatedAsync(ConnectorContext context, string uri, JsonObject invitee, CancellationToken cancellationToken)
    {
        var writer = context.Services.GetRequiredService<CrmWriter>();
        var db = writer.Db;
        if (await LinkAsync(context, db, uri, cancellationToken) is not null) return; // a redelivery
        var email = CalendlyApi.Text(invitee["email"])?.Trim().ToLowerInvariant();
        var name = CalendlyApi.Text(invitee["name"])?.Trim() ?? email ?? "Calendly invitee";
        var caller = new Caller(CallerKind.OAuthClient, context.Installation.OrganizationId, []);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);

        string? contactId = null, leadId = null;
        if (email is not null)
        {
            contactId = await db.Set<Contact>().Where(c => c.Email == email).OrderBy(c => c.Id).Select(c => c.Id).FirstOrDefaultAsync(cancellationToken);
            if (contactId is null)
                leadId = await db.Set<Lead>().Where(l => l.Email == email && l.Status != LeadStatus.Converted).OrderByDescending(l => l.Id).Select(l => l.Id)
                    .FirstOrDefaultAsync(cancellationToken);
        }
        if (contactId is null && leadId is null)
        {
            var phone = CalendlyApi.Text(invitee["text_reminder_number"])?.Replace(" ", "", StringComparison.Ordinal);
            var lead = new Lead
            {
                Name = Cut(name, 200), Email = email is { Length: <= 320 } ? email : null, Phone = phone is not null && E164().IsMatch(phone) ? phone : null,
                Source = Cut(context.Value("leadSource") ?? "calendly", 100).ToLowerInvariant(), Status = LeadStatus.New,
                Metadata = new Dictionary<string, string> { ["calendlyInviteeUri"] = uri, ["integrationId"] = context.Installation.Id },
            };
            if (await CrmOperations.InsertAsync(LeadResource.Definition, writer, lead, caller, cancellationToken) is not null)
                throw new InvalidOperationException("The CRM refused a lead from Calendly.");
            leadId = lead.Id;
        }

        var scheduled = invitee["scheduled_event"] as JsonObject;
        var eventName = CalendlyApi.Text(scheduled?["name"]) ?? "Calendly meeting";
        var start = Time(scheduled?["start_time"]) ?? writer.Now;
        var metadata = new Dictionary<string, string>
        {
            ["calendlyInviteeUri"] = uri, ["calendlyStatus"] = Scheduled, ["integrationId"] = context.Installation.Id,
        };
        void Put(string key, string? value) { if (value is not null) metadata[key] = Cut(value, 500); }
        Put("calendlyEventUri", CalendlyApi.Text(scheduled?["uri"]));
        Put("endTime", Time(scheduled?["end_time"])?.ToString("O", CultureInfo.InvariantCulture));
        Put("timezone", CalendlyApi.Text(invitee["timezone"]));
        Put("location", Location(scheduled?["location"] as JsonObject));
        Put("rescheduleUrl", CalendlyApi.Text(invitee["reschedule_url"]));
        Put("cancelUrl", CalendlyApi.Text(invitee["cancel_url"]));
        var activity = new Activity
        {
            Type = "meeting", Subject = Cut($"{eventName} with {name}", 300), Notes = Notes(invitee, scheduled), OccurredAt = start,
            ContactId = contactId, LeadId = leadId, Metadata = metadata,
        };
        if (await CrmOperations.InsertAsync(ActivityResource.Definition, writer, activity, caller, cancellationToken) is not null)
            throw new InvalidOperationException("The CRM refused a meeting from Calendly.");
        db.Add(new IntegrationRecordLink
        {
            Id = Ids.New(IntegrationResources.RecordLinks, context.Time), OrganizationId = context.Installation.OrganizationId, InstallationId = context.Installation.Id,
            Model = InviteesModel, LocalId = activity.Id, RemoteId = uri, LocalUpdatedAt = writer.Now, RemoteUpdatedAt = writer.Now, UpdatedAt = writer.Now,
        });
        await writer.SaveAsync(new DefaultHttpContext { RequestServices = context.Services }, 200, null, null, cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    private static async Task CanceledAsync(ConnectorContext context, string uri, JsonObject invitee, CancellationToken cancellationToken)
    {
        var writer = context.Services.GetRequiredService<CrmWriter>();
        var db = writer.Db;
        // A cancellation of a booking never seen (made before the subscription) has nothing to cancel.
        if (await LinkAsync(context, db, uri, cancellationToken) is not { } link) return;
        var activity = await db.Set<Activity>().FirstOrDefaultAsync(a => a.Id == link.LocalId, cancellationToken);
        if (activity is null || activity.Metadata.GetValueOrDefault("calendlyStatus") == Canceled) return;
        var cancellation = invitee["cancellation"] as JsonObject;
        var (changed, problem) = await CrmOperations.ChangeAsync(ActivityResource.Definition, writer, activity, a =>
        {
            a.Subject = Cut("Canceled: " + a.Subject, 300);
            var metadata = new Dictionary<string, string>(a.Metadata) { ["calendlyStatus"] = Canceled, ["canceledAt"] = writer.Now.ToString("O", CultureInfo.InvariantCulture) };
            if (CalendlyApi.Text(cancellation?["reason"]) is { } reason) metadata["cancelReason"] = Cut(reason, 500);
            if (CalendlyApi.Text(cancellation?["canceled_by"]) is { } by) metadata["canceledBy"] = Cut(by, 200);
            if (invitee["rescheduled"] is JsonValue r && r.TryGetValue<bool>(out var rescheduled) && rescheduled) metadata["rescheduled"] = "true";
            a.Metadata = metadata;
        }, cancellationToken);
        if (!changed || problem is not null) return;
        link.RemoteUpdatedAt = link.UpdatedAt = writer.Now;
        await CrmOperations.SaveAsync(writer, new DefaultHttpContext { RequestServices = context.Services }, "activity", 200, null, null, cancellationToken);
    }

    private static Task<IntegrationRecordLink?> LinkAsync(ConnectorContext context, Platform.Storage.SwitchboardDbContext db, string uri, CancellationToken cancellationToken) =>
        db.Set<IntegrationRecordLink>().IgnoreQueryFilters()
            .FirstOrDefaultAsync(l => l.InstallationId == context.Installation.Id && l.Model == InviteesModel && l.RemoteId == uri, cancellationToken);

    private static string Notes(JsonObject invitee, JsonObject? scheduled)
    {
        var lines = new List<string> { "Booked through Calendly." };
        if (Time(scheduled?["start_time"]) is { } start && Time(scheduled?["end_time"]) is { } end)
            lines.Add($"When: {start:yyyy-MM-dd HH:mm}–{end:HH:mm} UTC{(CalendlyApi.Text(invitee["timezone"]) is { } zone ? $" (invitee's time zone {zone})" : "")}");
        if (Location(scheduled?["location"] as JsonObject) is { } where) lines.Add("Where: " + where);
        foreach (var qa in (invitee["questions_and_answers"] as JsonArray ?? []).OfType<JsonObject>())
            if (CalendlyApi.Text(qa["question"]) is { } question) lines.Add($"{question}: {CalendlyApi.Text(qa["answer"])}");
        return Cut(string.Join("\n", lines), 20_000);
    }

    private static string? Location(JsonObject? location) =>
        location is null ? null : CalendlyApi.Text(location["join_url"]) ?? CalendlyApi.Text(location["location"]) ?? CalendlyApi.Text(location["type"]);

    private static DateTime? Time(JsonNode? node) =>
        CalendlyApi.Text(node) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at.UtcDateTime : null;

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..max];
}
