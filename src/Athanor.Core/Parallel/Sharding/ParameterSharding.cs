using Athanor.Lora;
using Athanor.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Parallel.Sharding;

/// <summary>
/// ZeRO-3 applied to a model from outside: the embedding and the head (final norm, LM head) stay whole on every
/// rank; every decoder layer is a <see cref="ShardedUnit"/> whose parameters exist only while it runs. The
/// decoder's layer runner is replaced so a layer is gathered before it computes and released after; in training
/// it goes through <see cref="Zero3Layer"/>, which recomputes the layer in backward (activations are not kept, as
/// with activation checkpointing) and reduce-scatters its gradients as soon as they exist. The model code itself
/// stays single-device.
/// </summary>
public sealed class ParameterSharding : IDisposable
{
    private readonly CausalLM _model;
    private readonly ICollective _group;

    /// <param name="takesDecay">which trainable parameters get weight decay (as the optimizer's flat layout decides)</param>
    public ParameterSharding(CausalLM model, ICollective group, Func<string, TorchSharp.Modules.Parameter, bool> takesDecay)
    {
        _model = model;
        _group = group;
        var all = model.named_parameters().ToList();
        var dtypes = all.Select(p => p.parameter.dtype).Distinct().ToList();
        if (dtypes.Count != 1)
            throw new ArgumentException($"ZeRO-3 shards parameters of one dtype; this model has {string.Join(", ", dtypes)}");
        var device = all[0].parameter.device;
        int layers = model.Config.NumLayers;
        string UnitOf(string name)
        {
            if (name.StartsWith("model.layers.", StringComparison.Ordinal))
                return "layer " + name.Split('.')[2];
            return name.StartsWith("model.embed_tokens.", StringComparison.Ordinal) ? "embedding" : "head";
        }
        var units = new List<ShardedUnit>();
        long logical = 0;
        var seen = new HashSet<string>();
        foreach (var group2 in all.GroupBy(p => UnitOf(p.name)))
        {
            // Units must be contiguous in model order: checkpoints map each share to one range of the flat vector.
            if (!seen.Add(group2.Key)) throw new InvalidOperationException($"ZeRO-3: the parameters of {group2.Key} are not contiguous in model order");
            var trainable = Place(group2.Where(p => p.parameter.requires_grad), takesDecay);
            var frozen = Place(group2.Where(p => !p.parameter.requires_grad), takesDecay);
            bool persistent = !group2.Key.StartsWith("layer ", StringComparison.Ordinal);
            units.Add(new ShardedUnit(group2.Key, persistent, trainable, frozen, logical, group.Rank, group.WorldSize, dtypes[0], device));
            logical += trainable.Sum(p => p.Length);
        }
        // GroupBy keeps first-appearance order, which is model order.
        if (units.Any(u => u.Persistent && u.Name.StartsWith("layer ", StringComparison.Ordinal)) || units.Count(u => !u.Persistent) != layers)
            throw new InvalidOperationException($"ZeRO-3 expected {layers} decoder-layer units, found {units.Count(u => !u.Persistent)}");
        Units = units;
        foreach (var unit in units) unit.Shard(group);
        _layerUnits = units.Where(u => !u.Persistent).ToArray();
        Install();
    }

    private readonly ShardedUnit[] _layerUnits;

    public IReadOnlyList<ShardedUnit> Units { get; }
    public ICollective Group => _group;

    /// <summary>Receives each layer unit's gradients in backward (set by the optimizer that owns the shards).</summary>
    public Action<ShardedUnit, IReadOnlyList<Tensor?>>? GradientsReady { get; set; }

    private static List<UnitParameter> Place(IEnumerable<(string name, TorchSharp.Modules.Parameter parameter)> parameters,
        Func<string, TorchSharp.Modules.Parameter, bool> takesDecay)
    {
        var list = new List<UnitParameter>();
        long offset = 0;
        foreach (var (name, p) in parameters)
        {
            long n = p.numel();
            list.Add(new UnitParameter(name, p, p.shape, offset, n, p.requires_grad && takesDecay(name, p)));
            offset += n;
        }
        return list;
    }

    /// <summary>Routes every decoder layer through gather, compute, release (and in training through <see cref="Zero3Layer"/>).</summary>
    private void Install()
    {
        var rng = LoraModel.DropoutRng(_model);
        _model.Model.RunLayer = (layer, index, x) =>
        {
            var unit = _layerUnits[index];
            if (layer.training && is_grad_enabled())
            {
                var input = x.requires_grad ? x : x.detach().requires_grad_(true);
                return Zero3Layer.apply(layer, input, new Zero3Layer.Context(this, unit, rng))[0];
            }
            unit.Gather(_group);
            try { return layer.forward(x); }
            finally { unit.Release(); }
        };
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
                    yield return new(p.Name, typed.cpu());
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
        _model.Model.RunLayer = (layer, _, x) => layer.forward(x);
        foreach (var unit in Units) unit.Dispose();
    }
}
