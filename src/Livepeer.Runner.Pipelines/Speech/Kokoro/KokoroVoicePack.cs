using System.Runtime.InteropServices;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines.Speech.Kokoro;

/// <summary>
/// One Kokoro voice, <c>voices/&lt;name&gt;.bin</c>: raw little-endian f32 <c>[rows, 1, style_dim]</c> (510 × 256 in
/// the onnx-community export), one style vector per length of the phoneme sequence. The row for a call is its
/// number of phoneme ids without the two pads, capped at the last row (kokoro.js <c>generate_from_ids</c>).
/// The voice's first letter is its language: <c>a</c> American English, <c>b</c> British (Kokoro's naming,
/// <c>af_heart</c> = American, female, "heart").
/// </summary>
public sealed class KokoroVoicePack
{
    private readonly float[] _styles;

    private KokoroVoicePack(string name, string language, float[] styles, int styleDim)
    {
        Name = name;
        Language = language;
        _styles = styles;
        StyleDim = styleDim;
    }

    public string Name { get; }

    /// <summary>The espeak-ng voice that phonemizes for it: <c>en-us</c> or <c>en-gb</c>.</summary>
    public string Language { get; }

    public int StyleDim { get; }

    public int Rows => _styles.Length / StyleDim;

    /// <summary>The espeak-ng language of a Kokoro voice name, by its first letter; null for a language Kokoro phonemizes otherwise (Japanese, Mandarin) or not at all.</summary>
    public static string? LanguageOf(string voice) => voice.Length < 2 ? null : voice[0] switch
    {
        'a' => "en-us",
        'b' => "en-gb",
        _ => null,
    };

    /// <exception cref="ModelLoadException">The file is empty or not a whole number of style rows.</exception>
    public static KokoroVoicePack Load(string modelId, string path, int styleDim)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        var language = LanguageOf(name) ?? throw new ModelLoadException(modelId, $"Kokoro voice {name} is not an English voice (a… or b…).");
        var bytes = File.ReadAllBytes(path);
        var rowBytes = styleDim * sizeof(float);
        if (bytes.Length == 0 || bytes.Length % rowBytes != 0)
            throw new ModelLoadException(modelId, $"Kokoro voice {path} has {bytes.Length} bytes, not whole rows of {styleDim} float32 values.");
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Kokoro voice files are little-endian.");
        var styles = new float[bytes.Length / sizeof(float)];
        MemoryMarshal.Cast<byte, float>(bytes).CopyTo(styles);
        return new KokoroVoicePack(name, language, styles, styleDim);
    }

    /// <summary>The row index for a call of <paramref name="phonemeIds"/> ids (pads not counted).</summary>
    public int RowFor(int phonemeIds) => Math.Clamp(phonemeIds, 0, Rows - 1);

    /// <summary>The <c>style</c> input for a call of <paramref name="phonemeIds"/> ids: a copy of its row.</summary>
    public float[] StyleFor(int phonemeIds) => _styles.AsSpan(RowFor(phonemeIds) * StyleDim, StyleDim).ToArray();
}
