using System.Runtime.CompilerServices;

namespace Livepeer.Runner.Pipelines.Llm.Templates;

/// <summary>
/// Recursive-descent parser from tokens to statements. Tags outside the chat-template subset fail here, at load
/// time, with a message naming the tag, rather than misrendering later.
/// </summary>
internal sealed partial class TemplateParser
{
    /// <summary>How deeply tags and expressions may nest; real chat templates stay under ten.</summary>
    public const int MaxNesting = 64;

    private static readonly HashSet<string> KnownUnsupportedTags =
        ["macro", "call", "include", "import", "from", "extends", "block", "filter", "with", "raw", "do", "autoescape", "trans"];

    private readonly List<TemplateToken> _tokens;
    private int _index;
    private int _nesting;
    private int _loopDepth;

    private TemplateParser(List<TemplateToken> tokens) => _tokens = tokens;

    public static IReadOnlyList<Statement> Parse(string source)
    {
        var parser = new TemplateParser(TemplateLexer.Tokenize(source));
        var (body, _) = parser.ParseBody();
        return body;
    }

    private TemplateToken Current => _tokens[_index];

    private TemplateToken Peek(int offset = 1) => _tokens[Math.Min(_index + offset, _tokens.Count - 1)];

    // Never moves past the end token, so a truncated template fails with a message instead of an index error.
    private TemplateToken Advance()
    {
        var token = _tokens[_index];
        if (_index < _tokens.Count - 1)
            _index++;
        return token;
    }

    /// <summary>Parses statements until one of <paramref name="terminators"/> opens a tag; returns that tag's name.</summary>
    private (List<Statement> Body, string? Terminator) ParseBody(params string[] terminators)
    {
        EnterNesting();
        var body = new List<Statement>();
        while (true)
        {
            var token = Current;
            switch (token.Kind)
            {
                case TokenKind.End when terminators.Length == 0:
                    _nesting--;
                    return (body, null);
                case TokenKind.End:
                    throw Error($"missing {{% {terminators[^1]} %}}", token);
                case TokenKind.Text:
                    body.Add(new TextStatement(token.Line, Advance().Value));
                    break;
                case TokenKind.VariableBegin:
                    Advance();
                    body.Add(new OutputStatement(token.Line, ParseExpression()));
                    Expect(TokenKind.VariableEnd);
                    break;
                case TokenKind.BlockBegin:
                    var name = Peek();
                    if (name.Kind == TokenKind.Name && terminators.Contains(name.Value))
                    {
                        Advance();
                        Advance();
                        _nesting--;
                        return (body, name.Value);
                    }

                    Advance();
                    body.Add(ParseTag());
                    break;
                default:
                    throw Error($"unexpected {token}", token);
            }
        }
    }

    private Statement ParseTag()
    {
        var tag = Expect(TokenKind.Name);
        return tag.Value switch
        {
            "if" => ParseIf(tag.Line),
            "for" => ParseFor(tag.Line),
            "set" => ParseSet(tag.Line),
            "break" or "continue" => ParseLoopControl(tag),
            "generation" => ParseGeneration(tag.Line),
            _ when KnownUnsupportedTags.Contains(tag.Value) =>
                throw Error($"the '{tag.Value}' tag is not supported by this runner's template engine", tag),
            _ => throw Error($"unknown tag '{tag.Value}'", tag),
        };
    }

    private IfStatement ParseIf(int line)
    {
        var condition = ParseExpression();
        Expect(TokenKind.BlockEnd);
        var (then, terminator) = ParseBody("elif", "else", "endif");
        IReadOnlyList<Statement> otherwise = [];
        if (terminator == "elif")
        {
            otherwise = [ParseIf(_tokens[_index - 1].Line)];
        }
        else if (terminator == "else")
        {
            Expect(TokenKind.BlockEnd);
            (otherwise, _) = ParseBody("endif");
            Expect(TokenKind.BlockEnd);
        }
        else
        {
            Expect(TokenKind.BlockEnd);
        }

        return new IfStatement(line, condition, then, otherwise);
    }

