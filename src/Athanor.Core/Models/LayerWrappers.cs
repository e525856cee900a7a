using static TorchSharp.torch;

namespace Athanor.Models;

/// <summary>Runs decoder layer <c>index</c> on <c>x</c>: the plain call, or what the wrappers inside make of it.</summary>
public delegate Tensor LayerCall(DecoderLayer layer, int index, Tensor x);

/// <summary>Runs a decoder layer its own way; <c>inner</c> is the rest of the chain (it may be skipped, as ZeRO-3 does to run the layer itself).</summary>
public delegate Tensor LayerWrapper(DecoderLayer layer, int index, Tensor x, LayerCall inner);

/// <summary>Where a wrapper sits in the chain, outermost first; within a stage the one added last runs outside.</summary>
public enum LayerWrapperStage
{
    /// <summary>Sees the layer's input and output as they are (gradient hooks, test probes).</summary>
    Observe,
    /// <summary>Decides where the layer's parameters come from (ZeRO-3 gathers them and runs the layer itself).</summary>
    Shard,
    /// <summary>Decides what is kept for backward (activation checkpointing).</summary>
    Recompute,
}

/// <summary>
/// The wrappers one model's decoder layers run through while training, owned by the model instance
/// (<see cref="DecoderModel.LayerWrappers"/>). Each <see cref="Add"/> returns a handle that removes exactly that
/// wrapper, so wrappers can be installed and taken off in any order; the chain is ordered by stage, not by who came last.
/// </summary>
public sealed class LayerWrappers
{
    private sealed record Entry(LayerWrapperStage Stage, long Sequence, LayerWrapper Wrapper);

    private readonly Lock _gate = new();
    private Entry[] _chain = []; // replaced whole, so a forward reads one consistent chain
    private long _added;

    /// <summary>The wrappers installed now, outermost first.</summary>
    public int Count => Volatile.Read(ref _chain).Length;

    /// <summary>Installs <paramref name="wrapper"/> at <paramref name="stage"/>; dispose the result to remove it (once; later calls do nothing).</summary>
    public IDisposable Add(LayerWrapperStage stage, LayerWrapper wrapper)
    {
        ArgumentNullException.ThrowIfNull(wrapper);
        Entry entry;
        lock (_gate)
        {
            entry = new Entry(stage, _added++, wrapper);
            _chain = _chain.Append(entry).OrderBy(e => e.Stage).ThenByDescending(e => e.Sequence).ToArray();
        }
        return new Removal(this, entry);
    }

    /// <summary>Layer <paramref name="index"/> through every wrapper, then its plain forward.</summary>
    public Tensor Run(DecoderLayer layer, int index, Tensor x) => Call(Volatile.Read(ref _chain), 0, layer, index, x);

    private static Tensor Call(Entry[] chain, int at, DecoderLayer layer, int index, Tensor x) =>
        at == chain.Length
            ? layer.forward(x)
            : chain[at].Wrapper(layer, index, x, (l, i, t) => Call(chain, at + 1, l, i, t));

    private void Remove(Entry entry)
    {
        lock (_gate) _chain = _chain.Where(e => !ReferenceEquals(e, entry)).ToArray();
    }

    private sealed class Removal(LayerWrappers owner, Entry entry) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) owner.Remove(entry);
        }
    }
}
