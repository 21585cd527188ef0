using System.Globalization;
using System.Text;

namespace Livepeer.Runner.Pipelines.Llm.Templates;

/// <summary>Python string-literal escapes, which Jinja applies to its string literals.</summary>
internal static class StringEscapes
{
    /// <summary>Appends the escape that starts at <paramref name="pos"/> (just after the backslash); returns the next position.</summary>
    public static int Append(StringBuilder value, string source, int pos)
    {
        var c = source[pos];
        switch (c)
        {
            case 'n': value.Append('\n'); return pos + 1;
            case 't': value.Append('\t'); return pos + 1;
            case 'r': value.Append('\r'); return pos + 1;
            case '0': value.Append('\0'); return pos + 1;
            case 'a': value.Append('\a'); return pos + 1;
            case 'b': value.Append('\b'); return pos + 1;
            case 'f': value.Append('\f'); return pos + 1;
            case 'v': value.Append('\v'); return pos + 1;
            case '\\' or '\'' or '"': value.Append(c); return pos + 1;
            case '\n': return pos + 1;
            case 'x': return AppendCodePoint(value, source, pos, 2);
            case 'u': return AppendCodePoint(value, source, pos, 4);
            case 'U': return AppendCodePoint(value, source, pos, 8);
            default:
                // Python keeps unknown escapes as they are, backslash included.
                value.Append('\\').Append(c);
                return pos + 1;
        }
    }

    private static int AppendCodePoint(StringBuilder value, string source, int pos, int digits)
    {
        if (pos + digits >= source.Length
            || !int.TryParse(source.AsSpan(pos + 1, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code)
            || code > 0x10FFFF
            || code is >= 0xD800 and <= 0xDFFF)
        {
            throw new ChatTemplateException($"Chat template syntax error: invalid \\{source[pos]} escape in a string literal.");
        }

        value.Append(char.ConvertFromUtf32(code));
        return pos + 1 + digits;
    }
}
