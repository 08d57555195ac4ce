using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchboard.Integrations.Actions;

/// <summary>
/// A rule's filter (<c>score >= 80 and (status == "new" or source in ["web", "ads"])</c>): comparisons of a field of the
/// event's data (a dotted path: <c>company.size</c>) with a literal (a number, a string in double or single quotes,
/// <c>true</c>, <c>false</c>, <c>null</c>), joined by <c>and</c> / <c>or</c> (and binding tighter) and grouped with
/// parentheses. Operators: <c>== != &gt; &gt;= &lt; &lt;=</c> and <c>in [list]</c>. A data, not a program: nothing is
/// executed, the parse is bounded (<see cref="MaxLength"/>, <see cref="MaxDepth"/>), and a filter is parsed once per
/// process (<see cref="Cached"/>), checked where a rule is saved (<see cref="TryParse"/> names the error).
/// <para>
/// Semantics, chosen to surprise least: a missing field is <c>null</c>; <c>==</c> and <c>!=</c> compare values of one
/// JSON type (numbers numerically, strings ordinally), different types are unequal; ordering compares two numbers or two
/// strings (ISO 8601 times order as strings) and is false otherwise, so <c>score &gt; 80</c> never matches a lead without
/// a score.
/// </para>
/// </summary>
public sealed class EventFilter
{
    public const int MaxLength = 1000;
    private const int MaxDepth = 16;
    private const int MaxCacheEntries = 10_000;
    private static readonly ConcurrentDictionary<string, EventFilter?> Cache = new(StringComparer.Ordinal);

    private readonly Node _root;
    public string Text { get; }

    private EventFilter(string text, Node root) => (Text, _root) = (text, root);

    /// <summary>Parses a filter, or answers why it is not one (a message for the API's field error).</summary>
    public static bool TryParse(string text, out EventFilter? filter, out string? error)
    {
        filter = null;
        if (string.IsNullOrWhiteSpace(text)) { error = "Must not be empty; leave the filter out to take every event."; return false; }
        if (text.Length > MaxLength) { error = $"Must be at most {MaxLength} characters."; return false; }
        try
        {
            var parser = new Parser(text);
            var root = parser.ParseAll();
            filter = new EventFilter(text, root);
            error = null;
            return true;
        }
        catch (FormatException ex)
        {
            error = ex.Message;
            return false;
        }
    }

    /// <summary>The parsed filter of a stored rule, parsed once per process; null when the text is not a filter (never saved so).</summary>
    public static EventFilter? Cached(string text)
    {
        if (Cache.TryGetValue(text, out var cached)) return cached;
        if (!TryParse(text, out var filter, out _)) filter = null;
        if (Cache.Count >= MaxCacheEntries) Cache.Clear(); // rules are few; a flood of distinct texts only costs re-parsing
        Cache[text] = filter;
        return filter;
    }

    /// <summary>Whether the event's data (a JSON object) matches.</summary>
    public bool Matches(JsonNode? data) => _root.Evaluate(data);

    /// <summary>Whether the event's data, as JSON text, matches; data that is not JSON matches nothing.</summary>
    public bool Matches(string data)
    {
        try { return Matches(JsonNode.Parse(data)); }
        catch (JsonException) { return false; }
    }

    private abstract class Node
    {
        public abstract bool Evaluate(JsonNode? data);
    }

    private sealed class And(Node left, Node right) : Node
    {
        public override bool Evaluate(JsonNode? data) => left.Evaluate(data) && right.Evaluate(data);
    }

    private sealed class Or(Node left, Node right) : Node
    {
        public override bool Evaluate(JsonNode? data) => left.Evaluate(data) || right.Evaluate(data);
    }

    private sealed class Comparison(string[] path, string op, Literal[] values) : Node
    {
        public override bool Evaluate(JsonNode? data)
        {
            var field = Literal.Of(Resolve(data, path));
            return op switch
            {
                "==" => field.EqualTo(values[0]),
                "!=" => !field.EqualTo(values[0]),
                "in" => values.Any(field.EqualTo),
                _ => field.CompareTo(values[0]) is { } c && op switch { ">" => c > 0, ">=" => c >= 0, "<" => c < 0, _ => c <= 0 },
            };
        }
    }

    /// <summary>The value at a dotted path of a JSON object, or null.</summary>
    internal static JsonNode? Resolve(JsonNode? node, IReadOnlyList<string> path)
    {
        foreach (var segment in path)
        {
            if (node is not JsonObject obj || !obj.TryGetPropertyValue(segment, out node)) return null;
        }
        return node;
    }

    /// <summary>A JSON scalar: a number, a string, a boolean or null (objects and arrays compare as null).</summary>
    private readonly record struct Literal(JsonValueKind Kind, double Number, string? Text)
    {
        public static readonly Literal Null = new(JsonValueKind.Null, 0, null);

        public static Literal Of(JsonNode? node)
        {
            if (node is not JsonValue value) return Null;
            return value.GetValueKind() switch
            {
                JsonValueKind.Number => new(JsonValueKind.Number, value.GetValue<double>(), null),
                JsonValueKind.String => new(JsonValueKind.String, 0, value.GetValue<string>()),
                JsonValueKind.True => new(JsonValueKind.True, 0, null),
                JsonValueKind.False => new(JsonValueKind.False, 0, null),
                _ => Null,
            };
        }

        public bool EqualTo(Literal other) => Kind == other.Kind && Kind switch
        {
            JsonValueKind.Number => Number.Equals(other.Number),
            JsonValueKind.String => string.Equals(Text, other.Text, StringComparison.Ordinal),
            _ => true,
        };

        public int? CompareTo(Literal other) => (Kind, other.Kind) switch
        {
            (JsonValueKind.Number, JsonValueKind.Number) => Number.CompareTo(other.Number),
            (JsonValueKind.String, JsonValueKind.String) => string.CompareOrdinal(Text, other.Text),
            _ => null,
        };
    }

