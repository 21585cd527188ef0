using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Speech;

/// <summary>What one espeak-ng run gave back: its exit code, stdout up to the bound (and whether more came), and stderr's tail.</summary>
internal sealed record EspeakRun(int ExitCode, byte[] Stdout, bool StdoutOverflowed, string Stderr);

/// <summary>
/// espeak-ng as a child process, sandboxed like the ffmpeg decoder: no shell, fixed arguments as an argument list,
/// input on stdin, output read up to a bound, a wall-clock limit, and the process killed when the caller gives up.
/// </summary>
internal static class EspeakProcess
{
    /// <summary>Text as espeak-ng's <c>--stdin</c> takes it: UTF-8 with a trailing newline (its reader may drop the last byte as the line's end).</summary>
    public static byte[] Stdin(string text) => Encoding.UTF8.GetBytes(text + "\n");

    /// <summary>One run on request text, within <paramref name="options"/>' executable and time limit.</summary>
    /// <exception cref="EngineUnavailableException">espeak-ng cannot be started.</exception>
    /// <exception cref="InferenceException">It did not finish within <see cref="EspeakOptions.Timeout"/>.</exception>
    public static async Task<EspeakRun> RunOnTextAsync(
        EspeakOptions options, IReadOnlyList<string> arguments, byte[] stdin, long stdoutLimit, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(options.ExecutablePath, arguments, stdin, stdoutLimit, options.Timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new InferenceException(e.Message, e);
        }
    }

    /// <exception cref="EngineUnavailableException">espeak-ng cannot be started.</exception>
    /// <exception cref="TimeoutException">It did not finish within <paramref name="timeout"/>.</exception>
    public static async Task<EspeakRun> RunAsync(
        string executable, IReadOnlyList<string> arguments, byte[]? stdin, long stdoutLimit, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new EngineUnavailableException($"Could not start '{executable}'.");
        }
        catch (Win32Exception e)
        {
            throw new EngineUnavailableException(
                $"Text-to-speech needs espeak-ng ('{executable}' could not be started: {e.Message}). Install the Debian package espeak-ng.");
        }

        using (process)
        {
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timer.CancelAfter(timeout);
            var token = timer.Token;
            try
            {
                var stderr = StderrTail.ReadAsync(process.StandardError, token);
                var feed = FeedAsync(stdin ?? [], process.StandardInput.BaseStream, token);
                var (stdout, overflowed) = await ReadBoundedAsync(process.StandardOutput.BaseStream, stdoutLimit, token).ConfigureAwait(false);
                if (overflowed)
                    Kill(process); // still writing: stop it rather than drain it

                await process.WaitForExitAsync(token).ConfigureAwait(false);
                await feed.ConfigureAwait(false);
                return new EspeakRun(process.ExitCode, stdout, overflowed, await stderr.ConfigureAwait(false));
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"espeak-ng did not finish within {timeout.TotalSeconds:0} s.", e);
            }
            finally
            {
                Kill(process);
            }
        }
    }

    private static async Task FeedAsync(byte[] input, Stream stdin, CancellationToken cancellationToken)
    {
        try
        {
            await stdin.WriteAsync(input, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // Broken pipe: espeak-ng exited early; its exit code tells why.
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
    }

    private static async Task<(byte[] Bytes, bool Overflowed)> ReadBoundedAsync(Stream stdout, long limit, CancellationToken cancellationToken)
    {
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await stdout.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (output.Length + read > limit)
            {
                output.Write(buffer, 0, (int)(limit - output.Length));
                return (output.ToArray(), true);
            }

            output.Write(buffer, 0, read);
        }

        return (output.ToArray(), false);
    }

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
