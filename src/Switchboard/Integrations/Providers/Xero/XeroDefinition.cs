using Switchboard.Integrations.Catalog;

namespace Switchboard.Integrations.Providers.Xero;

/// <summary>
/// Xero's catalog entry. OAuth 2.0 with PKCE as Xero documents it (https://developer.xero.com/documentation/guides/oauth2/auth-flow,
/// https://developer.xero.com/documentation/guides/oauth2/pkce-flow): authorize at login.xero.com, tokens at
/// identity.xero.com (HTTP Basic client authentication; refresh tokens rotate; <c>offline_access</c> for a refresh
/// token), revocation at identity.xero.com/connect/revocation. The organisation (tenant) a grant reaches comes from
/// <c>GET https://api.xero.com/connections</c> (https://developer.xero.com/documentation/guides/oauth2/tenants).
/// </summary>
public static class XeroDefinition
{
    public const string Key = "xero";
    public const string CreateInvoice = "create_invoice", Revenue = "revenue";
    public const string Api = "api", Connections = "connections";

    public static ProviderDefinition Create() => new()
    {
        Key = Key,
        Name = "Xero",
        Description = "Sales invoices in Xero from completed payments (the contact found by email or created), and the Profit and Loss " +
            "report read back for revenue, honouring Xero's minute, day and concurrency limits.",
        Category = ProviderCategory.Accounting,
        Auth = new ProviderAuth(ProviderAuthKind.OAuth2)
        {
            AuthorizeUrl = "https://login.xero.com/identity/connect/authorize",
            TokenUrl = "https://identity.xero.com/connect/token",
            RevokeUrl = "https://identity.xero.com/connect/revocation",
            // The narrowest scopes that cover the calls (https://developer.xero.com/documentation/guides/oauth2/scopes).
            Scopes = ["offline_access", "accounting.contacts", "accounting.transactions", "accounting.reports.read"],
            Pkce = true,
            ClientAuthentication = "basic",
        },
        ConfigSchema = """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "tenantId": {
              "type": "string", "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", "title": "Organisation",
              "description": "The Xero tenant id of the organisation to use when the connecting user grants several; not needed for one."
            },
            "accountCode": {
              "type": "string", "minLength": 1, "maxLength": 10, "default": "200", "title": "Sales account",
              "description": "The revenue account code invoice lines are posted to (200 is Sales in Xero's default chart of accounts)."
            },
            "invoiceStatus": {
              "enum": ["DRAFT", "AUTHORISED"], "default": "AUTHORISED", "title": "Invoice status",
              "description": "AUTHORISED invoices are approved at once; DRAFT ones wait for approval in Xero."
            }
          }
        }
        """,
        Actions =
        [
            new(CreateInvoice, "Creates a sales invoice (ACCREC) for a payment: the contact found by email (or created), then one line on the sales " +
                "account. Safe to repeat: the same idempotencyKey makes no second invoice.", """
            {
              "type": "object", "required": ["idempotencyKey", "amount"], "additionalProperties": false,
              "properties": {
                "idempotencyKey": { "type": "string", "minLength": 1, "maxLength": 200, "description": "The payment's id ({{data.id}})." },
                "contactId": { "type": "string", "description": "A CRM contact (con_…) whose email, name and company make the Xero contact ({{data.contactId}})." },
                "email": { "type": "string", "maxLength": 100 },
                "name": { "type": "string", "maxLength": 100 },
                "companyName": { "type": "string", "maxLength": 100 },
                "amount": { "type": ["number", "string"], "description": "The amount, at most two decimals ({{data.amount}})." },
                "currency": { "type": "string", "pattern": "^[A-Za-z]{3}$" },
                "description": { "type": "string", "maxLength": 4000 },
                "date": { "type": "string", "description": "The invoice date (a date, or a time such as {{data.paidAt}}); today when absent." },
                "accountCode": { "type": "string", "maxLength": 10 }
              }
            }
            """),
            new(Revenue, "Reads the Profit and Loss report for a period and answers its income, gross profit, operating expenses and net profit.", """
            {
              "type": "object", "additionalProperties": false,
              "properties": {
                "startDate": { "type": "string", "format": "date", "description": "Default: the first of January of this year." },
                "endDate": { "type": "string", "format": "date", "description": "Default: today." }
              }
            }
            """),
        ],
        Triggers = ["payment.completed", "payment.*", "integration.scheduled"],
        AppInbound = [XeroInbound.Kind],
        BaseUrls = new Dictionary<string, string>
        {
            [Api] = "https://api.xero.com/api.xro/2.0",
            [Connections] = "https://api.xero.com",
        },
        DocumentationUrl = "https://developer.xero.com/documentation/api/accounting/overview",
    };
}
