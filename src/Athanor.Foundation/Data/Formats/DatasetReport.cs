using System.Text;

namespace Athanor.Data.Formats;

/// <summary>What happened to one dataset: records read (after max_samples), kept, and skipped by reason.
/// RecordsRead == Kept + Skipped always holds: nothing is dropped silently.</summary>
public sealed class DatasetReport
{
    private readonly Dictionary<BadRecordKind, long> _skipped = [];
    private readonly Dictionary<BadRecordKind, BadRecord> _firstSkipped = [];

    public DatasetReport(string name, string split)
    {
        Name = name;
        Split = split;
    }

    public string Name { get; }

    /// <summary>"train" (dataset) or "eval" (eval_dataset).</summary>
    public string Split { get; }

    public IReadOnlyList<string> Files { get; internal set; } = [];

    public long RecordsRead { get; private set; }

    public long Kept { get; private set; }

    public long Skipped => _skipped.Values.Sum();

    public IReadOnlyDictionary<BadRecordKind, long> SkippedByReason => _skipped;

    /// <summary>The first skipped record of each reason, to show the user where to look.</summary>
    public IReadOnlyDictionary<BadRecordKind, BadRecord> FirstSkipped => _firstSkipped;

    internal void AddKept()
    {
        RecordsRead++;
        Kept++;
    }

    internal void AddSkipped(BadRecord bad)
    {
        RecordsRead++;
        _skipped[bad.Kind] = _skipped.GetValueOrDefault(bad.Kind) + 1;
        _firstSkipped.TryAdd(bad.Kind, bad);
    }

    public override string ToString()
    {
        var text = new StringBuilder($"{Name} ({Split}): read {RecordsRead}, kept {Kept}, skipped {Skipped}");
        foreach (var (kind, count) in _skipped.OrderBy(p => p.Key))
            text.Append($"; {kind} {count} (first: {_firstSkipped[kind]})");
        return text.ToString();
    }
}

/// <summary>The loader's account of every dataset it read and the final split sizes.</summary>
public sealed record DatasetLoadReport(IReadOnlyList<DatasetReport> Datasets, int TrainCount, int ValidationCount)
{
    public long TotalSkipped => Datasets.Sum(d => d.Skipped);

    public override string ToString() =>
        string.Join(Environment.NewLine, Datasets.Select(d => d.ToString()).Append($"train {TrainCount}, validation {ValidationCount}"));
}
