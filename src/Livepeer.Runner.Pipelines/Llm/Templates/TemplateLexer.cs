using System.Globalization;
using System.Text;

namespace Livepeer.Runner.Pipelines.Llm.Templates;

/// <summary>
/// Splits a template into text and tag tokens, applying whitespace control as transformers configures Jinja for chat
/// templates: <c>trim_blocks</c> and <c>lstrip_blocks</c> on, plus the explicit <c>-</c> / <c>+</c> markers.
/// </summary>
internal sealed class TemplateLexer
{
    private static readonly string[] Operators =
        ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"];

    private readonly string _source;
    private readonly List<TemplateToken> _tokens = [];
    private int _pos;
    private int _lineCountedTo;
    private int _line = 1;

    private TemplateLexer(string source) => _source = source;

    public static List<TemplateToken> Tokenize(string source)
    {
        var lexer = new TemplateLexer(source);
        lexer.Run();
        return lexer._tokens;
    }

    private void Run()
    {
        var stripLeading = false;
        var trimNewline = false;
        while (_pos <= _source.Length)
        {
            var start = FindTagStart(_pos);
            var text = _source[_pos..(start < 0 ? _source.Length : start)];
            var startsLine = _pos == 0 || _source[_pos - 1] == '\n';
            if (stripLeading)
            {
                text = text.TrimStart();
            }
            else if (trimNewline)
            {
                var trimmed = RemoveFirstNewline(text);
                startsLine |= trimmed.Length != text.Length;
                text = trimmed;
            }

            if (start < 0)
            {
                AddText(text, _pos);
                break;
            }

            var kind = _source[start + 1];
            var marker = start + 2 < _source.Length ? _source[start + 2] : '\0';
            if (marker == '-')
                text = text.TrimEnd();
            else if (marker != '+' && kind != '{')
                text = StripIndentBeforeTag(text, startsLine);

            AddText(text, _pos);
            _pos = start + 2 + (marker is '-' or '+' ? 1 : 0);
            var endMarker = kind == '#' ? SkipComment(start) : LexTag(kind, start);
            stripLeading = endMarker == '-';
            trimNewline = endMarker != '+' && kind != '{';
        }

        _tokens.Add(new TemplateToken(TokenKind.End, "", LineAt(_source.Length)));
    }

    private int FindTagStart(int from)
    {
        for (var i = _source.IndexOf('{', from); i >= 0 && i + 1 < _source.Length; i = _source.IndexOf('{', i + 1))
        {
            if (_source[i + 1] is '{' or '%' or '#')
                return i;
        }

        return -1;
    }

    private void AddText(string text, int at)
    {
        if (text.Length > 0)
            _tokens.Add(new TemplateToken(TokenKind.Text, text, LineAt(at)));
    }

    private static string RemoveFirstNewline(string text) =>
        text.StartsWith("\r\n", StringComparison.Ordinal) ? text[2..] : text.StartsWith('\n') ? text[1..] : text;

    // lstrip_blocks: spaces and tabs between the start of a line and a block or comment tag are dropped.
    private static string StripIndentBeforeTag(string text, bool textStartsLine)
    {
        var lineStart = text.LastIndexOf('\n') + 1;
        if (lineStart == 0 && !textStartsLine)
            return text;
        for (var i = lineStart; i < text.Length; i++)
        {
            if (text[i] is not (' ' or '\t'))
                return text;
        }

        return text[..lineStart];
    }

    /// <summary>Skips a comment; returns the marker before its <c>#}</c> ('-', '+' or '\0').</summary>
    private char SkipComment(int tagStart)
    {
        var end = _source.IndexOf("#}", _pos, StringComparison.Ordinal);
        if (end < 0)
            throw Error($"comment opened on line {LineAt(tagStart)} is never closed", tagStart);
        var marker = end > _pos && _source[end - 1] is '-' or '+' ? _source[end - 1] : '\0';
        _pos = end + 2;
        return marker;
    }

