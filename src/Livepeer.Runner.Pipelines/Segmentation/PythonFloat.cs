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
        return ShortestDecimal.TryShortestDigits(value, out var significand, out var exponent)
            ? Layout(value < 0, significand, exponent, destination)
            : WriteShortest(value, destination);
    }

    /// <summary>The general path alone (.NET's round-trip digits, laid out again): the oracle the fast path is tested against.</summary>
    internal static int WriteViaRoundTripFormat(float value, Span<byte> destination) =>
        float.IsFinite(value) ? WriteShortest(value, destination) : Write(value, destination);

    /// <summary>
    /// Python's layout of <paramref name="significand"/> × 10^<paramref name="exponent"/>, written straight into the
    /// destination two digits at a time for the plain notation that logits need; the exponent form goes the long way.
    /// </summary>
    private static int Layout(bool negative, ulong significand, int exponent, Span<byte> destination)
    {
        while (significand % 10 == 0 && significand != 0)
        {
            significand /= 10;
            exponent++;
        }

        var count = DecimalDigits.CountDigits(significand);
        var decpt = count + exponent;
        var length = negative ? 1 : 0;
        if (negative)
            destination[0] = (byte)'-';

        if (decpt > 0 && decpt < count)
        {
            // d…d.d…d: all digits one place to the right, then the integer part moved back in front of the point.
            var end = length + count + 1;
            DecimalDigits.WriteDigitsBackwards(significand, destination, end, count);
            destination.Slice(length + 1, decpt).CopyTo(destination[length..]);
            destination[length + decpt] = (byte)'.';
            return end;
        }

        if (decpt <= 0 && decpt > -4)
        {
            destination[length] = (byte)'0';
            destination[length + 1] = (byte)'.';
            destination.Slice(length + 2, -decpt).Fill((byte)'0');
            var end = length + 2 - decpt + count;
            DecimalDigits.WriteDigitsBackwards(significand, destination, end, count);
            return end;
        }

        Span<byte> digits = stackalloc byte[20];
        DecimalDigits.WriteDigitsBackwards(significand, digits, count, count);
        return Layout(negative, digits[..count], decpt, destination);
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
