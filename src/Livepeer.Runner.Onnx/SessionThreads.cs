namespace Livepeer.Runner.Onnx;

/// <summary>How a session's CPU kernels run.</summary>
public enum SessionThreads
{
    /// <summary>On ONNX Runtime's intra-op pool (one thread per core): large kernels are split across cores.</summary>
    Pool,

    /// <summary>
    /// On the calling thread, without spinning: for graphs whose kernels take microseconds each (a tiny LLM's decode
    /// step runs some 400 of them), where handing work to the pool and waking it costs more than the split saves, and
    /// idle pool threads spinning between kernels take the cores other requests need.
    /// </summary>
    CallerOnly,
}