    /// <summary>A recursive-descent parser over the text; errors name the position (1-based) and what was expected.</summary>
    private sealed class Parser(string text)
    {
        private int _at;
        private int _depth;

        public Node ParseAll()
        {
            var node = ParseOr();
            SkipSpace();
            if (_at < text.Length) throw Error($"unexpected '{Rest()}'; join conditions with 'and' or 'or'");
            return node;
        }

        private Node ParseOr()
        {
            var left = ParseAnd();
            while (TryKeyword("or")) left = new Or(left, ParseAnd());
            return left;
        }

        private Node ParseAnd()
        {
            var left = ParsePrimary();
            while (TryKeyword("and")) left = new And(left, ParsePrimary());
            return left;
        }

        private Node ParsePrimary()
        {
            SkipSpace();
            if (Peek() == '(')
            {
                if (++_depth > MaxDepth) throw Error($"more than {MaxDepth} nested parentheses");
                _at++;
                var inner = ParseOr();
                SkipSpace();
                if (Peek() != ')') throw Error("expected ')'");
                _at++;
                _depth--;
                return inner;
            }
            var path = ParsePath();
            SkipSpace();
            var op = ParseOperator();
            SkipSpace();
            if (op == "in")
            {
                var open = Peek();
                if (open is not ('[' or '(')) throw Error("expected a list after 'in', such as [\"web\", \"ads\"]");
                var close = open == '[' ? ']' : ')';
                _at++;
                var values = new List<Literal>();
                while (true)
                {
                    SkipSpace();
                    values.Add(ParseValue());
                    SkipSpace();
                    if (Peek() == ',') { _at++; continue; }
                    if (Peek() == close) { _at++; break; }
                    throw Error($"expected ',' or '{close}' in the list");
                }
                if (values.Count > 100) throw Error("a list of more than 100 values");
                return new Comparison(path, op, [.. values]);
            }
            return new Comparison(path, op, [ParseValue()]);
        }

        private string[] ParsePath()
        {
            var segments = new List<string>();
            while (true)
            {
                var start = _at;
                while (_at < text.Length && (char.IsAsciiLetterOrDigit(text[_at]) || text[_at] == '_')) _at++;
                if (_at == start || char.IsAsciiDigit(text[start])) throw Error("expected a field name (such as score or company.name)");
                segments.Add(text[start.._at]);
                if (Peek() != '.') break;
                _at++;
            }
            if (segments.Count == 1 && segments[0] is "and" or "or" or "in" or "true" or "false" or "null")
                throw Error($"expected a field name, not '{segments[0]}'");
            return [.. segments];
        }

        private string ParseOperator()
        {
            foreach (var op in (string[])["==", "!=", ">=", "<=", ">", "<"])
                if (string.CompareOrdinal(text, _at, op, 0, op.Length) == 0) { _at += op.Length; return op; }
            if (TryKeyword("in")) return "in";
            if (Peek() == '=') throw Error("use '==' to compare");
            throw Error("expected an operator: == != > >= < <= in");
        }

        private Literal ParseValue()
        {
            var c = Peek();
            if (c is '"' or '\'') return new Literal(JsonValueKind.String, 0, ParseString(c));
            if (c == '-' || char.IsAsciiDigit(c))
            {
                var start = _at;
                _at++;
                while (_at < text.Length && (char.IsAsciiDigit(text[_at]) || text[_at] is '.' or 'e' or 'E' or '+' or '-')) _at++;
                if (!double.TryParse(text.AsSpan(start, _at - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
                    throw Error($"'{text[start.._at]}' is not a number");
                return new Literal(JsonValueKind.Number, number, null);
            }
            if (TryKeyword("true")) return new Literal(JsonValueKind.True, 0, null);
            if (TryKeyword("false")) return new Literal(JsonValueKind.False, 0, null);
            if (TryKeyword("null")) return Literal.Null;
            throw Error("expected a value: a number, a \"string\", true, false or null");
        }

        private string ParseString(char quote)
        {
            _at++;
            var value = new StringBuilder();
            while (true)
            {
                if (_at >= text.Length) throw Error("a string is not closed");
                var c = text[_at++];
                if (c == quote) return value.ToString();
                if (c == '\\')
                {
                    if (_at >= text.Length) throw Error("a string is not closed");
                    var escaped = text[_at++];
                    value.Append(escaped switch { 'n' => '\n', 't' => '\t', _ => escaped });
                }
                else value.Append(c);
            }
        }

        private bool TryKeyword(string keyword)
        {
            SkipSpace();
            if (string.CompareOrdinal(text, _at, keyword, 0, keyword.Length) != 0) return false;
            var end = _at + keyword.Length;
            if (end < text.Length && (char.IsAsciiLetterOrDigit(text[end]) || text[end] is '_' or '.')) return false;
            _at = end;
            return true;
        }

        private char Peek() => _at < text.Length ? text[_at] : '\0';

        private void SkipSpace()
        {
            while (_at < text.Length && char.IsWhiteSpace(text[_at])) _at++;
        }

        private string Rest() => text.Length - _at <= 20 ? text[_at..] : string.Concat(text.AsSpan(_at, 20), "…");

        private FormatException Error(string what) => new($"Not a valid filter at position {_at + 1}: {what}.");
    }
}
