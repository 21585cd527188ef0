using Livepeer.Runner.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>
/// The UNet's inputs and output for one generation, allocated once and reused at every step through an
/// <see cref="OnnxBinding"/>. The caller writes the conditioning (<see cref="EncoderHiddenStates"/>, <see cref="TextEmbeds"/>,
/// <see cref="TimeIds"/>, <see cref="ClassLabels"/>) and calls <see cref="BindConditioning"/> once: on CUDA it crosses to
/// the GPU then and stays there for every step. Each step writes <see cref="Sample"/>, calls <see cref="Run"/> (which
/// binds the sample and timestep again, the only per-step upload) and reads <see cref="Output"/>, which the run writes in
/// place. The host side is float32 whatever the export; float16 exports are converted at the boundary
/// (<see cref="FloatTensor"/>). Nothing latent-sized is allocated per step. A video UNet
/// (<see cref="UnetModel.IsVideo"/>) takes <paramref name="frames"/> frames per batch row: <c>[batch, frames, channels,
/// height, width]</c> in and out, with <see cref="AddedTimeIds"/> as its micro-conditioning.
/// </summary>
public sealed class UnetBinding : IDisposable
{
    private readonly OnnxBinding _io;
    private readonly FloatTensor _sample;
    private readonly FloatTensor? _floatTimestep;
    private readonly long[]? _longTimestep; // optimum ≤ 1.23 exports take an int64 timestep
    private readonly OrtValue? _longTimestepValue;
    private readonly List<(string Name, FloatTensor Tensor)> _conditioning = [];
    private readonly OrtValue? _classLabels;
    private readonly FloatTensor _output;
    private bool _conditioningBound;

    public UnetBinding(UnetModel unet, int batch, int latentChannels, int height, int width, int sequenceLength, int hiddenWidth, int pooledWidth, int frames = 1)
    {
        _io = new OnnxBinding(unet.Session);
        try
        {
            unet.Adapter.BindTo(_io);
            long[] Latents(int channels) => unet.IsVideo ? [batch, frames, channels, height, width] : [batch, channels, height, width];
            _sample = new FloatTensor(Latents(unet.InChannels), unet.InputType(UnetModel.Sample));
            // A vector timestep is given once per batch row; a rank-0 one is a scalar (MODEL-FORMATS §1.2).
            long[] timestepShape = unet.TimestepRank == 0 ? [] : [batch];
            if (unet.TimestepType == typeof(long))
            {
                _longTimestep = new long[unet.TimestepRank == 0 ? 1 : batch];
                _longTimestepValue = OrtValue.CreateTensorValueFromMemory(_longTimestep, timestepShape);
            }
            else
            {
                _floatTimestep = new FloatTensor(timestepShape, unet.TimestepType);
            }

            EncoderHiddenStates = Conditioning(unet, UnetModel.EncoderHiddenStates, [batch, sequenceLength, hiddenWidth]);
            if (unet.IsXl)
            {
                TextEmbeds = Conditioning(unet, UnetModel.TextEmbeds, [batch, pooledWidth]);
                TimeIds = Conditioning(unet, UnetModel.TimeIds, [batch, unet.TimeIdsLength]);
            }

            if (unet.IsVideo)
                AddedTimeIds = Conditioning(unet, UnetModel.AddedTimeIds, [batch, 3]);

            if (unet.HasClassLabels)
            {
                ClassLabels = new long[batch];
                _classLabels = OrtValue.CreateTensorValueFromMemory(ClassLabels, [batch]);
            }

            _output = new FloatTensor(Latents(latentChannels), unet.OutputType);
            _io.BindOutput(unet.OutputName, _output.Value);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public float[] Sample => _sample.Host;

    public float[] EncoderHiddenStates { get; }

    public float[]? TextEmbeds { get; }

    public float[]? TimeIds { get; }

    /// <summary>SVD's <c>[fps − 1, motion_bucket_id, noise_aug_strength]</c> per row; null for other UNets.</summary>
    public float[]? AddedTimeIds { get; }

    /// <summary>The x4 upscaler's noise level per row; null for UNets without <c>class_labels</c>.</summary>
    public long[]? ClassLabels { get; }

    public float[] Output => _output.Host;

    /// <summary>Binds the conditioning as written now; it is fixed for the rest of the generation (copied once to a GPU).</summary>
    public void BindConditioning()
    {
        foreach (var (name, tensor) in _conditioning)
        {
            tensor.HostToValue();
            _io.BindInput(name, tensor.Value);
        }

        if (_classLabels is not null)
            _io.BindInput(UnetModel.ClassLabels, _classLabels);
        _conditioningBound = true;
    }

    /// <summary>Runs the UNet on <see cref="Sample"/> at <paramref name="timestep"/>, cast to the graph's timestep type (int64 truncates, as numpy's astype does).</summary>
    public void Run(float timestep, CancellationToken cancellationToken)
    {
        if (!_conditioningBound)
            throw new InvalidOperationException("BindConditioning must be called once the conditioning is written, before the first step.");
        if (_longTimestep is not null)
            Array.Fill(_longTimestep, (long)timestep);
        else
        {
            Array.Fill(_floatTimestep!.Host, timestep);
            _floatTimestep.HostToValue();
        }

        _sample.HostToValue();
        _io.BindInput(UnetModel.Sample, _sample.Value);
        _io.BindInput(UnetModel.Timestep, _floatTimestep?.Value ?? _longTimestepValue!);
        _io.Run(cancellationToken);
        _output.ValueToHost();
    }

    public void Dispose()
    {
        _io.Dispose();
        _sample?.Dispose();
        _floatTimestep?.Dispose();
        _longTimestepValue?.Dispose();
        foreach (var (_, tensor) in _conditioning)
            tensor.Dispose();
        _classLabels?.Dispose();
        _output?.Dispose();
    }

    private float[] Conditioning(UnetModel unet, string name, long[] shape)
    {
        var tensor = new FloatTensor(shape, unet.InputType(name));
        _conditioning.Add((name, tensor));
        return tensor.Host;
    }
}
