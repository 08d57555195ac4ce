using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Actions;

namespace Switchboard.Dashboard;

/// <summary>
/// The fields of the dashboard's rule editor, as typed, and their translation into the body of
/// <c>POST /api/v1/integrations/{id}/rules</c> or <c>PATCH …/rules/{ruleId}</c>: the events that run the action, the
/// action, its input template as JSON and whether the rule is enabled. Only the JSON is read here; the rest is the API
/// validator's to judge (<see cref="RulesApi"/>), its messages shown beside these same fields.
/// </summary>
public sealed class IntegrationRuleForm
{
    public const string EventsField = "events", ActionField = "action", InputField = "input", IsActiveField = "isActive";

    /// <summary>Event types or patterns (<c>lead.*</c>), separated by commas, spaces or lines.</summary>
    public string Events { get; init; } = "";
    public string Action { get; init; } = "";
    public string Input { get; init; } = "{}";
    public bool IsActive { get; init; } = true;

    public static IntegrationRuleForm From(IFormCollection form) => new()
    {
        Events = form[EventsField].ToString(),
        Action = form[ActionField].ToString().Trim(),
        Input = form[InputField].ToString(),
        IsActive = form[IsActiveField].Contains("true"),
    };

    public static IntegrationRuleForm Of(RuleResponse rule) => new()
    {
        Events = string.Join(", ", rule.Events), Action = rule.Action,
        Input = rule.Input.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), IsActive = rule.IsActive,
    };

    /// <summary>The API request these fields stand for, or the field that cannot be read, keyed as the API keys its errors.</summary>
    public RuleInput? ToRequest(out Dictionary<string, string[]> errors)
    {
        errors = new(StringComparer.OrdinalIgnoreCase);
        JsonObject? input = null;
        if (Input.Trim().Length == 0) input = [];
        else
        {
            try
            {
                input = JsonNode.Parse(Input) as JsonObject;
                if (input is null) errors[InputField] = ["Enter a JSON object, such as {\"channel\": \"#sales\"}; {} when the action takes no input."];
            }
            catch (JsonException ex) { errors[InputField] = [$"Is not valid JSON: {ex.Message.Split(" Path:")[0]}"]; }
        }
        if (input is null) return null;
        var events = Events.Split([',', ' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return new RuleInput(events, default, Action, input, default, default, IsActive);
    }
}
