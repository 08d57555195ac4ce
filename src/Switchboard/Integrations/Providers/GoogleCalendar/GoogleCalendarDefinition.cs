using Switchboard.Integrations.Catalog;

using Switchboard.Integrations.Providers.Google;

namespace Switchboard.Integrations.Providers.GoogleCalendar;

/// <summary>The catalog entry of Google Calendar: its OAuth endpoints and scope, configuration, actions and sync.</summary>
public static class GoogleCalendarDefinition
{
    public const string CreateEvent = "create_event", UpdateEvent = "update_event", DeleteEvent = "delete_event";

    /// <summary>The properties of an event an action sets; <c>create_event</c> requires summary and start.</summary>
    private const string EventProperties = """
        "summary": { "type": "string", "maxLength": 1024, "description": "The event's title (a task's title, a meeting's subject)." },
        "description": { "type": ["string", "null"], "maxLength": 8192, "description": "The event's description (a task's description, a meeting's notes)." },
        "location": { "type": ["string", "null"], "maxLength": 1024 },
        "start": { "type": "string", "description": "RFC 3339 date-time (2026-12-10T09:00:00Z, or with an offset; without one it is read in timeZone), or a date (2026-12-10) for an all-day event." },
        "end": { "type": "string", "description": "Like start; exclusive. When absent: start + durationMinutes (all day: the next day)." },
        "durationMinutes": { "type": ["integer", "string"], "description": "Length when end is absent; the installation's defaultDurationMinutes otherwise." },
        "allDay": { "type": ["boolean", "string"], "description": "An all-day event on start's day in timeZone, even when start is a date-time." },
        "timeZone": { "type": "string", "description": "IANA time zone the event is shown in; the installation's timeZone when absent." },
        "attendees": { "type": ["array", "string"], "items": { "type": ["string", "object"] }, "description": "Emails: a list, or one comma-separated string. Invited per the installation's sendUpdates." },
        "reminders": { "type": ["array", "string"], "description": "\"default\", or up to 5 reminders: minutes before the event (popup) or {method: popup|email, minutes}." }
        """;

    public static ProviderDefinition Create() => new()
    {
        Key = GoogleCalendarConnector.Key,
        Name = "Google Calendar",
        Description = "Put CRM tasks and meetings on a Google calendar (attendees, time zones, reminders), and sync the calendar's events back to meeting activities.",
        Category = ProviderCategory.Calendar,
        DocumentationUrl = "https://developers.google.com/calendar/api/v3/reference",
        Auth = new ProviderAuth(ProviderAuthKind.OAuth2)
        {
            AuthorizeUrl = GoogleOAuth.AuthorizeUrl,
            TokenUrl = GoogleOAuth.TokenUrl,
            RevokeUrl = GoogleOAuth.RevokeUrl,
            Scopes = ["https://www.googleapis.com/auth/calendar.events"],
            Pkce = true,
            ClientAuthentication = "post",
            // A refresh token is issued only with access_type=offline, and again on a reconnect only with prompt=consent.
            AuthorizeParameters = GoogleOAuth.AuthorizeParameters(),
        },
        BaseUrls = new Dictionary<string, string> { ["api"] = "https://www.googleapis.com/calendar/v3" },
        ConfigSchema = """
            {
              "$schema": "https://json-schema.org/draft/2020-12/schema",
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "calendarId": { "type": "string", "minLength": 1, "maxLength": 500, "default": "primary", "title": "Calendar", "description": "The calendar's id (its email address, under the calendar's settings), or primary for the connected user's own." },
                "timeZone": { "type": "string", "minLength": 1, "maxLength": 64, "default": "UTC", "title": "Time zone", "description": "IANA time zone (Europe/Berlin) events are created in when a rule gives none, and all-day events are read in." },
                "defaultDurationMinutes": { "type": "integer", "minimum": 5, "maximum": 1440, "default": 30, "title": "Default duration (minutes)", "description": "The length of an event made from a task or meeting that gives no end." },
                "sendUpdates": { "enum": ["all", "externalOnly", "none"], "default": "none", "title": "Invitations", "description": "Whether Google emails attendees about events Switchboard creates, changes or deletes." }
              }
            }
            """,
        Actions =
        [
            new(CreateEvent, "Creates an event (from a task or a meeting) and answers Google's event, its id included.", $$"""
                {
                  "type": "object",
                  "required": ["summary", "start"],
                  "properties": {
                    {{EventProperties}},
                    "idempotencyKey": { "type": "string", "description": "A stable key of what the event is for (the task's or meeting's id): a retried create answers the event the first attempt made, and update_event and delete_event find the event by the same key." }
                  }
                }
                """),
            new(UpdateEvent, "Changes the fields given of an event (a PATCH), found by its eventId or its create's idempotencyKey.", $$"""
                {
                  "type": "object",
                  "anyOf": [{ "required": ["eventId"] }, { "required": ["idempotencyKey"] }],
                  "properties": {
                    "eventId": { "type": "string", "description": "The Google event's id, as create_event answered it." },
                    "idempotencyKey": { "type": "string", "description": "Instead of eventId: the key create_event was given. When Google has no such event and summary and start are given, it is created." },
                    {{EventProperties}}
                  }
                }
                """),
            new(DeleteEvent, "Deletes an event (by eventId or idempotencyKey); an event already deleted counts as done.", """
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
        Triggers = ["task.created", "task.updated", "task.completed", "task.deleted", "activity.created", "activity.updated", "activity.deleted"],
        Syncs =
        [
            new("events", "activities", SyncDirection.TwoWay, 900,
                "The calendar's events and the CRM's meeting activities: Google's incremental sync (sync tokens) one way, events made or patched from activities the other."),
        ],
    };
}
