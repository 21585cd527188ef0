using Livepeer.Runner.Core.Models;

namespace Livepeer.Runner.Core.Tests;

/// <summary>A model's ledger entry is split among its sessions by the bytes of their graphs, so the limits add up to it.</summary>
public sealed class SessionMemorySharesTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("shares-");

    public void Dispose() => _folder.Delete(recursive: true);

    private string Write(string relative, int bytes)
    {
        var path = Path.Combine(_folder.FullName, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, new byte[bytes]);
        return path;
    }

    [Fact]
    public void EachGraph_GetsItsShareOfTheWeights_ExternalDataIncluded()
    {
        var unet = Write("unet/model.onnx", 500);
        Write("unet/model.onnx_data", 5_500);
        var text = Write("text_encoder/model.onnx", 3_000);
        var vae = Write("vae_decoder/model.onnx", 1_000);
        Write("unet/config.json", 50_000);

        var shares = SessionMemoryShares.Of(_folder.FullName);

        Assert.Equal(3, shares.Graphs.Count);
        Assert.Equal(600, shares.LimitFor(unet, 1_000));
        Assert.Equal(300, shares.LimitFor(text, 1_000));
        Assert.Equal(100, shares.LimitFor(vae, 1_000));
    }

    [Fact]
    public void Limits_AddUpToTheModelsEntry_NeverMore()
    {
        var graphs = new[] { Write("a.onnx", 333), Write("b.onnx", 333), Write("c.onnx", 334) };
        const long entry = 10_000_000_007;

        var total = graphs.Sum(g => SessionMemoryShares.Of(_folder.FullName).LimitFor(g, entry));

        Assert.InRange(total, entry - graphs.Length, entry);
    }

    [Fact]
    public void SingleFileModel_GetsTheWholeEntry()
    {
        var graph = Write("x4.onnx", 1234);
        Write("x4.onnx.data", 100);

        Assert.Equal(777, SessionMemoryShares.Of(graph).LimitFor(graph, 777));
    }

    [Fact]
    public void UnknownGraph_GetsAnEvenShare_NotTheWholeEntry()
    {
        Write("a.onnx", 100);
        Write("b.onnx", 100);

        Assert.Equal(500, SessionMemoryShares.Of(_folder.FullName).LimitFor(Path.Combine(_folder.FullName, "stray.onnx"), 1_000));
    }
}
