using static TorchSharp.torch;

namespace Athanor.Training;

/// <summary>
/// Gradients our autograd functions hand back to libtorch. libtorch keeps its own reference, but the .NET
/// wrapper would hold the (GPU) memory until the garbage collector finalizes it; the trainer releases them
/// after backward. Backward may run on libtorch's device threads, and several ranks may share a process, so a
/// release frees only what was kept before the previous release: by then the backward that returned a tensor
/// has long finished with it, whichever rank it belonged to.
/// </summary>
public static class BackwardResults
{
    private static readonly Lock Gate = new();
    private static List<Tensor> _pending = [], _retired = [];

    public static Tensor Keep(Tensor gradient)
    {
        lock (Gate) _pending.Add(gradient);
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
            // Out of every scope: only Release frees them, so no trainer's scope can race it from another thread.
            foreach (var r in results)
                if (r is not null && !r.IsInvalid) Keep(r.DetachFromDisposeScope());
        }
        foreach (var g in incoming)
            if (g is not null && !results.Any(r => ReferenceEquals(r, g))) g.Dispose();
        return results;
    }

    /// <summary>Call after backward() returned: frees what was kept before the previous call (one step of grace).</summary>
    public static void Release()
    {
        List<Tensor> free;
        lock (Gate)
        {
            free = _retired;
            _retired = _pending;
            _pending = [];
        }
        foreach (var t in free) t.Dispose();
    }
}
