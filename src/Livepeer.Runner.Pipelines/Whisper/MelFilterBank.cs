namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>
/// The Slaney-style mel filterbank that Whisper's <c>mel_filters.npz</c> was made with:
/// <c>librosa.filters.mel(sr=16000, n_fft=400, n_mels=…, fmin=0, fmax=8000, htk=False, norm="slaney")</c>
/// (triangles on the Slaney mel scale, each scaled by 2 / its bandwidth in Hz).
/// </summary>
internal static class MelFilterBank
{
    /// <summary>Row-major <c>[melBins, nFft/2 + 1]</c> weights.</summary>
    public static float[] Slaney(int melBins, int nFft = 400, int sampleRate = 16_000, double fMin = 0, double? fMax = null)
    {
        var bins = (nFft / 2) + 1;
        var top = fMax ?? sampleRate / 2.0;
        var fftFrequencies = new double[bins];
        for (var i = 0; i < bins; i++)
            fftFrequencies[i] = i * (sampleRate / 2.0) / (bins - 1);

        var melMin = HzToMel(fMin);
        var melMax = HzToMel(top);
        var melFrequencies = new double[melBins + 2];
        for (var i = 0; i < melFrequencies.Length; i++)
            melFrequencies[i] = MelToHz(melMin + ((melMax - melMin) * i / (melBins + 1)));

        var weights = new float[melBins * bins];
        for (var m = 0; m < melBins; m++)
        {
            var lowerWidth = melFrequencies[m + 1] - melFrequencies[m];
            var upperWidth = melFrequencies[m + 2] - melFrequencies[m + 1];
            var norm = 2.0 / (melFrequencies[m + 2] - melFrequencies[m]);
            for (var b = 0; b < bins; b++)
            {
                var lower = (fftFrequencies[b] - melFrequencies[m]) / lowerWidth;
                var upper = (melFrequencies[m + 2] - fftFrequencies[b]) / upperWidth;
                weights[(m * bins) + b] = (float)(Math.Max(0, Math.Min(lower, upper)) * norm);
            }
        }

        return weights;
    }

    // Slaney scale: linear below 1 kHz (3 mels per 200 Hz), logarithmic above.
    private const double LinearStep = 200.0 / 3;
    private const double LogStartHz = 1000;
    private const double LogStartMel = LogStartHz / LinearStep;
    private static readonly double LogStep = Math.Log(6.4) / 27;

    private static double HzToMel(double hz) =>
        hz >= LogStartHz ? LogStartMel + (Math.Log(hz / LogStartHz) / LogStep) : hz / LinearStep;

    private static double MelToHz(double mel) =>
        mel >= LogStartMel ? LogStartHz * Math.Exp(LogStep * (mel - LogStartMel)) : mel * LinearStep;
}
