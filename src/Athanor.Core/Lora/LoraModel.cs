using Athanor.Models;
using static TorchSharp.torch;

namespace Athanor.Lora;

/// <summary>Applies LoRA to a model from outside: attaches adapters to the targeted projections and freezes the base.</summary>
public static class LoraModel
{
    public static bool IsAdapterParameter(string name) =>
        name.Contains(".lora_A.", StringComparison.Ordinal) || name.Contains(".lora_B.", StringComparison.Ordinal);

    /// <summary>Attaches adapters to every projection whose last name part is a target; returns how many.</summary>
    public static int Apply(CausalLM model, LoraSettings settings, long seed = 0)
    {
        int count = 0;
        var init = new Generator((ulong)seed, CPU);
        var dropout = new Generator((ulong)seed + 1, CPU); // masks are drawn on the CPU, then moved
        foreach (var (name, projection) in model.BlockProjections())
        {
            var leaf = name[(name.LastIndexOf('.') + 1)..];
            if (!settings.TargetModules.Contains(leaf)) continue;
            projection.Attach(new LoraAdapter(projection.InFeatures, projection.OutFeatures, settings, init, dropout));
            count++;
        }
        if (count == 0)
            throw new ArgumentException($"lora_target {string.Join(",", settings.TargetModules)} matches no projection of this model");
        foreach (var (name, p) in model.named_parameters())
            p.requires_grad = IsAdapterParameter(name);
        return count;
    }

    /// <summary>The generator the model's LoRA dropout draws from (shared by its adapters), or null without adapters.</summary>
    public static Generator? DropoutRng(CausalLM model) => Adapters(model).Select(a => a.Adapter.DropoutRng).FirstOrDefault();

    public static IEnumerable<(string Name, Projection Projection, LoraAdapter Adapter)> Adapters(CausalLM model)
    {
        foreach (var (name, projection) in model.BlockProjections())
            if (projection.Adapter is LoraAdapter adapter)
                yield return (name, projection, adapter);
    }

    /// <summary>
    /// Folds every adapter into its base weight (W += scaling * B A) and zeroes B, so the model computes
    /// the same function with the adapters now contributing nothing.
    /// </summary>
    public static void MergeInPlace(CausalLM model)
    {
        using var _ = no_grad();
        foreach (var (_, projection, adapter) in Adapters(model))
        {
            using var delta = adapter.WeightDelta();
            projection.Weight.add_(delta.to_type(projection.Weight.dtype));
            adapter.B.weight!.zero_();
        }
    }

    /// <summary>Base tensors with adapters merged in, computed one at a time (for export without mutating the model).</summary>
    public static IEnumerable<KeyValuePair<string, Tensor>> MergedBaseTensors(CausalLM model, ScalarType? dtype = null)
    {
        var adapters = Adapters(model).ToDictionary(a => a.Name + ".weight", a => a.Adapter);
        foreach (var (name, p) in model.named_parameters())
        {
            if (IsAdapterParameter(name)) continue;
            Tensor value;
            using (no_grad())
            {
                if (adapters.TryGetValue(name, out var adapter))
                {
                    using var delta = adapter.WeightDelta();
                    value = p.detach() + delta.to_type(p.dtype);
                }
                else value = p.detach();
                if (dtype is ScalarType t && t != value.dtype) value = value.to_type(t);
            }
            yield return new(name, value);
        }
    }
}
