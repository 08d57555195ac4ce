using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Contacts;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Providers.Accounting;

/// <summary>
/// The <c>create_invoice</c> input the accounting connectors (QuickBooks Online, Xero) share, read and checked before
/// any call to the provider: a CRM <c>payment.completed</c> event names its contact by id (<c>{{data.contactId}}</c>),
/// not by email, so the customer is the CRM contact (its email, name and company) unless the rule gives an email.
/// Amounts have at most two decimals: both providers store money to the cent and a rounded amount would invoice
/// something the payment did not say.
/// </summary>
public sealed record InvoiceRequest(string IdempotencyKey, string Email, string Name, string? CompanyName, decimal Amount, string? Currency,
    string Description, DateOnly? Date, string? ItemCode)
{
    public static ProviderException Invalid(string message) => new(message, null, "invalid_input", retryable: false);

    public static async Task<InvoiceRequest> ReadAsync(ConnectorContext context, JsonObject input, string? itemCodeField, CancellationToken cancellationToken)
    {
        var key = Text(input, "idempotencyKey") ?? throw Invalid("create_invoice needs an idempotencyKey (\"{{data.id}}\", the payment's id): a retried job must not invoice twice.");
        if (key.Length > 200) throw Invalid("idempotencyKey may be at most 200 characters.");
        var amount = ReadAmount(input["amount"]) ?? throw Invalid("create_invoice needs an amount greater than 0 (\"{{data.amount}}\").");
        if (amount <= 0 || amount > 99_999_999_999m) throw Invalid("amount must be greater than 0 and below 100 billion.");
        if (decimal.Round(amount, 2) != amount) throw Invalid($"amount {amount.ToString(CultureInfo.InvariantCulture)} has more than two decimals.");
        var currency = Text(input, "currency")?.ToUpperInvariant();
        if (currency is not null && (currency.Length != 3 || !currency.All(char.IsAsciiLetterUpper))) throw Invalid($"currency '{currency}' is not an ISO 4217 code.");
        DateOnly? date = null;
        if (Text(input, "date") is { } dateText)
            date = DateOnly.TryParseExact(dateText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d
                : DateTimeOffset.TryParse(dateText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? DateOnly.FromDateTime(at.UtcDateTime)
                : throw Invalid($"date '{dateText}' is neither a date (2026-12-04) nor an RFC 3339 time.");

        var email = Text(input, "email")?.ToLowerInvariant();
        string? name = Text(input, "name"), company = Text(input, "companyName");
        if (Text(input, "contactId") is { } contactId)
        {
            var contact = await context.Services.GetRequiredService<SwitchboardDbContext>().Set<Contact>().IgnoreQueryFilters().AsNoTracking()
                .FirstOrDefaultAsync(c => c.Id == contactId && c.OrganizationId == context.Installation.OrganizationId, cancellationToken)
                ?? throw Invalid($"No contact {contactId} in the installation's organization.");
            email ??= contact.Email;
            name ??= string.Join(' ', new[] { contact.FirstName, contact.LastName }.Where(p => !string.IsNullOrWhiteSpace(p))) is { Length: > 0 } full ? full : null;
            company ??= contact.Company;
        }
        if (email is null) throw Invalid("create_invoice needs the customer's email, or a contactId (\"{{data.contactId}}\") whose contact has one.");
        if (email.Length > 100 || email.Count(c => c == '@') != 1 || email.StartsWith('@') || email.EndsWith('@') || email.Any(c => char.IsWhiteSpace(c) || c is '\\' or '\'' or '"'))
            throw Invalid($"'{email}' is not an email address both providers take (at most 100 characters, one @, no quotes or spaces).");
        var description = Text(input, "description") ?? "Payment";
        if (description.Length > 4000) description = description[..4000];
        return new InvoiceRequest(key, email, Clean(name ?? email, 100), company is null ? null : Clean(company, 100), amount, currency, description, date,
            itemCodeField is null ? null : Text(input, itemCodeField));
    }

    /// <summary>A JSON number or a numeric string (a rule's template fills <c>{{data.amount}}</c> as text).</summary>
    private static decimal? ReadAmount(JsonNode? node) => node switch
    {
        // A number built in code (an int) or parsed (a JsonElement): read from its JSON text either way.
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.Number
            && decimal.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => number,
        JsonValue v when v.TryGetValue<string>(out var text) && decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => null,
    };

    /// <summary>Names without the characters both providers refuse in a contact's name (QuickBooks: colon, tab, newline).</summary>
    private static string Clean(string text, int max)
    {
        var cleaned = new string(text.Select(c => c is ':' or '\t' or '\r' or '\n' ? ' ' : c).ToArray()).Trim();
        return cleaned.Length <= max ? cleaned : cleaned[..max];
    }

    public static string? Text(JsonObject input, string name) =>
        input[name] is JsonValue v && v.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s) ? s.Trim() : null;
}

/// <summary>The period a revenue report reads: <c>startDate</c> and <c>endDate</c>, by default the year to date.</summary>
public sealed record ReportPeriod(DateOnly Start, DateOnly End)
{
    public static ReportPeriod Read(JsonObject input, TimeProvider time)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var start = Date(input, "startDate") ?? new DateOnly(today.Year, 1, 1);
        var end = Date(input, "endDate") ?? today;
        if (end < start) throw InvoiceRequest.Invalid($"endDate {end:yyyy-MM-dd} is before startDate {start:yyyy-MM-dd}.");
        if (end.DayNumber - start.DayNumber > 366 * 5) throw InvoiceRequest.Invalid("A revenue report covers at most five years.");
        return new ReportPeriod(start, end);
    }

    private static DateOnly? Date(JsonObject input, string name) => InvoiceRequest.Text(input, name) is not { } text ? null
        : DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date
        : throw InvoiceRequest.Invalid($"{name} '{text}' is not a date (2026-12-04).");

    public string StartText => Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    public string EndText => End.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

/// <summary>A connector's own JSON answer (an action that reads and summarizes, such as a revenue report), as a 200 response.</summary>
public static class ActionAnswer
{
    public static ProviderResponse Of(JsonObject body)
    {
        using var answer = new HttpResponseMessage(System.Net.HttpStatusCode.OK);
        return new ProviderResponse(200, body.ToJsonString(), answer.Headers, 0);
    }
}
