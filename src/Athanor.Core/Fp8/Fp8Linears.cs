using Athanor.Models;
using static TorchSharp.torch;

namespace Athanor.Fp8;

/// <summary>
/// fp8: true on a model: every decoder projection (q/k/v/o, gate/up/down) computes x W^T through <see cref="Fp8Linear"/>
/// (through <see cref="Projection.WeightProduct"/>, so a LoRA adapter still adds its bf16 delta on top), and one
/// <see cref="Fp8AmaxMonitor"/> watches their casts. Embeddings, norms, attention and the LM head are untouched.
/// </summary>
public sealed class Fp8Linears : IDisposable
{
    private readonly List<Projection> _projections;

    private Fp8Linears(IFp8Backend backend, Fp8AmaxMonitor monitor, List<Projection> projections)
    {
        Backend = backend;
        Monitor = monitor;
        _projections = projections;
    }

    public IFp8Backend Backend { get; }
    public Fp8AmaxMonitor Monitor { get; }
    public int ProjectionCount => _projections.Count;

    /// <summary>Routes the model's block projections through fp8 on <paramref name="backend"/> and records it as <see cref="CausalLM.Fp8"/>.</summary>
    public static Fp8Linears Apply(CausalLM model, IFp8Backend backend)
    {
        if (model.Fp8 is not null) throw new InvalidOperationException("this model already runs its projections in fp8");
        var named = model.BlockProjections().ToList();
        foreach (var (name, p) in named)
            if (p.WeightProduct is not null || p.Quantized is not null)
                throw new InvalidOperationException($"{name}: fp8 cannot take over a projection whose product is already routed (ZeRO-3 or a 4-bit base)");
        var names = named.SelectMany(n => new[] { $"{n.Name} input", $"{n.Name} weight", $"{n.Name} output gradient" }).ToList();
        var device = named.Count > 0 ? named[0].Item2.Weight.device : CPU;
        var monitor = new Fp8AmaxMonitor(names, device);
        var fp8 = new Fp8Linears(backend, monitor, [.. named.Select(n => n.Item2)]);
        for (int i = 0; i < named.Count; i++)
        {
            var site = new Fp8Site(named[i].Name, backend, monitor, 3 * i, 3 * i + 1, 3 * i + 2);
            var gradients = model.Gradients;
            named[i].Item2.WeightProduct = (p, x) => Fp8Linear.Product(x, p.Weight, site, gradients);
        }
        model.Fp8 = fp8;
        return fp8;
    }

    private bool _disposed;

    /// <summary>Back to the plain bf16 GEMM (the model also calls this when it is disposed).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var p in _projections) p.WeightProduct = null;
        Monitor.Dispose();
        (Backend as IDisposable)?.Dispose();
    }
}
