using Athanor.Parallel;
using static TorchSharp.torch;

namespace Athanor.Preference;

/// <summary>
/// One step's preference metrics under TRL's names (rewards/chosen, rewards/rejected, rewards/accuracies,
/// rewards/margins, logps/chosen, logps/rejected, logits/chosen, logits/rejected, and sft_loss or kl where they
/// apply): sums and counts gathered over the step's micro-batches, summed over the ranks, then means, so every rank
/// count gives the same numbers.
/// </summary>
public sealed class PreferenceMetrics
{
    private readonly SortedDictionary<string, (double Sum, double Count)> _sums = new(StringComparer.Ordinal);

    /// <summary>Adds <paramref name="sum"/> over <paramref name="count"/> items (every rank must add the same names, even with count 0).</summary>
    public void Add(string name, double sum, double count)
    {
        var (s, c) = _sums.GetValueOrDefault(name);
        _sums[name] = (s + sum, c + count);
    }

    /// <summary>Adds every entry of a tensor (its sum, its length).</summary>
    public void Add(string name, Tensor values) => Add(name, values.to_type(ScalarType.Float64).sum().item<double>(), values.shape[0]);

    /// <summary>Drops what was added (a step stopped half-way).</summary>
    public void Clear() => _sums.Clear();

    /// <summary>The means over every rank, and a fresh start. A collective: every rank calls it after each step.</summary>
    public Dictionary<string, double> Take(ICollective group)
    {
        var names = _sums.Keys.ToList();
        var values = names.SelectMany(n => new[] { _sums[n].Sum, _sums[n].Count }).ToArray();
        _sums.Clear();
        if (group.WorldSize > 1 && values.Length > 0)
        {
            using var t = tensor(values);
            group.AllReduceSum(t);
            values = t.data<double>().ToArray();
        }
        var means = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int i = 0; i < names.Count; i++)
            if (values[2 * i + 1] > 0) means[names[i]] = values[2 * i] / values[2 * i + 1];
        return means;
    }
}
