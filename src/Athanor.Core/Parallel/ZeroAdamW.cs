using Athanor.Checkpoints;
using Athanor.Checkpoints.Safetensors;
using static TorchSharp.torch;

namespace Athanor.Parallel;

/// <summary>
/// AdamW over the flat trainable-parameter vector, data-parallel with ZeRO stage 0, 1 or 2 (torch's
/// AdamW arithmetic, fp32 state; no decay on vectors). Stage 0 all-reduces gradients and every rank
/// updates everything; stage 1 all-reduces gradients but each rank keeps Adam state for and updates only
/// its shard, then the shards are all-gathered; stage 2 reduce-scatters gradients straight into the shard.
/// With one rank all three are plain AdamW.
/// </summary>
public sealed partial class ZeroAdamW : IDataParallelOptimizer
{
    private readonly FlatLayout _layout;
    private readonly ICollective _group;
    private readonly int _stage;
    private readonly double _beta1, _beta2, _eps, _weightDecay;
    private readonly long _start, _count;
    // Parameters in bf16: the fp32 master copy is the truth and goes into checkpoints.
    private readonly bool _lowPrecision;
    private readonly Tensor _master, _expAvg, _expAvgSq;
    // The flat vectors. Unfused: fp32 parameters, gradients and decay mask. Fused with one rank: none (the kernels
    // read and write the model's own tensors); with several: fp32 gradients to reduce and, at stages 1-2,
    // parameters in their own dtype for the all-gather.
    private readonly Tensor? _decayMask, _flatGrad, _flatParams, _gradShard;

    /// <param name="bucketElements">reduce gradients in buckets of at most this many elements while backward runs
    /// (<see cref="ArmForLastMicroBatch"/>, <see cref="LayerGradientsFinal"/>); null: all at once when the step syncs</param>
    /// <param name="fusedKernels">the job's fused_kernels: on a GPU where they are built, the fused AdamW and norm kernels
    /// (and, over several ranks, a parameter all-gather in the parameters' own dtype); false: the unfused fp32 path</param>
    public ZeroAdamW(FlatLayout layout, ICollective group, int stage, double weightDecay, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        long? bucketElements = null, bool fusedKernels = false)
    {
        if (stage is < 0 or > 2) throw new ArgumentException($"ZeroAdamW handles ZeRO stages 0-2, not {stage}");
        _layout = layout;
        _group = group;
        _stage = stage;
        _weightDecay = weightDecay;
        _beta1 = beta1;
        _beta2 = beta2;
        _eps = eps;
        int w = group.WorldSize;
        long padded = layout.PaddedLength(w);
        // State lives where the parameters live (a GPU in GPU runs): fp32 master, moments and flat buffers.
        var device = layout.Slots.Count > 0 ? layout.Slots[0].Parameter.device : CPU;
        (_start, _count) = stage == 0 ? (0, padded) : layout.Shard(group.Rank, w);
        _lowPrecision = layout.Slots.Any(s => s.Parameter.dtype != ScalarType.Float32);
        (_buckets, _bucketsOfSlot, _slotsOfBucket, _slotsPerBucket, _slotsOfLayer) = PlanOverlap(bucketElements);
        // Bucketed stage 2 reduces each shard onto its owner in place, so the shard is a view of the flat vector.
        bool separateShard = stage == 2 && _buckets is null;

        _fused = fusedKernels && UseFusedKernels(layout, device);
        _expAvg = zeros(_count, device: device);
        _expAvgSq = zeros(_count, device: device);
        if (_fused)
        {
            _master = zeros(_count, device: device);
            CopyShardOfParameters(_master);
            if (w > 1)
            {
                _flatGrad = zeros(padded, device: device);
                _gradShard = separateShard ? zeros(_count, device: device) : _flatGrad.narrow(0, _start, _count);
                if (stage != 0) _flatParams = zeros(padded, layout.Slots[0].Parameter.dtype, device);
            }
            return;
        }
        _flatParams = zeros(padded, device: device);
        CopyParametersInto(_flatParams);
        using (var mine = _flatParams.narrow(0, _start, _count)) _master = mine.clone();
        using var mask = zeros(padded, device: device);
        foreach (var s in layout.Slots.Where(s => s.Decay))
            using (var part = mask.narrow(0, s.Offset, s.Length)) part.fill_(1.0);
        using (var mine = mask.narrow(0, _start, _count)) _decayMask = mine.clone(); // an undisposed view would keep the whole mask alive
        _flatGrad = zeros(padded, device: device);
        _gradShard = separateShard ? zeros(_count, device: device) : _flatGrad.narrow(0, _start, _count);
    }

