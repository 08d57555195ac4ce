using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Catalog;

namespace Switchboard.Dashboard;

/// <summary>How a configuration field is typed in: the control the form shows for its JSON Schema.</summary>
public enum ConfigFieldKind
{
    /// <summary>A string: a text input (<c>url</c>/<c>email</c> for those formats).</summary>
    Text,
    /// <summary>A <c>writeOnly</c> string (or <c>format: password</c>): a password input, never filled back in.</summary>
    Secret,
    /// <summary>An <c>enum</c>: a select.</summary>
    Choice,
    Boolean,
    WholeNumber,
    /// <summary>An array of strings: one per line.</summary>
    Lines,
    /// <summary>Anything else (objects, arrays of objects): JSON typed as JSON.</summary>
    Json,
}

/// <summary>One property of a provider's configuration schema, as a form field.</summary>
public sealed record ConfigField(
    string Name, string Label, ConfigFieldKind Kind, bool Required, string? Description, string? Default, IReadOnlyList<string> Options, string? Format)
{
    /// <summary>The form field's name: the field the API names its errors with (<c>config.url</c>).</summary>
    public string FormName => IntegrationConfigForm.Prefix + Name;

    /// <summary>An element id (HTML ids may hold dots, CSS selectors would need them escaped).</summary>
    public string InputId => "cfg-" + Name;
}

/// <summary>
/// The install form of a provider, generated from its configuration schema (<see cref="ProviderDefinition.ConfigSchema"/>,
/// JSON Schema 2020-12): one field per top-level property, typed by its schema, and the values typed read back into the
/// <c>config</c> of <c>POST /api/v1/integrations</c>. Only what a form must read is checked here (a whole number that
/// is one, JSON that parses); the schema itself is judged by the API's own code (<see cref="ConfigSchemas.Validate"/>),
/// whose messages appear beside these same fields.
/// </summary>
public sealed class IntegrationConfigForm
{
    public const string Prefix = "config.";
    public const string NameField = "name";

    public IReadOnlyList<ConfigField> Fields { get; }
    /// <summary>What was typed, by field name (secrets are never kept: a refused form asks for them again).</summary>
    public IReadOnlyDictionary<string, string> Values { get; }
    public string Name { get; }

    private IntegrationConfigForm(IReadOnlyList<ConfigField> fields, IReadOnlyDictionary<string, string> values, string name) =>
        (Fields, Values, Name) = (fields, values, name);

    /// <summary>An empty form for <paramref name="provider"/>, its fields showing the schema's defaults.</summary>
    public static IntegrationConfigForm For(ProviderDefinition provider) => For(provider.ConfigSchemaNode);

    public static IntegrationConfigForm For(JsonObject schema)
    {
        var fields = FieldsOf(schema);
        return new(fields, fields.Where(f => f.Default is not null && f.Kind != ConfigFieldKind.Secret).ToDictionary(f => f.Name, f => f.Default!), "");
    }

