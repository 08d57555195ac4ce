using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Gmail;

/// <summary>
/// The email a <c>send_email</c> input describes, as the MIME message Gmail's <c>messages.send</c> takes in <c>raw</c>
/// (https://developers.google.com/workspace/gmail/api/guides/sending: an RFC 2822 (now RFC 5322) message, base64url).
/// Every header is 7-bit: a display name or subject outside printable ASCII becomes RFC 2047 encoded-words
/// (<c>=?UTF-8?B?…?=</c>, at most 75 characters each, §2, folded onto continuation lines); bodies are UTF-8 in base64
/// (RFC 2045 §6.8, lines of 76); text and HTML together make a <c>multipart/alternative</c> (RFC 2046 §5.1.4, the
/// preferred HTML last). A CR or LF (or any other control character) in an address, the subject or <c>inReplyTo</c>
/// would start a header of the sender's choosing: it is refused, never cleaned, and not retried.
/// </summary>
public static partial class GmailMime
{
    public sealed record Address(string? Name, string Email);

    public sealed record Email(Address? From, IReadOnlyList<Address> To, IReadOnlyList<Address> Cc, IReadOnlyList<Address> Bcc,
        IReadOnlyList<Address> ReplyTo, string Subject, string? Text, string? Html, string? InReplyTo);

    /// <summary>Gmail's limit on the recipients of one message (https://support.google.com/a/answer/166852).</summary>
    public const int MaxRecipients = 500;
    private const int MaxBody = 5_000_000, MaxSubject = 900;
    /// <summary>UTF-8 bytes per encoded-word: base64 of 45 bytes is 60 characters, plus <c>=?UTF-8?B?</c> and <c>?=</c> is 72 ≤ 75 (RFC 2047 §2).</summary>
    private const int EncodedWordBytes = 45;

    /// <summary>The email of a rule's rendered input (its sender still to be set); bad input is a non-retryable error.</summary>
    public static Email FromInput(JsonObject input)
    {
        var to = Addresses(input, "to");
        if (to.Count == 0) throw Invalid("send_email needs at least one recipient in 'to'.");
        var cc = Addresses(input, "cc");
        var bcc = Addresses(input, "bcc");
        if (to.Count + cc.Count + bcc.Count > MaxRecipients) throw Invalid($"Gmail takes at most {MaxRecipients} recipients per message.");
        var subject = Text(input, "subject") ?? throw Invalid("send_email needs a 'subject'.");
        HeaderSafe(subject, "subject");
        if (subject.Length > MaxSubject) throw Invalid($"'subject' is longer than {MaxSubject} characters.");
        var text = Body(input, "text");
        var html = Body(input, "html");
        if (text is null && html is null) throw Invalid("send_email needs a 'text' or an 'html' body (or both).");
        var inReplyTo = Text(input, "inReplyTo");
        if (inReplyTo is not null)
        {
            HeaderSafe(inReplyTo, "inReplyTo");
            if (!MessageIdPattern().IsMatch(inReplyTo)) throw Invalid("'inReplyTo' must be a Message-ID such as <CAF1234@mail.gmail.com>.");
        }
        return new Email(null, to, cc, bcc, Addresses(input, "replyTo"), subject, text, html, inReplyTo);
    }

    /// <summary>The sender: the mailbox's address with the installation's display name, which must not break the header either.</summary>
    public static Address Sender(string? name, string email)
    {
        if (name is not null) HeaderSafe(name, "fromName");
        return new Address(name, email);
    }

