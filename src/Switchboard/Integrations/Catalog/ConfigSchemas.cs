using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Switchboard.Integrations.Catalog;

/// <summary>
/// A provider's configuration schema at work: validating an installation's configuration (JSON Schema 2020-12, by
/// JsonSchema.Net), each error as a field of the body (<c>config.channel</c>, <c>config.headers[0].name</c>), and
/// splitting the configuration into its plain fields and its credentials (the properties the schema marks
/// <c>"writeOnly": true</c>, JSON Schema Validation §9.4), which are stored encrypted and never returned.
/// </summary>
public static class ConfigSchemas
{
    private sealed record Compiled(JsonSchema Schema, IReadOnlySet<string> Secrets, IReadOnlyList<string> Required);

    // Parsed once per provider: the definitions are fixed for the life of the process.
    private static readonly ConcurrentDictionary<string, Compiled> Cache = new(StringComparer.Ordinal);

    private static readonly EvaluationOptions Options = new() { OutputFormat = OutputFormat.List, RequireFormatValidation = true };

    private static Compiled For(ProviderDefinition provider) => Cache.GetOrAdd(provider.Key, _ =>
    {
        var node = provider.ConfigSchemaNode;
        var secrets = new HashSet<string>(StringComparer.Ordinal);
        if (node["properties"] is JsonObject properties)
            foreach (var (name, property) in properties)
                if (property is JsonObject p && p["writeOnly"] is JsonValue w && w.TryGetValue<bool>(out var writeOnly) && writeOnly) secrets.Add(name);
        var required = node["required"] is JsonArray r ? r.Select(x => x?.GetValue<string>()).OfType<string>().ToList() : [];
        return new Compiled(JsonSchema.FromText(provider.ConfigSchema), secrets, required);
    });

    /// <summary>The names of the provider's credential fields (<c>writeOnly</c>).</summary>
    public static IReadOnlySet<string> CredentialFields(ProviderDefinition provider) => For(provider).Secrets;

    /// <summary>The errors of <paramref name="config"/> against the provider's schema, by field (<c>config.…</c>); empty when valid.</summary>
    public static Dictionary<string, string[]> Validate(ProviderDefinition provider, JsonObject config)
    {
        var compiled = For(provider);
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
            if (!list.Contains(message)) list.Add(message);
        }
        // The top level's missing fields are named one by one (the validator reports them together, on the object).
        foreach (var name in compiled.Required)
            if (config[name] is null) Add("config." + name, "Is required.");
        using var document = JsonDocument.Parse(config.ToJsonString());
        var result = compiled.Schema.Evaluate(document.RootElement, Options);
        if (!result.IsValid)
            foreach (var detail in result.Details ?? [])
            {
                if (detail.Errors is not { Count: > 0 } messages) continue;
                var field = FieldOf(detail.InstanceLocation.ToString());
                foreach (var (keyword, message) in messages)
                {
                    if (keyword == "required" && field == "config" && compiled.Required.Count > 0) continue; // named above
                    // "false" schemas (additionalProperties: false) say "All values fail against the false schema": say what it means.
                    Add(field, keyword == "" || message.Contains("false schema", StringComparison.Ordinal) ? "Is not a field of this provider's configuration." : message);
                }
            }
        if (errors.Count == 0 && !result.IsValid) Add("config", "Does not match the provider's configuration schema.");
        return errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
    }

    /// <summary>A JSON Pointer (RFC 6901) into the configuration as a body field: <c>/headers/0/name</c> → <c>config.headers[0].name</c>.</summary>
    public static string FieldOf(string location)
    {
        var field = new System.Text.StringBuilder("config");
        foreach (var raw in location.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var segment = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (segment.All(char.IsAsciiDigit)) field.Append('[').Append(segment).Append(']');
            else field.Append('.').Append(segment);
        }
        return field.ToString();
    }

    /// <summary>The configuration's plain fields and its credentials (the schema's <c>writeOnly</c> properties).</summary>
    public static (JsonObject Plain, JsonObject Credentials) Split(ProviderDefinition provider, JsonObject config)
    {
        var secrets = For(provider).Secrets;
        JsonObject plain = [], credentials = [];
        foreach (var (name, value) in config)
            (secrets.Contains(name) ? credentials : plain)[name] = value?.DeepClone();
        return (plain, credentials);
    }

    /// <summary>
    /// <paramref name="current"/> with <paramref name="patch"/> merged in as RFC 7396 (JSON Merge Patch) says: a field set
    /// to null is removed, an object merged field by field, anything else replaced.
    /// </summary>
    public static JsonObject Merge(JsonObject current, JsonObject patch)
    {
        var merged = current.DeepClone().AsObject();
        foreach (var (name, value) in patch)
        {
            if (value is null) merged.Remove(name);
            else if (value is JsonObject inner && merged[name] is JsonObject existing) merged[name] = Merge(existing, inner);
            else merged[name] = value.DeepClone();
        }
        return merged;
    }
}
