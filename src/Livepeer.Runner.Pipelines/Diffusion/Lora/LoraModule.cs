namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>A dense float32 tensor: row-major values and their shape.</summary>
public sealed record LoraMatrix(float[] Values, IReadOnlyList<int> Shape);

/// <summary>
/// One module's low-rank update, model-independent: the component and dotted module path it patches, the down
/// matrix (rank × in, or rank × in × kh × kw for a conv), the up matrix (out × rank, or out × rank × 1 × 1), and
/// the scale alpha / rank (1 when the file has no alpha, as diffusers takes it).
/// </summary>
public sealed record LoraModule(LoraComponent Component, string ModulePath, LoraMatrix Down, LoraMatrix Up, float Scale)
{
    public int Rank => Down.Shape[0];
}
