using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Zapier;

/// <summary>
/// Zapier in the catalog: Switchboard's own Zapier app (<c>integrations/zapier</c>, docs/zapier.md), set up from Zapier's
/// side. Nothing is installed here: the app signs in to Switchboard (OAuth 2.0 with consent, or an API key), its actions
/// and searches call the REST API, and its instant triggers are REST hooks
/// (https://docs.zapier.com/platform/build/hook-trigger): turning a Zap on creates a webhook endpoint for the Zap's URL
/// with the trigger's event type, turning it off deletes it. <see cref="ProviderDefinition.Triggers"/> lists those event
/// types, kept equal to the app's <c>triggers/hooks.js</c> by a test. The catalog gives the app's address
/// (<c>auth.setupUrl</c>: the base URL <c>setup</c>, which an operator who pushed their own copy of the app points at
/// its invite link).
/// </summary>
public sealed class ZapierConnector : Connector
{
    public const string Key = "zapier";

    public override ProviderDefinition Definition { get; } = new()
    {
        Key = Key,
        Name = "Zapier",
        Description = "Connect the CRM to thousands of apps without code: Switchboard's Zapier app has instant triggers for new leads, lead status " +
            "changes, new contacts, deal stage changes, ended calls and payments, and actions that create and update records.",
        Category = ProviderCategory.Automation,
        Auth = new ProviderAuth(ProviderAuthKind.External),
        ConfigSchema = """{ "type": "object", "properties": {}, "additionalProperties": false }""",
        Triggers = ["lead.created", "lead.updated", "contact.created", "deal.stage_changed", "call.ended", "payment.completed"],
        BaseUrls = new Dictionary<string, string> { [ProviderAuthKind.SetupUrlName] = "https://zapier.com/apps/switchboard/integrations" },
        DocumentationUrl = "https://docs.zapier.com/platform/build/hook-trigger",
    };

    /// <summary>Never reached: an external provider cannot be installed, so there is no installation to test.</summary>
    public override Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken) =>
        throw new ProviderException("Zapier is set up from Zapier's side; there is no connection here to test.", null, null, retryable: false);
}
