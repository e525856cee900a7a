using static TorchSharp.torch;

namespace Athanor.Serving.Engine;

/// <summary>
/// Continuous batching in its simplest correct form: one thread owns the models and steps every active sequence by
/// one token per round; sequences join from the queue and leave (finished, cancelled) at token boundaries, so a
/// short request never waits for a long one to end. Each sequence keeps its own KV cache sized for its prompt plus
/// its max tokens; the steps of a round run one after another (no fused batch forward yet).
/// </summary>
public sealed class DecodeScheduler : IDisposable
{
    private readonly int _maxBatch, _maxQueue;
    private readonly Queue<Sequence> _queue = new();
    private readonly List<Sequence> _active = [];
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Thread _thread;
    private readonly ServingMetrics _metrics;
    private volatile bool _stopping;

    public DecodeScheduler(int maxBatch, int maxQueue, ServingMetrics metrics)
    {
        _maxBatch = maxBatch;
        _maxQueue = maxQueue;
        _metrics = metrics;
        _thread = new Thread(Run) { IsBackground = true, Name = "athanor-decode" };
        _thread.Start();
    }

    /// <summary>Queues all sequences of one request, or none when that would pass the queue limit (the caller answers 429).</summary>
    public bool TryEnqueue(IReadOnlyList<Sequence> sequences)
    {
        lock (_lock)
        {
            if (_active.Count + _queue.Count + sequences.Count > _maxBatch + _maxQueue) return false;
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
            lock (_lock)
            {
                while (_active.Count < _maxBatch && _queue.TryDequeue(out var next)) _active.Add(next);
            }
            if (_active.Count == 0)
            {
                _metrics.Round(0, TimeSpan.Zero);
                _wake.Wait(TimeSpan.FromSeconds(1));
                continue;
            }
            long round = System.Diagnostics.Stopwatch.GetTimestamp();
            foreach (var sequence in _active)
            {
                if (sequence.Cancel.IsCancellationRequested) { sequence.Fail("the request was cancelled"); continue; }
                try
                {
                    bool first = sequence.FirstTokenAt is null;
                    sequence.Step();
                    if (first) _metrics.FirstToken(sequence.FirstTokenAt!.Value - sequence.QueuedAt);
                }
                catch (Exception ex)
                {
                    sequence.Fail($"decoding failed: {ex.Message}");
                }
            }
            _metrics.Round(_active.Count, System.Diagnostics.Stopwatch.GetElapsedTime(round));
            lock (_lock)
            {
                foreach (var done in _active.Where(s => s.Finished)) done.Dispose();
                _active.RemoveAll(s => s.Finished);
            }
        }
        lock (_lock)
        {
            foreach (var s in _active.Concat(_queue)) { s.Fail("the server is stopping"); s.Dispose(); }
            _active.Clear();
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
