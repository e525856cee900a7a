using Athanor.Lora;
using Athanor.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Athanor.Parallel.Sharding;

/// <summary>
/// ZeRO-3 applied to a model from outside: the embedding and the head (final norm, LM head) stay whole on every
/// rank; every decoder layer is a <see cref="ShardedUnit"/> whose parameters exist only while it runs. The
/// decoder's layer runner is replaced so a layer is gathered before it computes and released after. In training a
/// layer either keeps its activations and is gathered again for backward (<see cref="KeptActivations"/>, FSDP's way)
/// or, with activation checkpointing, goes through <see cref="Zero3Layer"/>, which recomputes it in backward; either
/// way its gradients are reduce-scattered as soon as they exist. The model code itself stays single-device.
/// </summary>
public sealed class ParameterSharding : IDisposable
{
    private readonly CausalLM _model;
    private readonly ICollective _group;

    /// <summary>Shards a model that exists whole on this rank (every rank ends with rank 0's values).</summary>
    /// <param name="takesDecay">which trainable parameters get weight decay (as the optimizer's flat layout decides)</param>
    /// <param name="recomputeEvery">which layers recompute in backward instead of keeping their activations, as activation
    /// checkpointing counts them: 1 every layer, k every k-th, 0 none</param>
    public ParameterSharding(CausalLM model, ICollective group, Func<string, Parameter, bool> takesDecay, int recomputeEvery = 1)
        : this(model, group, Describe(model, takesDecay), CommonDtype(model), model.parameters().First().device, fill: null, recomputeEvery)
    {
    }

    /// <summary>
    /// Materializes a model built on the meta device (<see cref="ModelConstruction.BuildOnMeta"/>) straight into its
    /// shards on device: one decoder layer at a time is filled whole from the source, cut, and dropped; the embedding
    /// and head are filled whole. Parameters that are not on the meta device (LoRA adapters made after the build) keep
    /// their values. No rank ever holds the whole model, and no values travel between ranks (the source gives every
    /// rank the same ones).
    /// </summary>
    public static ParameterSharding Materialize(CausalLM model, ICollective group, Func<string, Parameter, bool> takesDecay,
        IParameterSource source, Device device, ScalarType dtype, int recomputeEvery = 1, bool prefetch = true)
    {
        var described = Describe(model, takesDecay);
        var originals = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        // Real parameters (LoRA adapters made after the build) are copied now: TorchSharp's own modules dispose a
        // parameter when it is replaced, before its unit is filled.
        var kept = originals.Where(o => !o.Value.is_meta).ToDictionary(o => o.Key, o => o.Value.detach().clone());
        void Fill(string name, Tensor target)
        {
            if (kept.TryGetValue(name, out var value)) using (no_grad()) target.copy_(value);
            else source.Fill(name, target);
        }
        using (no_grad())
            foreach (var d in described)
            {
                // Layers start released (empty on the device); the embedding and head are filled whole now.
                var value = d.Persistent ? empty(d.Shape, dtype, device) : empty(0, dtype, device);
                if (d.Persistent) Fill(d.Name, value);
                ParameterReplacement.Replace(model, d.Name, new Parameter(value, d.Trainable));
            }
        try { return new ParameterSharding(model, group, described, dtype, device, (p, target) => Fill(p.Name, target), recomputeEvery) { Prefetch = prefetch }; }
        finally
        {
            foreach (var original in originals.Values) original.Dispose();
            foreach (var value in kept.Values) value.Dispose();
        }
    }

    /// <summary>What the sharding needs to know of each parameter, read before anything is replaced or released.</summary>
    private sealed record Described(string Name, long[] Shape, bool Trainable, bool Decay, string Unit, bool Persistent);

