using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Activities;
using Switchboard.Crm.Contacts;
using Switchboard.Crm.Leads;
using Switchboard.Crm.Pipeline;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform;
using Switchboard.Platform.Auth;

namespace Switchboard.Integrations.Providers.Mailchimp;

/// <summary>
/// Mailchimp's audience webhooks (https://mailchimp.com/developer/marketing/guides/sync-audience-data-webhooks/): a
/// form-encoded POST (<c>type</c>, <c>fired_at</c>, <c>data[email]</c>, <c>data[list_id]</c>, …), and a GET when the webhook
/// is created, to validate the URL. Mailchimp does not sign deliveries; the guide's protection is a secret in the URL,
/// so the <c>secret</c> query value is compared in constant time with the one generated for the installation, before
/// anything else; a wrong or missing one is 401 and changes nothing.
/// <para>
/// The CRM's contacts have no marketing-status field, so an <c>unsubscribe</c>, <c>cleaned</c> (bounced address),
/// <c>profile</c> update or <c>upemail</c> (email change) is recorded as a note activity on the contact (else the lead)
/// with that email; an event for someone the CRM does not know is acknowledged and ignored. Mailchimp sends no delivery
/// id, so the type, time and email identify a delivery, kept in the id map with the note: a redelivery adds nothing.
/// </para>
/// </summary>
public static class MailchimpInbound
{
    public static async Task<InboundResult> ReceiveAsync(ConnectorContext context, InboundRequest request, CancellationToken cancellationToken)
    {
        if (!Verifies(context, request)) return InboundResult.Unauthorized;
        if (request.Method == "GET") return InboundResult.Ok; // Mailchimp's validation of the URL
        if (request.Method != "POST") return InboundResult.Unauthorized;
        var form = System.Web.HttpUtility.ParseQueryString(Encoding.UTF8.GetString(request.Body));
        var type = form["type"];
        var email = (type == "upemail" ? form["data[new_email]"] : form["data[email]"])?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(type) || string.IsNullOrEmpty(email) || email.Length > 320)
            return new InboundResult(400, """{"error":"Expected a Mailchimp webhook (type and data[email])."}""");
        if (!string.Equals(form["data[list_id]"], context.Value("listId"), StringComparison.Ordinal) || context.Installation.Status != InstallationStatus.Active)
            return InboundResult.Ok;
        var subject = type switch
        {
            "unsubscribe" => "Unsubscribed from the Mailchimp audience",
            "cleaned" => "Removed from the Mailchimp audience (address cleaned: " + (form["data[reason]"] ?? "bounced") + ")",
            "profile" => "Updated their Mailchimp profile",
            "upemail" => $"Changed their Mailchimp email from {form["data[old_email]"]} to {email}",
            _ => null,
        };
        if (subject is null) return InboundResult.Ok;

        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{type}|{form["fired_at"]}|{email}")))[..40];
        var writer = context.Services.GetRequiredService<CrmWriter>();
        var db = writer.Db;
        try
        {
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            if (await db.Set<IntegrationRecordLink>().IgnoreQueryFilters().AnyAsync(l => l.InstallationId == context.Installation.Id
                    && l.Model == MailchimpDefinition.WebhookModel && l.RemoteId == key, cancellationToken))
                return InboundResult.Ok;
            var lookup = type == "upemail" ? form["data[old_email]"]?.Trim().ToLowerInvariant() ?? email : email;
            var contactId = await db.Set<Contact>().Where(c => c.Email == lookup || c.Email == email).OrderBy(c => c.Id).Select(c => c.Id).FirstOrDefaultAsync(cancellationToken);
            var leadId = contactId is not null ? null
                : await db.Set<Lead>().Where(l => l.Email == lookup || l.Email == email).OrderByDescending(l => l.Id).Select(l => l.Id).FirstOrDefaultAsync(cancellationToken);
            if (contactId is null && leadId is null) return InboundResult.Ok;
            var activity = new Activity
            {
                Type = "note", Subject = subject.Length <= 300 ? subject : subject[..300], ContactId = contactId, LeadId = leadId, OccurredAt = writer.Now,
                Notes = $"Mailchimp webhook '{type}' for {email} on audience {form["data[list_id]"]}, fired at {form["fired_at"]}.",
                Metadata = new Dictionary<string, string> { ["mailchimpEvent"] = type!, ["integrationId"] = context.Installation.Id },
            };
            var caller = new Caller(CallerKind.OAuthClient, context.Installation.OrganizationId, []);
            if (await CrmOperations.InsertAsync(ActivityResource.Definition, writer, activity, caller, cancellationToken) is not null)
                throw new InvalidOperationException("The CRM refused a note from Mailchimp.");
            db.Add(new IntegrationRecordLink
            {
                Id = Ids.New(IntegrationResources.RecordLinks, context.Time), OrganizationId = context.Installation.OrganizationId, InstallationId = context.Installation.Id,
                Model = MailchimpDefinition.WebhookModel, LocalId = activity.Id, RemoteId = key, RemoteUpdatedAt = writer.Now, UpdatedAt = writer.Now,
            });
            await writer.SaveAsync(new DefaultHttpContext { RequestServices = context.Services }, 200, null, null, cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            return new InboundResult(503, """{"error":"Busy with the same delivery; try again."}""");
        }
        return InboundResult.Ok;
    }

    /// <summary>The <c>secret</c> query value against the installation's, in constant time.</summary>
    public static bool Verifies(ConnectorContext context, InboundRequest request)
    {
        var expected = context.Services.GetRequiredService<IntegrationSecrets>().Tokens(context.Installation)?.ExtraValue(MailchimpApi.WebhookSecretExtra);
        if (string.IsNullOrEmpty(expected) || !request.Query.TryGetValue("secret", out var given) || string.IsNullOrEmpty(given)) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(given));
    }
}
