using Athanor.Parallel;
using static TorchSharp.torch;

namespace Athanor.Training;

/// <summary>Two host numbers summed over every rank of a group (losses and token counts).</summary>
internal static class RankSums
{
    public static (double, double) Of(ICollective group, double a, double b)
    {
        if (group.WorldSize == 1) return (a, b);
        using var t = tensor(new[] { a, b });
        group.AllReduceSum(t);
        var v = t.data<double>().ToArray();
        return (v[0], v[1]);
    }
}
