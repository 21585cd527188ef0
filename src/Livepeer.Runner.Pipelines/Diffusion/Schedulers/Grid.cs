namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>NumPy's <c>linspace</c>, <c>arange</c> and <c>interp</c> as diffusers calls them, with the same float64 arithmetic.</summary>
internal static class Grid
{
    /// <summary>start + i·step, the last value set to <paramref name="stop"/> exactly when it is an endpoint.</summary>
    public static double[] Linspace(double start, double stop, int count, bool endpoint = true)
    {
        var values = new double[count];
        var divisions = endpoint ? count - 1 : count;
        var step = divisions > 0 ? (stop - start) / divisions : 0;
        for (var i = 0; i < count; i++)
            values[i] = start + (i * step);
        if (endpoint && count > 1)
            values[^1] = stop;
        return values;
    }

    /// <summary>start, start + step, … while short of <paramref name="stop"/>; the count is ⌈(stop − start)/step⌉ as NumPy computes it.</summary>
    public static double[] Arange(double start, double stop, double step)
    {
        var count = Math.Max(0, (int)Math.Ceiling((stop - start) / step));
        var values = new double[count];
        for (var i = 0; i < count; i++)
            values[i] = start + (i * step);
        return values;
    }

    /// <summary>Piecewise-linear interpolation of the table <paramref name="values"/> (sampled at 0, 1, 2, …) at x, clamped at the ends.</summary>
    public static double Interpolate(double x, Func<int, double> values, int length)
    {
        if (x <= 0)
            return values(0);
        if (x >= length - 1)
            return values(length - 1);
        var low = (int)Math.Floor(x);
        var fraction = x - low;
        return fraction == 0 ? values(low) : values(low) + (fraction * (values(low + 1) - values(low)));
    }

    public static double[] Reversed(double[] values)
    {
        var copy = (double[])values.Clone();
        Array.Reverse(copy);
        return copy;
    }
}
