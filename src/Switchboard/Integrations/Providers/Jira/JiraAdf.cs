using System.Text.Json.Nodes;

namespace Switchboard.Integrations.Providers.Jira;

/// <summary>
/// Plain text as an Atlassian Document Format document
/// (https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/): <c>{"type":"doc","version":1,"content":[…]}</c>,
/// a <c>paragraph</c> per block of text between blank lines, a <c>hardBreak</c> for each single line break. Text nodes
/// carry the characters literally (ADF has no HTML: markup in a ticket shows as typed) and are never empty (ADF refuses
/// empty text nodes).
/// </summary>
public static class JiraAdf
{
    public static JsonObject FromText(string? text)
    {
        var content = new JsonArray();
        var normalized = (text ?? "").Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        foreach (var block in normalized.Split("\n\n", StringSplitOptions.None))
        {
            var lines = block.Split('\n').Select(l => l.TrimEnd()).ToList();
            while (lines.Count > 0 && lines[0].Length == 0) lines.RemoveAt(0);
            while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
            if (lines.Count == 0) continue;
            var inline = new JsonArray();
            for (var i = 0; i < lines.Count; i++)
            {
                if (i > 0) inline.Add(new JsonObject { ["type"] = "hardBreak" });
                if (lines[i].Length > 0) inline.Add(new JsonObject { ["type"] = "text", ["text"] = lines[i] });
            }
            content.Add(new JsonObject { ["type"] = "paragraph", ["content"] = inline });
        }
        return new JsonObject { ["type"] = "doc", ["version"] = 1, ["content"] = content };
    }
}
