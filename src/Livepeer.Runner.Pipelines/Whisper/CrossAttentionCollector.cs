using Livepeer.Runner.Pipelines.Seq2Seq;

namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>
/// Gathers the alignment heads' cross-attentions of one batch while it decodes (a <see cref="DecoderTap"/> on the
/// decoder's <c>cross_attentions.{layer}</c> outputs, <c>[batch, heads, new tokens, 1500]</c>), keeping for each row
/// only the frames of its own audio (half its mel frames: the encoder halves them), then turns each row's weights into
/// token start times (<see cref="CrossAttentionAlignment"/>), as transformers does with <c>num_frames</c>.
/// </summary>
internal sealed class CrossAttentionCollector
{
    private const int SamplesPerEncoderFrame = 2 * 160; // two mel hops of 10 ms

    private readonly IReadOnlyList<AlignmentHead> _heads;
    private readonly int[] _layerOutput; // alignment head → index of its layer's output in the tap
    private readonly int[] _frames; // per row: encoder frames that hold its audio
    private readonly List<float>[][] _weights; // per row, per alignment head: [tokens][frames], appended run by run

    public CrossAttentionCollector(IReadOnlyList<AlignmentHead> heads, IReadOnlyList<int> windowSamples)
    {
        _heads = heads;
        var layers = heads.Select(h => h.Layer).Distinct().Order().ToArray();
        _layerOutput = [.. heads.Select(h => Array.IndexOf(layers, h.Layer))];
        _frames = [.. windowSamples.Select(s => Math.Max(1, s / SamplesPerEncoderFrame))];
        _weights = [.. windowSamples.Select(_ => heads.Select(_ => new List<float>()).ToArray())];
        Tap = new DecoderTap([.. layers.Select(OutputName)], Collect);
    }

    public DecoderTap Tap { get; }

    public static string OutputName(int layer) => $"cross_attentions.{layer}";

    /// <summary>The decoder outputs the heads of <paramref name="heads"/> need.</summary>
    public static IEnumerable<string> OutputsFor(IReadOnlyList<AlignmentHead> heads) => heads.Select(h => h.Layer).Distinct().Select(OutputName);

    private void Collect(Seq2SeqState state)
    {
        for (var a = 0; a < _heads.Count; a++)
        {
            var value = state.Extra(_layerOutput[a]);
            var shape = value.GetTensorTypeAndShape().Shape;
            var (heads, steps, frames) = ((int)shape[1], (int)shape[2], (int)shape[3]);
            var data = value.GetTensorDataAsSpan<float>();
            for (var row = 0; row < _weights.Length; row++)
            {
                if (_frames[row] > frames)
                    throw new InvalidOperationException($"The decoder attends to {frames} encoder frames, fewer than the window's {_frames[row]}.");
                for (var s = 0; s < steps; s++)
                    _weights[row][a].AddRange(data.Slice(((((row * heads) + _heads[a].Head) * steps) + s) * frames, _frames[row]));
            }
        }
    }

    /// <summary>
    /// Start times (seconds from the window's start) of every token of row <paramref name="row"/>'s prompt
    /// and <paramref name="generated"/> tokens: 0 for the first, then where each fed token's row of the path begins.
    /// </summary>
    public double[] TokenStarts(int row, int promptLength, int generated, int medianWidth)
    {
        var tokens = promptLength + generated - 1; // the last generated token is never fed back
        var frames = _frames[row];
        var heads = _heads.Count;

        // Rows that finished early rode along on eos: only their first tokens' weights are theirs.
        var weights = new float[heads * tokens * frames];
        for (var h = 0; h < heads; h++)
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_weights[row][h])[..(tokens * frames)].CopyTo(weights.AsSpan(h * tokens * frames));

        var startFrames = CrossAttentionAlignment.TokenStartFrames(weights, heads, tokens, frames, medianWidth);
        var starts = new double[tokens + 1];
        for (var t = 0; t < tokens; t++)
            starts[t + 1] = startFrames[t] * WhisperConfig.SecondsPerTimestamp;
        return starts;
    }
}
