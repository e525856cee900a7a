using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace Athanor.Parallel;

/// <summary>
/// Gradient reduction while backward still runs (stages 0-2 over several ranks). The flat gradient vector is cut
/// into buckets (<see cref="GradientBuckets"/>). During the last micro-batch of a step, the trainer reports each
/// decoder layer whose backward is over (<see cref="LayerGradientsFinal"/>); a bucket whose every parameter is final
/// is copied into the flat vector and its collective started at once (on GPUs on a side stream, so it overlaps the
/// backward of the layers below). What is left (embeddings, norms, the head, padding) goes when the step syncs.
/// </summary>
public sealed partial class ZeroAdamW
{
    private static readonly Regex LayerIndex = new(@"(?:^|\.)layers\.(\d+)\.", RegexOptions.Compiled);

    private readonly IReadOnlyList<GradientBucket>? _buckets;
    private readonly int[][] _bucketsOfSlot = [], _slotsOfBucket = [];
    private readonly int[] _slotsPerBucket = [];
    private readonly Dictionary<int, int[]> _slotsOfLayer = [];
    private int[] _missing = [];
    private bool[] _final = [], _launched = [];
    private readonly List<PendingCollective> _inFlight = [];
    private bool _armed, _flushing;

    /// <summary>Buckets started by <see cref="LayerGradientsFinal"/> since the last <see cref="ArmForLastMicroBatch"/>, i.e. during backward.</summary>
    public int BucketsStartedInBackward { get; private set; }

    /// <summary>Whether gradients are reduced bucket by bucket during backward (else all at once when the step syncs).</summary>
    public bool ReducesDuringBackward => _buckets is not null;

    /// <summary>The buckets, in flat order (for tests and logs).</summary>
    public IReadOnlyList<GradientBucket> Buckets => _buckets ?? [];

    private (IReadOnlyList<GradientBucket>?, int[][], int[][], int[], Dictionary<int, int[]>) PlanOverlap(long? bucketElements)
    {
        if (bucketElements is not long max || _group.WorldSize == 1) return (null, [], [], [], []);
        var buckets = GradientBuckets.Plan(_layout, _group.WorldSize, _stage, max);
        var bucketsOfSlot = new int[_layout.Slots.Count][];
        var slotsOfBucket = buckets.Select(_ => new List<int>()).ToArray();
        var layers = new Dictionary<int, List<int>>();
        for (int s = 0; s < _layout.Slots.Count; s++)
        {
            var slot = _layout.Slots[s];
            var overlapping = new List<int>();
            for (int b = 0; b < buckets.Count; b++)
                if (buckets[b].From < slot.Offset + slot.Length && slot.Offset < buckets[b].From + buckets[b].Length)
                {
                    overlapping.Add(b);
                    slotsOfBucket[b].Add(s);
                }
            bucketsOfSlot[s] = [.. overlapping];
            var match = LayerIndex.Match(slot.Name);
            if (match.Success)
            {
                int layer = int.Parse(match.Groups[1].Value);
                if (!layers.TryGetValue(layer, out var list)) layers[layer] = list = [];
                list.Add(s);
            }
        }
        return (buckets, bucketsOfSlot, slotsOfBucket.Select(l => l.ToArray()).ToArray(), slotsOfBucket.Select(l => l.Count).ToArray(),
            layers.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray()));
    }

    /// <summary>Call before the backward of a step's last micro-batch: from then on, finished layers start their buckets.</summary>
    public void ArmForLastMicroBatch()
    {
        if (_buckets is null) return;
        ResetBuckets();
        _armed = true;
    }

    /// <summary>Layer <paramref name="layer"/>'s backward is over: its parameters' gradients are final if this is the last micro-batch.</summary>
    public void LayerGradientsFinal(int layer)
    {
        if (!_armed || !_slotsOfLayer.TryGetValue(layer, out var slots)) return;
        using var _ = no_grad();
        foreach (int s in slots) MarkFinal(s);
    }

    private void MarkFinal(int slot)
    {
        if (_final[slot]) return;
        _final[slot] = true;
        foreach (int b in _bucketsOfSlot[slot])
            if (--_missing[b] == 0) Launch(b);
    }

    /// <summary>Copies the bucket's gradients into the flat vector and starts its collective.</summary>
    private void Launch(int b)
    {
        var bucket = _buckets![b];
        long end = bucket.From + bucket.Length;
        foreach (int s in _slotsOfBucket[b])
        {
            var slot = _layout.Slots[s];
            long from = Math.Max(slot.Offset, bucket.From), to = Math.Min(slot.Offset + slot.Length, end);
            using var dst = _flatGrad!.narrow(0, from, to - from);
            if (slot.Parameter.grad is Tensor g)
                using (var flat = g.reshape(-1))
                using (var part = flat.narrow(0, from - slot.Offset, to - from))
                    dst.copy_(part);
            else dst.zero_();
        }
        using var view = _flatGrad!.narrow(0, bucket.From, bucket.Length);
        _inFlight.Add(bucket.Owner < 0 ? _group.StartAllReduceSum(view) : _group.StartReduceSum(view, bucket.Owner));
        _launched[b] = true;
        if (!_flushing) BucketsStartedInBackward++;
    }

    /// <summary>
    /// Reduces whatever backward has not started (every rank launches in the same order: layers as backward ends them,
    /// then the rest in flat order) and waits for every bucket.
    /// </summary>
    private void FlushBuckets()
    {
        if (!_armed) ResetBuckets(); // a step whose last backward was not armed: everything goes now
        _flushing = true;
        try
        {
            for (int s = 0; s < _layout.Slots.Count; s++) MarkFinal(s);
            for (int b = 0; b < _buckets!.Count; b++)
                if (!_launched[b]) Launch(b);
            foreach (var pending in _inFlight) pending.Wait();
            _inFlight.Clear();
        }
        finally
        {
            _flushing = false;
            _armed = false;
        }
    }

    private void ResetBuckets()
    {
        foreach (var pending in _inFlight) pending.Wait();
        _inFlight.Clear();
        _missing = [.. _slotsPerBucket];
        _final = new bool[_layout.Slots.Count];
        _launched = new bool[_buckets!.Count];
        BucketsStartedInBackward = 0;
    }

    /// <summary>Gathers the gradients into the fp32 flat vector (padding stays zero) and sums them across ranks.</summary>
    private void ReduceGradients()
    {
        if (_buckets is not null)
        {
            FlushBuckets();
            return;
        }
        foreach (var s in _layout.Slots)
        {
            using var dst = _flatGrad!.narrow(0, s.Offset, s.Length);
            if (s.Parameter.grad is Tensor g) using (var flat = g.reshape(-1)) dst.copy_(flat);
            else dst.zero_();
        }
        if (_stage == 2) _group.ReduceScatterSum(_flatGrad!, _gradShard!);
        else _group.AllReduceSum(_flatGrad!);
    }
}
