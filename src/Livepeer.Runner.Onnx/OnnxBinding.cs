using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Onnx;

/// <summary>
/// A session's inputs and outputs bound for one or many runs (ONNX Runtime IOBinding). Binding an input copies it to
/// the device the session reads it on at that moment, so on CUDA an input that is fixed for a request (text
/// conditioning) crosses to the GPU once, and one that changes every step is bound again after it is written. An output
/// bound to a caller's host buffer is written in place after each run, with no allocation; one bound to a device is
/// allocated there by the run and stays there. On the CPU provider nothing is copied: bound values are the caller's buffers.
/// </summary>
public sealed class OnnxBinding : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;

    public OnnxBinding(InferenceSession session)
    {
        _session = session;
        _binding = session.CreateIoBinding();
    }

    /// <summary>Binds (or re-binds) <paramref name="name"/> to the current contents of <paramref name="value"/>.</summary>
    public void BindInput(string name, OrtValue value) => Translated(() => _binding.BindInput(name, value));

    /// <summary>Binds <paramref name="name"/> to a preallocated <paramref name="value"/> that every run writes into.</summary>
    public void BindOutput(string name, OrtValue value) => Translated(() => _binding.BindOutput(name, value));

    /// <summary>Lets the run allocate <paramref name="name"/> on the device of <paramref name="memory"/> (a GPU's, or the host's).</summary>
    public void BindOutputToDevice(string name, OrtMemoryInfo memory) => Translated(() => _binding.BindOutputToDevice(name, memory));

    /// <summary>Runs the session on the bound values; the bound outputs hold the results when this returns.</summary>
    public void Run(CancellationToken cancellationToken) =>
        OnnxRun.Guarded(runOptions =>
        {
            _session.RunWithBinding(runOptions, _binding);
            return true;
        }, cancellationToken);

    /// <summary>Runs the session and returns the outputs in the order they were bound; the caller owns them.</summary>
    public IDisposableReadOnlyCollection<OrtValue> RunWithResults(CancellationToken cancellationToken) =>
        OnnxRun.Guarded(runOptions => _session.RunWithBoundResults(runOptions, _binding), cancellationToken);

    public void Dispose() => _binding.Dispose();

    private static void Translated(Action bind)
    {
        try
        {
            bind();
        }
        catch (OnnxRuntimeException e)
        {
            throw OnnxErrors.Translate(e);
        }
    }
}
