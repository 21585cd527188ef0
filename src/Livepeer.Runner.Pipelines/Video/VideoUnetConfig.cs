using System.Text.Json;

namespace Livepeer.Runner.Pipelines.Video;

/// <summary>
/// What a request's checks and memory estimate need from <c>unet/config.json</c> before the model is loaded:
/// <paramref name="Frames"/> (<c>num_frames</c>, the video's length) and <paramref name="WidestBlock"/> (the largest of
/// <c>block_out_channels</c>, which the UNet's activations scale with).
/// </summary>
public sealed record VideoUnetConfig(int Frames, int WidestBlock)
{
    /// <summary>UNetSpatioTemporalConditionModel's defaults (SVD-XT: 25 frames, blocks up to 1280 channels).</summary>
    public static VideoUnetConfig Default { get; } = new(25, 1280);

    public static VideoUnetConfig Read(string folder)
    {
        if (ModelFolderJson.Read(Path.Combine(folder, "unet", "config.json")) is not { ValueKind: JsonValueKind.Object } config)
            return Default;
        var frames = config.TryGetProperty("num_frames", out var n) && n.TryGetInt32(out var f) && f > 0 ? f : Default.Frames;
        var widest = config.TryGetProperty("block_out_channels", out var b) && b.ValueKind == JsonValueKind.Array && b.GetArrayLength() > 0
            ? b.EnumerateArray().Max(c => c.TryGetInt32(out var v) ? v : 0)
            : Default.WidestBlock;
        return new VideoUnetConfig(frames, widest > 0 ? widest : Default.WidestBlock);
    }
}
