namespace Athanor.Reporting;

/// <summary>The finite points of one loss series in step order, and how many points were dropped as non-finite.</summary>
internal sealed class LossSeries
{
    private LossSeries(double[] steps, double[] values, int skipped)
    {
        Steps = steps;
        Values = values;
        Skipped = skipped;
    }

    public double[] Steps { get; }
    public double[] Values { get; }
    public int Skipped { get; }
    public int Count => Steps.Length;

    public static LossSeries From(IReadOnlyList<(double Step, double Value)>? points)
    {
        if (points is null || points.Count == 0) return new LossSeries([], [], 0);
        var kept = new List<(double Step, double Value)>(points.Count);
        bool sorted = true;
        foreach (var p in points)
        {
            if (!double.IsFinite(p.Step) || !double.IsFinite(p.Value)) continue;
            if (kept.Count > 0 && p.Step < kept[^1].Step) sorted = false;
            kept.Add(p);
        }
        // Logs written across a resume can arrive out of order; a stable sort keeps equal steps as logged.
        var ordered = sorted ? kept : kept.OrderBy(p => p.Step).ToList();
        var steps = new double[ordered.Count];
        var values = new double[ordered.Count];
        for (int i = 0; i < ordered.Count; i++)
            (steps[i], values[i]) = ordered[i];
        return new LossSeries(steps, values, points.Count - ordered.Count);
    }
}