    private ForStatement ParseFor(int line)
    {
        var targets = ParseTargetNames();
        ExpectName("in");
        var items = ParseConditional(allowConditional: false);
        var filter = AcceptName("if") ? ParseConditional(allowConditional: false) : null;
        if (Current.IsName("recursive"))
            throw Error("recursive loops are not supported by this runner's template engine", Current);
        Expect(TokenKind.BlockEnd);

        _loopDepth++;
        var (body, terminator) = ParseBody("else", "endfor");
        _loopDepth--;
        IReadOnlyList<Statement> otherwise = [];
        Expect(TokenKind.BlockEnd);
        if (terminator == "else")
        {
            (otherwise, _) = ParseBody("endfor");
            Expect(TokenKind.BlockEnd);
        }

        return new ForStatement(line, targets, items, filter, body, otherwise);
    }

    private Statement ParseSet(int line)
    {
        var targets = ParseTargetNames();
        string? attribute = null;
        if (targets.Count == 1 && Current.IsOperator("."))
        {
            Advance();
            attribute = Expect(TokenKind.Name).Value;
        }

        if (Current.Kind == TokenKind.BlockEnd && targets.Count == 1 && attribute is null)
        {
            Advance();
            var (body, _) = ParseBody("endset");
            Expect(TokenKind.BlockEnd);
            return new SetBlockStatement(line, targets[0], body);
        }

        ExpectOperator("=");
        var value = ParseExpression();
        Expect(TokenKind.BlockEnd);
        return new SetStatement(line, targets, attribute, value);
    }

    private Statement ParseLoopControl(TemplateToken tag)
    {
        if (_loopDepth == 0)
            throw Error($"'{tag.Value}' outside a loop", tag);
        Expect(TokenKind.BlockEnd);
        return tag.Value == "break" ? new BreakStatement(tag.Line) : new ContinueStatement(tag.Line);
    }

    private GenerationStatement ParseGeneration(int line)
    {
        Expect(TokenKind.BlockEnd);
        var (body, _) = ParseBody("endgeneration");
        Expect(TokenKind.BlockEnd);
        return new GenerationStatement(line, body);
    }

    /// <summary><c>name</c>, <c>a, b</c> or <c>(a, b)</c>, as for-loops and set tags take them.</summary>
    private List<string> ParseTargetNames()
    {
        var parenthesised = AcceptOperator("(");
        var names = new List<string> { Expect(TokenKind.Name).Value };
        while (AcceptOperator(","))
            names.Add(Expect(TokenKind.Name).Value);
        if (parenthesised)
            ExpectOperator(")");
        return names;
    }

    private void EnterNesting()
    {
        if (++_nesting > MaxNesting || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
            throw Error($"the template nests deeper than {MaxNesting} levels", Current);
    }

    private TemplateToken Expect(TokenKind kind)
    {
        if (Current.Kind != kind)
            throw Error($"expected {Describe(kind)} but found {Current}", Current);
        return Advance();
    }

    private void ExpectName(string name)
    {
        if (!AcceptName(name))
            throw Error($"expected '{name}' but found {Current}", Current);
    }

    private void ExpectOperator(string op)
    {
        if (!AcceptOperator(op))
            throw Error($"expected '{op}' but found {Current}", Current);
    }

    private bool AcceptName(string name)
    {
        if (!Current.IsName(name))
            return false;
        _index++;
        return true;
    }

    private bool AcceptOperator(string op)
    {
        if (!Current.IsOperator(op))
            return false;
        _index++;
        return true;
    }

    private static string Describe(TokenKind kind) => kind switch
    {
        TokenKind.BlockEnd => "'%}'",
        TokenKind.VariableEnd => "'}}'",
        TokenKind.Name => "a name",
        _ => kind.ToString(),
    };

    private static ChatTemplateException Error(string message, TemplateToken at) =>
        new($"Chat template syntax error on line {at.Line}: {message}.");
}
