namespace Livepeer.Runner.Pipelines.Media;

/// <summary>RFC 2397 data URLs as the contract returns media: standard padded base64.</summary>
public static class DataUrl
{
    public const string PngPrefix = "data:image/png;base64,";
    public const string WavPrefix = "data:audio/wav;base64,";

    public static string Png(byte[] png) => Create(PngPrefix, png);

    public static string Wav(byte[] wav) => Create(WavPrefix, wav);

    // One allocation of the final size: the base64 text is written straight into the string.
    private static string Create(string prefix, byte[] payload) =>
        string.Create(prefix.Length + ((payload.Length + 2) / 3 * 4), (prefix, payload), static (span, state) =>
        {
            state.prefix.CopyTo(span);
            if (!Convert.TryToBase64Chars(state.payload, span[state.prefix.Length..], out _))
                throw new InvalidOperationException("Base64 buffer was sized wrongly.");
        });
}
