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
    private readonly Generator _dropoutRng;

    /// <param name="init">draws A's initial values (Kaiming-uniform with a = sqrt(5), as PEFT: U(-1/sqrt(in), 1/sqrt(in)))</param>
    /// <param name="dropoutRng">the generator dropout masks come from, so runs are reproducible whatever else uses torch's global RNG</param>
    public LoraAdapter(long inFeatures, long outFeatures, LoraSettings settings, Generator init, Generator dropoutRng)
    {
        A = nn.Linear(inFeatures, settings.Rank, hasBias: false);
        B = nn.Linear(settings.Rank, outFeatures, hasBias: false);
        using (no_grad())
        {
            double bound = 1.0 / Math.Sqrt(inFeatures);
            A.weight!.uniform_(-bound, bound, init);
            B.weight!.zero_();
        }
        Scaling = settings.Scaling;
        _dropout = settings.Dropout;
        _dropoutRng = dropoutRng;
    }

    public Generator DropoutRng => _dropoutRng;

    public TorchSharp.Modules.Linear A { get; }
    public TorchSharp.Modules.Linear B { get; }
    public double Scaling { get; }

    public IEnumerable<(string Name, nn.Module Module)> Modules => [("lora_A", A), ("lora_B", B)];

    public Tensor Delta(Tensor x)
    {
        using var scope = NewDisposeScope();
        var input = _dropout > 0 && A.training ? Dropout(x) : x;
        return B.forward(A.forward(input)).mul_(Scaling).MoveToOuterDisposeScope();
    }

    private Tensor Dropout(Tensor x)
    {
        var keep = empty(x.shape, x.dtype).bernoulli_(1 - _dropout, _dropoutRng).to(x.device);
        return x * keep / (1 - _dropout);
    }

    /// <summary>scaling * B @ A, the change this adapter makes to the base weight.</summary>
    public Tensor WeightDelta()
    {
        using var scope = NewDisposeScope();
        return B.weight!.mm(A.weight!).mul_(Scaling).MoveToOuterDisposeScope();
    }
}
