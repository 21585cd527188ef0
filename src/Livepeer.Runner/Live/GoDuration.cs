using System.Globalization;

namespace Livepeer.Runner.Live;

/// <summary>Go's <c>time.Duration</c> strings as go-livepeer writes them (<c>"5s"</c>, <c>"20s"</c>, <c>"1m30s"</c>, <c>"500ms"</c>).</summary>
internal static class GoDuration
{
    private static readonly (string Unit, double Ticks)[] Units =
    [
        ("ns", TimeSpan.TicksPerMicrosecond / 1000.0), ("us", TimeSpan.TicksPerMicrosecond), ("µs", TimeSpan.TicksPerMicrosecond),
        ("ms", TimeSpan.TicksPerMillisecond), ("s", TimeSpan.TicksPerSecond), ("m", TimeSpan.TicksPerMinute), ("h", TimeSpan.TicksPerHour),
    ];

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text))
            return false;
        if (text == "0")
            return true;

        double ticks = 0;
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            var number = 0;
            while (number < rest.Length && (char.IsAsciiDigit(rest[number]) || rest[number] == '.'))
                number++;
            if (number == 0 || !double.TryParse(rest[..number], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
                return false;
            rest = rest[number..];
            (string Unit, double Ticks) unit = default;
            foreach (var candidate in Units)
            {
                if (rest.StartsWith(candidate.Unit, StringComparison.Ordinal) && candidate.Unit.Length > (unit.Unit?.Length ?? 0))
                    unit = candidate;
            }

            if (unit.Unit is null)
                return false;
            ticks += value * unit.Ticks;
            rest = rest[unit.Unit.Length..];
        }

        duration = TimeSpan.FromTicks((long)ticks);
        return true;
    }
}
