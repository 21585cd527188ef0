using System.Globalization;
using System.Text;

namespace Livepeer.Runner.Pipelines.Llm.Templates;

/// <summary>
/// The <c>tojson</c> filter as transformers overrides it: Python's <c>json.dumps</c> with <c>ensure_ascii=False</c>,
/// so separators are <c>", "</c> and <c>": "</c> unless an indent is given, and nothing is HTML-escaped.
/// </summary>
internal static class TemplateJson
{
    private const int MaxDepth = 64;

    public static string Serialize(object? value, CallArguments arguments)
    {
        arguments.Accepting(4, "ensure_ascii", "indent", "separators", "sort_keys");
        var ensureAscii = TemplateValues.IsTruthy(arguments.Get(0, "ensure_ascii", false));
        var indent = arguments.Get(1, "indent", null) switch
        {
            null => null,
            long n => new string(' ', (int)Math.Clamp(n, 0, 32)),
            string s => s,
            var other => throw new ChatTemplateException($"Chat template error: tojson indent must be an integer or string, not {TemplateValues.TypeName(other)}."),
        };
        var (itemSeparator, keySeparator) = arguments.Get(2, "separators", null) switch
        {
            List<object?> { Count: 2 } pair when pair[0] is string a && pair[1] is string b => (a, b),
            null => (indent is null ? ", " : ",", ": "),
            _ => throw new ChatTemplateException("Chat template error: tojson separators must be a pair of strings."),
        };
        var sortKeys = TemplateValues.IsTruthy(arguments.Get(3, "sort_keys", false));

        var writer = new Writer(ensureAscii, indent, itemSeparator, keySeparator, sortKeys);
        writer.Write(value, 0);
        return writer.ToString();
    }

    private sealed class Writer(bool ensureAscii, string? indent, string itemSeparator, string keySeparator, bool sortKeys)
    {
        private readonly StringBuilder _out = new();
        private readonly Stack<int> _levels = new();

        public override string ToString() => _out.ToString();

        public void Write(object? value, int depth)
        {
            if (depth > MaxDepth)
                throw new ChatTemplateException($"Chat template error: tojson data nested deeper than {MaxDepth} levels.");
            switch (value)
            {
                case null: _out.Append("null"); break;
                case bool b: _out.Append(b ? "true" : "false"); break;
                case long l: _out.Append(l.ToString(CultureInfo.InvariantCulture)); break;
                case double d: _out.Append(double.IsFinite(d) ? TemplateValues.FormatFloat(d) : double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity"); break;
                case string s: WriteString(s); break;
                case List<object?> list: WriteItems(list.Count, '[', ']', i => Write(list[i], depth + 1)); break;
                case OrderedDictionary<string, object?> dict: WriteDict(dict, depth); break;
                case TemplateNamespace ns: WriteDict(ns.Attributes, depth); break;
                default:
                    throw new ChatTemplateException($"Chat template error: Object of type {TemplateValues.TypeName(value)} is not JSON serializable.");
            }
        }

        private void WriteDict(OrderedDictionary<string, object?> dict, int depth)
        {
            var keys = sortKeys ? dict.Keys.Order(StringComparer.Ordinal).ToList() : dict.Keys.ToList();
            WriteItems(keys.Count, '{', '}', i =>
            {
                WriteString(keys[i]);
                _out.Append(keySeparator);
                Write(dict[keys[i]], depth + 1);
            });
        }

        private void WriteItems(int count, char open, char close, Action<int> writeItem)
        {
            _out.Append(open);
            if (count == 0)
            {
                _out.Append(close);
                return;
            }

            var level = CurrentLevel + 1;
            for (var i = 0; i < count; i++)
            {
                if (i > 0)
                    _out.Append(itemSeparator);
                NewLine(level);
                _levels.Push(level);
                writeItem(i);
                _levels.Pop();
            }

            NewLine(level - 1);
            _out.Append(close);
        }

        private int CurrentLevel => _levels.Count == 0 ? 0 : _levels.Peek();

        private void NewLine(int level)
        {
            if (indent is null)
                return;
            _out.Append('\n');
            for (var i = 0; i < level; i++)
                _out.Append(indent);
        }

        private void WriteString(string s)
        {
            _out.Append('"');
            foreach (var c in s)
            {
                _ = c switch
                {
                    '"' => _out.Append("\\\""),
                    '\\' => _out.Append("\\\\"),
                    '\n' => _out.Append("\\n"),
                    '\r' => _out.Append("\\r"),
                    '\t' => _out.Append("\\t"),
                    '\b' => _out.Append("\\b"),
                    '\f' => _out.Append("\\f"),
                    _ when c < ' ' || (ensureAscii && c > '~') => _out.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                    _ => _out.Append(c),
                };
            }

            _out.Append('"');
        }
    }
}
