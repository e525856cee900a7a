using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Athanor.Parallel.Sharding;

/// <summary>One parameter of a unit: its name, the live Parameter object and the shape it has when gathered.</summary>
public sealed record UnitParameter(string Name, Parameter Parameter, long[] Shape, long Offset, long Length, bool Decay);

/// <summary>
/// The parameters ZeRO-3 gathers and releases together: one decoder layer, or a persistent group (embedding;
/// final norm and LM head) that stays whole on every rank. Trainable and frozen parameters are two flat vectors,
/// each padded to a multiple of the world size and cut into equal shares; rank r keeps share r of each
/// (<see cref="LocalTrainable"/>, <see cref="LocalFrozen"/>) in the parameters' dtype. While released, a
/// non-persistent unit's parameters are empty tensors, so the layer holds no memory of its own.
/// </summary>
public sealed class ShardedUnit : IDisposable
{
    private readonly int _rank, _world;
    private readonly ScalarType _dtype;
    private readonly Device _device;
    private Tensor? _gatheredTrainable, _gatheredFrozen;
    private PendingCollective? _pendingTrainable, _pendingFrozen;
    private readonly List<(UnitParameter Parameter, bool Trainable)> _kept = [];
    private readonly HashSet<UnitParameter> _keptOwnStorage = [];

    internal ShardedUnit(string name, bool persistent, IReadOnlyList<UnitParameter> trainable, IReadOnlyList<UnitParameter> frozen,
        long logicalStart, int rank, int world, ScalarType dtype, Device device)
    {
        _dtype = dtype;
        _device = device;
        Name = name;
        Persistent = persistent;
        Trainable = trainable;
        Frozen = frozen;
        LogicalStart = logicalStart;
        _rank = rank;
        _world = world;
        TrainableLength = trainable.Sum(p => p.Length);
        FrozenLength = frozen.Sum(p => p.Length);
        TrainableShare = (TrainableLength + world - 1) / world;
        FrozenShare = persistent ? 0 : (FrozenLength + world - 1) / world;
    }

    public string Name { get; }
    /// <summary>Whole on every rank all the time (only its optimizer state is sharded, as at stage 2).</summary>
    public bool Persistent { get; }
    public IReadOnlyList<UnitParameter> Trainable { get; }
    public IReadOnlyList<UnitParameter> Frozen { get; }
    /// <summary>Where the unit's trainable parameters start in the model-order flat vector (<see cref="FlatLayout"/>).</summary>
    public long LogicalStart { get; }
    public long TrainableLength { get; }
    public long FrozenLength { get; }
    public long TrainableShare { get; }
    public long FrozenShare { get; }
    /// <summary>This rank's share of the trainable vector starts here within it.</summary>
    public long ShareStart => _rank * TrainableShare;
    public Tensor LocalTrainable { get; private set; } = null!;
    public Tensor? LocalFrozen { get; private set; }
    public bool Gathered => _gatheredTrainable is not null || _gatheredFrozen is not null;

    /// <summary>
    /// Parameters that stay materialized while the unit is released, in storage of their own: the small ones (norms,
    /// biases, adapters) of a layer that keeps its activations, which autograd holds from forward to backward. Releasing
    /// or re-pointing them would change what autograd saved; they are refreshed from the shares at each gather that asks.
    /// </summary>
    internal void KeepWhileReleased(IEnumerable<UnitParameter> parameters)
    {
        foreach (var p in parameters) _kept.Add((p, Trainable.Contains(p)));
    }

