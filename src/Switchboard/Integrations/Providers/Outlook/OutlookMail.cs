using System.Text.Json.Nodes;

namespace Switchboard.Integrations.Providers.Outlook;

/// <summary>
/// Mail as Microsoft Graph takes and gives it: the <c>sendMail</c> request
/// (https://learn.microsoft.com/graph/api/user-sendmail) built from a rule's input, and the
/// <c>message</c> resource (https://learn.microsoft.com/graph/api/resources/message) read by the messages sync.
/// </summary>
public static class OutlookMail
{
    /// <summary>Graph's limit on recipients of one message is far above what a rule sends; this bounds a template gone wrong.</summary>
    private const int MaxRecipients = 100;

    /// <summary>
    /// The body of <c>POST /me/sendMail</c>: <c>{"message":{subject, body:{contentType, content}, toRecipients, ccRecipients,
    /// bccRecipients, replyTo}, "saveToSentItems":…}</c>. Plain text unless the rule asks for HTML (the template's values
    /// are then inserted as written: the input's description says so).
    /// </summary>
    public static JsonObject SendMailBody(JsonObject input)
    {
        var to = Recipients(input["to"] ?? throw OutlookEvents.Invalid("send_email needs 'to' (an email, a list, or a comma-separated string such as {{data.email}})."), "to");
        if (to.Count == 0) throw OutlookEvents.Invalid("'to' holds no email address (was the template variable empty?).");
        var subject = OutlookEvents.Text(input, "subject") ?? throw OutlookEvents.Invalid("send_email needs a 'subject'.");
        var content = input["body"] is JsonValue b && b.TryGetValue<string>(out var text) && text.Trim().Length > 0 ? text
            : throw OutlookEvents.Invalid("send_email needs a 'body'.");
        var bodyType = OutlookEvents.Text(input, "bodyType")?.ToLowerInvariant() ?? "text";
        if (bodyType is not ("text" or "html")) throw OutlookEvents.Invalid("'bodyType' is text or html.");

        var message = new JsonObject
        {
            ["subject"] = subject,
            // Graph's itemBody: contentType "text" or "html" (https://learn.microsoft.com/graph/api/resources/itembody).
            ["body"] = new JsonObject { ["contentType"] = bodyType == "html" ? "HTML" : "Text", ["content"] = content },
            ["toRecipients"] = to,
        };
        if (input["cc"] is { } cc && Recipients(cc, "cc") is { Count: > 0 } ccList) message["ccRecipients"] = ccList;
        if (input["bcc"] is { } bcc && Recipients(bcc, "bcc") is { Count: > 0 } bccList) message["bccRecipients"] = bccList;
        if (input["replyTo"] is { } replyTo && Recipients(replyTo, "replyTo") is { Count: > 0 } replyList) message["replyTo"] = replyList;
        var total = to.Count + ((message["ccRecipients"] as JsonArray)?.Count ?? 0) + ((message["bccRecipients"] as JsonArray)?.Count ?? 0);
        if (total > MaxRecipients) throw OutlookEvents.Invalid($"send_email sends to at most {MaxRecipients} recipients.");
        return new JsonObject
        {
            ["message"] = message,
            ["saveToSentItems"] = !input.ContainsKey("saveToSentItems") || OutlookEvents.Flag(input, "saveToSentItems"),
        };
    }

    /// <summary>Graph's recipients: <c>[{"emailAddress":{"address":…}}]</c>.</summary>
    private static JsonArray Recipients(JsonNode node, string field)
    {
        var list = new JsonArray();
        foreach (var email in Addresses(node, field)) list.Add(new JsonObject { ["emailAddress"] = new JsonObject { ["address"] = email } });
        return list;
    }

    /// <summary>
    /// Emails from a list (of strings or of objects with <c>email</c>/<c>address</c>) or one comma- or semicolon-separated
    /// string, without duplicates; a value that is not an email address is refused (not retryable), naming it.
    /// </summary>
    public static List<string> Addresses(JsonNode? node, string field)
    {
        IEnumerable<string?> emails = node switch
        {
            null => [],
            JsonArray array => array.Select(a => a switch
            {
                JsonObject o => OutlookEvents.Text(o, "email") ?? OutlookEvents.Text(o, "address"),
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                _ => null,
            }),
            JsonValue value when value.TryGetValue<string>(out var text) => text.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            _ => throw OutlookEvents.Invalid($"'{field}' must be a list of email addresses."),
        };
        var result = new List<string>();
        foreach (var email in emails.Select(e => e?.Trim()).Where(e => !string.IsNullOrEmpty(e)).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var at = email!.IndexOf('@');
            if (email.Length > 320 || at <= 0 || at == email.Length - 1 || email.Any(char.IsWhiteSpace) || email.IndexOf('@', at + 1) >= 0)
                throw OutlookEvents.Invalid($"'{email}' in '{field}' is not an email address.");
            result.Add(email);
        }
        return result;
    }

    /// <summary>The address of a Graph <c>recipient</c> (<c>{"emailAddress":{"address","name"}}</c>), lower case, or null.</summary>
    public static string? Address(JsonNode? recipient) =>
        recipient?["emailAddress"] is JsonObject address && OutlookEvents.Text(address, "address") is { } email ? email.ToLowerInvariant() : null;

    /// <summary>The addresses of a Graph recipient list (<c>toRecipients</c>, <c>ccRecipients</c>), lower case, in order.</summary>
    public static IEnumerable<string> AddressesOf(JsonNode? recipients) =>
        (recipients as JsonArray ?? []).Select(Address).OfType<string>();
}
