using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Athanor.Training;

/// <summary>
/// The gradients one model's custom autograd functions hand back to libtorch, and the first failure of their backward.
/// libtorch keeps its own reference, but the .NET wrapper would hold the (GPU) memory until the garbage collector
/// finalizes it, so they are kept here and freed by <see cref="Release"/> once the backward that produced them has
/// returned. One instance per model (<see cref="Models.CausalLM.Gradients"/>), so the trainers of several ranks in one
/// process free only their own. Each function's forward is applied with the owner among its arguments
/// (<see cref="RememberInputs"/> finds it and stores it in the function's context), and its backward, which may run
/// on libtorch's device thread, finds it there (<see cref="Guarded(AutogradContext, IEnumerable{Tensor?}, Func{List{Tensor}})"/>).
/// </summary>
public sealed class BackwardResults
{
    private readonly Lock _gate = new();
    private List<Tensor> _pending = [];
    private Exception? _failure;

    /// <summary>Gradients kept and not yet released.</summary>
    public int Count
    {
        get { lock (_gate) return _pending.Count; }
    }

    public Tensor Keep(Tensor gradient)
    {
        lock (_gate) _pending.Add(gradient);
        return gradient;
    }

    /// <summary>
    /// Frees every kept gradient. Call when no backward of this owner is between producing a result and returning it
    /// to libtorch: after backward() returned, or inside a backward body for what the functions that already returned
    /// produced (a backward runs its nodes one after another, and a body keeps its results only on its way out).
    /// </summary>
    public void Release()
    {
        List<Tensor> free;
        lock (_gate) (free, _pending) = (_pending, []);
        foreach (var t in free) t.Dispose();
    }

    /// <summary>
    /// Records what a custom function's backward threw: an exception crossing libtorch's engine would end the
    /// process, so the function returns placeholder gradients and the trainer rethrows after backward.
    /// </summary>
    public void Fail(Exception ex) => Interlocked.CompareExchange(ref _failure, ex, null);

    /// <summary>Call after backward: rethrows the first failure a backward body recorded since the last call (its gradients are garbage).</summary>
    public void ThrowIfFailed()
    {
        var failure = Interlocked.Exchange(ref _failure, null);
        if (failure is not null) throw new InvalidOperationException("a layer's backward failed: " + failure.Message, failure);
    }

    /// <summary>
    /// Called in a custom function's forward with its arguments, one of which is the <see cref="BackwardResults"/> that
    /// owns its gradients: stores that owner and the shape, dtype and device of each tensor argument in the context, so
    /// backward can find the owner and a failed backward can still hand back a gradient of the right shape for each.
    /// </summary>
    public static void RememberInputs(AutogradContext ctx, object[] vars)
    {
        var owners = vars.OfType<BackwardResults>().ToList();
        if (owners.Count != 1)
            throw new ArgumentException($"a custom autograd function must be applied with exactly one BackwardResults among its arguments; got {owners.Count}");
        ctx.save_data(OwnerKey, owners[0]);
        ctx.save_data(InputsKey, vars.Select(v => v is Tensor t ? new InputShape(t.shape, t.dtype, t.device) : null).ToArray());
    }

    private const string InputsKey = "athanor.inputs";
    private const string OwnerKey = "athanor.backward-results";

    private sealed record InputShape(long[] Shape, ScalarType Dtype, Device Device);

    /// <summary>
    /// The boundary every custom function's backward goes through, with the owner its forward stored in
    /// <paramref name="ctx"/> (<see cref="RememberInputs"/>). The body runs in a dispose scope, so the saved tensors it
    /// unpacks and its temporaries are freed at once (on libtorch's device thread there is no scope of the trainer's to
    /// catch them, and the garbage collector is too late for GPU memory); the gradients it returns are kept for
    /// <see cref="Release"/>. TorchSharp also wraps each incoming gradient in a new Tensor outside any scope: those
    /// wrappers are dropped here too, or every step would leave one activation-sized gradient per call. Nothing the body
    /// throws crosses libtorch's engine (that ends the process): the failure is recorded for <see cref="ThrowIfFailed"/>
    /// and zero gradients of the inputs' shapes are returned, so backward finishes and the step is then abandoned with
    /// the error. Zeros, not undefined tensors: TorchSharp 0.107 crashes materializing an undefined gradient for the
    /// next custom function up the graph. The result has one entry per forward argument (the owner's is null).
    /// </summary>
    public static List<Tensor> Guarded(AutogradContext ctx, IEnumerable<Tensor?> incoming, Func<List<Tensor>> body)
    {
        var owner = (BackwardResults?)ctx.get_data(OwnerKey)
            ?? throw new InvalidOperationException("a custom function's forward did not call BackwardResults.RememberInputs");
        var inputs = (InputShape?[])ctx.get_data(InputsKey);
        var results = owner.Guarded(incoming, body, () => owner.Placeholders(inputs));
        while (results.Count < inputs.Length) results.Add(null!); // the owner's slot, and any the body left out
        return results;
    }

    /// <summary><see cref="Guarded(AutogradContext, IEnumerable{Tensor?}, Func{List{Tensor}})"/> with the failure's gradients made by <paramref name="placeholders"/>.</summary>
    public List<Tensor> Guarded(IEnumerable<Tensor?> incoming, Func<List<Tensor>> body, Func<List<Tensor>> placeholders)
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

    private List<Tensor> Placeholders(InputShape?[] inputs)
    {
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
}
