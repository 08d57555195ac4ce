using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Tests.Integrations.TestProviders.TestKey;

/// <summary>A test-only provider authenticated by a pasted API key (a <c>writeOnly</c> field), for the catalog's filters and installs without OAuth.</summary>
public sealed class TestKeyConnector : Connector
{
    public const string Key = "test_key";

    public override ProviderDefinition Definition { get; } = new()
    {
        Key = Key, Name = "Test Ledger", Description = "Invoices and payments, for the framework's tests.", Category = ProviderCategory.Accounting,
        Auth = new ProviderAuth(ProviderAuthKind.ApiKey),
        ConfigSchema = """
            {
              "type": "object",
              "properties": {
                "apiKey": { "type": "string", "pattern": "^tk_", "writeOnly": true },
                "account": { "type": "string" },
                "lines": { "type": "array", "items": { "type": "object", "properties": { "code": { "type": "integer", "minimum": 1 } }, "required": ["code"] } }
              },
              "required": ["apiKey", "account"]
            }
            """,
        Actions = [new ProviderAction("create_invoice", "Creates an invoice.", """{"type":"object","properties":{"amount":{"type":"number"}}}""")],
        Triggers = ["deal.won"],
        Syncs = [new ProviderSync("customers", "companies", SyncDirection.TwoWay, 900, "Customers as companies.")],
        BaseUrls = new Dictionary<string, string> { ["api"] = "https://api.ledger.test.invalid" },
    };

    public override async Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var response = await context.Http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, context.BaseUrl() + "/ping");
            request.Headers.Add("X-Api-Key", context.Required("apiKey"));
            return request;
        }, cancellationToken);
        if (!response.IsSuccess) throw ProviderException.From(response, Definition.Name, response.Json()?["message"]?.GetValue<string>());
        return response;
    }
}
