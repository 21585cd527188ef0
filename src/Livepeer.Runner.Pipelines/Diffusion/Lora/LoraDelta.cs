namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>
/// A module's weight update ΔW = scale · up · down. For a linear module that is out × in; for a conv, as diffusers
/// and kohya merge it, up's 1×1 kernel is dropped and down is flattened to rank × (in·kh·kw), so ΔW is
/// out × in × kh × kw (a 1×1 conv gives out × in × 1 × 1).
/// </summary>
public static class LoraDelta
{
    /// <summary>ΔW for <paramref name="module"/>, multiplied also by the request's <paramref name="weight"/>.</summary>
    public static LoraMatrix Compute(LoraModule module, float weight = 1f)
    {
        var rank = module.Rank;
        var outFeatures = module.Up.Shape[0];
        var columns = module.Down.Values.Length / rank;
        var down = module.Down.Values;
        var up = module.Up.Values;
        var factor = module.Scale * weight;

        var delta = new float[(long)outFeatures * columns];
        for (var o = 0; o < outFeatures; o++)
        {
            var row = delta.AsSpan(o * columns, columns);
            for (var r = 0; r < rank; r++)
            {
                var u = up[(o * rank) + r] * factor;
                var downRow = down.AsSpan(r * columns, columns);
                for (var j = 0; j < columns; j++)
                    row[j] += u * downRow[j];
            }
        }

        var shape = new int[module.Down.Shape.Count];
        shape[0] = outFeatures;
        for (var i = 1; i < shape.Length; i++)
            shape[i] = module.Down.Shape[i];
        return new LoraMatrix(delta, shape);
    }
}
