using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests;

public sealed class ImagingTests
{
    private static byte[] Asset(params string[] parts) => File.ReadAllBytes(TestPaths.Asset(parts));

    [Fact]
    public void Png_DecodesToRgbOfItsSize()
    {
        var image = ImageDecoder.Decode(Asset("images", "chelsea.png"), long.MaxValue);
        Assert.Equal((451, 300), (image.Width, image.Height));
        Assert.Equal(451 * 300 * 3, image.Pixels.Length);
    }

    [Fact]
    public void Jpeg_Decodes()
    {
        var image = ImageDecoder.Decode(Asset("images", "rocket.jpg"), long.MaxValue);
        Assert.Equal((640, 427), (image.Width, image.Height));
    }

    [Fact]
    public void RgbaPng_DropsAlphaKeepingColour()
    {
        // The ESRGAN fixture is RGBA with alpha 255 everywhere (MANIFEST Q8): RGB must be its first three channels.
        var image = ImageDecoder.Decode(Asset("upscale", "esrgan-slim", "fixture.png"), long.MaxValue);
        Assert.Equal(128 * 128 * 3, image.Pixels.Length);
        Assert.Contains(image.Pixels, value => value is > 0 and < 255);
    }

    [Fact]
    public void PngRoundTrip_IsLossless()
    {
        var image = ImageDecoder.Decode(Asset("images", "coffee.png"), long.MaxValue);

        foreach (var level in new[] { 0, 1, 6, 9 })
        {
            var png = PngEncoder.Encode(image, level);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
            Assert.Equal(2, png[25]); // IHDR colour type 2: 8-bit RGB, no alpha channel.
            Assert.Equal(image.Pixels, ImageDecoder.Decode(png, long.MaxValue).Pixels);
        }
    }

    [Fact]
    public void TruncatedPng_DecodesWhatIsThere()
    {
        var png = Asset("images", "chelsea.png");
        var image = ImageDecoder.Decode(png.AsSpan(0, png.Length / 2), long.MaxValue);
        Assert.Equal((451, 300), (image.Width, image.Height));
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 1, 2, 3, 4, 5 })]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0 })]
    public void Garbage_IsABadInputError(byte[] data)
    {
        var error = Assert.Throws<BadInputException>(() => ImageDecoder.Decode(data, long.MaxValue));
        Assert.Contains("image", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void HugeDimensions_AreRefusedFromTheHeaderAlone()
    {
        var png = PngEncoder.Encode(new RgbImage(64, 64), 1);
        // Rewrite IHDR to claim 60000×60000 (the CRC is wrong; the size check comes before any pixel is read).
        var bomb = (byte[])png.Clone();
        WriteBigEndian(bomb, 16, 60000);
        WriteBigEndian(bomb, 20, 60000);

        var refused = Assert.Throws<BadInputException>(() => ImageDecoder.Decode(png, maxPixels: 1000));
        Assert.Contains("64x64", refused.Message);
        Assert.Throws<BadInputException>(() => ImageDecoder.Decode(bomb, maxPixels: 4096L * 4096));
    }

    [Fact]
    public void DataUrl_IsPaddedBase64WithThePngPrefix()
    {
        Assert.Equal("data:image/png;base64,AQID", DataUrl.Png([1, 2, 3]));
        Assert.Equal("data:image/png;base64,AQI=", DataUrl.Png([1, 2]));
        Assert.Equal("data:audio/wav;base64,", DataUrl.Wav([]));
    }

    private static void WriteBigEndian(byte[] buffer, int offset, int value)
    {
        buffer[offset] = (byte)(value >> 24);
        buffer[offset + 1] = (byte)(value >> 16);
        buffer[offset + 2] = (byte)(value >> 8);
        buffer[offset + 3] = (byte)value;
    }
}
