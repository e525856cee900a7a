using System.Collections.Concurrent;
using static TorchSharp.torch;

namespace Athanor.Training;

/// <summary>
/// Gradients our autograd functions hand back to libtorch. libtorch keeps its own reference, but the .NET
/// wrapper would hold the (GPU) memory until the garbage collector finalizes it; the trainer releases them
/// all once backward has returned. Backward may run on libtorch's device threads, hence the concurrent bag.
/// </summary>
public static class BackwardResults
{
    private static readonly ConcurrentBag<Tensor> Pending = [];

    public static Tensor Keep(Tensor gradient)
    {
        Pending.Add(gradient);
        return gradient;
    }

    /// <summary>
    /// Runs a custom function's backward body in a dispose scope, so the saved tensors it unpacks and its
    /// temporaries are freed at once (on libtorch's device thread there is no scope of the trainer's to catch
    /// them, and the garbage collector is too late for GPU memory); the gradients it returns are kept for
    /// <see cref="Release"/>. TorchSharp also wraps each incoming gradient in a new Tensor outside any scope:
    /// those wrappers are dropped here too, or every step would leave one activation-sized gradient per call.
    /// </summary>
    public static List<Tensor> Scoped(IEnumerable<Tensor?> incoming, Func<List<Tensor>> body)
    {
        List<Tensor> results;
        using (var scope = NewDisposeScope())
        {
            results = body();
            foreach (var r in results)
                if (r is not null && !r.IsInvalid) Keep(r.MoveToOuterDisposeScope());
        }
        foreach (var g in incoming)
            if (g is not null && !results.Any(r => ReferenceEquals(r, g))) g.Dispose();
        return results;
    }

    /// <summary>Call after backward() returned: drops our references (libtorch's stay valid while it needs them).</summary>
    public static void Release()
    {
        while (Pending.TryTake(out var t)) t.Dispose();
    }
}
