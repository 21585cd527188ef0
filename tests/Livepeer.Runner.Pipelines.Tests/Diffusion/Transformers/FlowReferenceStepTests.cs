using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Diffusion.Schedulers;
using Livepeer.Runner.Pipelines.Text;
using Microsoft.ML.OnnxRuntime;
using static Livepeer.Runner.Pipelines.Tests.Diffusion.Transformers.TransformerFixtures;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Transformers;

/// <summary>
/// One-step generations written out here from the diffusers pipelines' code, on sessions of their own, against the
/// engine's output. With one step σ goes 1 → 0, so the image is decode(noise − velocity): every input binding (packing,
/// ids, the timestep's scale, conditioning layout, guidance rows, VAE shift) shows in the pixels.
/// </summary>
public sealed class FlowReferenceStepTests
{
    private const int Width = 64;
    private const int Height = 48;
    private const int LatentWidth = Width / 8;
    private const int LatentHeight = Height / 8;
    private const int Channels = 16;
    private const ulong Seed = 5;

    [Fact]
    public async Task FluxSchnell_OneStep_IsDecodeOfNoiseMinusTheVelocity()
    {
        var folder = Folder(Schnell);
        var clipIds = ClipTokenizer.Load(Schnell, Path.Combine(folder, "tokenizer")).Encode("a red fox");
        var t5Ids = UnigramTokenizer.Load(Path.Combine(folder, "tokenizer_2", "tokenizer.json")).EncodePadded("a blue whale", 256, 0);
        using var clip = Session(folder, "text_encoder");
        using var t5 = Session(folder, "text_encoder_2");
        var pooled = Run(clip, "pooler_output", ("input_ids", Ids(clipIds)));
        var text = Run(t5, "last_hidden_state", ("input_ids", Ids(t5Ids)));

        var noise = Noise();
        // diffusers _pack_latents: view(B, C, H/2, 2, W/2, 2).permute(0, 2, 4, 1, 3, 5).reshape(B, (H/2)·(W/2), C·4)
        int rows = LatentHeight / 2, columns = LatentWidth / 2;
        var packed = new float[noise.Length];
        for (var c = 0; c < Channels; c++)
            for (var y = 0; y < LatentHeight; y++)
                for (var x = 0; x < LatentWidth; x++)
                    packed[((((y / 2) * columns) + (x / 2)) * Channels * 4) + (c * 4) + ((y % 2) * 2) + (x % 2)] = noise[(((c * LatentHeight) + y) * LatentWidth) + x];
        // _prepare_latent_image_ids: [:, 1] = row, [:, 2] = column, on the packed grid; text ids all zero.
        var imageIds = new long[rows * columns * 3];
        for (var y = 0; y < rows; y++)
            for (var x = 0; x < columns; x++)
                (imageIds[(((y * columns) + x) * 3) + 1], imageIds[(((y * columns) + x) * 3) + 2]) = (y, x);

        using var transformer = Session(folder, "transformer");
        var velocity = Run(transformer, "out_hidden_states",
            ("hidden_states", Tensor(packed, 1, rows * columns, Channels * 4)),
            ("encoder_hidden_states", Tensor(text, 1, 256, text.Length / 256)),
            ("pooled_projections", Tensor(pooled, 1, pooled.Length)),
            ("timestep", Tensor([1f], 1)), // t = σ·1000 = 1000, divided by 1000
            ("img_ids", OrtValue.CreateTensorValueFromMemory(imageIds, [rows * columns, 3])),
            ("txt_ids", OrtValue.CreateTensorValueFromMemory(new long[256 * 3], [256, 3])));

        var latent = new float[noise.Length];
        for (var c = 0; c < Channels; c++)
            for (var y = 0; y < LatentHeight; y++)
                for (var x = 0; x < LatentWidth; x++)
                {
                    var i = (((c * LatentHeight) + y) * LatentWidth) + x;
                    latent[i] = noise[i] - velocity[((((y / 2) * columns) + (x / 2)) * Channels * 4) + (c * 4) + ((y % 2) * 2) + (x % 2)];
                }

        var expected = Decode(folder, latent, scaling: 0.3611f, shift: 0.1159f);
        var actual = await GenerateAsync(Schnell, Request("a red fox | a blue whale", steps: 1, width: Width, height: Height), Seed);
        Assert.Equal(expected, actual.Pixels);
    }