    /// <summary>
    /// Keeps this rank's shares and (unless persistent) releases the parameters. Without fill, every rank's values
    /// become rank 0's; with it, each parameter's place is filled by it (the same values on every rank).
    /// </summary>
    internal void Shard(ICollective group, Action<UnitParameter, Tensor>? fill = null)
    {
        using var _ = no_grad();
        bool broadcast = _world > 1 && fill is null;
        using (var flat = Flatten(Trainable, TrainableShare, fill))
        {
            if (broadcast) group.Broadcast(flat, root: 0);
            // The view is disposed at once: left to the GC it would keep the whole unit's flat vector alive on the GPU.
            using (var mine = flat.narrow(0, ShareStart, TrainableShare)) LocalTrainable = mine.clone();
            if (Persistent && _world > 1) Scatter(Trainable, flat);
        }
        if (Persistent) return;
        using (var flat = Flatten(Frozen, FrozenShare, fill))
        {
            if (broadcast) group.Broadcast(flat, root: 0);
            using (var mine = flat.narrow(0, _rank * FrozenShare, FrozenShare)) LocalFrozen = mine.clone();
        }
        Release();
    }

    /// <summary>
    /// All-gathers the unit's parameters into fresh buffers and points the parameters at them (non-persistent units).
    /// A unit whose gather was started ahead (<see cref="StartGather"/>) only has the caller's stream wait for it.
    /// </summary>
    /// <param name="refreshKept">copy the gathered values into the kept parameters (<see cref="KeepWhileReleased"/>); off in a
    /// backward that uses what forward saved, where they must not change</param>
    public void Gather(ICollective group, bool trainableOnly = false, bool refreshKept = true)
    {
        if (Persistent) return;
        using var _ = no_grad();
        if (Gathered) WaitForGather();
        else
        {
            _gatheredTrainable = AllGather(group, LocalTrainable, TrainableShare);
            Point(Trainable, _gatheredTrainable);
            if (!trainableOnly)
            {
                _gatheredFrozen = AllGather(group, LocalFrozen!, FrozenShare);
                Point(Frozen, _gatheredFrozen);
            }
        }
        if (refreshKept) RefreshKept();
    }

    private void RefreshKept()
    {
        foreach (var (p, trainable) in _kept)
        {
            var flat = trainable ? _gatheredTrainable : _gatheredFrozen;
            if (flat is null) continue;
            using var piece = flat.narrow(0, p.Offset, p.Length);
            using var shaped = piece.view(p.Shape);
            if (_keptOwnStorage.Add(p))
                using (var own = shaped.clone()) p.Parameter.set_(own);
            else p.Parameter.copy_(shaped);
        }
    }

    /// <summary>
    /// Starts gathering the whole unit so that it overlaps the work queued next (the layer before it in backward, the
    /// one after it in forward); the parameters point at the buffers at once, and <see cref="Gather"/> or
    /// <see cref="Release"/> waits for them. Every rank must start the same gathers in the same order.
    /// </summary>
    public void StartGather(ICollective group)
    {
        if (Persistent || Gathered) return;
        using var _ = no_grad();
        _gatheredTrainable = empty(TrainableShare * _world, _dtype, _device);
        _pendingTrainable = _world == 1 ? Copy(LocalTrainable, _gatheredTrainable) : group.StartAllGather(LocalTrainable, _gatheredTrainable);
        Point(Trainable, _gatheredTrainable);
        _gatheredFrozen = empty(FrozenShare * _world, _dtype, _device);
        _pendingFrozen = _world == 1 ? Copy(LocalFrozen!, _gatheredFrozen) : group.StartAllGather(LocalFrozen!, _gatheredFrozen);
        Point(Frozen, _gatheredFrozen);
    }

    private static PendingCollective Copy(Tensor from, Tensor to)
    {
        to.copy_(from);
        return PendingCollective.Done;
    }

    /// <summary>Makes the caller's stream wait for a gather started ahead (nothing if there is none).</summary>
    private void WaitForGather()
    {
        _pendingTrainable?.Wait();
        _pendingFrozen?.Wait();
        _pendingTrainable = _pendingFrozen = null;
    }

    /// <summary>Drops the gathered parameters: they become empty tensors until the next gather.</summary>
    public void Release()
    {
        if (Persistent) return;
        WaitForGather(); // the side stream must be done writing before the buffers go back to the allocator
        using var _ = no_grad();
        foreach (var p in Trainable.Concat(Frozen).Where(p => !_keptOwnStorage.Contains(p)))
            using (var empty = torch.empty(0, _dtype, _device)) p.Parameter.set_(empty);
        _gatheredTrainable?.Dispose();
        _gatheredFrozen?.Dispose();
        _gatheredTrainable = _gatheredFrozen = null;
    }

