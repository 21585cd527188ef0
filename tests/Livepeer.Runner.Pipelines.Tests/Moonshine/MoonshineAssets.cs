using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Moonshine;

/// <summary>The real int8 Moonshine tiny of ../shared/assets (MANIFEST §7, G-MOONSHINE) and copies of it in other layouts.</summary>
internal static class MoonshineAssets
{
    public static string Folder => TestPaths.Asset("asr", "moonshine-tiny");

    public static string ExpectedJfk => File.ReadAllText(Path.Combine(Folder, "expected_jfk.txt"));

    public static int[] ExpectedJfkIds =>
        [.. File.ReadAllText(Path.Combine(Folder, "expected_jfk_ids.txt")).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse)];

    /// <summary>
    /// A temporary copy of the model: the graphs at the top (<paramref name="underOnnx"/> false) or under <c>onnx/</c>
    /// (the onnx-community layout), and the named files left out.
    /// </summary>
    public static string Copy(bool underOnnx, params string[] without)
    {
        var target = Directory.CreateTempSubdirectory("moonshine-").FullName;
        foreach (var file in Directory.GetFiles(Folder))
        {
            var name = Path.GetFileName(file);
            if (without.Contains(name))
                continue;
            var folder = underOnnx && name.EndsWith(".onnx", StringComparison.Ordinal) ? Directory.CreateDirectory(Path.Combine(target, "onnx")).FullName : target;
            File.Copy(file, Path.Combine(folder, name));
        }

        return target;
    }
}
