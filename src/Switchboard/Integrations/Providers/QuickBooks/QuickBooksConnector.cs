using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Providers.Accounting;

namespace Switchboard.Integrations.Providers.QuickBooks;

/// <summary>
/// QuickBooks Online (<see cref="QuickBooksDefinition"/>). The company (realm) is named by the OAuth callback's
/// <c>realmId</c> query parameter (https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#step-4-exchange-the-authorization-code-for-access-tokens):
/// <see cref="CompleteConnectionAsync"/> checks it against the company's own <c>CompanyInfo</c> and keeps it with the
/// tokens. <c>create_invoice</c> finds the customer by email (or creates it) and creates the invoice
/// (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer,
/// https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice); <c>revenue</c> reads the
/// Profit and Loss report (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/report-entities/profitandloss).
/// </summary>
public sealed class QuickBooksConnector : Connector
{
    public override ProviderDefinition Definition { get; } = QuickBooksDefinition.Create();

    public override async Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var realm = await QuickBooksApi.RealmIdAsync(context, cancellationToken);
        return await QuickBooksApi.SendAsync(context, realm, HttpMethod.Get, "/companyinfo/" + realm, null, cancellationToken);
    }

    /// <summary>
    /// Keeps the callback's <c>realmId</c> (and the company's name, for the dashboard) once the company answers for it:
    /// a realm id the token cannot read fails the connection here rather than on the first invoice.
    /// </summary>
    public override async Task<IReadOnlyDictionary<string, string>?> CompleteConnectionAsync(ConnectorContext context,
        IReadOnlyDictionary<string, string> callbackQuery, CancellationToken cancellationToken)
    {
        var realm = callbackQuery.GetValueOrDefault("realmId");
        if (!QuickBooksApi.IsRealmId(realm))
            throw new ProviderException("QuickBooks' callback named no company (realmId).", null, "no_realm_id", retryable: false);
        var info = await QuickBooksApi.SendAsync(context, realm!, HttpMethod.Get, "/companyinfo/" + realm, null, cancellationToken);
        var name = QuickBooksApi.Text((info.Json() as JsonObject)?["CompanyInfo"]?["CompanyName"]);
        var extra = new Dictionary<string, string> { [QuickBooksApi.RealmIdExtra] = realm! };
        if (name is not null) extra[QuickBooksApi.CompanyNameExtra] = name.Length <= 200 ? name : name[..200];
        return extra;
    }

    /// <summary>The account the app-wide webhooks name (<see cref="QuickBooksInbound"/>): the one <see cref="CompleteConnectionAsync"/> keeps.</summary>
    public override string? ProviderAccountExtra => QuickBooksApi.RealmIdExtra;

    /// <summary>The app's webhook, verified with the operator's app secret (<see cref="QuickBooksInbound.Read"/>).</summary>
    public override AppInbound? ReadAppInbound(Platform.SwitchboardOptions options, string kind, InboundRequest request) =>
        kind == QuickBooksInbound.Kind ? QuickBooksInbound.Read(options, request) : null;

    /// <summary>The app's webhook as one installation takes it: verified again, then its own account's changes recorded.</summary>
    public override Task<InboundResult> ReceiveAsync(ConnectorContext context, string kind, InboundRequest request, CancellationToken cancellationToken) =>
        kind == QuickBooksInbound.Kind ? QuickBooksInbound.ReceiveAsync(context, request, cancellationToken) : base.ReceiveAsync(context, kind, request, cancellationToken);

    public override async Task<ProviderResponse> RunActionAsync(ConnectorContext context, string action, JsonObject input, CancellationToken cancellationToken) => action switch
    {
        QuickBooksDefinition.CreateInvoice => await CreateInvoiceAsync(context, input, cancellationToken),
        QuickBooksDefinition.Revenue => await RevenueAsync(context, input, cancellationToken),
        _ => await base.RunActionAsync(context, action, input, cancellationToken),
    };

    /// <summary>
    /// The customer, then the invoice. Both writes carry a request id derived from the action's key, so a job retried
    /// after a lost answer gets QuickBooks' first answer back instead of a second customer or invoice.
    /// </summary>
    private static async Task<ProviderResponse> CreateInvoiceAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var request = await InvoiceRequest.ReadAsync(context, input, "itemId", cancellationToken);
        var item = request.ItemCode ?? context.Value("itemId")
            ?? throw InvoiceRequest.Invalid("create_invoice needs the QuickBooks item an invoice line sells: set the installation's itemId or the action's.");
        if (!item.All(char.IsAsciiDigit) || item.Length is 0 or > 20) throw InvoiceRequest.Invalid($"itemId '{item}' is not a QuickBooks Item id.");
        var realm = await QuickBooksApi.RealmIdAsync(context, cancellationToken);
        var customer = await CustomerAsync(context, realm, request, cancellationToken);

        var line = new JsonObject
        {
            ["DetailType"] = "SalesItemLineDetail",
            ["Amount"] = request.Amount,
            ["Description"] = request.Description,
            ["SalesItemLineDetail"] = new JsonObject { ["ItemRef"] = new JsonObject { ["value"] = item }, ["Qty"] = 1, ["UnitPrice"] = request.Amount },
        };
        var invoice = new JsonObject
        {
            ["CustomerRef"] = new JsonObject { ["value"] = QuickBooksApi.Text(customer["Id"]) },
            ["Line"] = new JsonArray(line),
            ["BillEmail"] = new JsonObject { ["Address"] = request.Email },
            ["PrivateNote"] = Cut($"Switchboard payment {request.IdempotencyKey}", 4000),
        };
        if (request.Date is { } date) invoice["TxnDate"] = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        if (request.Currency is { } currency) invoice["CurrencyRef"] = new JsonObject { ["value"] = currency };
        return await QuickBooksApi.SendAsync(context, realm, HttpMethod.Post, "/invoice", invoice, cancellationToken,
            requestId: QuickBooksApi.RequestId(context, "invoice", request.IdempotencyKey));
    }

    /// <summary>
    /// The customer with the email, else a new one. Display names are unique in a company: when another customer
    /// already has the name (error 6240), the one found by that name is used only if it has no other email.
    /// </summary>
    private static async Task<JsonObject> CustomerAsync(ConnectorContext context, string realm, InvoiceRequest request, CancellationToken cancellationToken)
    {
        var byEmail = await QuickBooksApi.QueryAsync(context, realm, "Customer",
            $"select * from Customer where PrimaryEmailAddr = {QuickBooksApi.Literal(request.Email)}", cancellationToken);
        if (byEmail.FirstOrDefault() is { } found) return found;
        var customer = new JsonObject
        {
            ["DisplayName"] = request.Name,
            ["PrimaryEmailAddr"] = new JsonObject { ["Address"] = request.Email },
        };
        if (request.CompanyName is { } company) customer["CompanyName"] = company;
        try
        {
            var created = await QuickBooksApi.SendAsync(context, realm, HttpMethod.Post, "/customer", customer, cancellationToken,
                requestId: QuickBooksApi.RequestId(context, "customer", request.IdempotencyKey));
            return (created.Json() as JsonObject)?["Customer"] as JsonObject
                ?? throw new ProviderException("QuickBooks answered no Customer.", created.Status, "unexpected_response", retryable: true);
        }
        catch (ProviderException ex) when (ex.Status == 400 && ex.ProviderError?.StartsWith("6240", StringComparison.Ordinal) == true)
        {
            var byName = await QuickBooksApi.QueryAsync(context, realm, "Customer",
                $"select * from Customer where DisplayName = {QuickBooksApi.Literal(request.Name)}", cancellationToken);
            var same = byName.FirstOrDefault(c => QuickBooksApi.Text(c["PrimaryEmailAddr"]?["Address"]) is not { } other
                || string.Equals(other, request.Email, StringComparison.OrdinalIgnoreCase));
            return same ?? throw new ProviderException(
                $"Another QuickBooks customer is named '{request.Name}' with another email: give the action a name for this customer.", 400, ex.ProviderError, retryable: false);
        }
    }

    /// <summary>
    /// The Profit and Loss report for the period, summarized: the CRM's analytics count the CRM's own payments and have
    /// no place for a ledger's figures, so the summary is the action's answer (kept in the rule's attempt log).
    /// </summary>
    private static async Task<ProviderResponse> RevenueAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var period = ReportPeriod.Read(input, context.Time);
        var method = InvoiceRequest.Text(input, "accountingMethod");
        if (method is not (null or "Cash" or "Accrual")) throw InvoiceRequest.Invalid("accountingMethod is Cash or Accrual.");
        var realm = await QuickBooksApi.RealmIdAsync(context, cancellationToken);
        var response = await QuickBooksApi.SendAsync(context, realm, HttpMethod.Get, "/reports/ProfitAndLoss", null, cancellationToken,
            $"start_date={period.StartText}&end_date={period.EndText}" + (method is null ? "" : "&accounting_method=" + method));
        var report = response.Json() as JsonObject ?? throw new ProviderException("QuickBooks' report is not JSON.", response.Status, "unexpected_response", retryable: true);
        var header = report["Header"] as JsonObject;
        var totals = new JsonObject();
        foreach (var row in (report["Rows"]?["Row"] as JsonArray ?? []).OfType<JsonObject>())
        {
            // Each top-level section's group (Income, COGS, GrossProfit, Expenses, NetOperatingIncome, NetIncome, …) and its summary's amount.
            if (QuickBooksApi.Text(row["group"]) is not { } group) continue;
            var amount = (row["Summary"]?["ColData"] as JsonArray)?.LastOrDefault();
            if (decimal.TryParse(QuickBooksApi.Text(amount?["value"]), NumberStyles.Number, CultureInfo.InvariantCulture, out var value))
                totals[char.ToLowerInvariant(group[0]) + group[1..]] = value;
        }
        return ActionAnswer.Of(new JsonObject
        {
            ["provider"] = QuickBooksDefinition.Key,
            ["realmId"] = realm,
            ["startDate"] = QuickBooksApi.Text(header?["StartPeriod"]) ?? period.StartText,
            ["endDate"] = QuickBooksApi.Text(header?["EndPeriod"]) ?? period.EndText,
            ["currency"] = QuickBooksApi.Text(header?["Currency"]),
            ["accountingMethod"] = QuickBooksApi.Text(header?["ReportBasis"]) ?? method,
            ["totalIncome"] = totals["income"]?.DeepClone(),
            ["grossProfit"] = totals["grossProfit"]?.DeepClone(),
            ["totalExpenses"] = totals["expenses"]?.DeepClone(),
            ["netIncome"] = totals["netIncome"]?.DeepClone(),
            ["sections"] = totals,
        });
    }

    /// <summary>
    /// Revokes the grant on uninstall (https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#revoke-token-disconnect):
    /// a JSON body with the refresh token, HTTP Basic client authentication, <c>Accept: application/json</c>.
    /// </summary>
    public override async Task RevokeAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var revokeUrl = ProviderUrls.RevokeUrl(context.Options, Definition);
        var tokens = context.Services.GetRequiredService<IntegrationSecrets>().Tokens(context.Installation);
        var settings = ProviderUrls.Settings(context.Options, Definition.Key);
        if (revokeUrl is null || tokens is null || settings?.ClientId is not { Length: > 0 } id || settings.ClientSecret is not { Length: > 0 } secret) return;
        var body = new JsonObject { ["token"] = tokens.RefreshToken ?? tokens.AccessToken }.ToJsonString();
        var response = await context.Http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, revokeUrl) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(
                Uri.EscapeDataString(id) + ":" + Uri.EscapeDataString(secret))));
            return request;
        }, cancellationToken, authenticate: false);
        if (!response.IsSuccess) throw QuickBooksErrors.From(response, context.Time);
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..max];
}