    /// <summary>Copies this rank's shard [start, start + count) of the flat parameter vector into buffer, as fp32.</summary>
    private void CopyShardOfParameters(Tensor buffer)
    {
        using var _ = no_grad();
        foreach (var (slot, from, length) in ShardPieces())
            using (var flat = slot.Parameter.detach().view(-1))
            using (var src = flat.narrow(0, from - slot.Offset, length))
            using (var dst = buffer.narrow(0, from - _start, length))
                dst.copy_(src);
    }

    /// <summary>Each slot's part inside this rank's shard: (slot, first flat index, length), in layout order.</summary>
    private IEnumerable<(FlatSlot Slot, long From, long Length)> ShardPieces()
    {
        long end = _start + _count;
        foreach (var s in _layout.Slots)
        {
            long from = Math.Max(s.Offset, _start), to = Math.Min(s.Offset + s.Length, end);
            if (to > from) yield return (s, from, to - from);
        }
    }

    private void CopyParametersInto(Tensor flat)
    {
        using var _ = no_grad();
        foreach (var s in _layout.Slots)
            using (var dst = flat.narrow(0, s.Offset, s.Length))
            using (var detached = s.Parameter.detach())
            using (var flatParam = detached.reshape(-1))
                dst.copy_(flatParam); // copy_ converts to fp32 without a temporary
    }

    /// <summary>Optimizer steps taken (the bias-correction clock).</summary>
    public long StepCount { get; set; }

    public int Stage => _stage;

    /// <summary>
    /// Synchronizes this step's gradients across ranks, clips them to maxNorm by global L2 norm (if &gt; 0)
    /// and returns the norm before clipping.
    /// </summary>
    public double SyncAndClipGradients(double maxNorm)
    {
        using var norm = SyncAndClipGradientsDeferred(maxNorm);
        return norm.item<double>();
    }

    /// <summary>
    /// <see cref="SyncAndClipGradients"/> without waiting for the GPU: the norm comes back as a device scalar
    /// and the clipping coefficient is applied on the device (as torch's clip_grad_norm_ does), so the host
    /// can queue the optimizer step right away. Read the norm after <see cref="Step"/>.
    /// </summary>
    public Tensor SyncAndClipGradientsDeferred(double maxNorm)
    {
        if (_fused) return FusedGradientNorm(maxNorm);
        using var _ = no_grad();
        ReduceGradients();

        Tensor sumSq;
        using (var squares = _gradShard!.pow(2))
        using (var sum = squares.sum())
        using (var wide = sum.to_type(ScalarType.Float64))
            sumSq = wide.reshape(1);
        if (_stage != 0) _group.AllReduceSum(sumSq);
        var norm = sumSq.sqrt_();
        AdamUpdate.ClipOnDevice(_gradShard, norm, maxNorm);
        return norm;
    }

    /// <summary>Updates this rank's shard with AdamW and brings every rank's parameters up to date.</summary>
    public void Step(double lr)
    {
        StepCount++;
        if (_fused)
        {
            FusedStep(lr);
            return;
        }
        using var _ = no_grad();
        AdamUpdate.Apply(_master, _expAvg, _expAvgSq, _gradShard!, _decayMask, lr, _weightDecay, _beta1, _beta2, _eps, StepCount);
        if (_stage == 0) _flatParams!.copy_(_master);
        else _group.AllGather(_master, _flatParams!);
        WriteBackParameters();
    }

    private void WriteBackParameters()
    {
        foreach (var s in _layout.Slots)
            using (var src = _flatParams!.narrow(0, s.Offset, s.Length))
            using (var shaped = src.view(s.Parameter.shape))
                s.Parameter.copy_(shaped);
    }

