using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Livepeer.Runner.Pipelines.Text;

/// <summary>
/// SentencePiece's compiled normalization rules (T5's <c>nmt_nfkc</c>) as a Hugging Face <c>tokenizer.json</c>
/// carries them in a <c>Precompiled</c> normalizer: a little-endian uint32 trie size, a darts-clone double-array trie
/// over UTF-8 bytes whose values are offsets, then the NUL-terminated replacement strings those offsets point into.
/// Applied as the tokenizers library does: per grapheme (shorter than 6 UTF-8 bytes) its first prefix match replaces
/// it whole; otherwise each character is looked up alone and kept when it has no rule.
/// </summary>
internal sealed class PrecompiledCharsMap
{
    private readonly uint[] _units;
    private readonly byte[] _normalized;

    private PrecompiledCharsMap(uint[] units, byte[] normalized)
    {
        _units = units;
        _normalized = normalized;
    }

    /// <exception cref="InvalidDataException">The blob is not a charsmap.</exception>
    public static PrecompiledCharsMap Parse(byte[] blob)
    {
        if (blob.Length < 4)
            throw new InvalidDataException("The precompiled charsmap is shorter than its header.");
        var trieBytes = BinaryPrimitives.ReadUInt32LittleEndian(blob);
        if (trieBytes % 4 != 0 || trieBytes > (uint)(blob.Length - 4))
            throw new InvalidDataException("The precompiled charsmap's trie size does not fit the blob.");
        var units = new uint[trieBytes / 4];
        for (var i = 0; i < units.Length; i++)
            units[i] = BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(4 + (i * 4)));
        return new PrecompiledCharsMap(units, blob[(4 + (int)trieBytes)..]);
    }

    public string Normalize(string text)
    {
        if (_units.Length == 0)
            return text;
        var normalized = new StringBuilder(text.Length);
        var graphemes = StringInfo.GetTextElementEnumerator(text);
        while (graphemes.MoveNext())
        {
            var grapheme = graphemes.GetTextElement();
            if (Encoding.UTF8.GetByteCount(grapheme) < 6 && Transform(grapheme) is { } whole)
            {
                normalized.Append(whole);
                continue;
            }

            for (var i = 0; i < grapheme.Length; i += char.IsSurrogatePair(grapheme, i) ? 2 : 1)
            {
                var character = grapheme.Substring(i, char.IsSurrogatePair(grapheme, i) ? 2 : 1);
                normalized.Append(Transform(character) ?? character);
            }
        }

        return normalized.ToString();
    }

    /// <summary>The replacement of the first (shortest) rule matching a prefix of <paramref name="chunk"/>, if any.</summary>
    private string? Transform(string chunk)
    {
        var key = Encoding.UTF8.GetBytes(chunk);
        var node = Offset(_units[0]);
        foreach (var label in key)
        {
            node ^= label;
            if (node >= _units.Length)
                return null;
            var unit = _units[node];
            if (Label(unit) != label)
                return null;
            node ^= Offset(unit);
            if (HasLeaf(unit))
                return node < _units.Length ? Replacement((int)Value(_units[node])) : null;
        }

        return null;
    }

    private string? Replacement(int offset)
    {
        if (offset < 0 || offset >= _normalized.Length)
            return null;
        var end = Array.IndexOf(_normalized, (byte)0, offset);
        return Encoding.UTF8.GetString(_normalized, offset, (end < 0 ? _normalized.Length : end) - offset);
    }

    // darts-clone's unit layout.
    private static uint Offset(uint unit) => (unit >> 10) << (int)((unit & (1u << 9)) >> 6);

    private static uint Label(uint unit) => unit & ((1u << 31) | 0xFF);

    private static bool HasLeaf(uint unit) => ((unit >> 8) & 1) == 1;

    private static uint Value(uint unit) => unit & ((1u << 31) - 1);
}
