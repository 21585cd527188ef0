namespace Livepeer.Runner.Pipelines.Llm.Templates;

internal sealed partial class TemplateRenderer
{
    private object? Evaluate(Expression expression)
    {
        Step();
        Enter();
        try
        {
            return expression switch
            {
                LiteralExpression literal => literal.Value,
                NameExpression name => Lookup(name.Name),
                ListExpression list => list.Items.Select(Evaluate).ToList(),
                DictExpression dict => EvaluateDict(dict),
                AttributeExpression attribute => GetAttribute(Evaluate(attribute.Target), attribute.Name, attribute),
                IndexExpression index => GetItem(Evaluate(index.Target), Evaluate(index.Index), index),
                SliceExpression slice => EvaluateSlice(slice),
                CallExpression call => EvaluateCall(call),
                FilterExpression filter => EvaluateFilter(filter),
                TestExpression test => EvaluateTest(test),
                UnaryExpression unary => EvaluateUnary(unary),
                BinaryExpression binary => EvaluateBinary(binary),
                ConditionalExpression conditional => TemplateValues.IsTruthy(Evaluate(conditional.Condition))
                    ? Evaluate(conditional.Then)
                    : conditional.Else is null ? new Undefined("else") : Evaluate(conditional.Else),
                _ => throw new ChatTemplateException($"Chat template error on line {expression.Line}: unsupported expression."),
            };
        }
        catch (OverflowException)
        {
            throw new ChatTemplateException($"Chat template error on line {expression.Line}: integer overflow.");
        }
        finally
        {
            _depth--;
        }
    }

    private OrderedDictionary<string, object?> EvaluateDict(DictExpression dict)
    {
        var result = new OrderedDictionary<string, object?>();
        foreach (var (keyExpression, valueExpression) in dict.Entries)
        {
            if (Evaluate(keyExpression) is not string key)
                throw new ChatTemplateException($"Chat template error on line {dict.Line}: only string dict keys are supported.");
            result[key] = Evaluate(valueExpression);
        }

        return result;
    }

    private static object? GetAttribute(object? target, string name, Expression at) => target switch
    {
        Undefined undefined => throw Fail(at, $"'{undefined.Name}' is undefined"),
        OrderedDictionary<string, object?> dict => dict.TryGetValue(name, out var value) ? value : new Undefined(name),
        ITemplateObject obj => obj.TryGetAttribute(name, out var value) ? value : new Undefined(name),
        _ => new Undefined(name),
    };

    private static object? GetItem(object? target, object? key, Expression at)
    {
        switch (target)
        {
            case Undefined undefined:
                throw Fail(at, $"'{undefined.Name}' is undefined");
            case OrderedDictionary<string, object?> dict:
                return key is string name && dict.TryGetValue(name, out var value) ? value : new Undefined(TemplateValues.ToText(key));
            case ITemplateObject obj when key is string attributeName:
                return obj.TryGetAttribute(attributeName, out var attribute) ? attribute : new Undefined(attributeName);
            case List<object?> or string when key is long or bool:
                var items = target as List<object?>;
                var text = target as string;
                var count = items?.Count ?? text!.Length;
                var index = (long)TemplateValues.ToDouble(key);
                if (index < 0)
                    index += count;
                if (index < 0 || index >= count)
                    return new Undefined($"[{key}]");
                return items is not null ? items[(int)index] : text![(int)index].ToString();
            default:
                return new Undefined(TemplateValues.ToText(key));
        }
    }

    private object? EvaluateSlice(SliceExpression slice)
    {
        var target = Evaluate(slice.Target);
        long? Bound(Expression? expression) => expression is null
            ? null
            : Evaluate(expression) switch
            {
                null => null,
                long l => l,
                var other => throw Fail(slice, $"slice indices must be integers, not {TemplateValues.TypeName(other)}"),
            };
        var (start, stop, step) = (Bound(slice.Start), Bound(slice.Stop), Bound(slice.Step) ?? 1);
        if (step == 0)
            throw Fail(slice, "slice step cannot be zero");

