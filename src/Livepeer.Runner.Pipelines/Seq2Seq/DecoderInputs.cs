using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Seq2Seq;

/// <summary>
/// Inputs a cached decoder takes beyond optimum's seq2seq set, by name: <see cref="First"/> on the first run,
/// <see cref="Later"/> on each cached step (Parler-TTS: <c>encoder_attention_mask</c> on both, <c>prompt_hidden_states</c>
/// on the first and a zero-length one after). <see cref="CacheBatch"/> is the cache's batch when it differs from the
/// rows of <c>input_ids</c> (Parler: one cache row per <c>num_codebooks</c> id rows). The caller owns the values.
/// </summary>
internal sealed record DecoderInputs(IReadOnlyList<string> Names, IReadOnlyList<OrtValue> First, IReadOnlyList<OrtValue> Later, int? CacheBatch = null)
{
    public void AddTo(List<string> names, List<OrtValue> values, bool first)
    {
        names.AddRange(Names);
        values.AddRange(first ? First : Later);
    }
}
