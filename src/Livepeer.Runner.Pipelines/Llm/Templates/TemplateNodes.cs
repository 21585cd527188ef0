namespace Livepeer.Runner.Pipelines.Llm.Templates;

// The syntax tree of a parsed template: statements produce output, expressions produce values.

internal abstract record Statement(int Line);

internal sealed record TextStatement(int Line, string Text) : Statement(Line);

internal sealed record OutputStatement(int Line, Expression Value) : Statement(Line);

internal sealed record IfStatement(int Line, Expression Condition, IReadOnlyList<Statement> Then, IReadOnlyList<Statement> Else) : Statement(Line);

/// <summary><c>{% for a, b in items if filter %}…{% else %}…{% endfor %}</c>; targets hold one name or several to unpack.</summary>
internal sealed record ForStatement(
    int Line,
    IReadOnlyList<string> Targets,
    Expression Items,
    Expression? Filter,
    IReadOnlyList<Statement> Body,
    IReadOnlyList<Statement> Else) : Statement(Line);

/// <summary><c>{% set name = value %}</c>, <c>{% set a, b = value %}</c> or <c>{% set ns.attr = value %}</c>.</summary>
internal sealed record SetStatement(int Line, IReadOnlyList<string> Targets, string? Attribute, Expression Value) : Statement(Line);

/// <summary><c>{% set name %}…{% endset %}</c>: the rendered body becomes the value.</summary>
internal sealed record SetBlockStatement(int Line, string Target, IReadOnlyList<Statement> Body) : Statement(Line);

internal sealed record BreakStatement(int Line) : Statement(Line);

internal sealed record ContinueStatement(int Line) : Statement(Line);

/// <summary>transformers' <c>{% generation %}</c> marks assistant text for masks; rendering only needs its body.</summary>
internal sealed record GenerationStatement(int Line, IReadOnlyList<Statement> Body) : Statement(Line);

internal abstract record Expression(int Line);

internal sealed record LiteralExpression(int Line, object? Value) : Expression(Line);

internal sealed record NameExpression(int Line, string Name) : Expression(Line);

internal sealed record ListExpression(int Line, IReadOnlyList<Expression> Items) : Expression(Line);

internal sealed record DictExpression(int Line, IReadOnlyList<(Expression Key, Expression Value)> Entries) : Expression(Line);

internal sealed record AttributeExpression(int Line, Expression Target, string Name) : Expression(Line);

internal sealed record IndexExpression(int Line, Expression Target, Expression Index) : Expression(Line);

internal sealed record SliceExpression(int Line, Expression Target, Expression? Start, Expression? Stop, Expression? Step) : Expression(Line);

internal sealed record CallExpression(int Line, Expression Callee, IReadOnlyList<Expression> Arguments, IReadOnlyList<(string Name, Expression Value)> Keywords)
    : Expression(Line);

internal sealed record FilterExpression(int Line, Expression Target, string Name, IReadOnlyList<Expression> Arguments, IReadOnlyList<(string Name, Expression Value)> Keywords)
    : Expression(Line);

internal sealed record TestExpression(int Line, Expression Target, string Name, IReadOnlyList<Expression> Arguments, bool Negated) : Expression(Line);

internal sealed record UnaryExpression(int Line, string Operator, Expression Operand) : Expression(Line);

internal sealed record BinaryExpression(int Line, string Operator, Expression Left, Expression Right) : Expression(Line);

internal sealed record ConditionalExpression(int Line, Expression Condition, Expression Then, Expression? Else) : Expression(Line);
