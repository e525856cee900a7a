using Athanor.Models;
using static TorchSharp.torch;

namespace Athanor.Serving.Engine;

/// <summary>
/// Continuous batching: one thread owns the models. Each round it admits queued sequences (up to the batch limit),
/// runs each newcomer's prompt alone (prefill) and gathers it into its model's running batch, drops the finished and
/// cancelled, then runs one decode step per model for all its rows together. Sequences thus join and leave at token
/// boundaries; a short request never waits for a long one. Requests for different adapters are separate batches
/// (each adapter is merged into its own copy of the base, <see cref="ModelCatalog"/>).
/// </summary>
public sealed class DecodeScheduler : IDisposable
{
    private readonly int _maxBatch, _maxQueue;
    private readonly Queue<Sequence> _queue = new();
    private readonly Dictionary<string, ModelBatch> _batches = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Thread _thread;
    private readonly ServingMetrics _metrics;
    private volatile bool _stopping;
    private int _active;

    public DecodeScheduler(int maxBatch, int maxQueue, ServingMetrics metrics)
    {
        _maxBatch = maxBatch;
        _maxQueue = maxQueue;
        _metrics = metrics;
        _thread = new Thread(Run) { IsBackground = true, Name = "athanor-decode" };
        _thread.Start();
    }

    /// <summary>Sequences running and waiting at most.</summary>
    public int Capacity => _maxBatch + _maxQueue;

    /// <summary>Queues all sequences of one request, or none when that would pass batch + queue limits (the caller answers 429).</summary>
    public bool TryEnqueue(IReadOnlyList<Sequence> sequences)
    {
        lock (_lock)
        {
            if (_active + _queue.Count + sequences.Count > _maxBatch + _maxQueue) return false;
            foreach (var s in sequences) _queue.Enqueue(s);
        }
        _wake.Release();
        return true;
    }

    private void Run()
    {
        using var _ = no_grad();
        while (!_stopping)
        {
            var admitted = new List<Sequence>();
            lock (_lock)
            {
                while (_active < _maxBatch && _queue.TryDequeue(out var next)) { admitted.Add(next); _active++; }
            }
            if (admitted.Count == 0 && _batches.Values.All(b => b.Count == 0))
            {
                _metrics.Round(0, TimeSpan.Zero, 0, 0);
                _wake.Wait(TimeSpan.FromSeconds(1));
                continue;
            }
            long round = System.Diagnostics.Stopwatch.GetTimestamp();
            int tokens = 0;
            var joining = new Dictionary<string, List<(Sequence, KvCache)>>(StringComparer.Ordinal);
            foreach (var sequence in admitted)
            {
                if (sequence.Cancel.IsCancellationRequested) { sequence.Fail("the request was cancelled"); continue; }
                try
                {
                    var cache = sequence.Prefill();
                    tokens++;
                    _metrics.FirstToken(sequence.FirstTokenAt!.Value - sequence.QueuedAt);
                    if (sequence.Finished) { cache.Dispose(); continue; }
                    if (!joining.TryGetValue(sequence.Served.Id, out var list)) joining[sequence.Served.Id] = list = [];
                    list.Add((sequence, cache));
                }
                catch (Exception ex)
                {
                    sequence.Fail($"decoding failed: {ex.Message}");
                }
            }
            int active = 0;
            foreach (var id in _batches.Keys.Union(joining.Keys).ToList())
            {
                if (!_batches.TryGetValue(id, out var batch)) _batches[id] = batch = new ModelBatch(joining[id][0].Item1.Served);
                foreach (var row in batch.Rows.Where(r => !r.Finished && r.Cancel.IsCancellationRequested)) row.Fail("the request was cancelled");
                try
                {
                    batch.Update(joining.GetValueOrDefault(id) ?? []);
                    int stepped = batch.Count;
                    batch.Step();
                    tokens += stepped;
                    batch.Update([]);
                }
                catch (Exception ex)
                {
                    foreach (var row in batch.Rows.Where(r => !r.Finished)) row.Fail($"decoding failed: {ex.Message}");
                    batch.Dispose();
                }
                active += batch.Count;
            }
            lock (_lock) _active = active;
            _metrics.Round(active, System.Diagnostics.Stopwatch.GetElapsedTime(round), tokens, _batches.Values.Sum(b => b.Slots));
        }
        lock (_lock)
        {
            foreach (var s in _batches.Values.SelectMany(b => b.Rows).Concat(_queue)) s.Fail("the server is stopping");
            foreach (var b in _batches.Values) b.Dispose();
            _queue.Clear();
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _wake.Release();
        _thread.Join();
        _wake.Dispose();
    }
}
