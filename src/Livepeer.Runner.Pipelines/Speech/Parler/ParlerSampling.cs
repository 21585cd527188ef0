using Livepeer.Runner.Pipelines.Llm;
using Livepeer.Runner.Pipelines.Seq2Seq;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Speech.Parler;

/// <summary>
/// The audio-code loop of ParlerTTSForConditionalGeneration.generate for one sequence: every codebook starts from bos,
/// each step feeds the last column through the <see cref="DelayPattern"/> and samples one id per codebook, with the
/// reference's logits rules:
/// <list type="bullet">
/// <item>no codebook ends (eos) before <c>min_new_tokens</c> steps (MinNewTokensLengthLogitsProcessor);</item>
/// <item>no codebook ends before the ones below it have (ParlerTTSLogitsProcessor: the first codebook still running
/// moves on by at most one a step, once it has produced eos);</item>
/// <item>a codebook that has produced eos produces pad from then on, and the loop stops when all have, or at
/// <c>max_length</c> columns (EosTokenCriteria, MaxLengthCriteria).</item>
/// </list>
/// The token is checked between steps, and ONNX Runtime's runs stop on it too.
/// </summary>
internal static class ParlerSampling
{
    /// <returns>The ids per codebook (<c>[K][max_length]</c>, filled up to <c>Columns</c>) and the columns made, the bos column included.</returns>
    public static (int[][] Sequence, int Columns) Generate(
        Seq2SeqDecoder decoder, OrtValue encoderHidden, DecoderInputs inputs, ParlerConfig config, TokenSampler sampler, CancellationToken cancellationToken)
    {
        var k = config.NumCodebooks;
        var pattern = new DelayPattern(k, config.MaxLength, config.BosTokenId, config.PadTokenId);
        var sequence = new int[k][];
        for (var row = 0; row < k; row++)
        {
            sequence[row] = new int[config.MaxLength];
            sequence[row][0] = config.BosTokenId;
        }

        var finished = new bool[k]; // has produced eos (the processor's is_eos; pad follows it)
        var firstRunning = 0;
        var fed = new long[k];
        for (var row = 0; row < k; row++)
            fed[row] = pattern.Apply(row, 0, config.BosTokenId);

        using var state = decoder.Start(encoderHidden, fed, k, cancellationToken, inputs);
        float[]? logits = null;
        var columns = 1;
        while (columns < config.MaxLength)
        {
            if (finished[firstRunning] && firstRunning < k - 1)
                firstRunning++;
            var banAll = columns - 1 < config.MinNewTokens;
            for (var row = 0; row < k; row++)
            {
                int token;
                if (finished[row])
                    token = config.PadTokenId;
                else
                {
                    var rowLogits = state.LastLogits(row);
                    logits ??= new float[rowLogits.Length];
                    rowLogits.CopyTo(logits);
                    if ((banAll || row > firstRunning) && config.EosTokenId < logits.Length)
                        logits[config.EosTokenId] = float.NegativeInfinity;
                    token = sampler.Next(logits);
                }

                sequence[row][columns] = token;
                finished[row] |= token == config.EosTokenId;
            }

            columns++;
            if (finished.All(f => f) || columns == config.MaxLength)
                break;
            cancellationToken.ThrowIfCancellationRequested();
            for (var row = 0; row < k; row++)
                fed[row] = pattern.Apply(row, columns - 1, sequence[row][columns - 1]);
            decoder.Step(state, encoderHidden, fed, cancellationToken, inputs);
        }

        return (sequence, columns);
    }
}
