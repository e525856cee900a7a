using Athanor.Checkpoints;
using Athanor.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Parallel.Sharding;

/// <summary>
/// AdamW for ZeRO-3 (torch's arithmetic, fp32 master and moments). Each rank owns, per unit, the same share of
/// the unit's trainable vector that it keeps of the parameters, so the update writes the new values straight
/// into its parameter shards; nothing is all-gathered after the step except the persistent units (embedding
/// and head). Gradients arrive already reduce-scattered: the layers' from their backward, the persistent
/// units' when <see cref="SyncAndClipGradientsDeferred"/> reduces them. On a GPU the update is the fused
/// kernel per parameter piece; on the CPU the same formulas as libtorch ops.
/// </summary>
public sealed class Zero3AdamW : IDataParallelOptimizer
{
    private readonly ParameterSharding _sharding;
    private readonly FlatLayout _layout;
    private readonly ICollective _group;
    private readonly double _beta1, _beta2, _eps, _weightDecay;
    private readonly Dictionary<ShardedUnit, long> _offsets = new();
    private readonly List<Piece> _pieces = [];
    private readonly Tensor _master, _expAvg, _expAvgSq, _gradShard;
    private readonly Tensor? _decayMask;
    private readonly bool _fused, _lowPrecision;
    private Tensor? _pendingNorm;
    private double _pendingMaxNorm;

    /// <summary>One trainable parameter's part inside this rank's share of its unit.</summary>
    private sealed record Piece(ShardedUnit Unit, UnitParameter Parameter, long From, long Length, long Local);

    /// <param name="layout">the model-order layout of the trainable parameters, made before sharding (checkpoints use it)</param>
    /// <param name="offload">keep master weights and moments in host memory and run the update on the CPU (DeepSpeed's offload_optimizer)</param>
    /// <param name="fusedKernels">the job's fused_kernels: the fused AdamW kernel on a GPU where it is built</param>
    public Zero3AdamW(ParameterSharding sharding, FlatLayout layout, double weightDecay, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        bool offload = false, bool fusedKernels = false)
    {
        _sharding = sharding;
        _layout = layout;
        _group = sharding.Group;
        _weightDecay = weightDecay;
        _beta1 = beta1;
        _beta2 = beta2;
        _eps = eps;
        long length = 0;
        foreach (var unit in sharding.Units)
        {
            _offsets[unit] = length;
            foreach (var p in unit.Trainable)
            {
                long from = Math.Max(p.Offset, unit.ShareStart), to = Math.Min(p.Offset + p.Length, unit.ShareStart + unit.TrainableShare);
                if (to > from) _pieces.Add(new Piece(unit, p, from, to - from, length + from - unit.ShareStart));
            }
            length += unit.TrainableShare;
        }
        if (length == 0 && layout.Length > 0) throw new InvalidOperationException("ZeRO-3: no trainable values landed on this rank");
        var first = sharding.Units.First(u => u.Trainable.Count > 0).LocalTrainable;
        var device = first.device;
        _lowPrecision = first.dtype != ScalarType.Float32;
        _fused = !offload && device.type == DeviceType.CUDA && fusedKernels && FusedOps.IsAvailable(device, out _);
        // Offloaded, the optimizer state sits in host memory; the gradient shard stays where the reduce-scatter writes it.
        var stateDevice = offload ? CPU : device;
        _master = zeros(length, device: stateDevice);
        _expAvg = zeros(length, device: stateDevice);
        _expAvgSq = zeros(length, device: stateDevice);
        _gradShard = zeros(length, device: device);
        using (no_grad())
            foreach (var unit in sharding.Units)
                using (var dst = _master.narrow(0, _offsets[unit], unit.TrainableShare))
                    dst.copy_(unit.LocalTrainable);
        if (!_fused)
        {
            _decayMask = zeros(length, device: stateDevice);
            foreach (var piece in _pieces.Where(p => p.Parameter.Decay))
                using (var part = _decayMask.narrow(0, piece.Local, piece.Length)) part.fill_(1.0);
        }
        sharding.GradientsReady = (unit, grads) =>
        {
            // This layer's reduce-scatter overlaps the backward of the layer before it; the previous one is added first,
            // so the shard's additions keep backward's order and only one layer's gradient buffer is in flight.
            var shard = _gradShard.narrow(0, _offsets[unit], unit.TrainableShare);
            FinishReductions();
            var reduction = unit.StartReducingGradients(_group, grads, shard);
            if (OverlapReduce) _inFlight = reduction;
            else reduction.Finish();
        };
    }

    /// <summary>
    /// Whether a layer's gradient reduce-scatter runs on the side stream while the next layer's backward computes (on
    /// by default; the job's zero3_overlap_reduce: false runs each in line, for comparison).
    /// </summary>
    public bool OverlapReduce { get; init; } = true;

    private GradientReduction? _inFlight;

    /// <summary>Completes the layer reduction still in flight: before the gradient shard is read (and before it is freed).</summary>
    private void FinishReductions()
    {
        var pending = _inFlight;
        _inFlight = null;
        pending?.Finish();
    }

    public int Stage => 3;
    public long StepCount { get; set; }
    public bool Fused => _fused;