        var items = target switch
        {
            List<object?> list => list,
            string s => s.Select(c => (object?)c.ToString()).ToList(),
            Undefined undefined => throw Fail(slice, $"'{undefined.Name}' is undefined"),
            _ => throw Fail(slice, $"'{TemplateValues.TypeName(target)}' object is not subscriptable"),
        };
        var picked = new List<object?>();
        foreach (var index in SliceIndices(items.Count, start, stop, step))
            picked.Add(items[index]);
        return target is string ? string.Concat(picked.Cast<string>()) : picked;
    }

    /// <summary>Python's slice.indices: clamps the bounds, with negative ones counting from the end.</summary>
    private static IEnumerable<int> SliceIndices(int count, long? start, long? stop, long step)
    {
        long Clamp(long? bound, long fallback, long low, long high)
        {
            if (bound is not long value)
                return fallback;
            if (value < 0)
                value += count;
            return Math.Clamp(value, low, high);
        }

        if (step > 0)
        {
            for (var i = Clamp(start, 0, 0, count); i < Clamp(stop, count, 0, count); i += step)
                yield return (int)i;
        }
        else
        {
            for (var i = Clamp(start, count - 1, -1, count - 1); i > Clamp(stop, -1, -1, count - 1); i += step)
                yield return (int)i;
        }
    }

    private object? EvaluateCall(CallExpression call)
    {
        var arguments = EvaluateArguments(DescribeCallee(call.Callee), call.Arguments, call.Keywords);
        if (call.Callee is AttributeExpression method)
        {
            var target = Evaluate(method.Target);
            if (target is Undefined undefined)
                throw Fail(call, $"'{undefined.Name}' is undefined");
            if (TemplateMethods.TryCall(target, method.Name, arguments, out var result))
                return result;
            return Invoke(GetAttribute(target, method.Name, method), arguments, call);
        }

        return Invoke(Evaluate(call.Callee), arguments, call);
    }

    private static object? Invoke(object? callee, CallArguments arguments, Expression at) => callee switch
    {
        TemplateFunction function => function.Invoke(arguments),
        Undefined undefined => throw Fail(at, $"'{undefined.Name}' is undefined"),
        _ => throw Fail(at, $"'{arguments.Callee}' is not callable"),
    };

    private object? EvaluateFilter(FilterExpression filter)
    {
        if (!TemplateFilters.IsKnown(filter.Name))
            throw Fail(filter, $"the filter '{filter.Name}' is not supported by this runner's template engine");
        var value = Evaluate(filter.Target);
        var arguments = EvaluateArguments(filter.Name, filter.Arguments, filter.Keywords);
        return TemplateFilters.Apply(filter.Name, value, arguments);
    }

    private bool EvaluateTest(TestExpression test)
    {
        if (!TemplateTests.IsKnown(test.Name))
            throw Fail(test, $"the test '{test.Name}' is not supported by this runner's template engine");
        var value = Evaluate(test.Target);
        var arguments = test.Arguments.Select(Evaluate).ToList();
        return TemplateTests.Apply(test.Name, value, arguments) != test.Negated;
    }

    private CallArguments EvaluateArguments(string callee, IReadOnlyList<Expression> positional, IReadOnlyList<(string Name, Expression Value)> keywords) =>
        new(callee, positional.Select(Evaluate).ToList(), keywords.Select(keyword => (keyword.Name, Evaluate(keyword.Value))).ToList());

    private static string DescribeCallee(Expression callee) => callee switch
    {
        NameExpression name => name.Name,
        AttributeExpression attribute => attribute.Name,
        _ => "expression",
    };

    private static ChatTemplateException Fail(Expression at, string message) =>
        new($"Chat template error on line {at.Line}: {message}.");
}
