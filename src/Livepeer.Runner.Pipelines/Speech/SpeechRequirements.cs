using Livepeer.Runner.Pipelines.Checks;
using static Livepeer.Runner.Pipelines.Checks.TensorNeed;

namespace Livepeer.Runner.Pipelines.Speech;

/// <summary>
/// What the neural voices' loaders read (MODEL-FORMATS §7), for <c>models check</c>: Parler-TTS's four graphs with the
/// names <see cref="Parler.ParlerTtsVoice"/> binds, and Kokoro's one graph with its voice packs. An espeak-ng voice has
/// no files to check.
/// </summary>
internal static class SpeechRequirements
{
    public static ModelRequirements? Of(string location) => !Directory.Exists(location)
        ? null
        : SpeechModelKinds.Of(location) switch
        {
            SpeechModelKind.ParlerTts => Parler,
            SpeechModelKind.Kokoro => Kokoro,
            _ => null,
        };

    private static readonly ModelRequirements Parler = new("parler-tts",
        [
            FileNeed.Of("the config", "config.json"),
            FileNeed.Of("the generation settings", "generation_config.json"),
            FileNeed.Of("the T5 tokenizer", "tokenizer.json"),
        ],
        [
            new GraphNeed("text encoder", ["text_encoder.onnx"], All(["input_ids", "attention_mask"]), [Named("last_hidden_state")]),
            new GraphNeed("prompt embedding", ["prompt_embed.onnx"], All(["prompt_input_ids"]), [Named("prompt_hidden_states")]),
            new GraphNeed("decoder (merged)", ["decoder_model_merged.onnx"],
                All(["input_ids", "encoder_hidden_states", "encoder_attention_mask", "prompt_hidden_states", "use_cache_branch"]), [Named("logits")]),
            new GraphNeed("DAC audio decoder", ["dac_decode.onnx"], All(["audio_codes"]), [Named("audio_values")]),
        ]);

    private static readonly ModelRequirements Kokoro = new("kokoro",
        [FileNeed.Of("the phoneme vocabulary", "tokenizer.json")],
        [new GraphNeed("synthesiser", ["onnx/model.onnx"], [Named("input_ids", "Int64"), Named("style", "Float"), Named("speed", "Float")], [Named("waveform")])]);
}
