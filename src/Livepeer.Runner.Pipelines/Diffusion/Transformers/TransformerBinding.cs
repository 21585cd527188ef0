using Livepeer.Runner.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Diffusion.Transformers;

/// <summary>
/// The transformer's inputs and output for one generation, allocated once and reused at every step through an
/// <see cref="OnnxBinding"/>, as <see cref="UnetBinding"/> does for UNets: the caller writes the conditioning
/// (<see cref="EncoderHiddenStates"/>, <see cref="PooledProjections"/>, and for Flux the ids and <c>guidance</c>) and
/// calls <see cref="BindConditioning"/> once; each step writes <see cref="Sample"/> and calls <see cref="Run"/>, which
/// binds the sample and timestep again and leaves the velocity in <see cref="Output"/>.
/// </summary>
internal sealed class TransformerBinding : IDisposable
{
    private readonly OnnxBinding _io;
    private readonly FloatTensor _sample;
    private readonly FloatTensor _timestep;
    private readonly FloatTensor _output;
    private readonly List<(string Name, FloatTensor Tensor)> _floats = [];
    private readonly List<(string Name, OrtValue Value)> _ids = [];
    private bool _conditioningBound;

    /// <param name="sampleShape">Flux: <c>[batch, tokens, 64]</c>; SD3: <c>[batch, 16, height, width]</c>.</param>
    /// <param name="imageIds">Flux only: <c>[tokens, 3]</c> rows (0, y, x) (<see cref="Flux.FluxLatents.ImageIds"/>).</param>
    public TransformerBinding(DiffusionTransformer transformer, long[] sampleShape, int sequenceLength, int textWidth, int pooledWidth, float[]? imageIds)
    {
        var batch = sampleShape[0];
        _io = new OnnxBinding(transformer.Session);
        try
        {
            transformer.Adapter.BindTo(_io);
            _sample = new FloatTensor(sampleShape, transformer.InputType(DiffusionTransformer.HiddenStates));
            _timestep = new FloatTensor(transformer.TimestepRank == 0 ? [] : [batch], transformer.InputType(DiffusionTransformer.Timestep));
            EncoderHiddenStates = Conditioning(transformer, DiffusionTransformer.EncoderHiddenStates, [batch, sequenceLength, textWidth]);
            PooledProjections = Conditioning(transformer, DiffusionTransformer.PooledProjections, [batch, pooledWidth]);
            if (transformer.HasGuidance)
                Guidance = Conditioning(transformer, DiffusionTransformer.Guidance, transformer.GuidanceRank == 0 ? [] : [batch]);
            if (transformer.Family == TransformerFamily.Flux)
            {
                BindIds(transformer, DiffusionTransformer.ImageIds, imageIds ?? throw new ArgumentNullException(nameof(imageIds)));
                BindIds(transformer, DiffusionTransformer.TextIds, new float[sequenceLength * 3]); // text tokens sit at position (0, 0, 0)
            }

            _output = new FloatTensor(sampleShape, transformer.OutputType);
            _io.BindOutput(transformer.OutputName, _output.Value);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public float[] Sample => _sample.Host;

    public float[] EncoderHiddenStates { get; }

    public float[] PooledProjections { get; }

    /// <summary>Flux dev's guidance scale per row (or one scalar); null for graphs without the input.</summary>
    public float[]? Guidance { get; }

    public float[] Output => _output.Host;

    /// <summary>Binds the conditioning as written now; it is fixed for the rest of the generation.</summary>
    public void BindConditioning()
    {
        foreach (var (name, tensor) in _floats)
        {
            tensor.HostToValue();
            _io.BindInput(name, tensor.Value);
        }

        foreach (var (name, value) in _ids)
            _io.BindInput(name, value);
        _conditioningBound = true;
    }

    /// <summary>Runs the transformer on <see cref="Sample"/> at <paramref name="timestep"/> (as the pipeline scales it).</summary>
    public void Run(float timestep, CancellationToken cancellationToken)
    {
        if (!_conditioningBound)
            throw new InvalidOperationException("BindConditioning must be called once the conditioning is written, before the first step.");
        Array.Fill(_timestep.Host, timestep);
        _timestep.HostToValue();
        _sample.HostToValue();
        _io.BindInput(DiffusionTransformer.HiddenStates, _sample.Value);
        _io.BindInput(DiffusionTransformer.Timestep, _timestep.Value);
        _io.Run(cancellationToken);
        _output.ValueToHost();
    }

    public void Dispose()
    {
        _io.Dispose();
        _sample?.Dispose();
        _timestep?.Dispose();
        _output?.Dispose();
        foreach (var (_, tensor) in _floats)
            tensor.Dispose();
        foreach (var (_, value) in _ids)
            value.Dispose();
    }

    private float[] Conditioning(DiffusionTransformer transformer, string name, long[] shape)
    {
        var tensor = new FloatTensor(shape, transformer.InputType(name));
        _floats.Add((name, tensor));
        return tensor.Host;
    }

    private void BindIds(DiffusionTransformer transformer, string name, float[] ids)
    {
        long tokens = ids.Length / 3;
        long[] shape = transformer.IdsRank == 3 ? [1, tokens, 3] : [tokens, 3];
        var value = transformer.IdsType == typeof(long)
            ? OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(ids, v => (long)v), shape)
            : OrtValue.CreateTensorValueFromMemory(ids, shape);
        _ids.Add((name, value));
    }
}
