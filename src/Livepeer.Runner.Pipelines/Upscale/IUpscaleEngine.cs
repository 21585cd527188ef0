using Livepeer.Runner.Pipelines.Imaging;

namespace Livepeer.Runner.Pipelines.Upscale;

/// <summary>A loaded /upscale model.</summary>
public interface IUpscaleEngine : IDisposable
{
    /// <summary>How many times larger each side of the output is.</summary>
    int Scale { get; }

    Task<RgbImage> UpscaleAsync(RgbImage input, CancellationToken cancellationToken);
}