    public void ZeroGrad()
    {
        foreach (var s in _layout.Slots) s.Parameter.grad?.zero_();
    }

    /// <summary>Makes every rank's parameters equal to rank 0's (start of a data-parallel run).</summary>
    public void BroadcastParameters()
    {
        if (_group.WorldSize == 1) return; // one rank: its parameters are everyone's
        using var _ = no_grad();
        if (_fused)
        {
            foreach (var s in _layout.Slots) _group.Broadcast(s.Parameter, root: 0);
            CopyShardOfParameters(_master);
            return;
        }
        _group.Broadcast(_flatParams!, root: 0);
        _master.copy_(_flatParams!.narrow(0, _start, _count));
        WriteBackParameters();
    }

    /// <summary>Reloads the flat copy from the parameters (after they were loaded from a checkpoint).</summary>
    public void RefreshFromParameters()
    {
        if (_fused)
        {
            CopyShardOfParameters(_master);
            return;
        }
        CopyParametersInto(_flatParams!);
        using var _ = no_grad();
        _master.copy_(_flatParams!.narrow(0, _start, _count));
    }

    // ---- checkpoints: the logical flat state, in slices, readable at any world size and stage ----

    /// <summary>This rank's part of the state as (real start, length, exp_avg, exp_avg_sq) views, or null when another rank writes it.</summary>
    public OptimizerSlice? Slice()
    {
        if (_stage == 0 && _group.Rank != 0) return null;
        long end = Math.Min(_start + _count, _layout.Length);
        long length = Math.Max(0, end - _start);
        return new OptimizerSlice(_start, length, _expAvg.narrow(0, 0, length), _expAvgSq.narrow(0, 0, length),
            _lowPrecision ? _master.narrow(0, 0, length) : null);
    }

    /// <summary>
    /// Fills this rank's state from a reader of the logical flat vectors. With withMaster, the saved fp32
    /// master weights replace the ones taken from the (bf16) parameters.
    /// </summary>
    /// <param name="readInto">writes the named logical vector's values from a start index into a tensor of this rank's slice</param>
    public void LoadState(Action<string, long, Tensor> readInto, long stepCount, bool withMaster = false)
    {
        long end = Math.Min(_start + _count, _layout.Length);
        long length = Math.Max(0, end - _start);
        using var _ = no_grad();
        _expAvg.zero_();
        _expAvgSq.zero_();
        if (length > 0)
        {
            using (var dst = _expAvg.narrow(0, 0, length)) readInto("exp_avg", _start, dst);
            using (var dst = _expAvgSq.narrow(0, 0, length)) readInto("exp_avg_sq", _start, dst);
            if (withMaster)
                using (var dst = _master.narrow(0, 0, length)) readInto("master", _start, dst);
        }
        StepCount = stepCount;
    }

    public void SaveState(string folder)
    {
        int parts = _stage == 0 ? 1 : _group.WorldSize;
        if (Slice() is { } slice) OptimizerState.WriteSlice(folder, slice, _stage == 0 ? 0 : _group.Rank, parts);
        if (_group.Rank != 0) return;
        var ranges = Enumerable.Range(0, parts).Select(r =>
        {
            var (start, count) = parts == 1 ? (0L, _layout.Length) : _layout.Shard(r, parts);
            return (start, Math.Max(0, Math.Min(start + count, _layout.Length) - start));
        }).ToList();
        OptimizerState.WriteLayout(folder, _layout, ranges);
    }

    public void LoadState(string folder, long stepCount)
    {
        RefreshFromParameters();
        var reader = OptimizerState.Open(folder, _layout);
        LoadState(reader.ReadRangeInto, stepCount, withMaster: reader.Has("master"));
    }

    public void Dispose()
    {
        foreach (var t in new[] { _master, _expAvg, _expAvgSq, _decayMask, _flatGrad, _flatParams, _gradShard }) t?.Dispose();
        _pendingNorm?.Dispose();
    }
}

/// <summary>A contiguous part [Start, Start + Length) of the logical optimizer state vectors; Master only for bf16 parameters.</summary>
public sealed record OptimizerSlice(long Start, long Length, Tensor ExpAvg, Tensor ExpAvgSq, Tensor? Master = null);
