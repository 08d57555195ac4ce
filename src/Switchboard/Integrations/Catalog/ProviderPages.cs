using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Catalog;

/// <summary>
/// A developer-portal page per provider of the build, written from its definition alone (nothing about a provider is
/// written twice): what it does, how it authenticates, every configuration field with its type and whether it is a
/// credential, its actions with their inputs, the events it is meant for, its syncs and its inbound traffic.
/// </summary>
public static class ProviderPages
{
    public const string SlugPrefix = "integrations-";

    /// <summary>The pages of the catalog's providers (slug, Markdown), by provider name.</summary>
    public static IEnumerable<(string Slug, string Markdown)> Sources(ProviderCatalog catalog) =>
        catalog.All
            .OrderBy(d => d.Name, StringComparer.OrdinalIgnoreCase)
            .Select(d => (SlugPrefix + d.Key.Replace('_', '-'), Markdown(d)));

    private static string Cell(string? text) => (text ?? "").Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");

    public static string Markdown(ProviderDefinition p)
    {
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# {p.Name} integration").AppendLine().AppendLine();
        md.AppendLine(p.Description).AppendLine();
        md.Append(CultureInfo.InvariantCulture, $"Provider key `{p.Key}`, category `{p.Category}`, version {p.Version}, by {p.Publisher}.");
        if (p.DocumentationUrl is not null) md.Append(CultureInfo.InvariantCulture, $" The provider's own API reference: <{p.DocumentationUrl}>.");
        md.AppendLine().AppendLine();
        if (p.Auth.Kind == ProviderAuthKind.External)
            md.Append(CultureInfo.InvariantCulture, $"It is set up from {p.Name}'s side, not installed here: add the Switchboard app in {p.Name}")
                .Append(p.BaseUrls.TryGetValue(ProviderAuthKind.SetupUrlName, out var setup) ? $" (<{setup}>, or the copy your operator names in the catalog's `auth.setupUrl`)" : "")
                .Append(" and sign in to Switchboard there.").AppendLine().AppendLine();
        else
            md.Append(CultureInfo.InvariantCulture, $"Install it with `POST /api/v1/integrations` and `\"provider\": \"{p.Key}\"`; see [Integrations](integrations.md) for the whole life of an installation.")
                .AppendLine().AppendLine();

        md.AppendLine("## Authentication").AppendLine();
        md.AppendLine(p.Auth.Kind switch
        {
            ProviderAuthKind.OAuth2 => $"OAuth 2.0{(p.Auth.Pkce ? " with PKCE" : "")}: after installing, connect it with `GET /api/v1/integrations/{{id}}/connect`." +
                (p.Auth.Scopes.Count > 0 ? $" It asks for the scopes {string.Join(", ", p.Auth.Scopes.Select(s => $"`{s}`"))}." : ""),
            ProviderAuthKind.ApiKey => "An API key of your account at the provider, given in the configuration (stored encrypted).",
            ProviderAuthKind.Basic => "A user name and password of your account at the provider, given in the configuration (stored encrypted).",
            ProviderAuthKind.WebhookUrl => "A webhook URL the provider gives you, pasted into the configuration (stored encrypted).",
            ProviderAuthKind.External => $"{p.Name} signs in to Switchboard itself (OAuth 2.0 with your consent, or an API key) and calls the API; its instant triggers are REST hooks, [webhook endpoints](webhooks.md) it creates and deletes.",
            _ => "None.",
        }).AppendLine();

        md.AppendLine("## Configuration").AppendLine();
        var schema = p.ConfigSchemaNode;
        var required = schema["required"] is JsonArray r ? r.Select(x => x?.GetValue<string>()).ToHashSet() : [];
        if (schema["properties"] is JsonObject { Count: > 0 } properties)
        {
            md.AppendLine("| field | type | required | description |").AppendLine("| --- | --- | --- | --- |");
            foreach (var (name, node) in properties)
            {
                var type = node?["type"]?.ToJsonString().Trim('"') ?? (node?["enum"] is JsonArray e ? "one of " + string.Join(", ", e.Select(v => v?.ToJsonString())) : "any");
                var secret = node?["writeOnly"] is JsonValue w && w.TryGetValue<bool>(out var isSecret) && isSecret;
                var description = node?["description"]?.GetValue<string>();
                md.Append(CultureInfo.InvariantCulture,
                    $"| `{name}` | {Cell(type)} | {(required.Contains(name) ? "yes" : "no")} | {Cell(description)}{(secret ? " (a credential: encrypted, never returned)" : "")} |").AppendLine();
            }
            md.AppendLine();
        }
        else md.AppendLine("Nothing to configure.").AppendLine();

        if (p.Actions.Count > 0)
        {
            md.AppendLine("## Actions").AppendLine();
            foreach (var action in p.Actions)
                md.Append(CultureInfo.InvariantCulture, $"- `{action.Name}`: {action.Description} Input: `{Cell(action.InputSchema)}`").AppendLine();
            md.AppendLine();
        }
        if (p.Triggers.Count > 0)
            md.AppendLine(p.Auth.Kind == ProviderAuthKind.External ? "## Events its triggers subscribe to" : "## Events it is meant for").AppendLine().AppendLine(string.Join(", ", p.Triggers.Select(t => $"`{t}`"))).AppendLine();
        if (p.Syncs.Count > 0)
        {
            md.AppendLine("## Syncs").AppendLine().AppendLine("| model | CRM resource | direction | every | description |").AppendLine("| --- | --- | --- | --- | --- |");
            foreach (var sync in p.Syncs)
                md.Append(CultureInfo.InvariantCulture,
                    $"| `{sync.Model}` | `{sync.LocalResource}` | {sync.Direction.Replace('_', '-')} | {TimeSpan.FromSeconds(sync.DefaultIntervalSeconds):g} | {Cell(sync.Description)} |").AppendLine();
            md.AppendLine();
        }
        if (p.Inbound.Count > 0 || p.AppInbound.Count > 0)
        {
            md.AppendLine("## Inbound traffic").AppendLine();
            if (p.Inbound.Count > 0)
                md.Append("It receives ").Append(string.Join(", ", p.Inbound.Select(k => $"`{k}`")))
                    .AppendLine(" from the provider on `POST /api/v1/integrations/{id}/inbound/{kind}`, verified by the provider's own signature scheme.").AppendLine();
            if (p.AppInbound.Count > 0)
                md.Append("It receives ").Append(string.Join(", ", p.AppInbound.Select(k => $"`{k}`")))
                    .Append(" for every connected account on one URL per app, `POST ").Append(Actions.InboundApi.ProviderPath(p.Key, "{kind}"))
                    .AppendLine("`, verified with the operator's app secret and handed to the installations connected to the account it names.").AppendLine();
        }
        return md.ToString();
    }
}
