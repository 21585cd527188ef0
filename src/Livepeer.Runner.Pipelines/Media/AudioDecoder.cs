using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines.Media;

/// <summary>
/// Decodes any audio (or video-with-audio) upload to 16 kHz mono float PCM with ffmpeg as a child process: the upload
/// goes in on stdin, f32le comes out on stdout. A crafted upload must not make ffmpeg open anything else, so
/// <list type="bullet">
/// <item>protocols are limited to <c>pipe</c> and <c>cache</c>: <c>cache:pipe:0</c> makes stdin seekable (through
/// ffmpeg's private temp file), which MP4/M4A need when the <c>moov</c> atom comes after the media data, as it does
/// in most phone recordings;</item>
/// <item>demuxers are limited to the contract's containers (<c>-format_whitelist</c>), so playlist-style demuxers
/// (HLS, concat, DASH, image sequences) that open further URLs or files are refused outright.</item>
/// </list>
/// Output is bounded by <see cref="AudioDecoderOptions.MaxDuration"/>, the process by a timeout, and the process is
/// killed when the request is cancelled.
/// </summary>
public sealed class AudioDecoder(AudioDecoderOptions options)
{
    public const int SampleRate = 16_000;
    public const string MalformedMessage = "Unsupported audio format or malformed file.";

    // Demuxer names as ffmpeg lists them (`ffmpeg -formats`); a probed format outside this list is refused.
    private const string AllowedDemuxers = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,mp3,flac,wav,ogg,aac";
    public AudioDecoderOptions Options { get; } = options;

    /// <summary>True when <c>ffmpeg -version</c> runs; the host checks this at startup to report a missing package clearly.</summary>
    public static async Task<bool> IsAvailableAsync(string ffmpegPath = "ffmpeg", CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(ffmpegPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-version");
        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (Win32Exception)
        {
            return false; // not on PATH / not executable
        }

        if (process is null)
            return false;
        using (process)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(timeout.Token), process.StandardError.ReadToEndAsync(timeout.Token));
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                await drain.ConfigureAwait(false);
                return process.ExitCode == 0;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return false; // hung: not a usable ffmpeg
            }
            finally
            {
                Kill(process);
            }
        }
    }

    /// <summary>Decodes <paramref name="upload"/> to 16 kHz mono samples in [-1, 1].</summary>
    /// <exception cref="UnsupportedMediaException">Empty, non-audio, corrupt or undecodable input, or a decode that timed out.</exception>
    /// <exception cref="PayloadTooLargeException">The upload is over <see cref="AudioDecoderOptions.MaxInputBytes"/>.</exception>
    /// <exception cref="BadInputException">The audio is longer than <see cref="AudioDecoderOptions.MaxDuration"/>.</exception>
    public async Task<float[]> DecodeAsync(Stream upload, CancellationToken cancellationToken)
    {
        if (upload.CanSeek && upload.Length - upload.Position > Options.MaxInputBytes)
            throw new PayloadTooLargeException("File size exceeds limit.");

        var maxSamples = (long)(Options.MaxDuration.TotalSeconds * SampleRate);
        using var process = Start(Options.MaxDuration.TotalSeconds + 1);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.Timeout);
        var token = timeout.Token;
        try
        {
            var stderr = StderrTail.ReadAsync(process.StandardError, token);
            var feed = FeedAsync(upload, process.StandardInput.BaseStream, token);
            var pcm = await ReadPcmAsync(process.StandardOutput.BaseStream, (maxSamples + 1) * sizeof(float), token).ConfigureAwait(false);
            if (pcm.Length / sizeof(float) > maxSamples)
            {
                Kill(process); // ffmpeg may still be writing: do not wait for it
                throw new BadInputException($"Audio longer than {Options.MaxDuration.TotalSeconds:0} s is not supported.");
            }

            await process.WaitForExitAsync(token).ConfigureAwait(false);
            var fed = await feed.ConfigureAwait(false);
            var errors = await stderr.ConfigureAwait(false);

            if (fed > Options.MaxInputBytes)
                throw new PayloadTooLargeException("File size exceeds limit.");
            if (process.ExitCode != 0 || pcm.Length < sizeof(float))
                throw new UnsupportedMediaException(MalformedMessage, new InvalidDataException(Describe(fed, process.ExitCode, errors)));

            var samples = new float[pcm.Length / sizeof(float)];
            MemoryMarshal.Cast<byte, float>(pcm.AsSpan(0, samples.Length * sizeof(float))).CopyTo(samples);
            return samples;
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new UnsupportedMediaException(MalformedMessage, new TimeoutException($"ffmpeg did not finish within {Options.Timeout}.", e));
        }
        finally
        {
            Kill(process);
        }
    }

    private Process Start(double limitSeconds)
    {
        var start = new ProcessStartInfo(Options.FfmpegPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] arguments =
        [
            "-hide_banner", "-nostats", "-loglevel", "error",
            "-protocol_whitelist", "pipe,cache", "-read_ahead_limit", "-1",
            "-format_whitelist", AllowedDemuxers,
            "-i", "cache:pipe:0",
            "-map", "0:a:0", "-ac", "1", "-ar", SampleRate.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-t", limitSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture),
            "-f", "f32le", "pipe:1",
        ];
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        try
        {
            return Process.Start(start) ?? throw new EngineUnavailableException($"Could not start '{Options.FfmpegPath}'.");
        }
        catch (Win32Exception e)
        {
            throw new EngineUnavailableException($"Audio decoding needs ffmpeg ('{Options.FfmpegPath}' could not be started: {e.Message}). Install the Debian package ffmpeg.");
        }
    }

    /// <summary>Copies the upload to ffmpeg's stdin; ffmpeg may stop reading early (bad data), which is not an error here.</summary>
    private async Task<long> FeedAsync(Stream upload, Stream stdin, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        long total = 0;
        try
        {
            int read;
            while ((read = await upload.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
                if (total > Options.MaxInputBytes)
                    break;
                await stdin.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
            // Broken pipe: ffmpeg exited or closed stdin; its exit code tells what happened.
        }
        finally
        {
            try
            {
                await stdin.DisposeAsync().ConfigureAwait(false);
            }
            catch (IOException)
            {
            }
        }

        return total;
    }

    private static async Task<byte[]> ReadPcmAsync(Stream stdout, long limit, CancellationToken cancellationToken)
    {
        using var pcm = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await stdout.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            var keep = (int)Math.Min(read, limit - pcm.Length);
            pcm.Write(buffer, 0, keep);
            if (pcm.Length >= limit)
                break; // over the duration bound: the caller rejects it, the process is killed in finally
        }

        return pcm.ToArray();
    }

    private static string Describe(long inputBytes, int exitCode, string stderr) =>
        inputBytes == 0 ? "The upload is empty." : $"ffmpeg exit code {exitCode}: {(stderr.Length == 0 ? "no audio samples decoded" : stderr)}";

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }
}
