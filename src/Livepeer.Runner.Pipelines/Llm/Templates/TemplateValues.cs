using System.Globalization;
using System.Text;

namespace Livepeer.Runner.Pipelines.Llm.Templates;

/// <summary>Python semantics for template values: truth, str(), repr(), equality, ordering, iteration.</summary>
internal static class TemplateValues
{
    /// <summary>How deeply nested lists and dicts may be compared or printed.</summary>
    private const int MaxDataDepth = 64;

    public static bool IsTruthy(object? value) => value switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> list => list.Count > 0,
        OrderedDictionary<string, object?> dict => dict.Count > 0,
        _ => true,
    };

    /// <summary>Python's str(): what <c>{{ value }}</c> prints.</summary>
    public static string ToText(object? value) => value switch
    {
        string s => s,
        Undefined => "",
        _ => Repr(value, 0),
    };

    public static string Repr(object? value) => Repr(value, 0);

    private static string Repr(object? value, int depth)
    {
        if (depth > MaxDataDepth)
            throw new ChatTemplateException($"Chat template error: data nested deeper than {MaxDataDepth} levels.");
        return value switch
        {
            null => "None",
            Undefined => "",
            bool b => b ? "True" : "False",
            long l => l.ToString(CultureInfo.InvariantCulture),
            double d => FormatFloat(d),
            string s => QuoteString(s),
            List<object?> list => "[" + string.Join(", ", list.Select(item => Repr(item, depth + 1))) + "]",
            OrderedDictionary<string, object?> dict =>
                "{" + string.Join(", ", dict.Select(pair => QuoteString(pair.Key) + ": " + Repr(pair.Value, depth + 1))) + "}",
            TemplateNamespace => "<Namespace>",
            TemplateFunction f => $"<function {f.Name}>",
            _ => value.ToString() ?? "",
        };
    }

    public static string FormatFloat(double value)
    {
        if (double.IsNaN(value))
            return "nan";
        if (double.IsInfinity(value))
            return value > 0 ? "inf" : "-inf";
        var text = value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
        return text.Contains('.', StringComparison.Ordinal) || text.Contains('e', StringComparison.Ordinal) ? text : text + ".0";
    }

    private static string QuoteString(string s)
    {
        // Python prefers single quotes unless the text holds one and no double quote.
        var quote = s.Contains('\'', StringComparison.Ordinal) && !s.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        var builder = new StringBuilder(s.Length + 2).Append(quote);
        foreach (var c in s)
        {
            _ = c switch
            {
                '\\' => builder.Append(@"\\"),
                '\n' => builder.Append(@"\n"),
                '\r' => builder.Append(@"\r"),
                '\t' => builder.Append(@"\t"),
                _ when c == quote => builder.Append('\\').Append(c),
                _ when c < ' ' => builder.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}"),
                _ => builder.Append(c),
            };
        }

        return builder.Append(quote).ToString();
    }

    public static string TypeName(object? value) => value switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        OrderedDictionary<string, object?> => "dict",
        TemplateNamespace => "Namespace",
        TemplateFunction => "function",
        _ => "object",
    };

    public static bool IsNumber(object? value) => value is long or double or bool;

    public static double ToDouble(object? value) => value switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new ChatTemplateException($"Chat template error: expected a number, got {TypeName(value)}."),
    };

    public static bool AreEqual(object? left, object? right) => AreEqual(left, right, 0);

    private static bool AreEqual(object? left, object? right, int depth)
    {
        if (depth > MaxDataDepth)
            throw new ChatTemplateException($"Chat template error: data nested deeper than {MaxDataDepth} levels.");
        return (left, right) switch
        {
            (null, null) => true,
            (Undefined, Undefined) => true,
            (string a, string b) => a == b,
            (long a, long b) => a == b,
            (bool a, bool b) => a == b,
            _ when IsNumber(left) && IsNumber(right) => ToDouble(left) == ToDouble(right),
            (List<object?> a, List<object?> b) => a.Count == b.Count && a.Zip(b).All(pair => AreEqual(pair.First, pair.Second, depth + 1)),
            (OrderedDictionary<string, object?> a, OrderedDictionary<string, object?> b) =>
                a.Count == b.Count && a.All(pair => b.TryGetValue(pair.Key, out var other) && AreEqual(pair.Value, other, depth + 1)),
            _ => ReferenceEquals(left, right),
        };
    }

    /// <summary>Python ordering for &lt;, &gt;, sorting: numbers with numbers, strings with strings, lists item by item.</summary>
    public static int Compare(object? left, object? right)
    {
        if (IsNumber(left) && IsNumber(right))
            return left is long a && right is long b ? a.CompareTo(b) : ToDouble(left).CompareTo(ToDouble(right));
        if (left is string sa && right is string sb)
            return string.CompareOrdinal(sa, sb);
        if (left is List<object?> la && right is List<object?> lb)
        {
            foreach (var (x, y) in la.Zip(lb))
            {
                if (!AreEqual(x, y))
                    return Compare(x, y);
            }

            return la.Count.CompareTo(lb.Count);
        }

        throw new ChatTemplateException($"Chat template error: cannot compare {TypeName(left)} with {TypeName(right)}.");
    }

    /// <summary>What a for-loop walks: list items, dict keys, string characters; nothing for undefined.</summary>
    public static List<object?> Iterate(object? value) => value switch
    {
        Undefined => [],
        List<object?> list => [.. list],
        OrderedDictionary<string, object?> dict => [.. dict.Keys],
        string s => [.. TextElements(s)],
        _ => throw new ChatTemplateException($"Chat template error: '{TypeName(value)}' object is not iterable."),
    };

    public static long Length(object? value) => value switch
    {
        Undefined => 0,
        string s => s.Length,
        List<object?> list => list.Count,
        OrderedDictionary<string, object?> dict => dict.Count,
        TemplateNamespace ns => ns.Attributes.Count,
        _ => throw new ChatTemplateException($"Chat template error: object of type '{TypeName(value)}' has no length."),
    };

    public static bool Contains(object? container, object? item) => container switch
    {
        string s when item is string part => s.Contains(part, StringComparison.Ordinal),
        string => throw new ChatTemplateException($"Chat template error: 'in <string>' requires a string, not {TypeName(item)}."),
        List<object?> list => list.Any(element => AreEqual(element, item)),
        OrderedDictionary<string, object?> dict => item is string key && dict.ContainsKey(key),
        Undefined => false,
        _ => throw new ChatTemplateException($"Chat template error: argument of type '{TypeName(container)}' is not iterable."),
    };

    private static IEnumerable<object?> TextElements(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            var width = char.IsSurrogatePair(s, i) ? 2 : 1;
            yield return s.Substring(i, width);
            i += width - 1;
        }
    }
}