    /// <summary>After the optimizer wrote this rank's share: a persistent unit all-gathers and copies into its parameters.</summary>
    internal void RefreshPersistent(ICollective group)
    {
        if (!Persistent) return;
        using var _ = no_grad();
        using var full = AllGather(group, LocalTrainable, TrainableShare);
        Scatter(Trainable, full);
    }

    /// <summary>
    /// Starts reducing one micro-batch's gradients of the trainable parameters (null: zero); the returned reduction,
    /// once finished, has added this rank's share into shard (a view it then disposes). On GPUs the reduce-scatter runs on the side stream, so
    /// it overlaps whatever is queued before <see cref="GradientReduction.Finish"/>.
    /// </summary>
    internal GradientReduction StartReducingGradients(ICollective group, IReadOnlyList<Tensor?> grads, Tensor shard)
    {
        using var _ = no_grad();
        var flat = zeros(TrainableShare * _world, ScalarType.Float32, shard.device);
        for (int i = 0; i < Trainable.Count; i++)
            if (grads[i] is Tensor g)
                using (var dst = flat.narrow(0, Trainable[i].Offset, Trainable[i].Length))
                using (var src = g.reshape(-1))
                    dst.copy_(src);
        if (_world == 1) return new GradientReduction(PendingCollective.Done, flat, flat, shard);
        var mine = zeros(TrainableShare, ScalarType.Float32, shard.device);
        return new GradientReduction(group.StartReduceScatterSum(flat, mine), flat, mine, shard);
    }

    /// <summary>Reduces one micro-batch's gradients and adds this rank's share into shard (a view it disposes), in stream order.</summary>
    internal void ReduceGradients(ICollective group, IReadOnlyList<Tensor?> grads, Tensor shard) =>
        StartReducingGradients(group, grads, shard).Finish();

    private Tensor AllGather(ICollective group, Tensor local, long share)
    {
        var full = empty(share * _world, local.dtype, local.device);
        if (_world == 1) full.copy_(local);
        else group.AllGather(local, full);
        return full;
    }

    /// <summary>The parameters laid end to end, padded to share x world (on the first parameter's device and dtype).</summary>
    private Tensor Flatten(IReadOnlyList<UnitParameter> parameters, long share, Action<UnitParameter, Tensor>? fill)
    {
        var flat = zeros(share * _world, _dtype, _device);
        long mineFrom = _rank * share, mineTo = mineFrom + share;
        foreach (var p in parameters)
        {
            // Filled values outside this rank's share are dropped anyway: a 65B model's ranks each read or draw only
            // the parameters their shares touch.
            if (fill is not null && (p.Offset + p.Length <= mineFrom || p.Offset >= mineTo)) continue;
            using var dst = flat.narrow(0, p.Offset, p.Length);
            if (fill is not null)
                using (var shaped = dst.view(p.Shape)) fill(p, shaped);
            else
                using (var src = p.Parameter.detach().reshape(-1)) dst.copy_(src);
        }
        return flat;
    }

    /// <summary>Points the parameters at their places in a gathered vector (not the kept ones, which have storage of their own).</summary>
    private void Point(IReadOnlyList<UnitParameter> parameters, Tensor flat)
    {
        foreach (var p in parameters.Where(p => !_keptOwnStorage.Contains(p)))
            using (var piece = flat.narrow(0, p.Offset, p.Length))
            using (var shaped = piece.view(p.Shape))
                p.Parameter.set_(shaped);
    }

    private static void Scatter(IReadOnlyList<UnitParameter> parameters, Tensor flat)
    {
        foreach (var p in parameters)
            using (var piece = flat.narrow(0, p.Offset, p.Length))
            using (var target = p.Parameter.detach().view(-1))
                target.copy_(piece);
    }

    public void Dispose()
    {
        Release();
        LocalTrainable?.Dispose();
        LocalFrozen?.Dispose();
    }
}
