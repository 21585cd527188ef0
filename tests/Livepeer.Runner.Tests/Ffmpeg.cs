namespace Livepeer.Runner.Tests;

/// <summary>Test audio made with ffmpeg at test time (ffmpeg is a prerequisite of /audio-to-text anyway).</summary>
internal static class Ffmpeg
{
    /// <summary>Runs ffmpeg with <paramref name="input"/> arguments, then <paramref name="output"/> ones, into a temp file of that extension; returns its bytes.</summary>
    public static async Task<byte[]> ConvertAsync(string[] input, string extension, params string[] output)
    {
        var folder = Directory.CreateTempSubdirectory("ffmpeg-").FullName;
        try
        {
            var target = Path.Combine(folder, "audio." + extension);
            var start = new System.Diagnostics.ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in (string[])["-nostdin", "-loglevel", "error", .. input, .. output, target])
                start.ArgumentList.Add(argument);
            using var process = System.Diagnostics.Process.Start(start)!;
            var errors = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, errors);
            return await File.ReadAllBytesAsync(target);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
