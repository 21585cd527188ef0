using Microsoft.ML.OnnxRuntime.Tensors;

namespace Livepeer.Runner.Pipelines.Tests;

/// <summary>One graph input or output as a loader sees it: the name it binds, the type it casts to, the rank it shapes to.</summary>
internal sealed record TensorSignature(string Name, TensorElementType Type, int Rank)
{
    public override string ToString() => $"{Name} {Type} rank {Rank}";
}

internal sealed record GraphSignature(IReadOnlyList<TensorSignature> Inputs, IReadOnlyList<TensorSignature> Outputs);

/// <summary>
/// What every graph under models/tiny must declare, in order (MODEL-FORMATS.md; models/tiny/README.md).
/// Typed out here rather than read from signatures.json, so that a regenerated fixture and a regenerated
/// JSON cannot drift together: a change to a fixture's interface has to be made in this file too.
/// </summary>
internal static class TinyFixtureSignatures
{
    /// <summary>Keyed by the path under models/tiny, with '/' separators.</summary>
    public static IReadOnlyDictionary<string, GraphSignature> All { get; } = WithMergedLoraGraphs(new Dictionary<string, GraphSignature>
    {
        // BLIP has no standard export: the project convention copies optimum's VisionEncoderDecoder names (MODEL-FORMATS §5).
        ["blip/decoder_model_merged.onnx"] = new(
            [I64("input_ids", 2), F32("encoder_hidden_states", 3), .. Kv("past_key_values", layers: 2, "decoder", "encoder"),
             Bool("use_cache_branch", 1)],
            [F32("logits", 3), .. Kv("present", layers: 2, "decoder", "encoder")]),
        ["blip/encoder_model.onnx"] = new(
            [F32("pixel_values", 4)],
            [F32("last_hidden_state", 3)]),

        // FLUX.1-dev: schnell's graphs plus the guidance input (guidance_embeds: true).
        ["flux-dev/text_encoder/model.onnx"] = new(
            [I64("input_ids", 2)],
            [F32("last_hidden_state", 3), F32("pooler_output", 2)]),
        ["flux-dev/text_encoder_2/model.onnx"] = new(
            [I64("input_ids", 2)],
            [F32("last_hidden_state", 3)]),
        ["flux-dev/transformer/model.onnx"] = new(
            [F32("hidden_states", 3), F32("encoder_hidden_states", 3), F32("pooled_projections", 2), F32("timestep", 1),
             I64("img_ids", 2), I64("txt_ids", 2), F32("guidance", 1)],
            [F32("out_hidden_states", 3)]),
        ["flux-dev/vae_decoder/model.onnx"] = new(
            [F32("latent_sample", 4)],
            [F32("sample", 4)]),
        ["flux-dev/vae_encoder/model.onnx"] = new(
            [F32("sample", 4)],
            [F32("latent_parameters", 4)]),

        // FLUX.1 via optimum (docs/diffusion-transformers.md): CLIP-L, T5 with input_ids only, a transformer on packed
        // latents with int64 img_ids/txt_ids (optimum's dummy generator) and a rank-1 timestep, the 16-channel VAE.
        ["flux-schnell/text_encoder/model.onnx"] = new(
            [I64("input_ids", 2)],
            [F32("last_hidden_state", 3), F32("pooler_output", 2)]),
        ["flux-schnell/text_encoder_2/model.onnx"] = new(
            [I64("input_ids", 2)],
            [F32("last_hidden_state", 3)]),
        ["flux-schnell/transformer/model.onnx"] = new(
            [F32("hidden_states", 3), F32("encoder_hidden_states", 3), F32("pooled_projections", 2), F32("timestep", 1),
             I64("img_ids", 2), I64("txt_ids", 2)],
            [F32("out_hidden_states", 3)]),
        ["flux-schnell/vae_decoder/model.onnx"] = new(
            [F32("latent_sample", 4)],
            [F32("sample", 4)]),
        ["flux-schnell/vae_encoder/model.onnx"] = new(
            [F32("sample", 4)],
            [F32("latent_parameters", 4)]),

        // Black Forest Labs' TensorRT layout (docs/diffusion-transformers.md): int32 ids at fixed lengths, BFL's names, float
        // img/txt ids, bf16 at the bf16 transformer's boundary, `latent` in and `images` out of the VAE decoder.
        ["flux-schnell-bfl/clip.opt/model.onnx"] = new(
            [I32("input_ids", 2)],
            [F32("text_embeddings", 3), F32("pooled_embeddings", 2)]),
        ["flux-schnell-bfl/t5.opt/model.onnx"] = new(
            [I32("input_ids", 2)],
            [F32("text_embeddings", 3)]),
        ["flux-schnell-bfl/transformer.opt/bf16/model.onnx"] = new(
            [BF16("hidden_states", 3), BF16("encoder_hidden_states", 3), BF16("pooled_projections", 2), BF16("timestep", 1),
             F32("img_ids", 2), F32("txt_ids", 2)],
            [BF16("latent", 3)]),
        ["flux-schnell-bfl/vae.opt/model.onnx"] = new(
            [F32("latent", 4)],
            [F32("images", 4)]),
        ["flux-schnell-bfl/vae_encoder.opt/model.onnx"] = new(
            [F32("images", 4)],
            [F32("latent", 4)]),

        ["instruct-pix2pix/text_encoder/model.onnx"] = new(
            [I64("input_ids", 2)],
            [F32("last_hidden_state", 3), F32("pooler_output", 2)]),
        ["instruct-pix2pix/unet/model.onnx"] = new(
            [F32("sample", 4), F32("timestep", 0), F32("encoder_hidden_states", 3)],
            [F32("out_sample", 4)]),
        ["instruct-pix2pix/vae_decoder/model.onnx"] = new(
            [F32("latent_sample", 4)],
            [F32("sample", 4)]),
        ["instruct-pix2pix/vae_encoder/model.onnx"] = new(
            [F32("sample", 4)],
            [F32("latent_parameters", 4)]),

        ["kokoro/onnx/model.onnx"] = new(
            [I64("input_ids", 2), F32("style", 2), F32("speed", 1)],
            [F32("waveform", 1)]),

        ["llm-llama/model.onnx"] = new(
            [I64("input_ids", 2), I64("attention_mask", 2), I64("position_ids", 2), .. Kv("past_key_values", layers: 2)],
            [F32("logits", 3), .. Kv("present", layers: 2)]),

        // llm-llama with float16 KV cache and logits at the graph boundary, as float16 exports of real models have.
        ["llm-llama-fp16/model.onnx"] = new(
            [I64("input_ids", 2), I64("attention_mask", 2), I64("position_ids", 2), .. Kv("past_key_values", layers: 2).Select(Half)],
            [F16("logits", 3), .. Kv("present", layers: 2).Select(Half)]),

        // Weights in model.onnx_data beside the graph, as a real optimum LLM export has them.
        ["llm-qwen/model.onnx"] = new(
            [I64("input_ids", 2), I64("attention_mask", 2), I64("position_ids", 2), .. Kv("past_key_values", layers: 2)],
            [F32("logits", 3), .. Kv("present", layers: 2)]),

        ["parler-tts/dac_decode.onnx"] = new(
            [I64("audio_codes", 3)],
            [F32("audio_values", 3)]),
        ["parler-tts/decoder_model_merged.onnx"] = new(
            [I64("input_ids", 2), F32("encoder_hidden_states", 3), I64("encoder_attention_mask", 2), F32("prompt_hidden_states", 3),
             .. Kv("past_key_values", layers: 2, "decoder", "encoder"), Bool("use_cache_branch", 1)],
            [F32("logits", 3), .. Kv("present", layers: 2, "decoder", "encoder")]),
        ["parler-tts/prompt_embed.onnx"] = new(
            [I64("prompt_input_ids", 2)],
            [F32("prompt_hidden_states", 3)]),
        ["parler-tts/text_encoder.onnx"] = new(
            [I64("input_ids", 2), I64("attention_mask", 2)],
            [F32("last_hidden_state", 3)]),

        ["sam2/decoder.onnx"] = new(
            [F32("image_embed", 4), F32("high_res_feats_0", 4), F32("high_res_feats_1", 4), F32("point_coords", 3),
             F32("point_labels", 2), F32("mask_input", 4), F32("has_mask_input", 1), I32("orig_im_size", 1)],
            [F32("masks", 4), F32("iou_predictions", 2)]),
        ["sam2/encoder.onnx"] = new(
            [F32("image", 4)],
            [F32("high_res_feats_0", 4), F32("high_res_feats_1", 4), F32("image_embed", 4)]),
        // samexporter (dialect B): no orig_im_size, three 256² masks clamped to ±32.
        ["sam2-samexporter/decoder.onnx"] = new(
            [F32("image_embed", 4), F32("high_res_feats_0", 4), F32("high_res_feats_1", 4), F32("point_coords", 3),
             F32("point_labels", 2), F32("mask_input", 4), F32("has_mask_input", 1)],
            [F32("masks", 4), F32("iou_predictions", 2)]),
        ["sam2-samexporter/encoder.onnx"] = new(
            [F32("image", 4)],
            [F32("high_res_feats_0", 4), F32("high_res_feats_1", 4), F32("image_embed", 4)]),
        // transformers.js / onnx-community (dialect D): i64 labels, boxes as their own input, no mask prompt.
        ["sam2-transformersjs/onnx/prompt_encoder_mask_decoder.onnx"] = new(
            [F32("input_points", 4), I64("input_labels", 3), F32("input_boxes", 3),
             F32("image_embeddings.0", 4), F32("image_embeddings.1", 4), F32("image_embeddings.2", 4)],
            [F32("iou_scores", 3), F32("pred_masks", 5), F32("object_score_logits", 3)]),
        ["sam2-transformersjs/onnx/vision_encoder.onnx"] = new(
            [F32("pixel_values", 4)],
            [F32("image_embeddings.0", 4), F32("image_embeddings.1", 4), F32("image_embeddings.2", 4)]),

        ["sd-x4-upscaler/text_encoder/model.onnx"] = new(
            [I64("input_ids", 2)],
            [F32("last_hidden_state", 3), F32("pooler_output", 2)]),
        // optimum's UNet config has no class_labels; the upscaler needs it for the noise level (MODEL-FORMATS §2.2).
        ["sd-x4-upscaler/unet/model.onnx"] = new(
            [F32("sample", 4), F32("timestep", 0), F32("encoder_hidden_states", 3), I64("class_labels", 1)],
            [F32("out_sample", 4)]),
        ["sd-x4-upscaler/vae_decoder/model.onnx"] = new(
            [F32("latent_sample", 4)],
            [F32("sample", 4)]),
        ["sd-x4-upscaler/vae_encoder/model.onnx"] = new(
            [F32("sample", 4)],
            [F32("latent_parameters", 4)]),

        // optimum ≤ 1.22: i32 ids, i64 timestep of rank 1, and a sampled latent_sample instead of latent_parameters.
        ["sd15-legacy/text_encoder/model.onnx"] = new(
            [I32("input_ids", 2)],
            [F32("last_hidden_state", 3), F32("pooler_output", 2)]),
        ["sd15-legacy/unet/model.onnx"] = new(
            [F32("sample", 4), I64("timestep", 1), F32("encoder_hidden_states", 3)],
            [F32("out_sample", 4)]),
        ["sd15-legacy/vae_decoder/model.onnx"] = new(
            [F32("latent_sample", 4)],
            [F32("sample", 4)]),
        ["sd15-legacy/vae_encoder/model.onnx"] = new(
            [F32("sample", 4)],
            [F32("latent_sample", 4)]),

        // The sd15 graphs again, plus the safety checker only the legacy diffusers script exports (MODEL-FORMATS §1.2).
        ["sd15-safety/safety_checker/model.onnx"] = new(
            [F32("clip_input", 4), F32("images", 4)],
            [F32("out_images", 4), Bool("has_nsfw_concepts", 1)]),
        ["sd15-safety/text_encoder/model.onnx"] = new(
            [I64("input_ids", 2)],
            [F32("last_hidden_state", 3), F32("pooler_output", 2)]),
        ["sd15-safety/unet/model.onnx"] = new(
            [F32("sample", 4), F32("timestep", 0), F32("encoder_hidden_states", 3)],
            [F32("out_sample", 4)]),
        ["sd15-safety/vae_decoder/model.onnx"] = new(
            [F32("latent_sample", 4)],
            [F32("sample", 4)]),
        ["sd15-safety/vae_encoder/model.onnx"] = new(
            [F32("sample", 4)],
            [F32("latent_parameters", 4)]),

        // optimum --dtype fp16: every float input and output float16, timestep included (MODEL-FORMATS §1.3).
        ["sd15-fp16/text_encoder/model.onnx"] = new(
            [I64("input_ids", 2)],
            [F16("last_hidden_state", 3), F16("pooler_output", 2)]),
        ["sd15-fp16/unet/model.onnx"] = new(
            [F16("sample", 4), F16("timestep", 0), F16("encoder_hidden_states", 3)],
            [F16("out_sample", 4)]),
        ["sd15-fp16/vae_decoder/model.onnx"] = new(
            [F16("latent_sample", 4)],
            [F16("sample", 4)]),
        ["sd15-fp16/vae_encoder/model.onnx"] = new(
            [F16("sample", 4)],
            [F16("latent_parameters", 4)]),

        ["sd15/text_encoder/model.onnx"] = new(
            [I64("input_ids", 2)],
            [F32("last_hidden_state", 3), F32("pooler_output", 2)]),
        ["sd15/unet/model.onnx"] = new(
            [F32("sample", 4), F32("timestep", 0), F32("encoder_hidden_states", 3)],
            [F32("out_sample", 4)]),
        ["sd15/vae_decoder/model.onnx"] = new(
            [F32("latent_sample", 4)],
            [F32("sample", 4)]),
        ["sd15/vae_encoder/model.onnx"] = new(
            [F32("sample", 4)],
            [F32("latent_parameters", 4)]),

        // SD3 via optimum: both CLIPs with projection and every hidden state, T5, an unpacked 16-channel transformer.
        ["sd3/text_encoder/model.onnx"] = new(
            [I64("input_ids", 2)],
            [F32("text_embeds", 2), F32("last_hidden_state", 3), F32("hidden_states.0", 3), F32("hidden_states.1", 3),
             F32("hidden_states.2", 3)]),
        ["sd3/text_encoder_2/model.onnx"] = new(
            [I64("input_ids", 2)],
            [F32("text_embeds", 2), F32("last_hidden_state", 3), F32("hidden_states.0", 3), F32("hidden_states.1", 3),
             F32("hidden_states.2", 3)]),
        ["sd3/text_encoder_3/model.onnx"] = new(
            [I64("input_ids", 2)],
            [F32("last_hidden_state", 3)]),
        ["sd3/transformer/model.onnx"] = new(
            [F32("hidden_states", 4), F32("encoder_hidden_states", 3), F32("pooled_projections", 2), F32("timestep", 1)],
            [F32("out_hidden_states", 4)]),
        ["sd3/vae_decoder/model.onnx"] = new(
            [F32("latent_sample", 4)],
            [F32("sample", 4)]),
        ["sd3/vae_encoder/model.onnx"] = new(
            [F32("sample", 4)],
            [F32("latent_parameters", 4)]),

        ["sdxl-lightning/text_encoder/model.onnx"] = new(
            [I64("input_ids", 2)],
            [F32("last_hidden_state", 3), F32("pooler_output", 2), F32("hidden_states.0", 3), F32("hidden_states.1", 3),
             F32("hidden_states.2", 3)]),
        ["sdxl-lightning/text_encoder_2/model.onnx"] = new(
            [I64("input_ids", 2)],
            [F32("text_embeds", 2), F32("last_hidden_state", 3), F32("hidden_states.0", 3), F32("hidden_states.1", 3),
             F32("hidden_states.2", 3)]),
        ["sdxl-lightning/unet/model.onnx"] = new(
            [F32("sample", 4), F32("timestep", 0), F32("encoder_hidden_states", 3), F32("text_embeds", 2), F32("time_ids", 2)],
            [F32("out_sample", 4)]),
        ["sdxl-lightning/vae_decoder/model.onnx"] = new(
            [F32("latent_sample", 4)],
            [F32("sample", 4)]),
        ["sdxl-lightning/vae_encoder/model.onnx"] = new(
            [F32("sample", 4)],
            [F32("latent_parameters", 4)]),

        ["sdxl/text_encoder/model.onnx"] = new(
            [I64("input_ids", 2)],
            [F32("last_hidden_state", 3), F32("pooler_output", 2), F32("hidden_states.0", 3), F32("hidden_states.1", 3),
             F32("hidden_states.2", 3)]),
        // text_encoder_2 lists text_embeds first; the UNet takes text_embeds and time_ids too, with its weights in model.onnx_data.
        ["sdxl/text_encoder_2/model.onnx"] = new(
            [I64("input_ids", 2)],
            [F32("text_embeds", 2), F32("last_hidden_state", 3), F32("hidden_states.0", 3), F32("hidden_states.1", 3),
             F32("hidden_states.2", 3)]),
        ["sdxl/unet/model.onnx"] = new(
            [F32("sample", 4), F32("timestep", 0), F32("encoder_hidden_states", 3), F32("text_embeds", 2), F32("time_ids", 2)],
            [F32("out_sample", 4)]),
        ["sdxl/vae_decoder/model.onnx"] = new(
            [F32("latent_sample", 4)],
            [F32("sample", 4)]),
        ["sdxl/vae_encoder/model.onnx"] = new(
            [F32("sample", 4)],
            [F32("latent_parameters", 4)]),

        ["svd/image_encoder/model.onnx"] = new(
            [F32("pixel_values", 4)],
            [F32("image_embeds", 2), F32("last_hidden_state", 3)]),
        ["svd/unet/model.onnx"] = new(
            [F32("sample", 5), F32("timestep", 0), F32("encoder_hidden_states", 3), F32("added_time_ids", 2)],
            [F32("out_sample", 5)]),
        // SVD has no canonical export: the project convention of MODEL-FORMATS §3; the decoder regroups frames by num_frames.
        ["svd/vae_decoder/model.onnx"] = new(
            [F32("latent_sample", 4), I64("num_frames", 0)],
            [F32("sample", 4)]),
        ["svd/vae_encoder/model.onnx"] = new(
            [F32("sample", 4)],
            [F32("latent_parameters", 4)]),

        // Whisper via optimum: the with-past decoder lacks encoder_hidden_states (torch.onnx drops it) and returns self-attention presents only.
        ["whisper-large-v3/decoder_model.onnx"] = new(
            [I64("input_ids", 2), F32("encoder_hidden_states", 3)],
            [F32("logits", 3), .. Kv("present", layers: 2, "decoder", "encoder")]),
        ["whisper-large-v3/decoder_model_merged.onnx"] = new(
            [I64("input_ids", 2), F32("encoder_hidden_states", 3), .. Kv("past_key_values", layers: 2, "decoder", "encoder"),
             Bool("use_cache_branch", 1)],
            [F32("logits", 3), .. Kv("present", layers: 2, "decoder", "encoder")]),
        ["whisper-large-v3/decoder_with_past_model.onnx"] = new(
            [I64("input_ids", 2), .. Kv("past_key_values", layers: 2, "decoder", "encoder")],
            [F32("logits", 3), .. Kv("present", layers: 2, "decoder")]),
        ["whisper-large-v3/encoder_model.onnx"] = new(
            [F32("input_features", 3)],
            [F32("last_hidden_state", 3)]),

        ["whisper-tiny/decoder_model.onnx"] = new(
            [I64("input_ids", 2), F32("encoder_hidden_states", 3)],
            [F32("logits", 3), .. Kv("present", layers: 2, "decoder", "encoder")]),
        ["whisper-tiny/decoder_model_merged.onnx"] = new(
            [I64("input_ids", 2), F32("encoder_hidden_states", 3), .. Kv("past_key_values", layers: 2, "decoder", "encoder"),
             Bool("use_cache_branch", 1)],
            [F32("logits", 3), .. Kv("present", layers: 2, "decoder", "encoder")]),
        ["whisper-tiny/decoder_with_past_model.onnx"] = new(
            [I64("input_ids", 2), .. Kv("past_key_values", layers: 2, "decoder", "encoder")],
            [F32("logits", 3), .. Kv("present", layers: 2, "decoder")]),
        ["whisper-tiny/encoder_model.onnx"] = new(
            [F32("input_features", 3)],
            [F32("last_hidden_state", 3)]),

        // transformers.js scripts/extra/whisper.py: optimum with output_attentions, cross_attentions.{i} after the presents.
        ["whisper-tiny-timestamped/onnx/decoder_model.onnx"] = new(
            [I64("input_ids", 2), F32("encoder_hidden_states", 3)],
            [F32("logits", 3), .. Kv("present", layers: 2, "decoder", "encoder"), .. CrossAttentions(layers: 2)]),
        ["whisper-tiny-timestamped/onnx/decoder_model_merged.onnx"] = new(
            [I64("input_ids", 2), F32("encoder_hidden_states", 3), .. Kv("past_key_values", layers: 2, "decoder", "encoder"),
             Bool("use_cache_branch", 1)],
            [F32("logits", 3), .. Kv("present", layers: 2, "decoder", "encoder"), .. CrossAttentions(layers: 2)]),
        ["whisper-tiny-timestamped/onnx/decoder_with_past_model.onnx"] = new(
            [I64("input_ids", 2), .. Kv("past_key_values", layers: 2, "decoder", "encoder")],
            [F32("logits", 3), .. Kv("present", layers: 2, "decoder"), .. CrossAttentions(layers: 2)]),
        ["whisper-tiny-timestamped/onnx/encoder_model.onnx"] = new(
            [F32("input_features", 3)],
            [F32("last_hidden_state", 3)]),
    });

