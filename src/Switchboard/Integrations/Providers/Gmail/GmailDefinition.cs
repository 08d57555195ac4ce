using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Providers.Google;

namespace Switchboard.Integrations.Providers.Gmail;

/// <summary>The catalog entry of Gmail: its OAuth endpoints and scopes, configuration, the send action and the messages sync.</summary>
public static class GmailDefinition
{
    public const string SendEmail = "send_email", Messages = "messages";

    /// <summary>
    /// The narrowest scopes that cover the calls (https://developers.google.com/workspace/gmail/api/auth/scopes):
    /// <c>gmail.send</c> for <c>messages.send</c> only, and <c>gmail.readonly</c> for <c>messages.list</c> (with <c>q</c>,
    /// which <c>gmail.metadata</c> refuses), <c>messages.get</c> (the snippet, which <c>gmail.metadata</c> leaves out),
    /// <c>history.list</c> and <c>getProfile</c>. <c>gmail.modify</c> would add changing and trashing mail, which the
    /// connector never does.
    /// </summary>
    public static readonly string[] Scopes = ["https://www.googleapis.com/auth/gmail.send", "https://www.googleapis.com/auth/gmail.readonly"];

    public static ProviderDefinition Create() => new()
    {
        Key = GmailConnector.Key,
        Name = "Gmail",
        Description = "Send email from CRM templates through a Gmail or Google Workspace mailbox, and log its inbound and sent mail as email activities on the matching contacts and leads.",
        Category = ProviderCategory.Email,
        DocumentationUrl = "https://developers.google.com/workspace/gmail/api/reference/rest",
        Auth = new ProviderAuth(ProviderAuthKind.OAuth2)
        {
            AuthorizeUrl = GoogleOAuth.AuthorizeUrl,
            TokenUrl = GoogleOAuth.TokenUrl,
            RevokeUrl = GoogleOAuth.RevokeUrl,
            Scopes = Scopes,
            Pkce = true,
            ClientAuthentication = "post",
            AuthorizeParameters = GoogleOAuth.AuthorizeParameters(),
        },
        BaseUrls = new Dictionary<string, string> { ["api"] = "https://gmail.googleapis.com/gmail/v1" },
        ConfigSchema = $$"""
            {
              "$schema": "https://json-schema.org/draft/2020-12/schema",
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "labelIds": { "type": "array", "minItems": 1, "maxItems": 20, "uniqueItems": true, "items": { "type": "string", "minLength": 1, "maxLength": 200 }, "default": ["INBOX", "SENT"], "title": "Labels to sync", "description": "Label ids (INBOX, SENT, or a label's id such as Label_12) whose messages become email activities; a message with any of them is synced." },
                "initialSyncDays": { "type": "integer", "minimum": 1, "maximum": 3650, "default": {{GmailSettings.DefaultInitialSyncDays}}, "title": "First sync reaches back (days)", "description": "How many days of mail the first sync (and a full sync Gmail asks for when its history has expired) reads; later syncs read only what arrived since." },
                "fromName": { "type": "string", "minLength": 1, "maxLength": 100, "title": "Sender name", "description": "The display name of the From header of sent mail (Acme Sales); the address is always the mailbox's own. Without it, From is the bare address." }
              }
            }
            """,
        Actions =
        [
            new(SendEmail, "Sends an email from the connected mailbox (users.messages.send) and answers Gmail's message (id, threadId, labelIds).", """
                {
                  "type": "object",
                  "required": ["to", "subject"],
                  "anyOf": [{ "required": ["text"] }, { "required": ["html"] }],
                  "properties": {
                    "to": { "type": ["string", "array"], "items": { "type": "string" }, "description": "Recipients: a list, or one comma-separated string of addresses (ada@example.com or Ada Lovelace <ada@example.com>)." },
                    "cc": { "type": ["string", "array"], "items": { "type": "string" } },
                    "bcc": { "type": ["string", "array"], "items": { "type": "string" }, "description": "Blind copies: Gmail delivers to them and keeps them out of the message the others get." },
                    "subject": { "type": "string", "maxLength": 900 },
                    "text": { "type": "string", "description": "The plain-text body." },
                    "html": { "type": "string", "description": "The HTML body; with text as well, the message is multipart/alternative and mail clients show the HTML." },
                    "replyTo": { "type": ["string", "array"], "items": { "type": "string" }, "description": "Where replies go, when not to the mailbox." },
                    "threadId": { "type": "string", "description": "Gmail's thread to add the message to; its subject must match the thread's, and inReplyTo should name the message answered." },
                    "inReplyTo": { "type": "string", "description": "The Message-ID (<…@…>) of the message this one answers: set as In-Reply-To and References (RFC 5322 §3.6.4)." }
                  }
                }
                """),
        ],
        Triggers = ["contact.*", "lead.*", "deal.*", "ticket.*"],
        Syncs =
        [
            new(Messages, "activities", SyncDirection.Pull, 900,
                "Inbound and sent mail of the chosen labels as email activities on the contact or lead whose address matches: a full listing first, then Gmail's history (history ids) for what arrived since."),
        ],
    };
}
