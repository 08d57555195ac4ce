using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Providers.Accounting;

namespace Switchboard.Integrations.Providers.Xero;

/// <summary>
/// Xero (<see cref="XeroDefinition"/>). <see cref="CompleteConnectionAsync"/> reads the organisations the grant reaches
/// (<c>GET /connections</c>) and keeps the one to use: the installation's <c>tenantId</c>, or the only one.
/// <c>create_invoice</c> finds the contact by email or creates it (https://developer.xero.com/documentation/api/accounting/contacts)
/// and creates an ACCREC invoice (https://developer.xero.com/documentation/api/accounting/invoices); <c>revenue</c>
/// reads the Profit and Loss report (https://developer.xero.com/documentation/api/accounting/reports#profit-and-loss).
/// </summary>
public sealed class XeroConnector : Connector
{
    public override ProviderDefinition Definition { get; } = XeroDefinition.Create();

    /// <summary>The organisation itself (<c>GET /Organisation</c>): cheap, and proves the token and the tenant together.</summary>
    public override async Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken) =>
        await XeroApi.SendAsync(context, await XeroApi.TenantIdAsync(context, cancellationToken), HttpMethod.Get, "/Organisation", null, cancellationToken);

    public override async Task<IReadOnlyDictionary<string, string>?> CompleteConnectionAsync(ConnectorContext context,
        IReadOnlyDictionary<string, string> callbackQuery, CancellationToken cancellationToken)
    {
        var url = context.BaseUrl(XeroDefinition.Connections) + "/connections";
        var response = await context.Http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            return request;
        }, cancellationToken);
        if (!response.IsSuccess) throw XeroErrors.From(response, context.Time);
        var organisations = (response.Json() as JsonArray ?? []).OfType<JsonObject>()
            .Where(c => XeroErrors.Text(c["tenantType"]) == "ORGANISATION" && XeroApi.IsTenantId(XeroErrors.Text(c["tenantId"]))).ToList();
        var wanted = context.Value("tenantId");
        var chosen = wanted is not null
            ? organisations.FirstOrDefault(c => string.Equals(XeroErrors.Text(c["tenantId"]), wanted, StringComparison.OrdinalIgnoreCase))
              ?? throw Refused($"The Xero organisation {wanted} (the installation's tenantId) is not among those this connection was granted.")
            : organisations.Count == 1 ? organisations[0]
            : throw Refused(organisations.Count == 0 ? "The Xero connection reaches no organisation."
                : "The Xero connection reaches several organisations (" + string.Join(", ", organisations.Select(c => $"{XeroErrors.Text(c["tenantName"])}: {XeroErrors.Text(c["tenantId"])}"))
                  + "): set the installation's tenantId to one of them and connect again.");
        var extra = new Dictionary<string, string> { [XeroApi.TenantIdExtra] = XeroErrors.Text(chosen["tenantId"])!.ToLowerInvariant() };
        if (XeroErrors.Text(chosen["tenantName"]) is { } name) extra[XeroApi.TenantNameExtra] = name.Length <= 200 ? name : name[..200];
        return extra;
    }

    /// <summary>A choice only the user can fix: the text is what the connect page shows (<see cref="ProviderException.ProviderError"/>).</summary>
    private static ProviderException Refused(string text) => new(text, null, text, retryable: false);

    /// <summary>The account the app-wide webhooks name (<see cref="XeroInbound"/>): the one <see cref="CompleteConnectionAsync"/> keeps.</summary>
    public override string? ProviderAccountExtra => XeroApi.TenantIdExtra;

    /// <summary>The app's webhook, verified with the operator's app secret (<see cref="XeroInbound.Read"/>).</summary>
    public override AppInbound? ReadAppInbound(Platform.SwitchboardOptions options, string kind, InboundRequest request) =>
        kind == XeroInbound.Kind ? XeroInbound.Read(options, request) : null;

    /// <summary>The app's webhook as one installation takes it: verified again, then its own account's changes recorded.</summary>
    public override Task<InboundResult> ReceiveAsync(ConnectorContext context, string kind, InboundRequest request, CancellationToken cancellationToken) =>
        kind == XeroInbound.Kind ? XeroInbound.ReceiveAsync(context, request, cancellationToken) : base.ReceiveAsync(context, kind, request, cancellationToken);

    public override async Task<ProviderResponse> RunActionAsync(ConnectorContext context, string action, JsonObject input, CancellationToken cancellationToken) => action switch
    {
        XeroDefinition.CreateInvoice => await CreateInvoiceAsync(context, input, cancellationToken),
        XeroDefinition.Revenue => await RevenueAsync(context, input, cancellationToken),
        _ => await base.RunActionAsync(context, action, input, cancellationToken),
    };

    private static async Task<ProviderResponse> CreateInvoiceAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var request = await InvoiceRequest.ReadAsync(context, input, "accountCode", cancellationToken);
        var account = request.ItemCode ?? context.Value("accountCode") ?? "200";
        if (account.Length > 10) throw InvoiceRequest.Invalid($"accountCode '{account}' is longer than Xero's 10 characters.");
        var status = context.Value("invoiceStatus") is "DRAFT" ? "DRAFT" : "AUTHORISED";
        var tenant = await XeroApi.TenantIdAsync(context, cancellationToken);
        var contactId = await ContactAsync(context, tenant, request, cancellationToken);
        var date = (request.Date ?? DateOnly.FromDateTime(context.Time.GetUtcNow().UtcDateTime)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var invoice = new JsonObject
        {
            ["Type"] = "ACCREC",
            ["Contact"] = new JsonObject { ["ContactID"] = contactId },
            ["Date"] = date,
            ["DueDate"] = date, // paid already: due on the day
            ["LineAmountTypes"] = "Exclusive",
            ["LineItems"] = new JsonArray(new JsonObject
            {
                ["Description"] = request.Description, ["Quantity"] = 1, ["UnitAmount"] = request.Amount, ["AccountCode"] = account,
            }),
            ["Reference"] = Cut("Switchboard " + request.IdempotencyKey, 255),
            ["Status"] = status,
        };
        if (request.Currency is { } currency) invoice["CurrencyCode"] = currency;
        return await XeroApi.SendAsync(context, tenant, HttpMethod.Post, "/Invoices", new JsonObject { ["Invoices"] = new JsonArray(invoice) }, cancellationToken,
            XeroApi.IdempotencyKey(context, "invoice", request.IdempotencyKey));
    }

    /// <summary>
    /// The contact with the email, else a new one. Contact names are unique in an organisation: when Xero refuses the
    /// name, the contact of that name is used if it has no other email.
    /// </summary>
    private static async Task<string> ContactAsync(ConnectorContext context, string tenant, InvoiceRequest request, CancellationToken cancellationToken)
    {
        if (await FindAsync(context, tenant, "EmailAddress", request.Email, cancellationToken) is { } found) return found;
        var contact = new JsonObject { ["Name"] = request.Name, ["EmailAddress"] = request.Email };
        try
        {
            var created = await XeroApi.SendAsync(context, tenant, HttpMethod.Post, "/Contacts", new JsonObject { ["Contacts"] = new JsonArray(contact) },
                cancellationToken, XeroApi.IdempotencyKey(context, "contact", request.IdempotencyKey));
            return XeroErrors.Text((created.Json() as JsonObject)?["Contacts"]?[0]?["ContactID"])
                ?? throw new ProviderException("Xero answered no ContactID.", created.Status, "unexpected_response", retryable: true);
        }
        catch (ProviderException ex) when (ex.Status == 400 && ex.ProviderError?.Contains("already assigned to another contact", StringComparison.OrdinalIgnoreCase) == true)
        {
            return await FindAsync(context, tenant, "Name", request.Name, cancellationToken, sameEmail: request.Email)
                ?? throw new ProviderException($"Another Xero contact is named '{request.Name}' with another email: give the action a name for this customer.",
                    400, ex.ProviderError, retryable: false);
        }
    }

    private static async Task<string?> FindAsync(ConnectorContext context, string tenant, string field, string value, CancellationToken cancellationToken, string? sameEmail = null)
    {
        var response = await XeroApi.SendAsync(context, tenant, HttpMethod.Get,
            "/Contacts?where=" + Uri.EscapeDataString($"{field}=={XeroApi.Literal(value)}"), null, cancellationToken);
        return ((response.Json() as JsonObject)?["Contacts"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(c => sameEmail is null || XeroErrors.Text(c["EmailAddress"]) is not { } other || string.Equals(other, sameEmail, StringComparison.OrdinalIgnoreCase))
            .Select(c => XeroErrors.Text(c["ContactID"])).FirstOrDefault(id => id is not null);
    }

    /// <summary>
    /// The Profit and Loss report, summarized from its rows' labels (Xero's report rows are labelled, not grouped): the
    /// CRM's analytics have no place for a ledger's figures, so the summary is the action's answer.
    /// </summary>
    private static async Task<ProviderResponse> RevenueAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var period = ReportPeriod.Read(input, context.Time);
        var tenant = await XeroApi.TenantIdAsync(context, cancellationToken);
        var response = await XeroApi.SendAsync(context, tenant, HttpMethod.Get, $"/Reports/ProfitAndLoss?fromDate={period.StartText}&toDate={period.EndText}", null, cancellationToken);
        var report = ((response.Json() as JsonObject)?["Reports"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault()
            ?? throw new ProviderException("Xero answered no report.", response.Status, "unexpected_response", retryable: true);
        var figures = new JsonObject();
        void Walk(JsonArray? rows)
        {
            foreach (var row in (rows ?? []).OfType<JsonObject>())
            {
                Walk(row["Rows"] as JsonArray);
                if (XeroErrors.Text(row["RowType"]) is not ("Row" or "SummaryRow") || row["Cells"] is not JsonArray { Count: >= 2 } cells) continue;
                if (XeroErrors.Text(cells[0]?["Value"]) is { } label && decimal.TryParse(XeroErrors.Text(cells[^1]?["Value"]), NumberStyles.Number, CultureInfo.InvariantCulture, out var value)
                    && label is "Total Income" or "Total Trading Income" or "Gross Profit" or "Total Operating Expenses" or "Net Profit")
                    figures[label] = value;
            }
        }
        Walk(report["Rows"] as JsonArray);
        return ActionAnswer.Of(new JsonObject
        {
            ["provider"] = XeroDefinition.Key,
            ["tenantId"] = tenant,
            ["startDate"] = period.StartText,
            ["endDate"] = period.EndText,
            ["reportTitle"] = XeroErrors.Text(report["ReportName"]),
            ["totalIncome"] = (figures["Total Income"] ?? figures["Total Trading Income"])?.DeepClone(),
            ["grossProfit"] = figures["Gross Profit"]?.DeepClone(),
            ["totalExpenses"] = figures["Total Operating Expenses"]?.DeepClone(),
            ["netIncome"] = figures["Net Profit"]?.DeepClone(),
            ["rows"] = figures,
        });
    }

    /// <summary>
    /// Revokes the refresh token on uninstall (https://developer.xero.com/documentation/guides/oauth2/auth-flow#revoking-tokens):
    /// a form with <c>token</c>, HTTP Basic client authentication; Xero then removes the app's connections.
    /// </summary>
    public override async Task RevokeAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var revokeUrl = ProviderUrls.RevokeUrl(context.Options, Definition);
        var tokens = context.Services.GetRequiredService<IntegrationSecrets>().Tokens(context.Installation);
        var settings = ProviderUrls.Settings(context.Options, Definition.Key);
        if (revokeUrl is null || tokens?.RefreshToken is not { } refresh || settings?.ClientId is not { Length: > 0 } id || settings.ClientSecret is not { Length: > 0 } secret) return;
        var response = await context.Http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, revokeUrl) { Content = new FormUrlEncodedContent([new("token", refresh)]) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(
                Uri.EscapeDataString(id) + ":" + Uri.EscapeDataString(secret))));
            return request;
        }, cancellationToken, authenticate: false);
        if (!response.IsSuccess) throw XeroErrors.From(response, context.Time);
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..max];
}
