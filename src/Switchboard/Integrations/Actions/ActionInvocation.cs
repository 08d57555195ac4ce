namespace Switchboard.Integrations.Actions;

/// <summary>
/// The delivery an action runs for, in the scope the <see cref="ActionRunner"/> gives the connector: its payload (the
/// event as a webhook receiver would get it), for a connector that renders a template of its own from it (the custom
/// HTTP integration's body template, JSON-escaped) rather than only the rule's rendered input.
/// </summary>
public sealed class ActionInvocation
{
    public string? Payload { get; set; }
}
