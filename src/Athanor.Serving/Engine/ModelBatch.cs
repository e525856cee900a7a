using Athanor.Models;
using static TorchSharp.torch;

namespace Athanor.Serving.Engine;

/// <summary>
/// The running sequences of one served model and their shared KV cache (one row each). Sequences join after their
/// own prefill and leave when finished; either rebuilds the cache by gathering the rows that stay
/// (<see cref="KvCache.Gather"/>), a copy per change of membership rather than per token. Each
/// <see cref="Step"/> runs the model once for every row: one decode token per sequence.
/// </summary>
public sealed class ModelBatch(ServedModel served) : IDisposable
{
    /// <summary>Room for this many more tokens each time the cache is rebuilt; it doubles past that as needed.</summary>
    private const long Headroom = 64;

    private readonly List<Sequence> _rows = [];
    private KvCache? _cache;

    public ServedModel Served => served;
    public int Count => _rows.Count;

    /// <summary>Cache slots held (rows x capacity), for the KV cache metric.</summary>
    public long Slots => _cache is null ? 0 : _cache.BatchSize * _cache.Capacity;

    /// <summary>Drops finished rows and adds the newly prefilled ones (their caches are consumed).</summary>
    public void Update(IReadOnlyList<(Sequence Sequence, KvCache Cache)> joining)
    {
        bool leaving = _rows.Any(r => r.Finished);
        if (!leaving && joining.Count == 0) return;
        var kept = new List<(KvCache, int)>();
        var rows = new List<Sequence>();
        for (int i = 0; i < _rows.Count; i++)
            if (!_rows[i].Finished) { kept.Add((_cache!, i)); rows.Add(_rows[i]); }
        foreach (var (sequence, cache) in joining) { kept.Add((cache, 0)); rows.Add(sequence); }
        var gathered = kept.Count == 0 ? null : KvCache.Gather(kept, Headroom);
        _cache?.Dispose();
        foreach (var (_, cache) in joining) cache.Dispose();
        _cache = gathered;
        _rows.Clear();
        _rows.AddRange(rows);
    }

    /// <summary>One decode step for every row; rows that fail are reported failed by the caller.</summary>
    public void Step()
    {
        if (_cache is null) return;
        var model = served.Model.Model;
        using var scope = NewDisposeScope();
        var input = tensor(_rows.Select(r => r.Next).ToArray(), device: model.OutputWeight.device).view(_rows.Count, 1);
        var logits = model.Logits(model.Hidden(input, _cache).select(1, 0)); // [B, V]
        var argmax = logits.argmax(-1).cpu().data<long>().ToArray();
        for (int i = 0; i < _rows.Count; i++)
            if (!_rows[i].Finished) _rows[i].Sample(logits.narrow(0, i, 1), argmax[i]);
    }

    /// <summary>Every row, e.g. to fail them all when the model step throws.</summary>
    public IReadOnlyList<Sequence> Rows => _rows;

    public void Dispose()
    {
        _cache?.Dispose();
        _cache = null;
        _rows.Clear();
    }
}