    /// <summary>Lexes the expression tokens of a <c>{{ }}</c> or <c>{% %}</c> tag; returns the end marker.</summary>
    private char LexTag(char kind, int tagStart)
    {
        var isBlock = kind == '%';
        var close = isBlock ? '%' : '}';
        _tokens.Add(new TemplateToken(isBlock ? TokenKind.BlockBegin : TokenKind.VariableBegin, isBlock ? "{%" : "{{", LineAt(tagStart)));
        var depth = 0;
        while (true)
        {
            while (_pos < _source.Length && char.IsWhiteSpace(_source[_pos]))
                _pos++;
            if (_pos >= _source.Length)
                throw Error($"tag opened on line {LineAt(tagStart)} is never closed", tagStart);

            // An end delimiter only counts outside brackets, so dict literals such as {'a': {}} can close with }}.
            if (depth == 0 && TryReadTagEnd(close, out var marker))
            {
                _tokens.Add(new TemplateToken(isBlock ? TokenKind.BlockEnd : TokenKind.VariableEnd, isBlock ? "%}" : "}}", LineAt(_pos)));
                return marker;
            }

            var c = _source[_pos];
            if (char.IsAsciiLetter(c) || c == '_')
                ReadName();
            else if (char.IsAsciiDigit(c))
                ReadNumber();
            else if (c is '\'' or '"')
                ReadString(c);
            else
                depth = ReadOperator(depth);
        }
    }

    private bool TryReadTagEnd(char close, out char marker)
    {
        marker = _source[_pos] is '-' or '+' ? _source[_pos] : '\0';
        var at = _pos + (marker == '\0' ? 0 : 1);
        if (at + 1 < _source.Length && _source[at] == close && _source[at + 1] == '}')
        {
            _pos = at + 2;
            return true;
        }

        return false;
    }

    private void ReadName()
    {
        var start = _pos;
        while (_pos < _source.Length && (char.IsAsciiLetterOrDigit(_source[_pos]) || _source[_pos] == '_'))
            _pos++;
        _tokens.Add(new TemplateToken(TokenKind.Name, _source[start.._pos], LineAt(start)));
    }

    private void ReadNumber()
    {
        var start = _pos;
        while (_pos < _source.Length && char.IsAsciiDigit(_source[_pos]))
            _pos++;
        var isFloat = _pos + 1 < _source.Length && _source[_pos] == '.' && char.IsAsciiDigit(_source[_pos + 1]);
        if (isFloat)
        {
            _pos++;
            while (_pos < _source.Length && char.IsAsciiDigit(_source[_pos]))
                _pos++;
        }

        var text = _source[start.._pos];
        if (!isFloat && !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            throw Error($"integer literal {text} is too large", start);
        _tokens.Add(new TemplateToken(isFloat ? TokenKind.Float : TokenKind.Integer, text, LineAt(start)));
    }

    private void ReadString(char quote)
    {
        var start = _pos++;
        var value = new StringBuilder();
        while (true)
        {
            if (_pos >= _source.Length)
                throw Error("string literal is never closed", start);
            var c = _source[_pos++];
            if (c == quote)
                break;
            if (c != '\\' || _pos >= _source.Length)
            {
                value.Append(c);
                continue;
            }

            _pos = StringEscapes.Append(value, _source, _pos);
        }

        _tokens.Add(new TemplateToken(TokenKind.String, value.ToString(), LineAt(start)));
    }

    private int ReadOperator(int depth)
    {
        foreach (var op in Operators)
        {
            if (string.CompareOrdinal(_source, _pos, op, 0, op.Length) != 0)
                continue;
            _tokens.Add(new TemplateToken(TokenKind.Operator, op, LineAt(_pos)));
            _pos += op.Length;
            return op switch
            {
                "(" or "[" or "{" => depth + 1,
                ")" or "]" or "}" => Math.Max(0, depth - 1),
                _ => depth,
            };
        }

        throw Error($"unexpected character '{_source[_pos]}'", _pos);
    }

    private int LineAt(int position)
    {
        // Positions only move forward while lexing, so counting incrementally keeps this linear.
        if (position < _lineCountedTo)
            return _line - _source.AsSpan(position, _lineCountedTo - position).Count('\n');
        _line += _source.AsSpan(_lineCountedTo, position - _lineCountedTo).Count('\n');
        _lineCountedTo = position;
        return _line;
    }

    private ChatTemplateException Error(string message, int position) =>
        new($"Chat template syntax error on line {LineAt(position)}: {message}.");
}
