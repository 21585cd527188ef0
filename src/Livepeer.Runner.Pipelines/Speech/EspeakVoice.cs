using System.Text;
using System.Text.RegularExpressions;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Speech;

/// <summary>
/// One espeak-ng voice (a language as <c>espeak-ng --voices</c> lists it, e.g. <c>en-us</c>): formant synthesis, no
/// weights, robotic but intelligible. Each request is one espeak-ng process: the text, made plain by
/// <see cref="EspeakText"/>, goes in on stdin as UTF-8 (so nothing in it can become an option or a file name), SSML
/// stays off, and a 22,050 Hz mono PCM16 WAV comes back on stdout, bounded by <see cref="EspeakOptions.MaxDuration"/>.
/// </summary>
public sealed partial class EspeakVoice : ISpeechVoice
{
    /// <summary>espeak-ng's output rate; it sizes the bound on the PCM read back.</summary>
    public const int SampleRate = 22_050;

    private const int WavHeaderAllowance = 4096;

    private EspeakVoice(string name, EspeakOptions options)
    {
        Name = name;
        Options = options;
    }

    /// <summary>The voice as espeak-ng spells it in <c>--voices</c>.</summary>
    public string Name { get; }

    public EspeakOptions Options { get; }

    // A language tag as espeak-ng lists them (en-us, cmn-latn-pinyin, chr-US-Qaaa-x-west): checked before espeak-ng sees it.
    [GeneratedRegex("^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}$", RegexOptions.CultureInvariant)]
    private static partial Regex VoicePattern();

    /// <summary>True when <c>espeak-ng --version</c> runs; the host checks this at startup to report a missing package clearly.</summary>
    public static async Task<bool> IsAvailableAsync(EspeakOptions options, CancellationToken cancellationToken = default)
    {
        try
        {
            var run = await EspeakProcess.RunAsync(options.ExecutablePath, ["--version"], null, 64 * 1024, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            return run.ExitCode == 0;
        }
        catch (Exception e) when (e is EngineUnavailableException or TimeoutException)
        {
            return false;
        }
    }

    /// <summary>The voices espeak-ng has, by their language column of <c>espeak-ng --voices</c>.</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(EspeakOptions options, CancellationToken cancellationToken)
    {
        var run = await EspeakProcess.RunAsync(options.ExecutablePath, ["--voices"], null, 1 << 20, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        if (run.ExitCode != 0 || run.StdoutOverflowed)
            throw new EngineUnavailableException($"'{options.ExecutablePath} --voices' failed (exit code {run.ExitCode}): {run.Stderr}");

        // "Pty Language Age/Gender VoiceName File Other Languages", one voice a line.
        return [.. Encoding.UTF8.GetString(run.Stdout)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(columns => columns.Length >= 2)
            .Select(columns => columns[1])
            .Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The voice named <paramref name="voice"/> (case-insensitive), checked against espeak-ng's own list.</summary>
    /// <exception cref="ModelLoadException">espeak-ng has no such voice.</exception>
    public static async Task<EspeakVoice> LoadAsync(string modelId, string voice, EspeakOptions options, CancellationToken cancellationToken)
    {
        if (!VoicePattern().IsMatch(voice))
            throw new ModelLoadException(modelId, $"'{voice}' is not an espeak-ng voice name (expected a language such as en-us; see espeak-ng --voices).");
        var known = await ListAsync(options, cancellationToken).ConfigureAwait(false);
        var name = known.FirstOrDefault(v => string.Equals(v, voice, StringComparison.OrdinalIgnoreCase))
            ?? throw new ModelLoadException(modelId, $"espeak-ng has no voice '{voice}' (model {modelId}); espeak-ng --voices lists the languages it speaks, e.g. en-us.");
        return new EspeakVoice(name, options);
    }

    /// <summary>The request's text; a formant voice has no use for a description or a seed.</summary>
    public Task<MonoAudio> SpeakAsync(SpeechRequest request, CancellationToken cancellationToken) => SpeakAsync(request.Text, cancellationToken);

    /// <exception cref="BadInputException">The speech would be longer than <see cref="EspeakOptions.MaxDuration"/>.</exception>
    /// <exception cref="InferenceException">espeak-ng failed or timed out on this text.</exception>
    public async Task<MonoAudio> SpeakAsync(string text, CancellationToken cancellationToken)
    {
        var maxPcmBytes = (long)(Options.MaxDuration.TotalSeconds * SampleRate) * sizeof(short);
        string[] arguments = ["-b", "1", "-v", Name, "--stdin", "--stdout"];
        var run = await EspeakProcess.RunOnTextAsync(
            Options, arguments, EspeakProcess.Stdin(EspeakText.Plain(text)), maxPcmBytes + WavHeaderAllowance, cancellationToken).ConfigureAwait(false);

        if (run.StdoutOverflowed)
            throw new BadInputException($"The speech would be longer than {Options.MaxDuration.TotalMinutes:0} minutes; send shorter text.");
        if (run.ExitCode != 0)
            throw new InferenceException($"espeak-ng exited with code {run.ExitCode}", new InvalidOperationException(run.Stderr));

        try
        {
            return WavReader.Read(run.Stdout).ToMono();
        }
        catch (InvalidDataException e)
        {
            throw new InferenceException("espeak-ng wrote no usable WAV", e);
        }
    }

    public void Dispose()
    {
        // Nothing is held between requests: each one is its own process.
    }
}