    /// <summary>
    /// The graphs each LoRA fixture re-exports with its adapter merged (scripts/tiny/lora.py), at both weights (and the kohya Flux one's): a merged
    /// graph keeps its base graph's interface (<c>lora-sd15/merged-w1/unet/model.onnx</c> is <c>sd15/unet/model.onnx</c>'s).
    /// </summary>
    private static Dictionary<string, GraphSignature> WithMergedLoraGraphs(Dictionary<string, GraphSignature> graphs)
    {
        (string Fixture, string[] Components)[] merged =
        [
            ("sd15", ["text_encoder", "unet"]),
            ("sdxl", ["text_encoder", "text_encoder_2", "unet"]),
            ("flux-schnell", ["text_encoder", "transformer"]),
            ("sd3", ["text_encoder", "text_encoder_2", "transformer"]),
        ];
        foreach (var (fixture, components) in merged)
        {
            foreach (var weight in new[] { "w1", "w0.5" })
            {
                foreach (var component in components)
                    graphs[$"lora-{fixture}/merged-{weight}/{component}/model.onnx"] = graphs[$"{fixture}/{component}/model.onnx"];
            }
        }

        graphs["lora-fp16/unet/model.onnx"] = new([F16("x", 3)], [F16("y", 3)]);
        graphs["lora-fp16/merged-w1/unet/model.onnx"] = graphs["lora-fp16/unet/model.onnx"];

        // lora-flux-kohya's transformer (diffusers' module names) takes flux-schnell's inputs; merged at weight 1 only.
        graphs["lora-flux-kohya/transformer/model.onnx"] = graphs["flux-schnell/transformer/model.onnx"];
        graphs["lora-flux-kohya/merged-w1/transformer/model.onnx"] = graphs["flux-schnell/transformer/model.onnx"];
        return graphs;
    }

