namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>Shortest round-trip decimal digits of a float32 widened to a double, in exact integer arithmetic.</summary>
internal static class ShortestDecimal
{
    /// <summary>10^0 … 10^21.</summary>
    private static readonly UInt128[] PowersOfTen = CreatePowersOfTen();

    private static UInt128[] CreatePowersOfTen()
    {
        var powers = new UInt128[22];
        powers[0] = 1;
        for (var i = 1; i < powers.Length; i++)
            powers[i] = powers[i - 1] * 10;
        return powers;
    }

    /// <summary>
    /// The shortest decimal <paramref name="digits"/> × 10^<paramref name="exponent"/> that reads back as the double
    /// equal to <paramref name="value"/>, closest to it among the shortest, computed exactly in 128-bit integers. The
    /// double is M·2^E with M = m·2^29… (53 bits); every decimal in [v − 2^(E−1), v + 2^(E−1)] reads back as v (M is
    /// even, so ties round to it; below a power of two the gap is half as wide). Scaled by 10^p / 2^(2−E) the bounds
    /// become integers of about 18 digits, from which trailing digits are dropped while the bounds still differ.
    /// Exact only while that product fits 128 bits: |v| in about [2.4e-4, 1.8e16], where almost every logit lies;
    /// false elsewhere, and the caller takes the general path.
    /// </summary>
    public static bool TryShortestDigits(float value, out ulong digits, out int exponent)
    {
        digits = 0;
        exponent = 0;
        var bits = BitConverter.SingleToUInt32Bits(value);
        var biased = (int)((bits >> 23) & 0xff);
        if (biased == 0)
            return false; // subnormal floats lie far below the fast range
        var m = (ulong)((bits & 0x7fffff) | 0x800000);
        var e = biased - 150; // value = m · 2^e, m of 24 bits
        var bigE = e - 29;    // as a double: M = m << 29 of 53 bits, value = M · 2^E
        if (bigE < -64 || bigE > 1)
            return false;

        var mantissa = m << 29;
        var shift = 2 - bigE; // v and its bounds are (4M, 4M + 2, 4M − 2 or 4M − 1) · 2^(E−2)
        // 10^p · 2^E ≥ 20 so the interval spans at least 20 units of the last digit before digits are dropped.
        var p = (int)Math.Ceiling((1 - bigE) * 0.30102999566398120) + 1;
        if (p >= PowersOfTen.Length)
            return false;

        // One multiplication; the bounds differ from v by whole multiples of the scale.
        var scale = PowersOfTen[p];
        var scaled = (4 * mantissa) * scale;
        var lowerScaled = scaled - (mantissa == 1UL << 52 ? scale : 2 * scale);
        var mask = (UInt128.One << shift) - 1;
        var vr = (ulong)(scaled >> shift);
        var vp = (ulong)((scaled + (2 * scale)) >> shift);
        var vm = (ulong)(lowerScaled >> shift);
        var vmIsTrailingZeros = (lowerScaled & mask) == 0;
        var vrIsTrailingZeros = (scaled & mask) == 0;

        var removed = 0;
        var lastRemovedDigit = 0UL;
        while (vp / 10 > vm / 10)
        {
            vmIsTrailingZeros &= vm % 10 == 0;
            vrIsTrailingZeros &= lastRemovedDigit == 0;
            lastRemovedDigit = vr % 10;
            vr /= 10;
            vp /= 10;
            vm /= 10;
            removed++;
        }

        if (vmIsTrailingZeros)
        {
            // The lower bound itself is allowed (ties round to the even M): drop the zeros it ends in too.
            while (vm % 10 == 0 && vm != 0)
            {
                vrIsTrailingZeros &= lastRemovedDigit == 0;
                lastRemovedDigit = vr % 10;
                vr /= 10;
                vp /= 10;
                vm /= 10;
                removed++;
            }
        }

        if (vrIsTrailingZeros && lastRemovedDigit == 5 && vr % 2 == 0)
            lastRemovedDigit = 4; // exactly half way: round to even
        digits = vr + ((vr == vm && !vmIsTrailingZeros) || lastRemovedDigit >= 5 ? 1UL : 0UL);
        exponent = removed - p;
        return true;
    }
}
