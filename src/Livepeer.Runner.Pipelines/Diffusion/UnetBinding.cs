using Livepeer.Runner.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>
/// The UNet's inputs and output for one generation, allocated once and reused at every step through an
/// <see cref="OnnxBinding"/>. The caller writes the conditioning (<see cref="EncoderHiddenStates"/>, <see cref="TextEmbeds"/>,
/// <see cref="TimeIds"/>, <see cref="ClassLabels"/>) and calls <see cref="BindConditioning"/> once: on CUDA it crosses to
/// the GPU then and stays there for every step. Each step writes <see cref="Sample"/>, calls <see cref="Run"/> (which
/// binds the sample and timestep again, the only per-step upload) and reads <see cref="Output"/>, which the run writes in
/// place. Nothing latent-sized is allocated per step.
/// </summary>
public sealed class UnetBinding : IDisposable
{
    private readonly OnnxBinding _io;
    private readonly float[]? _floatTimestep;
    private readonly long[]? _longTimestep;
    private readonly OrtValue _sample;
    private readonly OrtValue _timestep;
    private readonly List<(string Name, OrtValue Value)> _conditioning = [];
    private readonly OrtValue _output;
    private bool _conditioningBound;

    public UnetBinding(UnetModel unet, int batch, int latentChannels, int height, int width, int sequenceLength, int hiddenWidth, int pooledWidth)
    {
        var plane = height * width;
        Sample = new float[batch * unet.InChannels * plane];
        EncoderHiddenStates = new float[batch * sequenceLength * hiddenWidth];
        Output = new float[batch * latentChannels * plane];
        _io = new OnnxBinding(unet.Session);
        try
        {
            _sample = OrtValue.CreateTensorValueFromMemory(Sample, [batch, unet.InChannels, height, width]);
            // A vector timestep is given once per batch row; a rank-0 one is a scalar (MODEL-FORMATS §1.2).
            long[] timestepShape = unet.TimestepRank == 0 ? [] : [batch];
            var timestepLength = unet.TimestepRank == 0 ? 1 : batch;
            if (unet.TimestepType == typeof(long))
            {
                _longTimestep = new long[timestepLength];
                _timestep = OrtValue.CreateTensorValueFromMemory(_longTimestep, timestepShape);
            }
            else
            {
                _floatTimestep = new float[timestepLength];
                _timestep = OrtValue.CreateTensorValueFromMemory(_floatTimestep, timestepShape);
            }

            _conditioning.Add((UnetModel.EncoderHiddenStates, OrtValue.CreateTensorValueFromMemory(EncoderHiddenStates, [batch, sequenceLength, hiddenWidth])));
            if (unet.IsXl)
            {
                TextEmbeds = new float[batch * pooledWidth];
                TimeIds = new float[batch * unet.TimeIdsLength];
                _conditioning.Add((UnetModel.TextEmbeds, OrtValue.CreateTensorValueFromMemory(TextEmbeds, [batch, pooledWidth])));
                _conditioning.Add((UnetModel.TimeIds, OrtValue.CreateTensorValueFromMemory(TimeIds, [batch, unet.TimeIdsLength])));
            }

            if (unet.HasClassLabels)
            {
                ClassLabels = new long[batch];
                _conditioning.Add((UnetModel.ClassLabels, OrtValue.CreateTensorValueFromMemory(ClassLabels, [batch])));
            }

            _output = OrtValue.CreateTensorValueFromMemory(Output, [batch, latentChannels, height, width]);
            _io.BindOutput(unet.Session.OutputNames[0], _output);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public float[] Sample { get; }

    public float[] EncoderHiddenStates { get; }

    public float[]? TextEmbeds { get; }

    public float[]? TimeIds { get; }

    /// <summary>The x4 upscaler's noise level per row; null for UNets without <c>class_labels</c>.</summary>
    public long[]? ClassLabels { get; }

    public float[] Output { get; }

    /// <summary>Binds the conditioning as written now; it is fixed for the rest of the generation (copied once to a GPU).</summary>
    public void BindConditioning()
    {
        foreach (var (name, value) in _conditioning)
            _io.BindInput(name, value);
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
            Array.Fill(_floatTimestep!, timestep);

        _io.BindInput(UnetModel.Sample, _sample);
        _io.BindInput(UnetModel.Timestep, _timestep);
        _io.Run(cancellationToken);
    }

    public void Dispose()
    {
        _io.Dispose();
        _sample?.Dispose();
        _timestep?.Dispose();
        foreach (var (_, value) in _conditioning)
            value.Dispose();
        _output?.Dispose();
    }
}