    private static List<Described> Describe(CausalLM model, Func<string, Parameter, bool> takesDecay) =>
        model.named_parameters().Select(p =>
        {
            string unit = UnitOf(p.name);
            return new Described(p.name, p.parameter.shape, p.parameter.requires_grad, p.parameter.requires_grad && takesDecay(p.name, p.parameter),
                unit, !unit.StartsWith("layer ", StringComparison.Ordinal));
        }).ToList();

    private static string UnitOf(string name)
    {
        if (name.StartsWith("model.layers.", StringComparison.Ordinal)) return "layer " + name.Split('.')[2];
        return name.StartsWith("model.embed_tokens.", StringComparison.Ordinal) ? "embedding" : "head";
    }

    private static ScalarType CommonDtype(CausalLM model)
    {
        var dtypes = model.parameters().Select(p => p.dtype).Distinct().ToList();
        if (dtypes.Count != 1)
            throw new ArgumentException($"ZeRO-3 shards parameters of one dtype; this model has {string.Join(", ", dtypes)}");
        return dtypes[0];
    }

    /// <param name="fill">fills a layer parameter's place in its unit's flat vector; null: copy the parameter's own values and broadcast rank 0's</param>
    private ParameterSharding(CausalLM model, ICollective group, List<Described> described, ScalarType dtype, Device device,
        Action<UnitParameter, Tensor>? fill, int recomputeEvery)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(recomputeEvery);
        _model = model;
        _group = group;
        RecomputeEvery = recomputeEvery;
        int layers = model.Config.NumLayers;
        var live = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var units = new List<ShardedUnit>();
        long logical = 0;
        var seen = new HashSet<string>();
        foreach (var members in described.GroupBy(d => d.Unit))
        {
            // Units must be contiguous in model order: checkpoints map each share to one range of the flat vector.
            if (!seen.Add(members.Key)) throw new InvalidOperationException($"ZeRO-3: the parameters of {members.Key} are not contiguous in model order");
            var trainable = Place(members.Where(d => d.Trainable), live);
            var frozen = Place(members.Where(d => !d.Trainable), live);
            bool persistent = members.First().Persistent;
            units.Add(new ShardedUnit(members.Key, persistent, trainable, frozen, logical, group.Rank, group.WorldSize, dtype, device));
            logical += trainable.Sum(p => p.Length);
        }
        // GroupBy keeps first-appearance order, which is model order.
        if (units.Count(u => !u.Persistent) != layers)
            throw new InvalidOperationException($"ZeRO-3 expected {layers} decoder-layer units, found {units.Count(u => !u.Persistent)}");
        Units = units;
        foreach (var unit in units) unit.Shard(group, unit.Persistent ? null : fill);
        _layerUnits = units.Where(u => !u.Persistent).ToArray();
        _kept = new KeptActivations(this, model, _layerUnits);
        Install();
    }

    private readonly ShardedUnit[] _layerUnits;
    private readonly KeptActivations _kept;

    /// <summary>1: every layer recomputes in backward; k: every k-th (the others keep their activations); 0: every layer keeps them.</summary>
    public int RecomputeEvery { get; }

    internal bool Recomputes(int layer) => RecomputeEvery > 0 && layer % RecomputeEvery == 0;

    public IReadOnlyList<ShardedUnit> Units { get; }
    public ICollective Group => _group;

    /// <summary>Receives each layer unit's gradients in backward (set by the optimizer that owns the shards).</summary>
    public Action<ShardedUnit, IReadOnlyList<Tensor?>>? GradientsReady { get; set; }

    private static List<UnitParameter> Place(IEnumerable<Described> parameters, Dictionary<string, Parameter> live)
    {
        var list = new List<UnitParameter>();
        long offset = 0;
        foreach (var d in parameters)
        {
            long n = d.Shape.Aggregate(1L, (a, b) => a * b);
            list.Add(new UnitParameter(d.Name, live[d.Name], d.Shape, offset, n, d.Decay));
            offset += n;
        }
        return list;
    }

    /// <summary>
    /// Routes every decoder layer through gather, compute, release; in training through <see cref="Zero3Layer"/>
    /// (recomputed in backward) or <see cref="KeptActivations"/> (activations kept, the layer gathered again in backward).
    /// </summary>
    private void Install()
    {
        var rng = LoraModel.DropoutRng(_model);
        // Runs the layer itself: a checkpointing wrapper inside is skipped (ZeRO-3 recomputes by its own interval).
        _installed = _model.Model.LayerWrappers.Add(LayerWrapperStage.Shard, (layer, index, x, _) =>
        {
            var unit = _layerUnits[index];
            if (layer.training && is_grad_enabled())
            {
                // A frozen embedding (LoRA) gives an input without grad: a leaf that asks for one keeps the layer in the graph.
                var input = x.requires_grad ? x : x.detach().requires_grad_(true);
                if (!Recomputes(index)) return _kept.Run(layer, index, input);
                return Zero3Layer.apply(layer, input, new Zero3Layer.Context(this, unit, index, rng), _model.Gradients)[0];
            }
            unit.Gather(_group);
            PrefetchLayer(index + 1);
            try { return layer.forward(x); }
            finally { unit.Release(); }
        });
    }

    private IDisposable? _installed;

    /// <summary>
    /// Whether the next layer's gather overlaps this layer's compute (on GPUs; CPU ranks just gather it earlier).
    /// It keeps two layers gathered at a time. The job's zero3_prefetch: false turns it off, for comparison.
    /// </summary>
    public bool Prefetch { get; init; } = true;

    /// <summary>Starts gathering decoder layer <paramref name="index"/> ahead of its use (nothing outside the model or with prefetch off).</summary>
    internal void PrefetchLayer(int index)
    {
        if (Prefetch && index >= 0 && index < _layerUnits.Length) _layerUnits[index].StartGather(_group);
    }

    internal void OnGradients(ShardedUnit unit, IReadOnlyList<Tensor?> grads) =>
        (GradientsReady ?? throw new InvalidOperationException("ZeRO-3: no optimizer takes the layer gradients"))(unit, grads);

    /// <summary>
    /// The model's tensors as Hugging Face names them, one unit gathered at a time and copied to the host. Every
    /// rank must enumerate it to the end (the gathers are collective); only the writer keeps the tensors.
    /// </summary>
    public IEnumerable<KeyValuePair<string, Tensor>> HostTensors(Func<string, bool> include, ScalarType? dtype = null)
    {
        foreach (var unit in Units)
        {
            unit.Gather(_group);
            try
            {
                foreach (var p in unit.Trainable.Concat(unit.Frozen).OrderBy(p => Order(p.Name)))
                {
                    if (!include(p.Name)) continue;
                    using var detached = p.Parameter.detach();
                    using var typed = dtype is ScalarType t && t != detached.dtype ? detached.to_type(t) : detached.alias();
                    // A copy the writer owns: the gathered buffer is released before the writer is done with it.
                    yield return new(p.Name, typed.device_type == DeviceType.CPU ? typed.clone() : typed.cpu());
                }
            }
            finally { unit.Release(); }
        }
    }

    private readonly Dictionary<string, int> _order = new();

    private int Order(string name)
    {
        if (_order.Count == 0)
        {
            int i = 0;
            foreach (var (n, _) in _model.named_parameters()) _order[n] = i++;
        }
        return _order[name];
    }

    /// <summary>Gathers the trainable parameters of every unit (adapters, for saving them whole); dispose to release.</summary>
    public IDisposable GatherTrainable()
    {
        foreach (var unit in _layerUnits) unit.Gather(_group, trainableOnly: true);
        return new Releaser(_layerUnits);
    }

    private sealed class Releaser(ShardedUnit[] units) : IDisposable
    {
        public void Dispose()
        {
            foreach (var unit in units) unit.Release();
        }
    }

    public void Dispose()
    {
        _installed?.Dispose();
        _kept.Dispose();
        foreach (var unit in Units) unit.Dispose();
    }
}
