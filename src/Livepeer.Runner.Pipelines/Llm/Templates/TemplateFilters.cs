using System.Globalization;
using System.Text;

namespace Livepeer.Runner.Pipelines.Llm.Templates;

/// <summary>The Jinja filters chat templates use (<c>value | name(args)</c>).</summary>
internal static class TemplateFilters
{
    public static object? Apply(string name, object? value, CallArguments args) => name switch
    {
        "trim" => TemplateMethods.Strip(TemplateValues.ToText(value), args.Accepting(1, "chars").Get(0, "chars", null), StripSide.Both),
        "length" or "count" => TemplateValues.Length(value),
        "upper" => TemplateValues.ToText(value).ToUpperInvariant(),
        "lower" => TemplateValues.ToText(value).ToLowerInvariant(),
        "capitalize" => TemplateMethods.Capitalize(TemplateValues.ToText(value)),
        "title" => TemplateMethods.Title(TemplateValues.ToText(value)),
        "string" => TemplateValues.ToText(value),
        "safe" => value,
        "tojson" => TemplateJson.Serialize(value, args),
        "default" or "d" => Default(value, args.Accepting(2, "default_value", "boolean")),
        "join" => Join(value, args.Accepting(2, "d", "attribute")),
        "replace" => TemplateMethods.Replace(TemplateValues.ToText(value), args),
        "first" => TemplateValues.Iterate(value) is { Count: > 0 } items ? items[0] : new Undefined("first"),
        "last" => TemplateValues.Iterate(value) is { Count: > 0 } items ? items[^1] : new Undefined("last"),
        "list" => TemplateValues.Iterate(value),
        "reverse" => value is string s ? new string(s.Reverse().ToArray()) : Enumerable.Reverse(TemplateValues.Iterate(value)).ToList(),
        "items" => Items(value),
        "unique" => Unique(value),
        "select" or "reject" => Select(value, args, byAttribute: false, keep: name == "select"),
        "selectattr" or "rejectattr" => Select(value, args, byAttribute: true, keep: name == "selectattr"),
        "map" => Map(value, args),
        "int" => ToInteger(value, args.Accepting(1, "default").Get(0, "default", 0L)),
        "float" => ToFloat(value, args.Accepting(1, "default").Get(0, "default", 0.0)),
        "abs" => value is long l ? Math.Abs(l) : Math.Abs(TemplateValues.ToDouble(value)),
        _ => throw new ChatTemplateException($"Chat template error: the filter '{name}' is not supported by this runner's template engine."),
    };

    public static bool IsKnown(string name) => name is "trim" or "length" or "count" or "upper" or "lower" or "capitalize" or "title"
        or "string" or "safe" or "tojson" or "default" or "d" or "join" or "replace" or "first" or "last" or "list" or "reverse"
        or "items" or "unique" or "select" or "reject" or "selectattr" or "rejectattr" or "map" or "int" or "float" or "abs";

    private static object? Default(object? value, CallArguments args)
    {
        var fallback = args.Get(0, "default_value", "");
        var boolean = TemplateValues.IsTruthy(args.Get(1, "boolean", false));
        return value is Undefined || (boolean && !TemplateValues.IsTruthy(value)) ? fallback : value;
    }

    private static string Join(object? value, CallArguments args)
    {
        var separator = TemplateValues.ToText(args.Get(0, "d", ""));
        var attribute = args.Get(1, "attribute", null) as string;
        var parts = TemplateValues.Iterate(value).Select(item => TemplateValues.ToText(attribute is null ? item : Attribute(item, attribute)));
        var builder = new StringBuilder();
        foreach (var part in parts)
        {
            if (builder.Length > 0)
                builder.Append(separator);
            builder.Append(part);
            TemplateLimits.CheckTextLength(builder.Length);
        }

        return builder.ToString();
    }

    private static List<object?> Items(object? value) => value switch
    {
        Undefined => [],
        OrderedDictionary<string, object?> dict => [.. dict.Select(pair => (object?)new List<object?> { pair.Key, pair.Value })],
        _ => throw new ChatTemplateException($"Chat template error: items() needs a mapping, got {TemplateValues.TypeName(value)}."),
    };

    private static List<object?> Unique(object? value)
    {
        var result = new List<object?>();
        foreach (var item in TemplateValues.Iterate(value))
        {
            if (!result.Any(seen => TemplateValues.AreEqual(seen, item)))
                result.Add(item);
        }

        return result;
    }

    /// <summary>select/reject by a test on each item, or selectattr/rejectattr by a test on one attribute.</summary>
    private static List<object?> Select(object? value, CallArguments args, bool byAttribute, bool keep)
    {
        var attribute = byAttribute ? TemplateValues.ToText(args.Required(0, "attribute")) : null;
        var first = byAttribute ? 1 : 0;
        var test = args.Count > first ? TemplateValues.ToText(args.Get(first, "test", null)) : null;
        var testArguments = args.PositionalFrom(first + 1);
        return TemplateValues.Iterate(value).Where(item =>
        {
            var subject = attribute is null ? item : Attribute(item, attribute);
            var passes = test is null ? TemplateValues.IsTruthy(subject) : TemplateTests.Apply(test, subject, testArguments);
            return passes == keep;
        }).ToList();
    }

    private static List<object?> Map(object? value, CallArguments args)
    {
        var items = TemplateValues.Iterate(value);
        if (args.Get(int.MaxValue, "attribute", null) is string attribute)
        {
            var fallback = args.Get(int.MaxValue, "default", CallArguments.Missing);
            return items.Select(item => Attribute(item, attribute) is var found && found is Undefined && fallback != CallArguments.Missing ? fallback : found).ToList();
        }

        var filter = TemplateValues.ToText(args.Required(0, "filter"));
        var rest = new CallArguments(filter, args.PositionalFrom(1), []);
        return items.Select(item => Apply(filter, item, rest)).ToList();
    }

    /// <summary>Attribute or key lookup as Jinja's getattr does it for filters such as selectattr and map.</summary>
    public static object? Attribute(object? item, string name) => item switch
    {
        OrderedDictionary<string, object?> dict => dict.TryGetValue(name, out var value) ? value : new Undefined(name),
        ITemplateObject obj => obj.TryGetAttribute(name, out var value) ? value : new Undefined(name),
        _ => new Undefined(name),
    };

    private static object? ToInteger(object? value, object? fallback) => value switch
    {
        long l => l,
        bool b => b ? 1L : 0L,
        double d when double.IsFinite(d) && Math.Abs(d) < long.MaxValue => (long)Math.Truncate(d),
        string s when long.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) => parsed,
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
            && double.IsFinite(parsed) && Math.Abs(parsed) < long.MaxValue => (long)Math.Truncate(parsed),
        _ => fallback,
    };

    private static object? ToFloat(object? value, object? fallback) => value switch
    {
        long or double or bool => TemplateValues.ToDouble(value),
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => fallback,
    };
}
