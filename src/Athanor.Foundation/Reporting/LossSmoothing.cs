namespace Athanor.Reporting;

/// <summary>
/// Exponential moving average in the manner of LLaMA-Factory's loss plot: the weight of the running value
/// grows with the number of points (a sigmoid), from almost 0 for a handful of points towards 0.9, so a short
/// run is barely smoothed and a long one is smoothed strongly.
/// </summary>
public static class LossSmoothing
{
    public static double WeightFor(int count) => 1.8 * (1 / (1 + Math.Exp(-0.05 * count)) - 0.5);

    public static double[] Smooth(ReadOnlySpan<double> values)
    {
        var smoothed = new double[values.Length];
        if (values.IsEmpty) return smoothed;
        double weight = WeightFor(values.Length);
        double last = values[0];
        for (int i = 0; i < values.Length; i++)
        {
            last = last * weight + (1 - weight) * values[i];
            smoothed[i] = last;
        }
        return smoothed;
    }
}