    /// <summary>Whisper's <c>cross_attentions.{layer}</c>: f32 <c>[batch, heads, decoder tokens, encoder frames]</c>.</summary>
    private static IEnumerable<TensorSignature> CrossAttentions(int layers) =>
        Enumerable.Range(0, layers).Select(layer => F32($"cross_attentions.{layer}", 4));

    private static TensorSignature F32(string name, int rank) => new(name, TensorElementType.Float, rank);

    private static TensorSignature I64(string name, int rank) => new(name, TensorElementType.Int64, rank);

    private static TensorSignature F16(string name, int rank) => new(name, TensorElementType.Float16, rank);

    private static TensorSignature BF16(string name, int rank) => new(name, TensorElementType.BFloat16, rank);

    private static TensorSignature Half(TensorSignature signature) => signature with { Type = TensorElementType.Float16 };

    private static TensorSignature I32(string name, int rank) => new(name, TensorElementType.Int32, rank);

    private static TensorSignature Bool(string name, int rank) => new(name, TensorElementType.Bool, rank);

    /// <summary>
    /// A KV-cache family in export order: per layer, per part ("decoder", "encoder", or none for decoder-only LLMs),
    /// key then value; all f32 <c>[batch, heads, sequence, head_dim]</c>.
    /// </summary>
    private static IEnumerable<TensorSignature> Kv(string prefix, int layers, params string[] parts)
    {
        string[] infixes = parts.Length == 0 ? [""] : [.. parts.Select(part => "." + part)];
        for (var layer = 0; layer < layers; layer++)
        {
            foreach (var infix in infixes)
            {
                yield return F32($"{prefix}.{layer}{infix}.key", 4);
                yield return F32($"{prefix}.{layer}{infix}.value", 4);
            }
        }
    }
}
