namespace Livepeer.Runner.Pipelines.Llm.Templates;

/// <summary>Jinja tests: <c>x is defined</c>, <c>x is not none</c>, <c>x is divisibleby 3</c>, and their use in select().</summary>
internal static class TemplateTests
{
    public static bool IsKnown(string name) => name is "defined" or "undefined" or "none" or "string" or "mapping" or "iterable"
        or "sequence" or "number" or "integer" or "float" or "boolean" or "true" or "false" or "even" or "odd" or "divisibleby"
        or "equalto" or "eq" or "==" or "ne" or "!=" or "lt" or "lessthan" or "<" or "le" or "<=" or "gt" or "greaterthan" or ">"
        or "ge" or ">=" or "in" or "sameas" or "callable" or "lower" or "upper";

    public static bool Apply(string name, object? value, IReadOnlyList<object?> arguments)
    {
        object? Argument()
        {
            return arguments.Count == 1
                ? arguments[0]
                : throw new ChatTemplateException($"Chat template error: test '{name}' takes exactly one argument.");
        }

        return name switch
        {
            "defined" => value is not Undefined,
            "undefined" => value is Undefined,
            "none" => value is null,
            "string" => value is string,
            "mapping" => value is OrderedDictionary<string, object?>,
            "iterable" => value is string or List<object?> or OrderedDictionary<string, object?>,
            "sequence" => value is string or List<object?> or OrderedDictionary<string, object?>,
            "number" => TemplateValues.IsNumber(value),
            "integer" => value is long,
            "float" => value is double,
            "boolean" => value is bool,
            "true" => value is true,
            "false" => value is false,
            "even" => AsInteger(value, name) % 2 == 0,
            "odd" => AsInteger(value, name) % 2 != 0,
            "divisibleby" => Argument() is long divisor && divisor != 0
                ? AsInteger(value, name) % divisor == 0
                : throw new ChatTemplateException("Chat template error: divisibleby needs a non-zero integer."),
            "equalto" or "eq" or "==" => TemplateValues.AreEqual(value, Argument()),
            "ne" or "!=" => !TemplateValues.AreEqual(value, Argument()),
            "lt" or "lessthan" or "<" => TemplateValues.Compare(value, Argument()) < 0,
            "le" or "<=" => TemplateValues.Compare(value, Argument()) <= 0,
            "gt" or "greaterthan" or ">" => TemplateValues.Compare(value, Argument()) > 0,
            "ge" or ">=" => TemplateValues.Compare(value, Argument()) >= 0,
            "in" => TemplateValues.Contains(Argument(), value),
            "sameas" => ReferenceEquals(value, Argument()) || (value is null && Argument() is null) || (value is bool a && Argument() is bool b && a == b),
            "callable" => value is TemplateFunction,
            "lower" => value is string lower && string.Equals(lower, lower.ToLowerInvariant(), StringComparison.Ordinal),
            "upper" => value is string upper && string.Equals(upper, upper.ToUpperInvariant(), StringComparison.Ordinal),
            _ => throw new ChatTemplateException($"Chat template error: the test '{name}' is not supported by this runner's template engine."),
        };
    }

    private static long AsInteger(object? value, string test) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new ChatTemplateException($"Chat template error: test '{test}' needs an integer, got {TemplateValues.TypeName(value)}."),
    };
}
