using static TorchSharp.torch;

namespace Athanor.Training;

/// <summary>
/// Gradients our autograd functions hand back to libtorch. libtorch keeps its own reference, but the .NET
/// wrapper would hold the (GPU) memory until the garbage collector finalizes it; the trainer releases them
/// after backward. Backward may run on libtorch's device threads, and several ranks may share a process, so a
/// release frees only what was kept a little while ago (<see cref="Grace"/>): by then the backward that
/// returned a tensor has long finished handing it over, whichever rank it belonged to.
/// </summary>
public static class BackwardResults
{
    /// <summary>How old a kept gradient must be before a release frees it (libtorch takes its copy within microseconds).</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(20);

    private static readonly Lock Gate = new();
    private static List<(Tensor Tensor, long KeptAt)> _pending = [];

    public static Tensor Keep(Tensor gradient)
    {
        long now = Environment.TickCount64;
        lock (Gate) _pending.Add((gradient, now));
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

    private static volatile Exception? _failure;

    /// <summary>
    /// Records what a custom function's backward threw: an exception crossing libtorch's engine would end the
    /// process, so the function returns placeholder gradients and the trainer rethrows after backward.
    /// </summary>
    public static void Fail(Exception ex) => Interlocked.CompareExchange(ref _failure, ex, null);

    /// <summary>
    /// The backward of a custom function over one decoder layer: body in a dispose scope (<see cref="Scoped"/>), and
    /// if it throws, the failure recorded and zero gradients returned for (nothing, the layer's input, nothing).
    /// </summary>
    /// <param name="savedInput">unpacks the layer's saved input, only on failure (an unpacked wrapper outside any scope would hold it until GC)</param>
    public static List<Tensor> LayerBackward(List<Tensor> gradOutputs, Func<List<Tensor>> body, Func<Tensor> savedInput)
    {
        try { return Scoped(gradOutputs, body); }
        catch (Exception ex)
        {
            Fail(ex);
            return [null!, zeros_like(savedInput()), null!];
        }
    }

    /// <summary>Call after backward: rethrows the first failure a backward body recorded since the last call (its gradients are garbage).</summary>
    public static void ThrowIfFailed()
    {
        var failure = Interlocked.Exchange(ref _failure, null);
        if (failure is not null) throw new InvalidOperationException("a layer's backward failed: " + failure.Message, failure);
    }

    /// <summary>Call after backward() returned: frees every kept gradient older than <see cref="Grace"/>.</summary>
    public static void Release()
    {
        long cutoff = Environment.TickCount64 - (long)Grace.TotalMilliseconds;
        List<Tensor> free = [];
        lock (Gate)
        {
            // Each tensor sits in one list only, so exactly one release frees it.
            var young = new List<(Tensor, long)>();
            foreach (var (t, keptAt) in _pending)
                if (keptAt <= cutoff) free.Add(t); else young.Add((t, keptAt));
            _pending = young;
        }
        foreach (var t in free) t.Dispose();
    }
}
