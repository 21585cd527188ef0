using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Media;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Upscale;

/// <summary>
/// An image-in, image-out super-resolution graph (ESRGAN / RDN family): one input <c>[1,3,h,w]</c> float RGB in
/// 0–255, one output <c>[1,3,s·h,s·w]</c> in the same range (it may overshoot, so it is clamped). The scale is read
/// from the graph by running it once on a small probe. Large inputs run tile by tile (<see cref="TilePlan"/>).
/// One request at a time runs on a model; others queue on its gate rather than being refused.
/// </summary>
public sealed class SuperResolutionModel : IUpscaleEngine, IDisposable
{
    private const int ProbeSide = 8;

    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly int _tileSize;

    private SuperResolutionModel(InferenceSession session, int tileSize)
    {
        _session = session;
        _inputNames = [session.InputNames[0]];
        _outputNames = [session.OutputNames[0]];
        _tileSize = tileSize;
        Scale = ProbeScale();
    }

    public int Scale { get; }

    public static SuperResolutionModel Load(string modelId, string onnxPath, OnnxSessionFactory sessions, int tileSize)
    {
        var session = sessions.Create(modelId, onnxPath);
        try
        {
            CheckSignature(modelId, session);
            return new SuperResolutionModel(session, tileSize);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>One request at a time per model: the model manager's lease holds the turn (<see cref="UpscaleEngine.Concurrency"/>).</summary>
    public Task<RgbImage> UpscaleAsync(RgbImage input, CancellationToken cancellationToken)
    {
        var output = new RgbImage(checked(input.Width * Scale), checked(input.Height * Scale));
        foreach (var tile in TilePlan.For(input.Width, input.Height, _tileSize))
            RunTile(input, output, tile, cancellationToken);
        return Task.FromResult(output);
    }

    /// <summary>A plain super-resolution graph takes no prompt, seed or steps: only the image matters.</summary>
    Task<RgbImage> IUpscaleEngine.UpscaleAsync(RgbImage input, UpscaleParameters parameters, CancellationToken cancellationToken) =>
        UpscaleAsync(input, cancellationToken);

    private void RunTile(RgbImage input, RgbImage output, TilePlan.Tile tile, CancellationToken cancellationToken)
    {
        var padded = tile.Padded;
        var planar = ToPlanar(input, padded);
        using var inputValue = OrtValue.CreateTensorValueFromMemory(planar, [1, 3, padded.Height, padded.Width]);
        using var results = OnnxRun.Run(_session, _inputNames, [inputValue], _outputNames, cancellationToken);
        var upscaled = results[0].GetTensorDataAsSpan<float>();
        CopyCore(upscaled, padded, tile.Core, output);
    }

    /// <summary>Interleaved RGB bytes of <paramref name="region"/> → planar float CHW in 0–255, as the graph wants.</summary>
    private static float[] ToPlanar(RgbImage image, TilePlan.Region region)
    {
        var plane = region.Width * region.Height;
        var planar = new float[plane * 3];
        var pixels = image.Pixels;
        for (var y = 0; y < region.Height; y++)
        {
            var source = ((region.Y + y) * image.Width + region.X) * 3;
            var target = y * region.Width;
            for (var x = 0; x < region.Width; x++, source += 3, target++)
            {
                planar[target] = pixels[source];
                planar[plane + target] = pixels[source + 1];
                planar[(2 * plane) + target] = pixels[source + 2];
            }
        }

        return planar;
    }

    /// <summary>Writes the part of the upscaled padded tile that belongs to the tile's core into the output, clamped and rounded.</summary>
    private void CopyCore(ReadOnlySpan<float> upscaled, TilePlan.Region padded, TilePlan.Region core, RgbImage output)
    {
        var s = Scale;
        var paddedWidth = padded.Width * s;
        var plane = paddedWidth * padded.Height * s;
        var offsetX = (core.X - padded.X) * s;
        var offsetY = (core.Y - padded.Y) * s;
        var pixels = output.Pixels;
        for (var y = 0; y < core.Height * s; y++)
        {
            var source = ((offsetY + y) * paddedWidth) + offsetX;
            var target = (((core.Y * s) + y) * output.Width + (core.X * s)) * 3;
            for (var x = 0; x < core.Width * s; x++, source++, target += 3)
            {
                pixels[target] = ToByte(upscaled[source]);
                pixels[target + 1] = ToByte(upscaled[plane + source]);
                pixels[target + 2] = ToByte(upscaled[(2 * plane) + source]);
            }
        }
    }

    private static byte ToByte(float value) => (byte)Math.Clamp(MathF.Round(value), 0f, 255f);

    private int ProbeScale()
    {
        using var probe = OrtValue.CreateTensorValueFromMemory(new float[3 * ProbeSide * ProbeSide], [1, 3, ProbeSide, ProbeSide]);
        using var results = OnnxRun.Run(_session, _inputNames, [probe], _outputNames, CancellationToken.None);
        var shape = results[0].GetTensorTypeAndShape().Shape;
        var scale = (int)(shape[3] / ProbeSide);
        if (shape.Length != 4 || shape[1] != 3 || scale < 1 || shape[2] != ProbeSide * scale || shape[3] != ProbeSide * scale)
            throw new ModelLoadException("", $"The upscale graph turned a {ProbeSide}x{ProbeSide} probe into [{string.Join(",", shape)}], not an integer-scaled RGB image.");
        return scale;
    }

    /// <summary>Images cross the graph boundary as NCHW float tensors.</summary>
    internal const int ImageRank = 4;

    private static void CheckSignature(string modelId, InferenceSession session)
    {
        if (session.InputMetadata.Count != 1 || session.OutputMetadata.Count != 1)
            throw new ModelLoadException(modelId, $"{modelId} is not an image-to-image super-resolution graph: it has {session.InputMetadata.Count} inputs and {session.OutputMetadata.Count} outputs, expected 1 and 1.");

        foreach (var (name, meta) in session.InputMetadata.Concat(session.OutputMetadata))
        {
            if (meta.ElementType != typeof(float) || meta.Dimensions.Length != ImageRank)
                throw new ModelLoadException(modelId, $"{modelId}: '{name}' must be a float tensor of rank 4 ([1,3,h,w]).");
        }
    }

    public void Dispose()
    {
        _session.Dispose();
    }
}