    /// <summary>The message, CRLF line ends, every line 7-bit ASCII. <paramref name="boundary"/> separates the parts of a multipart message.</summary>
    public static string Build(Email email, DateTimeOffset date, string boundary)
    {
        var mime = new StringBuilder();
        void Header(string name, string value) => mime.Append(name).Append(": ").Append(value).Append("\r\n");
        // RFC 5322 §3.6: Date and From are required; Gmail sets Message-ID itself.
        Header("Date", date.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture));
        Header("From", AddressList([email.From ?? throw new InvalidOperationException("The email has no sender.")]));
        Header("To", AddressList(email.To));
        if (email.Cc.Count > 0) Header("Cc", AddressList(email.Cc));
        // Gmail delivers to Bcc and leaves the header out of what the other recipients get.
        if (email.Bcc.Count > 0) Header("Bcc", AddressList(email.Bcc));
        if (email.ReplyTo.Count > 0) Header("Reply-To", AddressList(email.ReplyTo));
        if (email.InReplyTo is { } parent)
        {
            Header("In-Reply-To", parent);
            Header("References", parent);
        }
        Header("Subject", Unstructured(email.Subject));
        Header("MIME-Version", "1.0");
        if (email.Text is not null && email.Html is not null)
        {
            Header("Content-Type", $"multipart/alternative; boundary=\"{boundary}\"");
            mime.Append("\r\n");
            mime.Append("--").Append(boundary).Append("\r\n");
            Part(mime, "text/plain", email.Text);
            mime.Append("--").Append(boundary).Append("\r\n");
            Part(mime, "text/html", email.Html);
            mime.Append("--").Append(boundary).Append("--\r\n");
        }
        else Part(mime, email.Html is null ? "text/plain" : "text/html", email.Html ?? email.Text!);
        return mime.ToString();
    }

    /// <summary>A boundary that cannot occur in base64 lines: <c>=_</c> is not in base64's output (RFC 2045 §6.7 uses the same trick for quoted-printable).</summary>
    public static string NewBoundary() => "=_switchboard_" + Guid.NewGuid().ToString("N");

    /// <summary>base64url (RFC 4648 §5) without padding, as Gmail's <c>raw</c> field takes it.</summary>
    public static string Base64Url(string mime) => Convert.ToBase64String(Encoding.ASCII.GetBytes(mime)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static void Part(StringBuilder mime, string type, string content)
    {
        mime.Append("Content-Type: ").Append(type).Append("; charset=UTF-8\r\n");
        mime.Append("Content-Transfer-Encoding: base64\r\n\r\n");
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(content));
        for (var i = 0; i < encoded.Length; i += 76) mime.Append(encoded, i, Math.Min(76, encoded.Length - i)).Append("\r\n");
    }

    /// <summary>An address list (RFC 5322 §3.4), one mailbox per line (folded), display names quoted or encoded.</summary>
    private static string AddressList(IEnumerable<Address> addresses) => string.Join(",\r\n ", addresses.Select(a => a.Name is null
        ? a.Email
        : $"{(IsPlainAscii(a.Name) ? "\"" + a.Name.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"" : EncodedWords(a.Name))} <{a.Email}>"));

    /// <summary>An unstructured header value (the subject): as it is when printable ASCII, else encoded-words (RFC 2047 §5(1)).</summary>
    private static string Unstructured(string value) => IsPlainAscii(value) ? value : EncodedWords(value);

    /// <summary>
    /// RFC 2047 "B" encoded-words of at most <see cref="EncodedWordBytes"/> UTF-8 bytes each, never splitting a
    /// character (§5: each encoded-word must hold whole characters), folded one per line.
    /// </summary>
    private static string EncodedWords(string value)
    {
        var words = new List<string>();
        var chunk = new List<byte>();
        Span<byte> buffer = stackalloc byte[4];
        foreach (var rune in value.EnumerateRunes())
        {
            var length = rune.EncodeToUtf8(buffer);
            if (chunk.Count + length > EncodedWordBytes) { words.Add(Word(chunk)); chunk.Clear(); }
            for (var i = 0; i < length; i++) chunk.Add(buffer[i]);
        }
        if (chunk.Count > 0) words.Add(Word(chunk));
        return string.Join("\r\n ", words);
        static string Word(List<byte> bytes) => "=?UTF-8?B?" + Convert.ToBase64String(bytes.ToArray()) + "?=";
    }

    private static bool IsPlainAscii(string value) => value.All(c => c is >= ' ' and <= '~') && !value.Contains("=?", StringComparison.Ordinal);

    /// <summary>Addresses from a list or one comma-separated string; <c>Name &lt;address&gt;</c> or a bare address; commas inside quotes kept.</summary>
    internal static List<Address> Addresses(JsonObject input, string field)
    {
        IEnumerable<string> items = input[field] switch
        {
            null => [],
            JsonArray array => array.Select(a => a is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw Invalid($"'{field}' must hold email addresses.")),
            JsonValue value when value.TryGetValue<string>(out var list) => Split(list),
            _ => throw Invalid($"'{field}' must be an email address, a comma-separated list of them, or a list."),
        };
        var result = new List<Address>();
        foreach (var raw in items.Select(i => i.Trim()).Where(i => i.Length > 0))
        {
            HeaderSafe(raw, field);
            var open = raw.LastIndexOf('<');
            var (name, email) = open >= 0 && raw.EndsWith('>') ? (raw[..open].Trim().Trim('"').Trim(), raw[(open + 1)..^1].Trim()) : (null, raw);
            if (!EmailPattern().IsMatch(email) || email.Length > 320) throw Invalid($"'{raw}' in '{field}' is not an email address.");
            if (result.Any(a => string.Equals(a.Email, email, StringComparison.OrdinalIgnoreCase))) continue;
            result.Add(new Address(string.IsNullOrEmpty(name) ? null : name, email));
        }
        return result;
    }

    /// <summary>Splits at commas and semicolons outside double quotes and angle brackets (<c>"Lovelace, Ada" &lt;ada@example.com&gt;</c> is one).</summary>
    internal static IEnumerable<string> Split(string list)
    {
        var (start, quoted, angle) = (0, false, false);
        for (var i = 0; i < list.Length; i++)
        {
            var c = list[i];
            if (c == '"') quoted = !quoted;
            else if (!quoted && c == '<') angle = true;
            else if (!quoted && c == '>') angle = false;
            else if (!quoted && !angle && c is ',' or ';')
            {
                yield return list[start..i];
                start = i + 1;
            }
        }
        yield return list[start..];
    }

    /// <summary>Refuses what would end a header line (CR, LF) or is no text at all (other control characters).</summary>
    private static void HeaderSafe(string value, string field)
    {
        if (value.Any(c => c is '\r' or '\n'))
            throw Invalid($"'{field}' contains a line break, which would let it add headers of its own (header injection); it was refused.");
        if (value.Any(char.IsControl)) throw Invalid($"'{field}' contains a control character.");
    }

    private static string? Text(JsonObject input, string name) =>
        input[name] is JsonValue v && v.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s) ? s.Trim() : null;

    private static string? Body(JsonObject input, string name)
    {
        if (input[name] is null) return null;
        if (input[name] is not JsonValue v || !v.TryGetValue<string>(out var s)) throw Invalid($"'{name}' must be a string.");
        if (s.Length > MaxBody) throw Invalid($"'{name}' is longer than {MaxBody} characters.");
        return string.IsNullOrWhiteSpace(s) ? null : s;
    }

    private static ProviderException Invalid(string message) => new(message, null, null, retryable: false);

    /// <summary>An ASCII address (RFC 5322 §3.4.1 dot-atom local part and a host name); internationalized addresses are not sent.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$")]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"^<[^<>\s@]+@[^<>\s@]+>$")]
    private static partial Regex MessageIdPattern();
}
