using Switchboard.Integrations.Catalog;

namespace Switchboard.Integrations.Providers.Outlook;

/// <summary>The catalog entry of Microsoft Outlook (Microsoft Graph): OAuth endpoints and scopes, configuration, actions and syncs.</summary>
public static class OutlookDefinition
{
    public const string SendEmail = "send_email", CreateEvent = "create_event", UpdateEvent = "update_event", DeleteEvent = "delete_event";

    /// <summary>The properties of an event an action sets; <c>create_event</c> requires summary and start. Named as Google Calendar's, so a rule moves between the two.</summary>
    private const string EventProperties = """
        "summary": { "type": "string", "maxLength": 255, "description": "The event's subject (a task's title, a meeting's subject)." },
        "description": { "type": ["string", "null"], "maxLength": 8192, "description": "The event's body, as plain text (a task's description, a meeting's notes)." },
        "location": { "type": ["string", "null"], "maxLength": 1024, "description": "The location's display name." },
        "start": { "type": "string", "description": "RFC 3339 date-time (2026-12-10T09:00:00Z, or with an offset; without one it is read in timeZone), or a date (2026-12-10) for an all-day event." },
        "end": { "type": "string", "description": "Like start; exclusive. When absent: start + durationMinutes (all day: the next day)." },
        "durationMinutes": { "type": ["integer", "string"], "description": "Length when end is absent; the installation's defaultDurationMinutes otherwise." },
        "allDay": { "type": ["boolean", "string"], "description": "An all-day event on start's day in timeZone, even when start is a date-time." },
        "timeZone": { "type": "string", "description": "IANA time zone the event is created in (one Microsoft Graph accepts, such as Europe/Berlin); the installation's timeZone when absent." },
        "attendees": { "type": ["array", "string"], "items": { "type": ["string", "object"] }, "description": "Emails: a list, or one comma-separated string. Outlook sends them invitations." },
        "reminderMinutes": { "type": ["integer", "string", "null"], "description": "Minutes before the start the reminder goes off; null turns the reminder off." }
        """;

