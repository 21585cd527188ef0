namespace Livepeer.Runner.Onnx;

/// <summary>Which ONNX Runtime execution provider sessions use, and why; logged at startup and shown in /hardware/info.</summary>
public sealed record ExecutionProviderChoice(string Name, int? DeviceId, string Reason)
{
    public bool IsCuda => Name == "CUDAExecutionProvider";
}
