using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests;

/// <summary>The arena limits the session factory gives a model's sessions (gpu_mem_limit on CUDA) add up to the model's entry.</summary>
public sealed class SessionMemoryLimitTests
{
    private static readonly OnnxSessionFactory Sessions = new(new RunnerSettings { ExecutionProvider = "cpu" });

    [Theory]
    [InlineData("sd15")]
    [InlineData("sdxl")]
    [InlineData("whisper-tiny")]
    public void SessionsOfOneModel_ShareItsEntry(string fixture)
    {
        const long entry = 3L << 30;
        var folder = TestPaths.Model("tiny", fixture);
        var shares = SessionMemoryShares.Of(folder);
        var bounded = Sessions.WithMemoryLimit(entry, shares);

        var limits = shares.Graphs.Select(g => bounded.MemoryLimitFor(g)!.Value).ToList();

        Assert.True(limits.Count > 1, "the fixture opens several sessions");
        Assert.All(limits, limit => Assert.InRange(limit, 1, entry - 1));
        Assert.InRange(limits.Sum(), entry - limits.Count, entry);
    }

    [Fact]
    public void UnboundedFactory_SetsNoLimit() =>
        Assert.Null(Sessions.MemoryLimitFor(Path.Combine(TestPaths.Model("tiny", "sd15"), "unet", "model.onnx")));
}
