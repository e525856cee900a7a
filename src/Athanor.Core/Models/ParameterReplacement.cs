using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Athanor.Models;

/// <summary>Swaps a parameter of a model, by its full name, for a new Parameter object in the module that owns it.</summary>
public static class ParameterReplacement
{
    public static void Replace(nn.Module model, string fullName, Parameter replacement)
    {
        int dot = fullName.LastIndexOf('.');
        string path = dot < 0 ? "" : fullName[..dot], local = fullName[(dot + 1)..];
        var owner = path.Length == 0 ? model : model.named_modules().FirstOrDefault(m => m.name == path).module
            ?? throw new ArgumentException($"the model has no module '{path}' (for parameter '{fullName}')", nameof(fullName));
        switch (owner)
        {
            case IParameterOwner ours: ours.ReplaceParameter(local, replacement); break;
            case Embedding embedding when local == "weight": embedding.weight = replacement; break;
            case Linear linear when local == "weight": linear.weight = replacement; break;
            case Linear linear when local == "bias": linear.bias = replacement; break;
            default: throw new InvalidOperationException($"cannot replace parameter '{fullName}': {owner.GetType().Name} is not a module whose parameters can be swapped");
        }
    }
}
