using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Onnx;

/// <summary>Runs a session with cancellation: a cancelled token sets <see cref="RunOptions.Terminate"/> mid-run.</summary>
public static class OnnxRun
{
    public static IDisposableReadOnlyCollection<OrtValue> Run(
        InferenceSession session,
        IReadOnlyCollection<string> inputNames,
        IReadOnlyCollection<OrtValue> inputs,
        IReadOnlyCollection<string> outputNames,
        CancellationToken cancellationToken) =>
        Guarded(runOptions => session.Run(runOptions, inputNames, inputs, outputNames), cancellationToken);

    /// <summary>
    /// Runs like <see cref="Run"/>, but only <paramref name="hostOutput"/> (if any) comes back to host memory: the other
    /// outputs stay where the session computed them, in <paramref name="device"/>'s memory. For state that only feeds
    /// the next run (a KV cache, encoder states): on CUDA it then never crosses PCIe, since binding an input that is
    /// already on the session's device copies nothing. On the CPU provider this is an ordinary run.
    /// </summary>
    public static IDisposableReadOnlyCollection<OrtValue> RunKeepingOnDevice(
        InferenceSession session,
        IReadOnlyList<string> inputNames,
        IReadOnlyList<OrtValue> inputs,
        IReadOnlyList<string> outputNames,
        string? hostOutput,
        OrtMemoryInfo device,
        CancellationToken cancellationToken) =>
        RunKeepingOnDevice(session, inputNames, inputs, outputNames, hostOutput, 0, device, cancellationToken);

    /// <summary>
    /// As above, with the last <paramref name="lastOnHost"/> outputs on the host too (outputs the caller reads after every
    /// run, such as a decoder's cross-attentions).
    /// </summary>
    public static IDisposableReadOnlyCollection<OrtValue> RunKeepingOnDevice(
        InferenceSession session,
        IReadOnlyList<string> inputNames,
        IReadOnlyList<OrtValue> inputs,
        IReadOnlyList<string> outputNames,
        string? hostOutput,
        int lastOnHost,
        OrtMemoryInfo device,
        CancellationToken cancellationToken)
    {
        using var binding = new OnnxBinding(session);
        for (var i = 0; i < inputNames.Count; i++)
            binding.BindInput(inputNames[i], inputs[i]);
        for (var i = 0; i < outputNames.Count; i++)
        {
            var name = outputNames[i];
            var onHost = name == hostOutput || i >= outputNames.Count - lastOnHost;
            binding.BindOutputToDevice(name, onHost ? OrtMemoryInfo.DefaultInstance : device);
        }

        return binding.RunWithResults(cancellationToken);
    }

    /// <summary>
    /// Calls <paramref name="run"/> with run options that a cancelled token terminates; ONNX Runtime's failures become the
    /// runner's typed errors (<see cref="OnnxErrors"/>), and a run stopped by the token an <see cref="OperationCanceledException"/>.
    /// </summary>
    public static T Guarded<T>(Func<RunOptions, T> run, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var runOptions = new RunOptions();
        using var registration = cancellationToken.Register(static state => ((RunOptions)state!).Terminate = true, runOptions);
        try
        {
            return run(runOptions);
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
}
