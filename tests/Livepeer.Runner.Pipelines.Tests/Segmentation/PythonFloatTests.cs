using System.Globalization;
using Livepeer.Runner.Pipelines.Segmentation;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Segmentation;

/// <summary>
/// Float text against Python: every expected string below and in python_float_repr.txt was printed by
/// /usr/bin/python3 as <c>repr(float(numpy.float32(v)))</c>, which is what <c>str(masks.tolist())</c> writes per value.
/// </summary>
public sealed class PythonFloatTests
{
    [Theory]
    [InlineData(0x00000000u, "0.0")]
    [InlineData(0x80000000u, "-0.0")]
    [InlineData(0x3f800000u, "1.0")]
    [InlineData(0xbf800000u, "-1.0")]
    [InlineData(0xc0500000u, "-3.25")]
    [InlineData(0x3727c5acu, "9.999999747378752e-06")]
    [InlineData(0x3dcccccdu, "0.10000000149011612")]
    [InlineData(0x42000000u, "32.0")]
    [InlineData(0xc2000000u, "-32.0")]
    [InlineData(0x41ffffffu, "31.999998092651367")]
    [InlineData(0x00000001u, "1.401298464324817e-45")]
    [InlineData(0x80000001u, "-1.401298464324817e-45")]
    [InlineData(0x007fffffu, "1.1754942106924411e-38")]
    [InlineData(0x00800000u, "1.1754943508222875e-38")]
    [InlineData(0x006ce3eeu, "9.999999350456404e-39")]
    [InlineData(0x7f7fffffu, "3.4028234663852886e+38")]
    [InlineData(0xff7fffffu, "-3.4028234663852886e+38")]
    [InlineData(0x7fc00000u, "nan")]
    [InlineData(0xffc00000u, "nan")]
    [InlineData(0x7f800000u, "inf")]
    [InlineData(0xff800000u, "-inf")]
    [InlineData(0x5a0e1bcau, "1.0000000272564224e+16")]
    [InlineData(0x58635fa9u, "999999986991104.0")]
    [InlineData(0x5a0df769u, "9990000514957312.0")]
    [InlineData(0x4ceb79a3u, "123456792.0")]
    [InlineData(0x4b7fffffu, "16777215.0")]
    [InlineData(0x4b800000u, "16777216.0")]
    [InlineData(0x4b800001u, "16777218.0")]
    [InlineData(0x38d1b717u, "9.999999747378752e-05")]
    [InlineData(0x3a83126fu, "0.0010000000474974513")]
    [InlineData(0x3901725bu, "0.0001234499941347167")]
    [InlineData(0x34210fb0u, "1.500000053056283e-07")]
    [InlineData(0x501502f9u, "10000000000.0")]
    [InlineData(0x5bb1a2bcu, "9.999999843067494e+16")]
    [InlineData(0x5d800000u, "1.152921504606847e+18")]
    [InlineData(0xf1800000u, "-1.2676506002282294e+30")]
    [InlineData(0x3e99999au, "0.30000001192092896")]
    [InlineData(0xbf333333u, "-0.699999988079071")]
    [InlineData(0x477fe000u, "65504.0")]
    [InlineData(0x2edbe6ffu, "1.000000013351432e-10")]
    public void Write_MatchesPythonRepr(uint bits, string python)
    {
        Assert.Equal(python, PythonFloat.Format(BitConverter.UInt32BitsToSingle(bits)));
    }

    [Fact]
    public void Write_MatchesPythonReprForThreeThousandValues()
    {
        // Random bit patterns (every exponent, subnormals, NaN payloads) and logit-like normals.
        var lines = File.ReadLines(Path.Combine(TestPaths.RepoRoot, "tests", "Livepeer.Runner.Pipelines.Tests", "Segmentation", "python_float_repr.txt"))
            .Where(line => !line.StartsWith('#'))
            .ToList();
        Assert.True(lines.Count > 3000);

        var mismatches = lines
            .Select(line => line.Split(' '))
            .Select(parts => (parts[0], Expected: parts[1], Actual: PythonFloat.Format(BitConverter.UInt32BitsToSingle(uint.Parse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture)))))
            .Where(c => c.Expected != c.Actual)
            .Take(5)
            .ToList();

        Assert.Empty(mismatches);
    }

    /// <summary>
    /// The 128-bit fast path (|v| in about [2.4e-4, 1.8e16]) against the general path (.NET's round-trip digits, checked
    /// against Python above), on every <paramref name="stride"/>-th float of the exponents the fast path covers and of
    /// their neighbours, both signs (about 1.3 million values). A stride of 13 (98 million values) was run once by hand.
    /// </summary>
    [Theory]
    [InlineData(997)]
    public void FastPath_AgreesWithTheGeneralPath(int stride)
    {
        Span<byte> fast = stackalloc byte[PythonFloat.MaxBytes];
        Span<byte> general = stackalloc byte[PythonFloat.MaxBytes];
        var checkedValues = 0;
        for (var bits = 110u << 23; bits < 186u << 23; bits += (uint)stride)
        {
            foreach (var sign in new[] { 0u, 0x80000000u })
            {
                var value = BitConverter.UInt32BitsToSingle(bits | sign);
                var a = PythonFloat.Write(value, fast);
                var b = PythonFloat.WriteViaRoundTripFormat(value, general);
                if (!fast[..a].SequenceEqual(general[..b]))
                    Assert.Fail($"{bits | sign:x8}: fast {System.Text.Encoding.ASCII.GetString(fast[..a])}, general {System.Text.Encoding.ASCII.GetString(general[..b])}");
                checkedValues++;
            }
        }

        Assert.True(checkedValues > 1_000_000);
    }

    [Fact]
    public void Write_NeverExceedsMaxBytes()
    {
        Span<byte> buffer = stackalloc byte[PythonFloat.MaxBytes];
        var longest = 0;
        foreach (var bits in new uint[] { 0x80000001u, 0xff7fffffu, 0xb3d6bf95u, 0x800a7c5au, 0xbf333333u })
            longest = Math.Max(longest, PythonFloat.Write(BitConverter.UInt32BitsToSingle(bits), buffer));

        Assert.InRange(longest, 20, PythonFloat.MaxBytes);
    }
}
