using Livepeer.Runner.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>
/// The UNet's inputs and output for one generation, allocated once and reused at every step: the loop writes into
/// <see cref="Sample"/> and the timestep, runs, and reads <see cref="Output"/>; nothing latent-sized is allocated per step.
/// </summary>
public sealed class UnetBinding : IDisposable
{
    private readonly UnetModel _unet;
    private readonly float[]? _floatTimestep;
    private readonly long[]? _longTimestep;
    private readonly string[] _inputNames;
    private readonly OrtValue[] _inputs;
    private readonly string[] _outputNames;
    private readonly OrtValue[] _outputs;

    public UnetBinding(UnetModel unet, int batch, int latentChannels, int height, int width, int sequenceLength, int hiddenWidth, int pooledWidth)
    {
        _unet = unet;
        var plane = height * width;
        Sample = new float[batch * unet.InChannels * plane];
        EncoderHiddenStates = new float[batch * sequenceLength * hiddenWidth];
        Output = new float[batch * latentChannels * plane];

        var names = new List<string> { UnetModel.Sample, UnetModel.Timestep, UnetModel.EncoderHiddenStates };
        var values = new List<OrtValue>
        {
            OrtValue.CreateTensorValueFromMemory(Sample, [batch, unet.InChannels, height, width]),
        };
        // A vector timestep is given once per batch row; a rank-0 one is a scalar (MODEL-FORMATS §1.2).
        long[] timestepShape = unet.TimestepRank == 0 ? [] : [batch];
        var timestepLength = unet.TimestepRank == 0 ? 1 : batch;
        if (unet.TimestepType == typeof(long))
        {
            _longTimestep = new long[timestepLength];
            values.Add(OrtValue.CreateTensorValueFromMemory(_longTimestep, timestepShape));
        }
        else
        {
            _floatTimestep = new float[timestepLength];
            values.Add(OrtValue.CreateTensorValueFromMemory(_floatTimestep, timestepShape));
        }

        values.Add(OrtValue.CreateTensorValueFromMemory(EncoderHiddenStates, [batch, sequenceLength, hiddenWidth]));
        if (unet.IsXl)
        {
            TextEmbeds = new float[batch * pooledWidth];
            TimeIds = new float[batch * unet.TimeIdsLength];
            names.AddRange([UnetModel.TextEmbeds, UnetModel.TimeIds]);
            values.Add(OrtValue.CreateTensorValueFromMemory(TextEmbeds, [batch, pooledWidth]));
            values.Add(OrtValue.CreateTensorValueFromMemory(TimeIds, [batch, unet.TimeIdsLength]));
        }

        if (unet.HasClassLabels)
        {
            ClassLabels = new long[batch];
            names.Add(UnetModel.ClassLabels);
            values.Add(OrtValue.CreateTensorValueFromMemory(ClassLabels, [batch]));
        }

        _inputNames = [.. names];
        _inputs = [.. values];
        _outputNames = [unet.Session.OutputNames[0]];
        _outputs = [OrtValue.CreateTensorValueFromMemory(Output, [batch, latentChannels, height, width])];
    }

    public float[] Sample { get; }

    public float[] EncoderHiddenStates { get; }

    public float[]? TextEmbeds { get; }

    public float[]? TimeIds { get; }

    /// <summary>The x4 upscaler's noise level per row; null for UNets without <c>class_labels</c>.</summary>
    public long[]? ClassLabels { get; }

    public float[] Output { get; }

    /// <summary>Runs the UNet at <paramref name="timestep"/>, cast to the graph's timestep type (int64 truncates, as numpy's astype does).</summary>
    public void Run(float timestep, CancellationToken cancellationToken)
    {
        if (_longTimestep is not null)
            Array.Fill(_longTimestep, (long)timestep);
        else
            Array.Fill(_floatTimestep!, timestep);

        cancellationToken.ThrowIfCancellationRequested();
        using var runOptions = new RunOptions();
        using var registration = cancellationToken.Register(static state => ((RunOptions)state!).Terminate = true, runOptions);
        try
        {
            _unet.Session.Run(runOptions, _inputNames, _inputs, _outputNames, _outputs);
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (OnnxRuntimeException e)
        {
            throw OnnxErrors.Translate(e);
        }
    }

    public void Dispose()
    {
        foreach (var value in _inputs.Concat(_outputs))
            value.Dispose();
    }
}
