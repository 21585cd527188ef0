using System.Diagnostics;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Whisper;

/// <summary>Real speech from ../shared/assets, and the same speech converted by ffmpeg into the other containers.</summary>
internal static class AudioFiles
{
    private static readonly Lazy<string> ConvertedDirectory = new(ConvertAll);

    public static string JfkWav => TestPaths.Asset("speech", "jfk.wav");

    public static string JfkFlac => TestPaths.Asset("whisper", "jfk.flac");

    /// <summary>jfk.wav converted to <paramref name="name"/> (e.g. <c>jfk.m4a</c>), made once per test run.</summary>
    public static string Converted(string name) => Path.Combine(ConvertedDirectory.Value, name);

    /// <summary>16-bit PCM samples of a RIFF WAV, chunks walked (jfk.wav has a LIST chunk before data), scaled by 1/32768.</summary>
    public static float[] ReadWav(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var position = 12;
        while (position + 8 <= bytes.Length)
        {
            var id = System.Text.Encoding.ASCII.GetString(bytes, position, 4);
            var size = BitConverter.ToInt32(bytes, position + 4);
            if (id == "data")
            {
                var samples = new float[size / 2];
                for (var i = 0; i < samples.Length; i++)
                    samples[i] = BitConverter.ToInt16(bytes, position + 8 + (2 * i)) / 32768f;
                return samples;
            }

            position += 8 + size + (size & 1);
        }

        throw new InvalidDataException($"{path} has no data chunk");
    }

    private static string ConvertAll()
    {
        var directory = Directory.CreateTempSubdirectory("whisper-audio-").FullName;
        (string Name, string[] Codec)[] variants =
        [
            ("jfk.mp3", ["-c:a", "libmp3lame", "-b:a", "64k"]),
            ("jfk.ogg", ["-c:a", "libvorbis"]),
            ("jfk.opus.ogg", ["-c:a", "libopus"]),
            ("jfk.m4a", ["-c:a", "aac"]), // moov after mdat (no +faststart), as phones write it
            ("jfk.mp4", ["-c:a", "aac", "-f", "mp4"]),
            ("jfk.webm", ["-c:a", "libopus"]),
            ("jfk.flac", ["-c:a", "flac"]),
            ("jfk.22k-stereo.wav", ["-ar", "22050", "-ac", "2"]),
        ];
        foreach (var (name, codec) in variants)
            Run(["-i", JfkWav, .. codec, Path.Combine(directory, name)]);
        return directory;
    }

    private static void Run(string[] arguments)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-hide_banner", "-loglevel", "error", "-y", .. arguments])
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"ffmpeg {string.Join(' ', arguments)} failed: {errors}");
    }
}
