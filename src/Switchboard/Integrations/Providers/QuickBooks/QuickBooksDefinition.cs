using Switchboard.Integrations.Catalog;

namespace Switchboard.Integrations.Providers.QuickBooks;

/// <summary>
/// QuickBooks Online's catalog entry. OAuth 2.0 as Intuit documents it
/// (https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0): the
/// authorize endpoint at appcenter.intuit.com, the token endpoint (code exchange and refresh, refresh tokens rotating)
/// with HTTP Basic client authentication, revocation at developer.api.intuit.com, the one accounting scope. The API's
/// base URL is production's or the sandbox's (https://developer.intuit.com/app/developer/qbo/docs/develop/sandboxes),
/// chosen per installation by <c>environment</c>.
/// </summary>
public static class QuickBooksDefinition
{
    public const string Key = "quickbooks";
    public const string CreateInvoice = "create_invoice", Revenue = "revenue";
    public const string Production = "api", Sandbox = "sandbox";

    public static ProviderDefinition Create() => new()
    {
        Key = Key,
        Name = "QuickBooks Online",
        Description = "Invoices in QuickBooks Online from completed payments (the customer found by email or created), and the Profit and Loss " +
            "report read back for revenue. Production or sandbox companies.",
        Category = ProviderCategory.Accounting,
        Auth = new ProviderAuth(ProviderAuthKind.OAuth2)
        {
            AuthorizeUrl = "https://appcenter.intuit.com/connect/oauth2",
            TokenUrl = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
            RevokeUrl = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
            Scopes = ["com.intuit.quickbooks.accounting"],
            ClientAuthentication = "basic",
        },
        ConfigSchema = """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "environment": {
              "enum": ["production", "sandbox"], "default": "production", "title": "Environment",
              "description": "production calls quickbooks.api.intuit.com; sandbox calls sandbox-quickbooks.api.intuit.com (a development company)."
            },
            "itemId": {
              "type": "string", "pattern": "^[0-9]{1,20}$", "title": "Product or service",
              "description": "The QuickBooks Item id (a product or service, e.g. 1 for Services) each invoice line sells; an action's itemId overrides it."
            }
          }
        }
        """,
        Actions =
        [
            new(CreateInvoice, "Creates an invoice for a payment: the customer found by email (or created), then one line of the configured item. " +
                "Safe to repeat: the same idempotencyKey makes no second invoice.", """
            {
              "type": "object", "required": ["idempotencyKey", "amount"], "additionalProperties": false,
              "properties": {
                "idempotencyKey": { "type": "string", "minLength": 1, "maxLength": 200, "description": "The payment's id ({{data.id}})." },
                "contactId": { "type": "string", "description": "A CRM contact (con_…) whose email, name and company make the customer ({{data.contactId}})." },
                "email": { "type": "string", "maxLength": 100, "description": "The customer's email, when no contactId is given (or to override it)." },
                "name": { "type": "string", "maxLength": 100 },
                "companyName": { "type": "string", "maxLength": 100 },
                "amount": { "type": ["number", "string"], "description": "The amount, at most two decimals ({{data.amount}})." },
                "currency": { "type": "string", "pattern": "^[A-Za-z]{3}$", "description": "Sent only for a multicurrency company." },
                "description": { "type": "string", "maxLength": 4000 },
                "date": { "type": "string", "description": "The invoice date (a date, or a time such as {{data.paidAt}}); QuickBooks' today when absent." },
                "itemId": { "type": "string", "pattern": "^[0-9]{1,20}$" }
              }
            }
            """),
            new(Revenue, "Reads the Profit and Loss report for a period and answers its income, gross profit, expenses and net income.", """
            {
              "type": "object", "additionalProperties": false,
              "properties": {
                "startDate": { "type": "string", "format": "date", "description": "Default: the first of January of this year." },
                "endDate": { "type": "string", "format": "date", "description": "Default: today." },
                "accountingMethod": { "enum": ["Cash", "Accrual"] }
              }
            }
            """),
        ],
        Triggers = ["payment.completed", "payment.*", "integration.scheduled"],
        AppInbound = [QuickBooksInbound.Kind],
        BaseUrls = new Dictionary<string, string>
        {
            [Production] = "https://quickbooks.api.intuit.com",
            [Sandbox] = "https://sandbox-quickbooks.api.intuit.com",
        },
        DocumentationUrl = "https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice",
    };
}
