namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>Writes the decimal digits of an integer quickly: two at a time from a table, eight at a time in 32 bits.</summary>
internal static class DecimalDigits
{
    private static readonly ulong[] PowersOfTen64 = CreatePowersOfTen64();

    private static ulong[] CreatePowersOfTen64()
    {
        var powers = new ulong[20];
        powers[0] = 1;
        for (var i = 1; i < powers.Length; i++)
            powers[i] = powers[i - 1] * 10;
        return powers;
    }

    public static int CountDigits(ulong value)
    {
        // log10 from log2 (1233/4096 ≈ log10 2), then one comparison to correct it.
        var guess = ((64 - System.Numerics.BitOperations.LeadingZeroCount(value | 1)) * 1233) >> 12;
        return guess + (guess < 20 && value >= PowersOfTen64[guess] ? 1 : 0);
    }

    /// <summary>"00" to "99".</summary>
    private static ReadOnlySpan<byte> DigitPairs =>
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"u8;

    /// <summary>Writes the last <paramref name="count"/> digits of <paramref name="value"/> so that they end just before <paramref name="end"/>.</summary>
    public static void WriteDigitsBackwards(ulong value, Span<byte> destination, int end, int count)
    {
        // Eight digits at a time in 32-bit arithmetic, whose division by 100 is a cheap multiply.
        while (count > 8)
        {
            WriteEight((uint)(value % 100_000_000), destination.Slice(end - 8, 8));
            value /= 100_000_000;
            end -= 8;
            count -= 8;
        }

        var rest = (uint)value;
        var at = end;
        while (count >= 2)
        {
            var pair = (int)(rest % 100) * 2;
            rest /= 100;
            destination[at - 2] = DigitPairs[pair];
            destination[at - 1] = DigitPairs[pair + 1];
            at -= 2;
            count -= 2;
        }

        if (count == 1)
            destination[at - 1] = (byte)('0' + (rest % 10));
    }

    private static void WriteEight(uint value, Span<byte> destination)
    {
        var high = value / 10_000;
        var low = value - (high * 10_000);
        var pairs = DigitPairs;
        var a = (int)(high / 100) * 2;
        var b = (int)(high % 100) * 2;
        var c = (int)(low / 100) * 2;
        var d = (int)(low % 100) * 2;
        destination[7] = pairs[d + 1];
        destination[0] = pairs[a];
        destination[1] = pairs[a + 1];
        destination[2] = pairs[b];
        destination[3] = pairs[b + 1];
        destination[4] = pairs[c];
        destination[5] = pairs[c + 1];
        destination[6] = pairs[d];
    }
}
