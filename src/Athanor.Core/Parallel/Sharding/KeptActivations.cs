using Athanor.Models;
using Athanor.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Parallel.Sharding;

/// <summary>
/// ZeRO-3 for the layers that keep their activations (FSDP's way; <see cref="Zero3Layer"/> recomputes instead): a layer
/// is gathered, runs with autograd on, and is released; its projections go through <see cref="ShardedLinear"/>, so the
/// graph holds their inputs but not the gathered weights, and its small parameters (norms, biases, adapters) stay
/// materialized in storage of their own. In backward, a hook on the layer's output gathers it again (and starts the layer
/// before it) and its input hook, once the layer's gradients are complete, hands them to the optimizer's
/// reduce-scatter and releases the layer. Compute: 6 x parameters per token instead of 8.
/// </summary>
internal sealed class KeptActivations : IDisposable
{
    private readonly ParameterSharding _sharding;
    private readonly ShardedUnit[] _units;
    private readonly Dictionary<Projection, (int Layer, int Trainable)> _weights = new();
    private readonly Tensor?[][] _weightGrads;
    private readonly List<Projection> _routed = [];
    private readonly Action<int> _starts, _done;
    private readonly Action<Projection, Tensor> _sink;
    private readonly BackwardResults _gradients;

    public KeptActivations(ParameterSharding sharding, CausalLM model, ShardedUnit[] units)
    {
        _sharding = sharding;
        _gradients = model.Gradients;
        _units = units;
        _weightGrads = units.Select(u => new Tensor?[u.Trainable.Count]).ToArray();
        _starts = BackwardStarts;
        _done = BackwardDone;
        _sink = TakeWeightGradient;
        for (int i = 0; i < units.Length; i++)
        {
            if (sharding.Recomputes(i)) continue;
            var unit = units[i];
            var weightNames = new HashSet<string>();
            foreach (var (name, projection) in model.Model.Layers[i].Projections)
            {
                string weight = $"model.layers.{i}.{name}.weight";
                weightNames.Add(weight);
                int trainable = unit.Trainable.ToList().FindIndex(p => p.Name == weight);
                _weights[projection] = (i, trainable);
                projection.WeightProduct = Product;
                _routed.Add(projection);
            }
            unit.KeepWhileReleased(unit.Trainable.Concat(unit.Frozen).Where(p => !weightNames.Contains(p.Name)));
        }
    }

    private Tensor Product(Projection projection, Tensor x) =>
        is_grad_enabled() && x.requires_grad
            ? ShardedLinear.apply(x, projection, _sink, _gradients)[0]
            : nn.functional.linear(x, projection.Weight);

    /// <summary>Runs layer <paramref name="index"/> forward with gradients on; its input must require grad.</summary>
    public Tensor Run(DecoderLayer layer, int index, Tensor input)
    {
        var unit = _units[index];
        unit.Gather(_sharding.Group);
        _sharding.PrefetchLayer(index + 1);
        Tensor output;
        try
        {
            using var watched = LayerGradientHook.apply(input, index, _done, _gradients)[0];
            output = layer.forward(watched);
        }
        finally { unit.Release(); }
        // The same identity function on the output: its backward runs before any of the layer's nodes.
        using (output) return LayerGradientHook.apply(output, index, _starts, _gradients)[0];
    }

    private void BackwardStarts(int index)
    {
        _units[index].Gather(_sharding.Group, refreshKept: false); // what forward saved must not change
        _sharding.PrefetchLayer(index - 1);
    }

    private void TakeWeightGradient(Projection projection, Tensor grad)
    {
        var (layer, trainable) = _weights[projection];
        if (trainable < 0) throw new InvalidOperationException($"ZeRO-3: a gradient for the frozen weight of a projection in layer {layer}");
        ref var slot = ref _weightGrads[layer][trainable];
        if (slot is null) slot = grad;
        else
        {
            slot.add_(grad);
            grad.Dispose();
        }
    }

    private void BackwardDone(int index)
    {
        var unit = _units[index];
        var pending = _weightGrads[index];
        try
        {
            using var scope = NewDisposeScope();
            var grads = unit.Trainable.Select((p, j) => pending[j] ?? (p.Parameter.grad is { } g && !g.IsInvalid ? g : null)).ToList();
            _sharding.OnGradients(unit, grads);
            // Reduced per micro-batch: the kept parameters' own gradients start from zero for the next one.
            for (int j = 0; j < pending.Length; j++)
                if (pending[j] is null) unit.Trainable[j].Parameter.grad?.zero_();
        }
        finally
        {
            for (int j = 0; j < pending.Length; j++)
            {
                pending[j]?.Dispose();
                pending[j] = null;
            }
            unit.Release();
            // The input gradients this layer's functions handed to libtorch (they all returned by now): freed now, not
            // after the whole backward.
            _gradients.Release();
        }
    }

    public void Dispose()
    {
        foreach (var projection in _routed) projection.WeightProduct = null;
        foreach (var grads in _weightGrads)
            for (int j = 0; j < grads.Length; j++)
            {
                grads[j]?.Dispose();
                grads[j] = null;
            }
    }
}
