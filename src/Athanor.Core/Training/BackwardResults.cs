using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

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
    /// Called in a custom function's forward with its arguments: the shape, dtype and device of each tensor among them,
    /// so a failed backward can still hand back a gradient of the right shape for each (<see cref="Guarded"/>).
    /// </summary>
    public static void RememberInputs(AutogradContext ctx, object[] vars) =>
        ctx.save_data(InputsKey, vars.Select(v => v is Tensor t ? new InputShape(t.shape, t.dtype, t.device) : null).ToArray());

    private const string InputsKey = "athanor.inputs";

    private sealed record InputShape(long[] Shape, ScalarType Dtype, Device Device);

    /// <summary>
    /// The boundary every custom function's backward goes through. The body runs in a dispose scope, so the saved
    /// tensors it unpacks and its temporaries are freed at once (on libtorch's device thread there is no scope of the
    /// trainer's to catch them, and the garbage collector is too late for GPU memory); the gradients it returns are
    /// kept for <see cref="Release"/>. TorchSharp also wraps each incoming gradient in a new Tensor outside any scope:
    /// those wrappers are dropped here too, or every step would leave one activation-sized gradient per call.
    /// Nothing the body throws crosses libtorch's engine (that ends the process): the failure is recorded for
    /// <see cref="ThrowIfFailed"/> and zero gradients of the inputs' shapes (<see cref="RememberInputs"/>) are returned,
    /// so backward finishes and the step is then abandoned with the error. Zeros, not undefined tensors: TorchSharp
    /// 0.107 crashes materializing an undefined gradient for the next custom function up the graph.
    /// </summary>
    public static List<Tensor> Guarded(AutogradContext ctx, IEnumerable<Tensor?> incoming, Func<List<Tensor>> body) =>
        Guarded(incoming, body, () => Placeholders(ctx));

    /// <summary><see cref="Guarded(AutogradContext, IEnumerable{Tensor?}, Func{List{Tensor}})"/> with the failure's gradients made by <paramref name="placeholders"/>.</summary>
    public static List<Tensor> Guarded(IEnumerable<Tensor?> incoming, Func<List<Tensor>> body, Func<List<Tensor>> placeholders)
    {
        List<Tensor> results;
        try
        {
            using var scope = NewDisposeScope();
            results = body();
            // Out of every scope: only Release frees them, so no trainer's scope can race it from another thread.
            foreach (var r in results)
                if (r is not null && !r.IsInvalid) Keep(r.DetachFromDisposeScope());
        }
        catch (Exception ex)
        {
            Fail(ex);
            results = placeholders();
        }
        foreach (var g in incoming)
            if (g is not null && !results.Any(r => ReferenceEquals(r, g))) g.Dispose();
        return results;
    }

    private static List<Tensor> Placeholders(AutogradContext ctx)
    {
        var inputs = (InputShape?[])ctx.get_data(InputsKey)
            ?? throw new InvalidOperationException("a custom function's forward did not call BackwardResults.RememberInputs");
        try
        {
            using var _ = no_grad();
            return inputs.Select(i => i is null ? null! : Keep(zeros(i.Shape, i.Dtype, i.Device).DetachFromDisposeScope())).ToList();
        }
        catch (Exception ex)
        {
            // Not even zeros could be made (the device is full): undefined gradients are all that is left.
            Fail(ex);
            return inputs.Select(_ => (Tensor)null!).ToList();
        }
    }

    private static volatile Exception? _failure;

    /// <summary>
    /// Records what a custom function's backward threw: an exception crossing libtorch's engine would end the
    /// process, so the function returns placeholder gradients and the trainer rethrows after backward.
    /// </summary>
    public static void Fail(Exception ex) => Interlocked.CompareExchange(ref _failure, ex, null);

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
