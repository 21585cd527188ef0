using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Seq2Seq;

/// <summary>
/// A model's rule applied to one row's next-token logits before the arg-max (Whisper's suppress and timestamp rules).
/// <paramref name="generated"/> is what the row has produced after its prompt.
/// </summary>
internal delegate void LogitsRule(int row, Span<float> logits, IReadOnlyList<int> generated);

/// <summary>
/// Extra decoder outputs a generation reads after every decoder run (the prompt, then each step), before the next token
/// is chosen: <paramref name="OnRun"/> gets the state holding them (<see cref="Seq2SeqState.Extra"/>).
/// </summary>
internal sealed record DecoderTap(IReadOnlyList<string> Outputs, Action<Seq2SeqState> OnRun);

/// <summary>
/// Greedy search over a <see cref="Seq2SeqDecoder"/>, as transformers' <c>generate</c> does it without sampling: each
/// row takes its arg-max (the first on a tie) until it emits <c>eos</c> or <c>maxNewTokens</c> are out. Rows that
/// finish early ride along on <c>eos</c> (their outputs ignored) so the batch keeps one shape. The token is checked
/// between tokens, and ONNX Runtime's runs stop on it too.
/// </summary>
internal static class Seq2SeqGreedy
{
    /// <param name="prompts">One prompt per row, all of one length (the decoder takes no attention mask).</param>
    /// <param name="onToken">Called with (row, token) as each token is chosen, before the next step runs.</param>
    /// <param name="tap">Extra outputs read after every decoder run; null: none (the decoder fetches nothing more).</param>
    /// <returns>Per row, the tokens generated after the prompt, ending with <paramref name="eosTokenId"/> when it came.</returns>
    public static List<int>[] Generate(
        Seq2SeqDecoder decoder,
        OrtValue encoderHidden,
        IReadOnlyList<int[]> prompts,
        int maxNewTokens,
        int eosTokenId,
        LogitsRule? rule,
        Action<int, int>? onToken,
        CancellationToken cancellationToken,
        DecoderTap? tap = null)
    {
        var batch = prompts.Count;
        var promptLength = prompts[0].Length;
        if (prompts.Any(p => p.Length != promptLength))
            throw new ArgumentException("Every row's prompt must have the same length.", nameof(prompts));

        var generated = Enumerable.Range(0, batch).Select(_ => new List<int>()).ToArray();
        var done = new bool[batch];
        var next = new long[batch];
        using var state = decoder.Start(encoderHidden, [.. prompts.SelectMany(p => p.Select(id => (long)id))], batch, cancellationToken, extraOutputs: tap?.Outputs);
        float[]? logits = null;
        for (var step = 0; step < maxNewTokens; step++)
        {
            tap?.OnRun(state);
            for (var row = 0; row < batch; row++)
            {
                if (done[row])
                {
                    next[row] = eosTokenId;
                    continue;
                }

                int token;
                if (rule is null)
                    token = TensorPrimitives.IndexOfMax(state.LastLogits(row));
                else
                {
                    var rowLogits = state.LastLogits(row);
                    logits ??= new float[rowLogits.Length];
                    rowLogits.CopyTo(logits);
                    rule(row, logits, generated[row]);
                    token = TensorPrimitives.IndexOfMax<float>(logits);
                }

                generated[row].Add(token);
                next[row] = token;
                done[row] = token == eosTokenId;
                onToken?.Invoke(row, token);
            }

            if (done.All(d => d) || step == maxNewTokens - 1)
                break;
            cancellationToken.ThrowIfCancellationRequested();
            decoder.Step(state, encoderHidden, next, cancellationToken);
        }

        return generated;
    }
}
