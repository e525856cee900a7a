using System.Runtime.ExceptionServices;

namespace Athanor.Data.Pipeline;

/// <summary>
/// Maps a stream on several cores while keeping its order: the source is read on the caller's thread in batches,
/// each batch is mapped on the thread pool, and results come out batch by batch in source order. At most
/// workers + 1 batches are in flight, so memory stays bounded however long the stream is.
/// </summary>
public static class OrderedParallel
{
    /// <summary>Default worker count: every core.</summary>
    public static int AllCores => Environment.ProcessorCount;

    /// <param name="workers">1 maps on the caller's thread with no tasks at all (the sequential reference).</param>
    /// <param name="batchSize">Items per task: large enough to amortize scheduling, small enough to balance.</param>
    /// <remarks>Errors surface in source order: a failure of item k is thrown only after items before k came out,
    /// and a source error waits until every item read before it has been mapped (and may have thrown first),
    /// exactly as a sequential loop would report them.</remarks>
    public static IEnumerable<TOut> Map<TIn, TOut>(IEnumerable<TIn> source, Func<TIn, TOut> map, int workers, int batchSize = 256)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return workers == 1 ? source.Select(map) : MapParallel(source, map, workers, batchSize);
    }

    private static IEnumerable<TOut> MapParallel<TIn, TOut>(IEnumerable<TIn> source, Func<TIn, TOut> map, int workers, int batchSize)
    {
        var pending = new Queue<Task<TOut[]>>();
        using var items = source.GetEnumerator();
        ExceptionDispatchInfo? sourceError = null;
        try
        {
            while (true)
            {
                var batch = new TIn[batchSize];
                int count = 0;
                try
                {
                    while (count < batchSize && items.MoveNext()) batch[count++] = items.Current;
                }
                catch (Exception ex)
                {
                    sourceError = ExceptionDispatchInfo.Capture(ex);
                }
                if (count > 0)
                {
                    int n = count;
                    pending.Enqueue(Task.Run(() =>
                    {
                        var results = new TOut[n];
                        for (int i = 0; i < n; i++) results[i] = map(batch[i]);
                        return results;
                    }));
                }
                if (sourceError is not null || count < batchSize) break;
                if (pending.Count > workers)
                    foreach (var r in pending.Dequeue().GetAwaiter().GetResult()) yield return r;
            }
            while (pending.Count > 0)
                foreach (var r in pending.Dequeue().GetAwaiter().GetResult()) yield return r;
            sourceError?.Throw();
        }
        finally
        {
            // Abandoned early (or failed): let in-flight batches finish so no task outlives the enumeration's
            // inputs, and observe their exceptions so none goes unobserved.
            foreach (var task in pending)
                try { task.Wait(); } catch (AggregateException) { }
        }
    }
}
