using System.Globalization;
using System.Text;

namespace Livepeer.Runner.Pipelines.Speech;

/// <summary>
/// Makes request text plain text for espeak-ng, which otherwise interprets parts of it even without <c>-m</c> (SSML is
/// off, so <c>&lt;speak&gt;</c> and other tags are spoken as words):
/// <list type="bullet">
/// <item><c>[[…]]</c> is phoneme input: a space is put between consecutive <c>[</c>, so brackets stay brackets;</item>
/// <item>control characters are dropped: U+0001 starts an embedded command (<c>\x01 80S</c> changes the speed), and NUL
/// would end the text early; a tab becomes a space, newlines stay;</item>
/// <item>private-use characters (espeak-ng's own markers live there) and lone surrogates are dropped.</item>
/// </list>
/// </summary>
public static class EspeakText
{
    public static string Plain(string text)
    {
        var plain = new StringBuilder(text.Length + 8);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var pair = char.ConvertToUtf32(c, text[i + 1]);
                if (!IsPrivateUse(CharUnicodeInfo.GetUnicodeCategory(pair)))
                    plain.Append(c).Append(text[i + 1]);
                i++;
                continue;
            }

            switch (CharUnicodeInfo.GetUnicodeCategory(c))
            {
                case UnicodeCategory.Control:
                    if (c == '\n')
                        plain.Append('\n');
                    else if (c == '\t')
                        plain.Append(' ');
                    break;
                case UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse:
                    break;
                default:
                    if (c == '[' && plain.Length > 0 && plain[^1] == '[')
                        plain.Append(' ');
                    plain.Append(c);
                    break;
            }
        }

        return plain.ToString();
    }

    private static bool IsPrivateUse(UnicodeCategory category) => category == UnicodeCategory.PrivateUse;
}
