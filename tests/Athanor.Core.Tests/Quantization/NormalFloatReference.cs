namespace Athanor.Tests.Quantization;

/// <summary>
/// NF4 from its definition (the QLoRA paper, section 3; bitsandbytes' create_normal_map with offset 0.9677083): 8
/// positive quantiles of N(0, 1) at linspace(offset, 0.5, 9)[:-1], 7 negative ones at linspace(offset, 0.5, 8)[:-1],
/// and an exact zero, sorted and divided by the largest. The inverse normal CDF is computed here by bisection on a
/// series for erf, so the test does not lean on the table it checks.
/// </summary>
internal static class NormalFloatReference
{
    public static double[] Nf4()
    {
        const double offset = 0.9677083;
        var values = new List<double>();
        values.AddRange(LinSpace(offset, 0.5, 9).Take(8).Select(InverseNormal));
        values.Add(0);
        values.AddRange(LinSpace(offset, 0.5, 8).Take(7).Select(p => -InverseNormal(p)));
        values.Sort();
        double max = values.Max();
        return values.Select(v => v / max).ToArray();
    }

    // torch.linspace in float32, as create_normal_map calls it
    private static IEnumerable<double> LinSpace(double start, double end, int steps) =>
        Enumerable.Range(0, steps).Select(i => (double)(float)((float)start + ((float)end - (float)start) / (steps - 1) * i));

    public static double InverseNormal(double p)
    {
        double lo = -10, hi = 10;
        for (int i = 0; i < 200; i++)
        {
            double mid = (lo + hi) / 2;
            if (NormalCdf(mid) < p) lo = mid; else hi = mid;
        }
        return (lo + hi) / 2;
    }

    private static double NormalCdf(double x) => 0.5 * (1 + Erf(x / Math.Sqrt(2)));

    // Maclaurin series; |x| stays below 3 here, where 80 terms are exact to double precision.
    private static double Erf(double x)
    {
        double sum = 0, term = x;
        for (int n = 0; n < 80; n++)
        {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }
}