    public Tensor SyncAndClipGradientsDeferred(double maxNorm)
    {
        using var _ = no_grad();
        FinishReductions();
        foreach (var unit in _sharding.Units.Where(u => u.Persistent && u.Trainable.Count > 0))
        {
            unit.ReduceGradients(_group, unit.Trainable.Select(p => p.Parameter.grad).ToList(), _gradShard.narrow(0, _offsets[unit], unit.TrainableShare));
        }
        Tensor sumSq;
        if (_fused)
        {
            sumSq = zeros(1, ScalarType.Float32, _gradShard.device);
            FusedOps.SumSquares(_gradShard, sumSq);
        }
        else
        {
            using var scope = NewDisposeScope();
            sumSq = _gradShard.pow(2).sum().to_type(ScalarType.Float32).reshape(1).MoveToOuterDisposeScope();
        }
        _group.AllReduceSum(sumSq);
        var norm = sumSq.sqrt_().to_type(ScalarType.Float64);
        sumSq.Dispose();
        if (_fused)
        {
            // The kernels take the clipping coefficient by value: Step reads the norm (one wait, after backward is queued).
            _pendingNorm?.Dispose();
            _pendingNorm = norm.alias();
            _pendingMaxNorm = maxNorm;
        }
        else AdamUpdate.ClipOnDevice(_gradShard, norm, maxNorm);
        return norm;
    }

    public void Step(double lr)
    {
        StepCount++;
        using var _ = no_grad();
        if (_fused) FusedStep(lr);
        else
        {
            // Offloaded: one copy of the (clipped) gradient shard to the host, the update there, the new values back.
            using (var grad = _gradShard.device == _master.device ? _gradShard.alias() : _gradShard.to(_master.device))
                AdamUpdate.Apply(_master, _expAvg, _expAvgSq, grad, _decayMask, lr, _weightDecay, _beta1, _beta2, _eps, StepCount);
            foreach (var unit in _sharding.Units)
                using (var src = _master.narrow(0, _offsets[unit], unit.TrainableShare))
                    unit.LocalTrainable.copy_(src);
        }
        foreach (var unit in _sharding.Units.Where(u => u.Persistent && u.Trainable.Count > 0))
            unit.RefreshPersistent(_group);
    }

    private void FusedStep(double lr)
    {
        double scale = _pendingNorm is null ? 1 : AdamUpdate.ClipScale(_pendingNorm.item<double>(), _pendingMaxNorm);
        _pendingNorm?.Dispose();
        _pendingNorm = null;
        foreach (var piece in _pieces)
        {
            using var grad = _gradShard.narrow(0, piece.Local, piece.Length);
            using var target = piece.Unit.LocalTrainable.narrow(0, piece.From - piece.Unit.ShareStart, piece.Length);
            var scalars = AdamWStepScalars.For(lr, _beta1, _beta2, _eps, piece.Parameter.Decay ? _weightDecay : 0, StepCount, scale);
            FusedAdamW.StepSlot(_master, _expAvg, _expAvgSq, piece.Local, grad, target, scalars);
        }
    }

    public void ZeroGrad()
    {
        _gradShard.zero_();
        foreach (var unit in _sharding.Units.Where(u => u.Persistent))
            foreach (var p in unit.Trainable) p.Parameter.grad?.zero_();
    }

    /// <summary>Nothing to do: the sharding took rank 0's values when it cut the shares.</summary>
    public void BroadcastParameters() { }

    // ---- checkpoints: per rank one file of its local vectors; per unit one segment of the logical vectors ----

    public void SaveState(string folder)
    {
        int world = _group.WorldSize;
        var tensors = new List<KeyValuePair<string, Tensor>> { new("exp_avg", _expAvg), new("exp_avg_sq", _expAvgSq) };
        if (_lowPrecision) tensors.Add(new("master", _master));
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["zero_stage"] = "3" };
        Checkpoints.Safetensors.SafetensorsWriter.Write(Path.Combine(folder, OptimizerState.PartFile(_group.Rank, world)), tensors, meta);
        if (_group.Rank != 0) return;
        var parts = Enumerable.Range(0, world).Select(rank =>
        {
            var segments = Segments(rank).ToList();
            return new OptimizerState.LayoutPart(OptimizerState.PartFile(rank, world), segments.Count > 0 ? segments[0].Start : 0,
                segments.Sum(s => s.Length), segments);
        }).ToList();
        OptimizerState.WriteLayout(folder, _layout, parts);
    }

    /// <summary>Where rank's share of each unit sits in the logical vectors and in its file (every rank's offsets are the same).</summary>
    private IEnumerable<OptimizerState.LayoutSegment> Segments(int rank)
    {
        foreach (var unit in _sharding.Units)
        {
            long start = rank * unit.TrainableShare;
            long length = Math.Min(unit.TrainableShare, unit.TrainableLength - start);
            if (length > 0) yield return new OptimizerState.LayoutSegment(unit.LogicalStart + start, length, _offsets[unit]);
        }
    }

    public void LoadState(string folder, long stepCount)
    {
        var reader = OptimizerState.Open(folder, _layout);
        bool withMaster = reader.Has("master");
        using var _ = no_grad();
        _expAvg.zero_();
        _expAvgSq.zero_();
        foreach (var segment in Segments(_group.Rank))
        {
            foreach (var (name, target) in new[] { ("exp_avg", _expAvg), ("exp_avg_sq", _expAvgSq) }.Concat(withMaster ? [("master", _master)] : []))
            {
                using var dst = target.narrow(0, segment.FileOffset, segment.Length);
                reader.ReadRangeInto(name, segment.Start, dst);
            }
        }
        StepCount = stepCount;
    }

    public void Dispose()
    {
        _sharding.GradientsReady = null;
        FinishReductions();
        foreach (var t in new[] { _master, _expAvg, _expAvgSq, _gradShard, _decayMask }) t?.Dispose();
        _pendingNorm?.Dispose();
    }
}
