using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Switchboard.Integrations.Catalog;
using Switchboard.Webhooks;

namespace Switchboard.Integrations.Actions;

/// <summary>
/// Checks a rule's action and input where the rule is saved: the action is one the provider declares, and the input
/// satisfies the action's JSON Schema (draft 2020-12, JsonSchema.Net) — except where a string holds a template variable, whose
/// value is only known per event (<c>"{{data.score}}"</c> for an integer field passes; the provider answers for the
/// filled value). Template variables must name a part of the payload. For a provider whose URLs the user gives
/// (<see cref="ProviderDefinition.UserSuppliedUrls"/>), an input <c>url</c> passes the SSRF guard's save-time check.
/// </summary>
public static class ActionInputCheck
{
    private static readonly ConcurrentDictionary<string, JsonSchema> Schemas = new(StringComparer.Ordinal);

    /// <summary>The field errors (named as in the rule's body: <c>action</c>, <c>input</c>, <c>input.channel</c>), none when valid.</summary>
    public static Dictionary<string, string[]> Check(ProviderDefinition provider, string action, JsonObject input, bool allowPrivateNetworks)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
            if (!list.Contains(message)) list.Add(message);
        }

        var declared = provider.Actions.FirstOrDefault(a => a.Name == action);
        if (declared is null)
        {
            Add("action", provider.Actions.Count == 0 ? $"{provider.Name} has no actions."
                : $"{provider.Name} has no action '{action}'; it has: {string.Join(", ", provider.Actions.Select(a => a.Name))}.");
            return Done(errors);
        }
        foreach (var path in ActionTemplate.Paths(input).Where(p => !ActionTemplate.IsKnownRoot(p)))
            Add("input", $"The template variable {{{{{path}}}}} names nothing in a payload; use data.<field>, previousAttributes.<field>, type, id or timestamp.");

        var schema = Schemas.GetOrAdd(provider.Key + "/" + action, static (_, text) => JsonSchema.FromText(text), declared.InputSchema);
        using var document = JsonDocument.Parse(input.ToJsonString());
        var results = schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (!results.IsValid)
            foreach (var (location, message) in Failures(results))
            {
                // A template variable's value is known per event: what the schema says of the text "{{…}}" does not count.
                if (At(input, location) is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Contains("{{", StringComparison.Ordinal)) continue;
                Add(location.Length == 0 ? "input" : "input." + location.Replace('/', '.'), message);
            }

        if (provider.UserSuppliedUrls && input["url"] is JsonValue url && url.GetValueKind() == JsonValueKind.String
            && OutboundGuard.ValidateUrl(ActionTemplate.RenderText(url.GetValue<string>(), new JsonObject(), _ => "x"), allowPrivateNetworks) is { } refused)
            Add("input.url", refused);
        return Done(errors);
    }

    private static Dictionary<string, string[]> Done(Dictionary<string, List<string>> errors) => errors.ToDictionary(e => e.Key, e => e.Value.ToArray());

    /// <summary>Every error of the evaluation's list output, with its instance location as a JSON Pointer without the leading slash.</summary>
    private static IEnumerable<(string Location, string Message)> Failures(EvaluationResults results)
    {
        var pending = new Stack<EvaluationResults>();
        pending.Push(results);
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            if (node.Errors is { Count: > 0 } errors)
            {
                var location = node.InstanceLocation.ToString().TrimStart('#').TrimStart('/');
                foreach (var (_, message) in errors) yield return (location, message);
            }
            if (node.Details is { } details)
                foreach (var detail in details) pending.Push(detail);
        }
    }

    /// <summary>The node at a JSON Pointer (RFC 6901) without its leading slash.</summary>
    private static JsonNode? At(JsonNode? node, string pointer)
    {
        if (pointer.Length == 0) return node;
        foreach (var raw in pointer.Split('/'))
        {
            var token = raw.Replace("~1", "/").Replace("~0", "~");
            node = node switch
            {
                JsonObject o => o[token],
                JsonArray a when int.TryParse(token, out var i) && i >= 0 && i < a.Count => a[i],
                _ => null,
            };
        }
        return node;
    }
}