    /// <summary>The form as typed (<paramref name="form"/>), secrets dropped from what is shown again.</summary>
    public static IntegrationConfigForm From(JsonObject schema, IFormCollection form)
    {
        var fields = FieldsOf(schema);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in fields)
        {
            if (field.Kind == ConfigFieldKind.Secret) continue;
            values[field.Name] = field.Kind == ConfigFieldKind.Boolean ? (form[field.FormName].Contains("true") ? "true" : "false") : form[field.FormName].ToString();
        }
        var typed = new IntegrationConfigForm(fields, values, form[NameField].ToString());
        typed._secrets = fields.Where(f => f.Kind == ConfigFieldKind.Secret).ToDictionary(f => f.Name, f => form[f.FormName].ToString(), StringComparer.Ordinal);
        return typed;
    }

    private Dictionary<string, string> _secrets = [];

    public string Value(ConfigField field) => Values.GetValueOrDefault(field.Name, "");

    public bool IsChecked(ConfigField field) => Value(field) == "true";

    /// <summary>
    /// The <c>config</c> these fields stand for, or the fields that cannot be read, keyed as the API keys its errors. An
    /// empty field is left out (the schema's default or its <c>required</c> then decides).
    /// </summary>
    public JsonObject? ToConfig(out Dictionary<string, string[]> errors)
    {
        errors = new(StringComparer.OrdinalIgnoreCase);
        var config = new JsonObject();
        foreach (var field in Fields)
        {
            var text = field.Kind == ConfigFieldKind.Secret ? _secrets.GetValueOrDefault(field.Name, "") : Value(field);
            switch (field.Kind)
            {
                case ConfigFieldKind.Boolean:
                    // An unticked box says false only where the schema has a default to fall back on or the field is required.
                    if (text == "true" || field.Required || field.Default is not null) config[field.Name] = text == "true";
                    break;
                case ConfigFieldKind.WholeNumber when text.Trim().Length > 0:
                    if (long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)) config[field.Name] = number;
                    else errors[field.FormName] = ["Enter a whole number, such as 60."];
                    break;
                case ConfigFieldKind.Lines:
                    var lines = text.Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (lines.Length > 0) config[field.Name] = new JsonArray(lines.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray());
                    break;
                case ConfigFieldKind.Json when text.Trim().Length > 0:
                    try { config[field.Name] = JsonNode.Parse(text); }
                    catch (JsonException ex) { errors[field.FormName] = [$"Is not valid JSON: {ex.Message.Split(" Path:")[0]}"]; }
                    break;
                case ConfigFieldKind.Text or ConfigFieldKind.Choice or ConfigFieldKind.Secret when text.Trim().Length > 0:
                    config[field.Name] = field.Kind == ConfigFieldKind.Secret ? text : text.Trim();
                    break;
            }
        }
        return errors.Count > 0 ? null : config;
    }

    /// <summary>The schema's top-level properties, in their declared order.</summary>
    private static List<ConfigField> FieldsOf(JsonObject schema)
    {
        var required = schema["required"] is JsonArray r ? r.Select(x => x?.GetValue<string>()).OfType<string>().ToHashSet(StringComparer.Ordinal) : [];
        if (schema["properties"] is not JsonObject properties) return [];
        var fields = new List<ConfigField>();
        foreach (var (name, node) in properties)
        {
            if (node is not JsonObject property) continue;
            var format = Text(property["format"]);
            var options = property["enum"] is JsonArray values ? values.Select(v => v is JsonValue value ? value.ToJsonString().Trim('"') : "").Where(v => v.Length > 0).ToList() : [];
            var writeOnly = property["writeOnly"] is JsonValue w && w.TryGetValue<bool>(out var isWriteOnly) && isWriteOnly;
            var type = Text(property["type"]);
            var kind = options.Count > 0 ? ConfigFieldKind.Choice
                : writeOnly || format == "password" ? ConfigFieldKind.Secret
                : type switch
                {
                    "string" => ConfigFieldKind.Text,
                    "boolean" => ConfigFieldKind.Boolean,
                    "integer" => ConfigFieldKind.WholeNumber,
                    "array" when property["items"] is JsonObject items && Text(items["type"]) == "string" => ConfigFieldKind.Lines,
                    _ => ConfigFieldKind.Json,
                };
            var @default = property["default"] switch
            {
                null => null,
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                JsonValue v => v.ToJsonString(),
                JsonArray a when kind == ConfigFieldKind.Lines => string.Join("\n", a.Select(x => x?.ToString())),
                var other => other.ToJsonString(),
            };
            fields.Add(new ConfigField(name, Text(property["title"]) ?? Humanize(name), kind, required.Contains(name), Text(property["description"]), @default, options, format));
        }
        return fields;
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary><c>bodyTemplate</c> → "Body template", <c>webhookUrl</c> → "Webhook URL": a label for a property the schema gives no title.</summary>
    internal static string Humanize(string name)
    {
        var words = System.Text.RegularExpressions.Regex.Split(name.Replace('_', ' '), "(?<=[a-z0-9])(?=[A-Z])|\\s+")
            .Where(w => w.Length > 0).Select(w => w.ToLowerInvariant() switch { "url" => "URL", "id" => "ID", "api" => "API", "http" => "HTTP", var other => other }).ToList();
        if (words.Count == 0) return name;
        words[0] = char.ToUpperInvariant(words[0][0]) + words[0][1..];
        return string.Join(' ', words);
    }
}