    [Fact]
    public async Task Sd3_OneGuidedStep_IsDecodeOfNoiseMinusTheGuidedVelocity()
    {
        var folder = Folder(Sd3);
        const float guidance = 4f;
        var (positiveText, positivePooled) = Sd3Conditioning(folder, "a red fox");
        var (negativeText, negativePooled) = Sd3Conditioning(folder, "blurry");
        var tokens = positiveText.Length / 48;

        var noise = Noise();
        using var transformer = Session(folder, "transformer");
        var velocity = Run(transformer, "out_hidden_states",
            ("hidden_states", Tensor([.. noise, .. noise], 2, Channels, LatentHeight, LatentWidth)),
            ("encoder_hidden_states", Tensor([.. negativeText, .. positiveText], 2, tokens, 48)),
            ("pooled_projections", Tensor([.. negativePooled, .. positivePooled], 2, positivePooled.Length)),
            ("timestep", Tensor([1000f, 1000f], 2))); // SD3 passes the timestep unscaled

        var latent = new float[noise.Length];
        for (var i = 0; i < latent.Length; i++)
        {
            var (uncond, cond) = (velocity[i], velocity[noise.Length + i]);
            latent[i] = noise[i] - (uncond + (guidance * (cond - uncond)));
        }

        var expected = Decode(folder, latent, scaling: 1.5305f, shift: 0.0609f);
        var actual = await GenerateAsync(Sd3, Request("a red fox", steps: 1, guidance: guidance, negative: ["blurry"], width: Width, height: Height), Seed);
        Assert.Equal(expected, actual.Pixels);
    }

    /// <summary>
    /// diffusers' SD3 encode_prompt: CLIP-L and CLIP-G hidden_states[-2] side by side, zero-padded to T5's width, T5
    /// appended along the sequence; pooled = both text_embeds.
    /// </summary>
    private static (float[] Text, float[] Pooled) Sd3Conditioning(string folder, string prompt)
    {
        using var clipL = Session(folder, "text_encoder");
        using var clipG = Session(folder, "text_encoder_2");
        using var t5 = Session(folder, "text_encoder_3");
        var idsL = ClipTokenizer.Load(Sd3, Path.Combine(folder, "tokenizer")).Encode(prompt);
        var idsG = ClipTokenizer.Load(Sd3, Path.Combine(folder, "tokenizer_2")).Encode(prompt);
        var t5Ids = UnigramTokenizer.Load(Path.Combine(folder, "tokenizer_3", "tokenizer.json")).EncodePadded(prompt, 256, 0);
        // Three hidden_states outputs (embeddings + 2 layers): [-2] is hidden_states.1.
        var hiddenL = Run(clipL, "hidden_states.1", ("input_ids", Ids(idsL)));
        var hiddenG = Run(clipG, "hidden_states.1", ("input_ids", Ids(idsG)));
        var pooled = Run(clipL, "text_embeds", ("input_ids", Ids(idsL))).Concat(Run(clipG, "text_embeds", ("input_ids", Ids(idsG)))).ToArray();
        var t5States = Run(t5, "last_hidden_state", ("input_ids", Ids(t5Ids)));

        const int width = 48, widthL = 16, widthG = 24;
        var text = new float[(77 + 256) * width];
        for (var t = 0; t < 77; t++)
        {
            Array.Copy(hiddenL, t * widthL, text, t * width, widthL);
            Array.Copy(hiddenG, t * widthG, text, (t * width) + widthL, widthG);
        }

        Array.Copy(t5States, 0, text, 77 * width, 256 * width);
        return (text, pooled);
    }

    private static float[] Noise()
    {
        var noise = new float[Channels * LatentHeight * LatentWidth];
        new GaussianNoise(Seed).NextGaussian(noise);
        return noise;
    }

    /// <summary>z/scaling + shift → VAE decoder → (x/2 + 0.5)·255, rounded, interleaved RGB.</summary>
    private static byte[] Decode(string folder, float[] latent, float scaling, float shift)
    {
        using var decoder = Session(folder, "vae_decoder");
        var image = Run(decoder, "sample", ("latent_sample", Tensor([.. latent.Select(z => (z / scaling) + shift)], 1, Channels, LatentHeight, LatentWidth)));
        var plane = Width * Height;
        var pixels = new byte[plane * 3];
        for (var p = 0; p < plane; p++)
            for (var c = 0; c < 3; c++)
                pixels[(p * 3) + c] = (byte)MathF.Round(Math.Clamp((image[(c * plane) + p] / 2f) + 0.5f, 0f, 1f) * 255f);
        return pixels;
    }

    private static InferenceSession Session(string folder, string component) => new(Path.Combine(folder, component, "model.onnx"));

    private static OrtValue Ids(IReadOnlyList<int> ids) => OrtValue.CreateTensorValueFromMemory(ids.Select(i => (long)i).ToArray(), [1, ids.Count]);

    private static OrtValue Tensor(float[] data, params long[] shape) => OrtValue.CreateTensorValueFromMemory(data, shape);

    private static float[] Run(InferenceSession session, string output, params (string Name, OrtValue Value)[] inputs)
    {
        try
        {
            using var results = session.Run(new RunOptions(), inputs.Select(i => i.Name).ToArray(), inputs.Select(i => i.Value).ToArray(), [output]);
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            foreach (var (_, value) in inputs)
                value.Dispose();
        }
    }
}
