namespace Livepeer.Runner.Pipelines.Llm.Templates;

// Operators with Python's meaning: `and`/`or` return an operand, `+` joins strings and lists, `//` and `%`
// floor toward negative infinity, `~` joins anything as text. Undefined fails in arithmetic, as Jinja's does.
internal sealed partial class TemplateRenderer
{
    private object? EvaluateUnary(UnaryExpression unary)
    {
        var operand = Evaluate(unary.Operand);
        return unary.Operator switch
        {
            "not" => !TemplateValues.IsTruthy(operand),
            "-" => operand switch
            {
                long l => (object)checked(-l),
                bool b => b ? -1L : 0L,
                double d => -d,
                _ => throw OperandError(unary, "unary -", operand),
            },
            _ => TemplateValues.IsNumber(operand) ? operand is bool b ? (b ? 1L : 0L) : operand : throw OperandError(unary, "unary +", operand),
        };
    }

    private object? EvaluateBinary(BinaryExpression binary)
    {
        switch (binary.Operator)
        {
            case "and":
                var left = Evaluate(binary.Left);
                return TemplateValues.IsTruthy(left) ? Evaluate(binary.Right) : left;
            case "or":
                left = Evaluate(binary.Left);
                return TemplateValues.IsTruthy(left) ? left : Evaluate(binary.Right);
        }

        var (a, b) = (Evaluate(binary.Left), Evaluate(binary.Right));
        return binary.Operator switch
        {
            "==" => TemplateValues.AreEqual(a, b),
            "!=" => !TemplateValues.AreEqual(a, b),
            "<" => Order(binary, a, b) < 0,
            ">" => Order(binary, a, b) > 0,
            "<=" => Order(binary, a, b) <= 0,
            ">=" => Order(binary, a, b) >= 0,
            "in" => TemplateValues.Contains(b, a),
            "not in" => !TemplateValues.Contains(b, a),
            "~" => TemplateLimits.CheckText(TemplateValues.ToText(a) + TemplateValues.ToText(b)),
            "+" => Add(binary, a, b),
            "*" => Multiply(binary, a, b),
            _ => Arithmetic(binary, a, b),
        };
    }

    private static int Order(BinaryExpression at, object? a, object? b)
    {
        FailOnUndefined(at, a, b);
        return TemplateValues.Compare(a, b);
    }

    private static object? Add(BinaryExpression at, object? a, object? b)
    {
        FailOnUndefined(at, a, b);
        return (a, b) switch
        {
            (string x, string y) => TemplateLimits.CheckText(string.Concat(x, y)),
            (List<object?> x, List<object?> y) => TemplateLimits.CheckList([.. x, .. y]),
            _ => Arithmetic(at, a, b),
        };
    }

    private static object? Multiply(BinaryExpression at, object? a, object? b)
    {
        FailOnUndefined(at, a, b);
        return (a, b) switch
        {
            (string text, long n) => Repeat(text, n),
            (long n, string text) => Repeat(text, n),
            (List<object?> list, long n) => RepeatList(list, n),
            (long n, List<object?> list) => RepeatList(list, n),
            _ => Arithmetic(at, a, b),
        };
    }

    private static string Repeat(string text, long count)
    {
        if (count <= 0 || text.Length == 0)
            return "";
        TemplateLimits.CheckTextLength(text.Length * Math.Min(count, TemplateLimits.MaxTextLength + 1L));
        return string.Concat(Enumerable.Repeat(text, (int)count));
    }

    private static List<object?> RepeatList(List<object?> list, long count)
    {
        if (count <= 0 || list.Count == 0)
            return [];
        if (count > TemplateLimits.MaxListLength / list.Count)
            throw new ChatTemplateException($"Chat template error: a list grew past {TemplateLimits.MaxListLength} items.");
        var result = new List<object?>();
        for (var i = 0L; i < count; i++)
            result.AddRange(list);
        return result;
    }

    private static object? Arithmetic(BinaryExpression at, object? a, object? b)
    {
        FailOnUndefined(at, a, b);
        if (!TemplateValues.IsNumber(a) || !TemplateValues.IsNumber(b))
            throw Fail(at, $"unsupported operand types for {at.Operator}: '{TemplateValues.TypeName(a)}' and '{TemplateValues.TypeName(b)}'");

        if (at.Operator == "/")
            return TemplateValues.ToDouble(b) == 0 ? throw Fail(at, "division by zero") : TemplateValues.ToDouble(a) / TemplateValues.ToDouble(b);

        if (a is not double && b is not double)
        {
            var (x, y) = (AsLong(a), AsLong(b));
            return at.Operator switch
            {
                "+" => (object)checked(x + y),
                "-" => checked(x - y),
                "*" => checked(x * y),
                "//" => y == 0 ? throw Fail(at, "integer division by zero") : FloorDivide(x, y),
                "%" => y == 0 ? throw Fail(at, "integer modulo by zero") : x - (FloorDivide(x, y) * y),
                "**" => y < 0 ? Math.Pow(x, y) : (object)IntegerPower(x, y),
                _ => throw Fail(at, $"unknown operator {at.Operator}"),
            };
        }

        var (p, q) = (TemplateValues.ToDouble(a), TemplateValues.ToDouble(b));
        return at.Operator switch
        {
            "+" => (object)(p + q),
            "-" => p - q,
            "*" => p * q,
            "//" => q == 0 ? throw Fail(at, "float division by zero") : Math.Floor(p / q),
            "%" => q == 0 ? throw Fail(at, "float modulo") : p - (Math.Floor(p / q) * q),
            "**" => Math.Pow(p, q),
            _ => throw Fail(at, $"unknown operator {at.Operator}"),
        };
    }

    private static long AsLong(object? value) => value is bool flag ? (flag ? 1 : 0) : (long)value!;

    private static long FloorDivide(long x, long y)
    {
        var quotient = x / y;
        return (x % y != 0) && ((x < 0) != (y < 0)) ? quotient - 1 : quotient;
    }

    private static long IntegerPower(long x, long y)
    {
        // Bases 0, 1 and -1 never overflow, so they are answered directly; any other base overflows within 63 steps.
        switch (x)
        {
            case 0: return y == 0 ? 1 : 0;
            case 1: return 1;
            case -1: return y % 2 == 0 ? 1 : -1;
        }

        var result = 1L;
        for (var i = 0L; i < y; i++)
            result = checked(result * x);
        return result;
    }

    private static void FailOnUndefined(Expression at, object? a, object? b)
    {
        var undefined = a as Undefined ?? b as Undefined;
        if (undefined is not null)
            throw Fail(at, $"'{undefined.Name}' is undefined");
    }

    private static ChatTemplateException OperandError(Expression at, string op, object? operand) => operand is Undefined undefined
        ? Fail(at, $"'{undefined.Name}' is undefined")
        : Fail(at, $"bad operand type for {op}: '{TemplateValues.TypeName(operand)}'");
}
