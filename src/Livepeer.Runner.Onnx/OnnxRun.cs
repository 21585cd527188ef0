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
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var runOptions = new RunOptions();
        using var registration = cancellationToken.Register(static state => ((RunOptions)state!).Terminate = true, runOptions);
        try
        {
            return session.Run(runOptions, inputNames, inputs, outputNames);
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
