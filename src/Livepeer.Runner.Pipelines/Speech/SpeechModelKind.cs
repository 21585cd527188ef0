namespace Livepeer.Runner.Pipelines.Speech;

/// <summary>The text-to-speech model families, told apart by what an entry names and what its folder holds (MODEL-FORMATS §7).</summary>
public enum SpeechModelKind
{
    /// <summary>Folder without the files of a known family.</summary>
    Unknown,

    /// <summary><c>espeak-ng/&lt;voice&gt;</c> without a path: a program on the machine, no files.</summary>
    Espeak,

    /// <summary>Parler-TTS (§7.1): <c>text_encoder.onnx</c>, <c>prompt_embed.onnx</c>, <c>decoder_model_merged.onnx</c>, <c>dac_decode.onnx</c>.</summary>
    ParlerTts,

    /// <summary>Kokoro (§7.2, onnx-community): <c>onnx/model.onnx</c> and a <c>voices/</c> folder of style tables.</summary>
    Kokoro,
}

public static class SpeechModelKinds
{
    public static SpeechModelKind Of(string folder) =>
        File.Exists(Path.Combine(folder, "decoder_model_merged.onnx")) && File.Exists(Path.Combine(folder, "dac_decode.onnx"))
            ? SpeechModelKind.ParlerTts
            : Directory.Exists(Path.Combine(folder, "voices")) && File.Exists(Path.Combine(folder, "onnx", "model.onnx"))
                ? SpeechModelKind.Kokoro
                : SpeechModelKind.Unknown;
}
