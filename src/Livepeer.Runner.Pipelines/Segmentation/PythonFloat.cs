using System.Buffers.Text;
using System.Globalization;

namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>
/// Writes a float32 the way ai-runner's response shows it: Python's <c>repr</c> of the value widened to a double
/// (numpy's <c>tolist()</c> widens before <c>str()</c> formats). That is the shortest digit string that reads back
/// as the same double, laid out by Python's rule: plain notation while the decimal exponent is in (−4, 16], else
/// <c>d.ddde±XX</c>; a whole number keeps <c>.0</c>; <c>nan</c>, <c>inf</c>, <c>-inf</c>, <c>-0.0</c>.
/// </summary>
public static class PythonFloat
{
    /// <summary>Longest possible output: "-" + 17 digits + "." + "e-324" is 25 bytes; 32 leaves room.</summary>
    public const int MaxBytes = 32;

    /// <summary>Writes <paramref name="value"/> as UTF-8 into <paramref name="destination"/> (at least <see cref="MaxBytes"/> long) and returns the byte count.</summary>
    public static int Write(float value, Span<byte> destination)
    {
        // Whole numbers below 2^24 are common (0.0/1.0 masks, ±32.0 clamped logits) and cost one integer format.
        var truncated = MathF.Truncate(value);
        if (truncated == value && MathF.Abs(value) < 16_777_216f)
        {
            var length = 0;
            if (value == 0f && float.IsNegative(value))
                destination[length++] = (byte)'-';
            Utf8Formatter.TryFormat((int)value, destination[length..], out var written);
            length += written;
            destination[length] = (byte)'.';
            destination[length + 1] = (byte)'0';
            return length + 2;
        }

        if (float.IsNaN(value))
            return Literal("nan"u8, destination);
        if (float.IsInfinity(value))
            return Literal(value > 0 ? "inf"u8 : "-inf"u8, destination);
        return TryShortestDigits(value, out var significand, out var exponent)
            ? Layout(value < 0, significand, exponent, destination)
            : WriteShortest(value, destination);
    }

    /// <summary>The general path alone (.NET's round-trip digits, laid out again): the oracle the fast path is tested against.</summary>
    internal static int WriteViaRoundTripFormat(float value, Span<byte> destination) =>
        float.IsFinite(value) ? WriteShortest(value, destination) : Write(value, destination);

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
    private static bool TryShortestDigits(float value, out ulong digits, out int exponent)
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

    /// <summary>Python's layout of <paramref name="significand"/> × 10^<paramref name="exponent"/>.</summary>
    private static int Layout(bool negative, ulong significand, int exponent, Span<byte> destination)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(significand, digits, out var count);
        while (count > 1 && digits[count - 1] == (byte)'0')
        {
            count--;
            exponent++;
        }

        return Layout(negative, digits[..count], count + exponent, destination);
    }

    /// <summary>The Python text of one value, for tests and messages.</summary>
    public static string Format(float value)
    {
        Span<byte> buffer = stackalloc byte[MaxBytes];
        return System.Text.Encoding.ASCII.GetString(buffer[..Write(value, buffer)]);
    }

    private static int Literal(ReadOnlySpan<byte> text, Span<byte> destination)
    {
        text.CopyTo(destination);
        return text.Length;
    }

    /// <summary>
    /// .NET's "R" already yields the shortest round-trip digits of a double; only the layout differs from Python's
    /// (.NET writes <c>1E-05</c>, <c>1E+16</c>, and switches notation at other exponents), so the digits and the
    /// exponent are read back out of its text and laid out again.
    /// </summary>
    private static int WriteShortest(double value, Span<byte> destination)
    {
        Span<byte> text = stackalloc byte[MaxBytes];
        if (!value.TryFormat(text, out var written, "R", CultureInfo.InvariantCulture))
            throw new InvalidOperationException("A double did not fit in 32 bytes.");

        Span<byte> digits = stackalloc byte[20];
        var count = 0;
        var pointAt = -1; // digits seen before '.', i.e. the decimal point's position among all digits
        var exponent = 0;
        var negative = text[0] == (byte)'-';
        var leadingZeros = 0;
        for (var i = negative ? 1 : 0; i < written; i++)
        {
            var c = text[i];
            if (c == (byte)'.')
            {
                pointAt = count + leadingZeros;
            }
            else if (c is (byte)'E' or (byte)'e')
            {
                Utf8Parser.TryParse(text[(i + 1)..written], out exponent, out _);
                break;
            }
            else if (count == 0 && c == (byte)'0')
            {
                leadingZeros++; // "0.0001": zeros before the first significant digit move the point, not the digits
            }
            else
            {
                digits[count++] = c;
            }
        }

        if (pointAt < 0)
            pointAt = count + leadingZeros;
        while (count > 1 && digits[count - 1] == (byte)'0')
            count--; // "R" of 1.5E+20 style values never pads, but integers such as 123000 do

        // Python's decpt: the value is 0.d1d2… × 10^decpt.
        return Layout(negative, digits[..count], pointAt - leadingZeros + exponent, destination);
    }

    /// <summary>Python's <c>format_float_short</c> layout for repr: plain while −4 &lt; decpt ≤ 16, else exponent form.</summary>
    private static int Layout(bool negative, ReadOnlySpan<byte> digits, int decpt, Span<byte> destination)
    {
        var count = digits.Length;
        var length = 0;
        if (negative)
            destination[length++] = (byte)'-';

        if (decpt <= -4 || decpt > 16)
        {
            destination[length++] = digits[0];
            if (count > 1)
            {
                destination[length++] = (byte)'.';
                digits[1..count].CopyTo(destination[length..]);
                length += count - 1;
            }

            var e = decpt - 1;
            destination[length++] = (byte)'e';
            destination[length++] = e < 0 ? (byte)'-' : (byte)'+';
            e = Math.Abs(e);
            if (e < 10)
                destination[length++] = (byte)'0';
            Utf8Formatter.TryFormat(e, destination[length..], out var expDigits);
            return length + expDigits;
        }

        if (decpt <= 0)
        {
            destination[length++] = (byte)'0';
            destination[length++] = (byte)'.';
            destination.Slice(length, -decpt).Fill((byte)'0');
            length += -decpt;
            digits[..count].CopyTo(destination[length..]);
            return length + count;
        }

        if (decpt >= count)
        {
            digits[..count].CopyTo(destination[length..]);
            length += count;
            destination.Slice(length, decpt - count).Fill((byte)'0');
            length += decpt - count;
            destination[length++] = (byte)'.';
            destination[length++] = (byte)'0';
            return length;
        }

        digits[..decpt].CopyTo(destination[length..]);
        length += decpt;
        destination[length++] = (byte)'.';
        digits[decpt..count].CopyTo(destination[length..]);
        return length + count - decpt;
    }}
