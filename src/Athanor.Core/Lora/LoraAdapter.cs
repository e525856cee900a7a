using Athanor.Models;
using static TorchSharp.torch;

namespace Athanor.Lora;

/// <summary>
/// The low-rank update of one projection: delta = B(A(dropout(x))) * scaling. A starts Kaiming-uniform
/// and B at zero (as PEFT does), so an untrained adapter leaves the model unchanged.
/// </summary>
public sealed class LoraAdapter : IProjectionAdapter
{
    private readonly double _dropout;

    public LoraAdapter(long inFeatures, long outFeatures, LoraSettings settings)
    {
        A = nn.Linear(inFeatures, settings.Rank, hasBias: false);
        B = nn.Linear(settings.Rank, outFeatures, hasBias: false);
        using (no_grad())
        {
            nn.init.kaiming_uniform_(A.weight!, a: Math.Sqrt(5));
            B.weight!.zero_();
        }
        Scaling = settings.Scaling;
        _dropout = settings.Dropout;
    }

    public TorchSharp.Modules.Linear A { get; }
    public TorchSharp.Modules.Linear B { get; }
    public double Scaling { get; }

    public IEnumerable<(string Name, nn.Module Module)> Modules => [("lora_A", A), ("lora_B", B)];

    public Tensor Delta(Tensor x)
    {
        using var scope = NewDisposeScope();
        var input = _dropout > 0 && A.training ? nn.functional.dropout(x, _dropout, training: true) : x;
        return B.forward(A.forward(input)).mul_(Scaling).MoveToOuterDisposeScope();
    }

    /// <summary>scaling * B @ A, the change this adapter makes to the base weight.</summary>
    public Tensor WeightDelta()
    {
        using var scope = NewDisposeScope();
        return B.weight!.matmul(A.weight!).mul_(Scaling).MoveToOuterDisposeScope();
    }
}
