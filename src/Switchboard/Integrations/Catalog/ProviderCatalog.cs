using System.Collections.Frozen;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Catalog;

/// <summary>
/// Every provider this build knows: one <see cref="Connector"/> per folder of <c>Integrations/Providers/</c>, found at
/// start-up, and its icon (<c>icon.svg</c> in the same folder, embedded in the assembly and served by the node).
/// </summary>
public sealed class ProviderCatalog
{
    private readonly FrozenDictionary<string, Connector> _connectors;
    private readonly FrozenDictionary<string, byte[]> _icons;

    public ProviderCatalog(IEnumerable<Connector> connectors)
    {
        var list = connectors.OrderBy(c => c.Definition.Name, StringComparer.OrdinalIgnoreCase).ToList();
        var duplicate = list.GroupBy(c => c.Definition.Key, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException($"Two connectors declare the provider key '{duplicate.Key}'.");
        _connectors = list.ToFrozenDictionary(c => c.Definition.Key, StringComparer.Ordinal);
        All = list.Select(c => c.Definition).ToArray();
        var icons = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var connector in list)
        {
            // The folder is the connector's namespace's last part: Switchboard.Integrations.Providers.Slack → integrations/Slack/icon.svg.
            var folder = connector.GetType().Namespace!.Split('.')[^1];
            using var stream = connector.GetType().Assembly.GetManifestResourceStream($"integrations/{folder}/icon.svg")
                ?? throw new InvalidOperationException($"The {connector.Definition.Name} connector has no icon.svg in its folder.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            icons[connector.Definition.Key] = copy.ToArray();
        }
        _icons = icons.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Every provider's definition, by name.</summary>
    public IReadOnlyList<ProviderDefinition> All { get; }

    public Connector? Find(string key) => _connectors.GetValueOrDefault(key);

    public Connector Connector(string key) => Find(key) ?? throw new InvalidOperationException($"No provider '{key}' in this build.");

    public byte[]? Icon(string key) => _icons.GetValueOrDefault(key);

    /// <summary>Every connector class of the assembly (one per provider folder), for registration.</summary>
    public static IEnumerable<Type> ConnectorTypes() =>
        typeof(ProviderCatalog).Assembly.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false } && t.IsSubclassOf(typeof(Connector)));
}