    public static ProviderDefinition Create() => new()
    {
        Key = OutlookConnector.Key,
        Name = "Microsoft Outlook",
        Description = "Send email from a Microsoft 365 or Outlook.com mailbox, sync received and sent mail to the matching contact's or lead's activities, and put CRM tasks and meetings on the Outlook calendar (synced back by delta queries).",
        Category = ProviderCategory.Email,
        DocumentationUrl = "https://learn.microsoft.com/graph/api/resources/mail-api-overview",
        Auth = new ProviderAuth(ProviderAuthKind.OAuth2)
        {
            // The Microsoft identity platform's authorization code flow
            // (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow). The tenant "common" takes work,
            // school and personal accounts; an operator restricts it (organizations, consumers or a tenant id) by setting
            // AuthorizeUrl and TokenUrl under Switchboard:Integrations:Providers:outlook.
            AuthorizeUrl = "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
            TokenUrl = "https://login.microsoftonline.com/common/oauth2/v2.0/token",
            // The identity platform has no token revocation endpoint for a web app: an uninstall forgets the tokens, and the
            // user removes the app's consent at https://myapps.microsoft.com (or an admin in Entra).
            RevokeUrl = null,
            // offline_access: a refresh token. Mail.Send: sendMail. Mail.Read: the message delta of Inbox and Sent Items,
            // bodies included (Mail.ReadBasic has no body). Calendars.ReadWrite: create, update and delete events and the
            // calendar view delta. User.Read: GET /me, the connection test. Delegated permissions, the narrowest each call allows
            // (https://learn.microsoft.com/graph/permissions-reference).
            Scopes = ["offline_access", "Mail.Send", "Mail.Read", "Calendars.ReadWrite", "User.Read"],
            Pkce = true,
            ClientAuthentication = "post",
        },
        BaseUrls = new Dictionary<string, string> { ["api"] = "https://graph.microsoft.com/v1.0" },
        ConfigSchema = """
            {
              "$schema": "https://json-schema.org/draft/2020-12/schema",
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "calendarId": { "type": "string", "minLength": 1, "maxLength": 500, "title": "Calendar", "description": "The id of the calendar events go on and are synced from (GET /me/calendars lists them). Empty: the user's default calendar." },
                "timeZone": { "type": "string", "minLength": 1, "maxLength": 64, "default": "UTC", "title": "Time zone", "description": "IANA time zone (Europe/Berlin) events are created in when a rule gives none, and wall-clock times without an offset are read in. Microsoft Graph accepts UTC and the IANA zones it lists for dateTimeTimeZone." },
                "defaultDurationMinutes": { "type": "integer", "minimum": 5, "maximum": 1440, "default": 30, "title": "Default duration (minutes)", "description": "The length of an event made from a task or meeting that gives no end." },
                "syncSentItems": { "type": "boolean", "default": true, "title": "Sync sent mail", "description": "Whether the messages sync reads Sent Items as well as the Inbox: sent mail becomes an outbound email activity of the contact or lead it went to." },
                "eventsSyncPastDays": { "type": "integer", "minimum": 1, "maximum": 3650, "default": 30, "title": "Events sync: days back", "description": "The events sync reads the calendar view from this many days before its first run (a delta query needs a fixed window)." },
                "eventsSyncFutureDays": { "type": "integer", "minimum": 1, "maximum": 3650, "default": 365, "title": "Events sync: days ahead", "description": "…and up to this many days after its first run." }
              }
            }
            """,
        Actions =
        [
            new(SendEmail, "Sends an email from the connected mailbox (POST /me/sendMail), with the rule's template variables filled from the CRM event.", """
                {
                  "type": "object",
                  "required": ["to", "subject", "body"],
                  "properties": {
                    "to": { "type": ["array", "string"], "items": { "type": "string" }, "description": "Recipients' emails: a list, or one comma-separated string ({{data.email}})." },
                    "cc": { "type": ["array", "string", "null"], "items": { "type": "string" } },
                    "bcc": { "type": ["array", "string", "null"], "items": { "type": "string" } },
                    "replyTo": { "type": ["array", "string", "null"], "items": { "type": "string" }, "description": "Where replies go, when not to the mailbox itself." },
                    "subject": { "type": "string", "minLength": 1, "maxLength": 998 },
                    "body": { "type": "string", "minLength": 1, "maxLength": 100000 },
                    "bodyType": { "enum": ["text", "html"], "default": "text", "description": "text (the default) or html. With html the template variables' values are inserted as they are: use it only for a template whose values are not free text from CRM users or contacts." },
                    "saveToSentItems": { "type": ["boolean", "string"], "default": true, "description": "Whether the mail is kept in Sent Items (and so reaches the messages sync as an outbound email)." }
                  }
                }
                """),
            new(CreateEvent, "Creates an event (from a task or a meeting) and answers Graph's event, its id included.", $$"""
                {
                  "type": "object",
                  "required": ["summary", "start"],
                  "properties": {
                    {{EventProperties}},
                    "idempotencyKey": { "type": "string", "description": "A stable key of what the event is for (the task's or meeting's id): a retried create makes no second event, and update_event and delete_event find the event by the same key." }
                  }
                }
                """),
            new(UpdateEvent, "Changes the fields given of an event (a PATCH), found by its eventId or its create's idempotencyKey.", $$"""
                {
                  "type": "object",
                  "anyOf": [{ "required": ["eventId"] }, { "required": ["idempotencyKey"] }],
                  "properties": {
                    "eventId": { "type": "string", "description": "The Outlook event's id, as create_event answered it." },
                    "idempotencyKey": { "type": "string", "description": "Instead of eventId: the key create_event was given. When Outlook has no such event and summary and start are given, it is created." },
                    {{EventProperties}}
                  }
                }
                """),
            new(DeleteEvent, "Deletes an event (by eventId or idempotencyKey); an event never made for the key counts as done.", """
                {
                  "type": "object",
                  "anyOf": [{ "required": ["eventId"] }, { "required": ["idempotencyKey"] }],
                  "properties": {
                    "eventId": { "type": "string" },
                    "idempotencyKey": { "type": "string", "description": "Instead of eventId: the key create_event was given." }
                  }
                }
                """),
        ],
        Triggers = ["contact.*", "lead.*", "deal.*", "task.created", "task.updated", "task.completed", "task.deleted", "activity.created", "activity.updated", "activity.deleted"],
        Syncs =
        [
            new("messages", "activities", SyncDirection.Pull, 600,
                "Inbox and Sent Items by Graph's message delta query: each message from or to a contact's or lead's email becomes an email activity on that record, once; other mail is skipped."),
            new("events", "activities", SyncDirection.Pull, 900,
                "The calendar's events in a window around the first run, by Graph's calendar view delta query: each becomes a meeting activity, kept up to date and removed when the event is deleted."),
        ],
    };
}
