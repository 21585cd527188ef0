using Livepeer.Runner.Pipelines.Speech;
using static Livepeer.Runner.Pipelines.Checks.TensorNeed;

namespace Livepeer.Runner.Pipelines.Checks;

/// <summary>
/// Layouts of families this build has no engine for yet (MODEL-FORMATS §3 SVD, §7 Parler-TTS and Kokoro), so an
/// operator can check a download before the engine lands. When an engine is built, its loader's
/// <see cref="Engines.IEngine.Requirements"/> replaces the entry here (TODO(#14) for the voices).
/// </summary>
internal static class PendingFamilies
{
    public static ModelRequirements? Of(string location)
    {
        if (!Directory.Exists(location))
            return null;
        if (File.Exists(Path.Combine(location, "model_index.json")) && Directory.Exists(Path.Combine(location, "image_encoder")))
            return Svd;
        return SpeechModelKinds.Of(location) switch
        {
            SpeechModelKind.ParlerTts => Parler,
            SpeechModelKind.Kokoro => Kokoro,
            _ => null,
        };
    }

    private static readonly ModelRequirements Svd = new("stable-video-diffusion",
        [FileNeed.Of("the pipeline's components", "model_index.json"), FileNeed.Of("the scheduler", "scheduler/scheduler_config.json")],
        [
            new GraphNeed("image encoder", ["image_encoder/model.onnx"], [Named("pixel_values", FloatTypes)], [Named("image_embeds")]),
            new GraphNeed("UNet", ["unet/model.onnx"], [Named("sample", FloatTypes), Named("timestep"), Named("encoder_hidden_states"), Named("added_time_ids")], []),
            new GraphNeed("VAE encoder", ["vae_encoder/model.onnx"], [Named("sample", FloatTypes)], []),
            new GraphNeed("VAE decoder", ["vae_decoder/model.onnx"], [Named("latent_sample", FloatTypes), Named("num_frames", "Int64")], []),
        ]) { NotServedYet = "the image-to-video engine is not built into this runner yet" };

    private static readonly ModelRequirements Parler = new("parler-tts",
        [FileNeed.Of("the config", "config.json"), FileNeed.Of("the tokenizer", "tokenizer.json")],
        [
            new GraphNeed("text encoder", ["text_encoder.onnx"], All(["input_ids", "attention_mask"]), [Named("last_hidden_state")]),
            new GraphNeed("prompt embedding", ["prompt_embed.onnx"], All(["prompt_input_ids"]), [Named("prompt_hidden_states")]),
            new GraphNeed("decoder (merged)", ["decoder_model_merged.onnx"], All(["input_ids", "encoder_hidden_states", "prompt_hidden_states"]), [Named("logits")]),
            new GraphNeed("DAC audio decoder", ["dac_decode.onnx"], All(["audio_codes"]), [Named("audio_values")]),
        ]) { NotServedYet = "the Parler-TTS engine is not built into this runner yet (TODO #14)" };

    private static readonly ModelRequirements Kokoro = new("kokoro",
        [FileNeed.Of("the tokenizer", "tokenizer.json")],
        [new GraphNeed("synthesiser", ["onnx/model.onnx"], [Named("input_ids", "Int64"), Named("style", "Float"), Named("speed", "Float")], [Named("waveform")])])
        { NotServedYet = "the Kokoro engine is not built into this runner yet (TODO #14)" };
}
