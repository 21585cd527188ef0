using System.Text;

namespace Livepeer.Runner.Pipelines.Llm.Templates;

internal enum StripSide
{
    Both,
    Start,
    End,
}

/// <summary>
/// The Python methods the sandbox lets templates call: read-only str methods and dict.get/items/keys/values.
/// Mutating methods (list.append, dict.update) are refused there too, so they are absent here.
/// </summary>
internal static class TemplateMethods
{
    public static bool TryCall(object? target, string name, CallArguments args, out object? result)
    {
        result = target switch
        {
            string s => CallString(s, name, args),
            OrderedDictionary<string, object?> dict => CallDict(dict, name, args),
            _ => CallArguments.Missing,
        };
        return result != CallArguments.Missing;
    }

    private static object? CallString(string s, string name, CallArguments args) => name switch
    {
        "strip" => Strip(s, args.Accepting(1).Get(0, "chars", null), StripSide.Both),
        "lstrip" => Strip(s, args.Accepting(1).Get(0, "chars", null), StripSide.Start),
        "rstrip" => Strip(s, args.Accepting(1).Get(0, "chars", null), StripSide.End),
        "upper" => s.ToUpperInvariant(),
        "lower" => s.ToLowerInvariant(),
        "title" => Title(s),
        "capitalize" => Capitalize(s),
        "startswith" => AnyAffix(args.Accepting(1).Required(0, "prefix"), prefix => s.StartsWith(prefix, StringComparison.Ordinal)),
        "endswith" => AnyAffix(args.Accepting(1).Required(0, "suffix"), suffix => s.EndsWith(suffix, StringComparison.Ordinal)),
        "split" => Split(s, args.Accepting(2, "sep", "maxsplit")),
        "replace" => Replace(s, args),
        "find" => (long)s.IndexOf(TemplateValues.ToText(args.Accepting(1).Required(0, "sub")), StringComparison.Ordinal),
        "count" => CountOccurrences(s, TemplateValues.ToText(args.Accepting(1).Required(0, "sub"))),
        "join" => string.Join(s, TemplateValues.Iterate(args.Accepting(1).Required(0, "iterable")).Select(TemplateValues.ToText)),
        "isdigit" => s.Length > 0 && s.All(char.IsDigit),
        "isspace" => s.Length > 0 && s.All(char.IsWhiteSpace),
        _ => CallArguments.Missing,
    };

    private static object? CallDict(OrderedDictionary<string, object?> dict, string name, CallArguments args) => name switch
    {
        "get" => args.Accepting(2).Required(0, "key") is string key && dict.TryGetValue(key, out var value) ? value : args.Get(1, "default", null),
        "items" => dict.Select(pair => (object?)new List<object?> { pair.Key, pair.Value }).ToList(),
        "keys" => dict.Keys.Select(key => (object?)key).ToList(),
        "values" => dict.Values.ToList(),
        _ => CallArguments.Missing,
    };

    public static string Strip(string s, object? chars, StripSide side)
    {
        var set = chars switch
        {
            null or Undefined => null,
            string text => text.ToCharArray(),
            _ => throw new ChatTemplateException("Chat template error: strip() chars must be a string."),
        };
        return (side, set) switch
        {
            (StripSide.Both, null) => s.Trim(),
            (StripSide.Start, null) => s.TrimStart(),
            (StripSide.End, null) => s.TrimEnd(),
            (StripSide.Both, _) => s.Trim(set),
            (StripSide.Start, _) => s.TrimStart(set),
            _ => s.TrimEnd(set),
        };
    }

    public static string Capitalize(string s) =>
        s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    /// <summary>Python's str.title: a letter after a non-letter is upper-cased, every other letter lower-cased.</summary>
    public static string Title(string s)
    {
        var builder = new StringBuilder(s.Length);
        var previousIsLetter = false;
        foreach (var c in s)
        {
            builder.Append(previousIsLetter ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousIsLetter = char.IsLetter(c);
        }

        return builder.ToString();
    }

    public static string Replace(string s, CallArguments args)
    {
        args.Accepting(3, "old", "new", "count");
        var old = TemplateValues.ToText(args.Required(0, "old"));
        var replacement = TemplateValues.ToText(args.Required(1, "new"));
        var count = args.Get(2, "count", null) is long n && n >= 0 ? n : long.MaxValue;
        if (old.Length == 0)
            throw new ChatTemplateException("Chat template error: replace() with an empty search string is not supported.");

        var builder = new StringBuilder();
        var from = 0;
        for (var done = 0L; done < count; done++)
        {
            var at = s.IndexOf(old, from, StringComparison.Ordinal);
            if (at < 0)
                break;
            builder.Append(s, from, at - from).Append(replacement);
            TemplateLimits.CheckTextLength(builder.Length);
            from = at + old.Length;
        }

        return TemplateLimits.CheckText(builder.Append(s, from, s.Length - from).ToString());
    }

    private static bool AnyAffix(object? affixes, Func<string, bool> matches) => affixes switch
    {
        string one => matches(one),
        List<object?> many => many.Any(item => item is string text ? matches(text) : throw AffixError()),
        _ => throw AffixError(),
    };

    private static ChatTemplateException AffixError() =>
        new("Chat template error: startswith()/endswith() take a string or a tuple of strings.");

    /// <summary>Python's str.split: no separator splits on runs of whitespace and drops empty pieces.</summary>
    private static List<object?> Split(string s, CallArguments args)
    {
        var separator = args.Get(0, "sep", null);
        var maxSplit = args.Get(1, "maxsplit", -1L) is long m && m >= 0 ? (int)Math.Min(m, int.MaxValue - 1) : -1;
        if (separator is null)
        {
            var pieces = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (maxSplit < 0 || pieces.Length <= maxSplit + 1)
                return pieces.Select(piece => (object?)piece).ToList();
            var head = s.TrimStart().Split((char[]?)null, maxSplit + 1, StringSplitOptions.RemoveEmptyEntries);
            head[^1] = head[^1].TrimStart();
            return head.Select(piece => (object?)piece).ToList();
        }

        var text = separator as string ?? throw new ChatTemplateException("Chat template error: split() separator must be a string.");
        if (text.Length == 0)
            throw new ChatTemplateException("Chat template error: split() separator must not be empty.");
        var parts = maxSplit < 0 ? s.Split(text) : s.Split(text, maxSplit + 1);
        return TemplateLimits.CheckList(parts.Select(piece => (object?)piece).ToList());
    }

    private static long CountOccurrences(string s, string part)
    {
        if (part.Length == 0)
            return s.Length + 1;
        var count = 0L;
        for (var at = s.IndexOf(part, StringComparison.Ordinal); at >= 0; at = s.IndexOf(part, at + part.Length, StringComparison.Ordinal))
            count++;
        return count;
    }
}
