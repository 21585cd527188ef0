using System.Globalization;

namespace Livepeer.Runner.Pipelines.Llm.Templates;

// Expression grammar, lowest precedence first, as Jinja orders it:
// conditional, or, and, not, comparisons and `in`, + -, ~, * / // %, **, unary - +, then primaries with
// postfix `.name`, `[index]`, `[a:b]`, calls, `| filter` and `is test`.
internal sealed partial class TemplateParser
{
    private static readonly HashSet<string> ComparisonOperators = ["==", "!=", "<", ">", "<=", ">="];

    // Words that end a bare test argument (`x is divisibleby 3`) rather than start one.
    private static readonly HashSet<string> WordsAfterTest = ["else", "or", "and", "if", "in", "not", "is"];

    private Expression ParseExpression() => ParseConditional(allowConditional: true);

    private Expression ParseConditional(bool allowConditional)
    {
        EnterNesting();
        var value = ParseOr();
        while (allowConditional && Current.IsName("if"))
        {
            var line = Advance().Line;
            var condition = ParseOr();
            var otherwise = AcceptName("else") ? ParseConditional(allowConditional: true) : null;
            value = new ConditionalExpression(line, condition, value, otherwise);
        }

        _nesting--;
        return value;
    }

    private Expression ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
            left = new BinaryExpression(Advance().Line, "or", left, ParseAnd());
        return left;
    }

    private Expression ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
            left = new BinaryExpression(Advance().Line, "and", left, ParseNot());
        return left;
    }

    private Expression ParseNot()
    {
        if (!Current.IsName("not"))
            return ParseComparison();
        var line = Advance().Line;
        EnterNesting();
        var operand = ParseNot();
        _nesting--;
        return new UnaryExpression(line, "not", operand);
    }

    private Expression ParseComparison()
    {
        var left = ParseAdditive();
        Expression? chain = null;
        while (true)
        {
            var token = Current;
            string op;
            if (token.Kind == TokenKind.Operator && ComparisonOperators.Contains(token.Value))
                op = token.Value;
            else if (token.IsName("in"))
                op = "in";
            else if (token.IsName("not") && Peek().IsName("in"))
                op = "not in";
            else
                break;
            _index += op == "not in" ? 2 : 1;
            var right = ParseAdditive();

            // `a < b < c` means `a < b and b < c`, as in Python.
            var comparison = new BinaryExpression(token.Line, op, left, right);
            chain = chain is null ? comparison : new BinaryExpression(token.Line, "and", chain, comparison);
            left = right;
        }

        return chain ?? left;
    }

    private Expression ParseAdditive()
    {
        var left = ParseConcat();
        while (Current.IsOperator("+") || Current.IsOperator("-"))
        {
            var token = Advance();
            left = new BinaryExpression(token.Line, token.Value, left, ParseConcat());
        }

        return left;
    }

    private Expression ParseConcat()
    {
        var left = ParseMultiplicative();
        while (Current.IsOperator("~"))
            left = new BinaryExpression(Advance().Line, "~", left, ParseMultiplicative());
        return left;
    }

    private Expression ParseMultiplicative()
    {
        var left = ParsePower();
        while (Current.Kind == TokenKind.Operator && Current.Value is "*" or "/" or "//" or "%")
        {
            var token = Advance();
            left = new BinaryExpression(token.Line, token.Value, left, ParsePower());
        }

        return left;
    }

    private Expression ParsePower()
    {
        var left = ParseUnary(withFilters: true);
        while (Current.IsOperator("**"))
            left = new BinaryExpression(Advance().Line, "**", left, ParseUnary(withFilters: true));
        return left;
    }

    private Expression ParseUnary(bool withFilters)
    {
        Expression value;
        if (Current.IsOperator("-") || Current.IsOperator("+"))
        {
            var token = Advance();
            EnterNesting();
            value = new UnaryExpression(token.Line, token.Value, ParseUnary(withFilters: false));
            _nesting--;
        }
        else
        {
            value = ParsePrimary();
        }

        value = ParsePostfix(value);
        return withFilters ? ParseFiltersAndTests(value) : value;
    }

    private Expression ParsePostfix(Expression value)
    {
        while (true)
        {
            var token = Current;
            if (token.IsOperator("."))
            {
                Advance();
                var name = Advance();
                value = name.Kind switch
                {
                    TokenKind.Name => new AttributeExpression(token.Line, value, name.Value),
                    TokenKind.Integer => new IndexExpression(token.Line, value, new LiteralExpression(name.Line, ParseInteger(name))),
                    _ => throw Error($"expected an attribute name after '.' but found {name}", name),
                };
            }
            else if (token.IsOperator("["))
            {
                Advance();
                value = ParseSubscript(value, token.Line);
            }
            else if (token.IsOperator("("))
            {
                Advance();
                var (arguments, keywords) = ParseCallArguments();
                value = new CallExpression(token.Line, value, arguments, keywords);
            }
            else
            {
                return value;
            }
        }
    }

    private Expression ParseSubscript(Expression target, int line)
    {
        Expression? start = Current.IsOperator(":") ? null : ParseExpression();
        if (start is not null && AcceptOperator("]"))
            return new IndexExpression(line, target, start);

        ExpectOperator(":");
        var stop = Current.IsOperator(":") || Current.IsOperator("]") ? null : ParseExpression();
        Expression? step = null;
        if (AcceptOperator(":") && !Current.IsOperator("]"))
            step = ParseExpression();
        ExpectOperator("]");
        return new SliceExpression(line, target, start, stop, step);
    }

    private Expression ParseFiltersAndTests(Expression value)
    {
        while (true)
        {
            var token = Current;
            if (token.IsOperator("|"))
            {
                Advance();
                var name = Expect(TokenKind.Name).Value;
                var (arguments, keywords) = AcceptOperator("(") ? ParseCallArguments() : ([], []);
                value = new FilterExpression(token.Line, value, name, arguments, keywords);
            }
            else if (token.IsName("is"))
            {
                Advance();
                var negated = AcceptName("not");
                var name = Expect(TokenKind.Name).Value;
                value = new TestExpression(token.Line, value, name, ParseTestArguments(), negated);
            }
            else if (token.IsOperator("("))
            {
                Advance();
                var (arguments, keywords) = ParseCallArguments();
                value = new CallExpression(token.Line, value, arguments, keywords);
            }
            else
            {
                return value;
            }
        }
    }

    private List<Expression> ParseTestArguments()
    {
        if (AcceptOperator("("))
        {
            var (arguments, keywords) = ParseCallArguments();
            if (keywords.Count > 0)
                throw Error("tests take no keyword arguments", Current);
            return arguments;
        }

        var token = Current;
        var startsArgument = token.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float
            || token.IsOperator("[") || token.IsOperator("{");
        if (!startsArgument || (token.Kind == TokenKind.Name && WordsAfterTest.Contains(token.Value)))
            return [];
        return [ParsePostfix(ParsePrimary())];
    }

    /// <summary>Arguments after an opening parenthesis, through the closing one.</summary>
    private (List<Expression> Arguments, List<(string Name, Expression Value)> Keywords) ParseCallArguments()
    {
        var arguments = new List<Expression>();
        var keywords = new List<(string, Expression)>();
        while (!AcceptOperator(")"))
        {
            if (arguments.Count + keywords.Count > 0)
            {
                ExpectOperator(",");
                if (AcceptOperator(")"))
                    break;
            }

            if (Current.IsOperator("*") || Current.IsOperator("**"))
                throw Error("*args and **kwargs are not supported by this runner's template engine", Current);
            if (Current.Kind == TokenKind.Name && Peek().IsOperator("="))
            {
                var name = Advance().Value;
                Advance();
                keywords.Add((name, ParseExpression()));
            }
            else if (keywords.Count > 0)
            {
                throw Error("a positional argument follows a keyword argument", Current);
            }
            else
            {
                arguments.Add(ParseExpression());
            }
        }

        return (arguments, keywords);
    }

    private Expression ParsePrimary()
    {
        var token = Advance();
        switch (token.Kind)
        {
            case TokenKind.Name:
                return token.Value switch
                {
                    "true" or "True" => new LiteralExpression(token.Line, true),
                    "false" or "False" => new LiteralExpression(token.Line, false),
                    "none" or "None" => new LiteralExpression(token.Line, null),
                    _ => new NameExpression(token.Line, token.Value),
                };
            case TokenKind.String:
                // Adjacent string literals join, as in Python.
                var text = token.Value;
                while (Current.Kind == TokenKind.String)
                    text += Advance().Value;
                return new LiteralExpression(token.Line, text);
            case TokenKind.Integer:
                return new LiteralExpression(token.Line, ParseInteger(token));
            case TokenKind.Float:
                return new LiteralExpression(token.Line, double.Parse(token.Value, CultureInfo.InvariantCulture));
            case TokenKind.Operator when token.Value == "(":
                return ParseParenthesised(token.Line);
            case TokenKind.Operator when token.Value == "[":
                return new ListExpression(token.Line, ParseSequence("]"));
            case TokenKind.Operator when token.Value == "{":
                return ParseDict(token.Line);
            default:
                throw Error($"unexpected {token}", token);
        }
    }

    private Expression ParseParenthesised(int line)
    {
        if (AcceptOperator(")"))
            return new ListExpression(line, []);
        var first = ParseExpression();
        if (AcceptOperator(")"))
            return first;

        // A parenthesised, comma-separated list is a tuple; lists stand in for tuples here.
        ExpectOperator(",");
        var items = new List<Expression> { first };
        items.AddRange(ParseSequence(")"));
        return new ListExpression(line, items);
    }

    private List<Expression> ParseSequence(string close)
    {
        var items = new List<Expression>();
        while (!AcceptOperator(close))
        {
            if (items.Count > 0)
            {
                ExpectOperator(",");
                if (AcceptOperator(close))
                    break;
            }

            items.Add(ParseExpression());
        }

        return items;
    }

    private DictExpression ParseDict(int line)
    {
        var entries = new List<(Expression, Expression)>();
        while (!AcceptOperator("}"))
        {
            if (entries.Count > 0)
            {
                ExpectOperator(",");
                if (AcceptOperator("}"))
                    break;
            }

            var key = ParseExpression();
            ExpectOperator(":");
            entries.Add((key, ParseExpression()));
        }

        return new DictExpression(line, entries);
    }

    private static long ParseInteger(TemplateToken token) => long.Parse(token.Value, CultureInfo.InvariantCulture);
}
