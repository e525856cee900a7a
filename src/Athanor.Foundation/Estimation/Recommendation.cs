namespace Athanor.Estimation;

/// <summary>
/// What the planner advises: the plan as given when it fits, else the first plan along the walk that fits (with the
/// changes from the given one), else the smallest plan found, which does not fit (<see cref="Fits"/> false).
/// </summary>
public sealed record Recommendation(bool AsGiven, bool Fits, IReadOnlyList<string> Changes, MemoryEstimate Estimate, double GpuMemoryBytes)
{
    public string Summary()
    {
        var e = Estimate;
        string numbers = FormattableString.Invariant($"{e.TotalBytes / 1e9:0.0} GB per GPU of {GpuMemoryBytes / 1e9:0.0} GB");
        if (AsGiven) return $"fits as given ({numbers})";
        if (Fits) return $"fits with {string.Join(", ", Changes)} ({numbers})";
        return $"does not fit in any configuration tried: the smallest, {string.Join(", ", Changes)}, still needs {numbers}";
    }
}
