using System.Diagnostics;
using Athanor.Native.Cuda;
using Athanor.Native.Nccl;
using Athanor.Parallel;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Native.SelfTest;

/// <summary>NCCL checks with one thread per visible GPU (world = device count), ids shared in-process.</summary>
internal static class NcclChecks
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    public static string Version()
    {
        var nvls = Environment.GetEnvironmentVariable("NCCL_NVLS_ENABLE");
        return $"NCCL {Nccl.Nccl.Version()} from {Nccl.Nccl.LoadedFrom}; NCCL_NVLS_ENABLE={nvls ?? "unset (set it to 0 on this host)"}";
    }

    /// <summary>All-reduce (sum, avg), reduce-scatter, all-gather and broadcast of fp32 and bf16 tensors against exact expected values.</summary>
    public static string Collectives()
    {
        int world = World();
        var id = NcclUniqueId.Create();
        var lines = RankThreads.Run(world, rank =>
        {
            using var collective = NcclCollective.Create(rank, world, id, rank, Timeout);
            var device = new Device(DeviceType.CUDA, rank);
            using var scope = NewDisposeScope();
            foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
                CheckValues(collective, device, dtype);
            collective.Barrier();
            return $"rank {rank}";
        }, Limit);
        return $"world {world}: all-reduce sum/avg, reduce-scatter, all-gather (also on the side stream), all-reduce and reduce on the side stream, broadcast of fp32 and bf16 exact on {string.Join(", ", lines)}";
    }

    private static void CheckValues(NcclCollective c, Device device, ScalarType dtype)
    {
        int w = c.WorldSize, r = c.Rank;
        long n = (1 << 20) * w + 3 * w; // not a power of two; divisible by w for reduce-scatter
        double ranksSum = w * (w + 1) / 2.0;
        // Small integers keep bf16 sums exact: pattern (i % 4) * (rank + 1), at most 3 * W(W+1)/2.
        var pattern = (arange(n, ScalarType.Int64, device) % 4).to(ScalarType.Float32);

        var t = (pattern * (r + 1)).to(dtype);
        c.AllReduceSum(t);
        Expect("all-reduce sum", dtype, t, pattern * ranksSum);

        var avg = full(n, r + 1, dtype, device);
        c.AllReduceAverage(avg);
        // ncclAvg pre-multiplies floating inputs by 1/W, which bf16 cannot hold exactly for every W.
        Expect("all-reduce avg", dtype, avg, full(n, ranksSum / w, ScalarType.Float32, device), tolerance: 0.02 * ranksSum / w);

        var input = (pattern * (r + 1)).to(dtype);
        var output = empty(n / w, dtype, device);
        c.ReduceScatterSum(input, output);
        Expect("reduce-scatter", dtype, output, pattern.narrow(0, r * (n / w), n / w) * ranksSum);
        Expect("reduce-scatter input untouched", dtype, input, pattern * (r + 1));

        long m = 1000 + 1;
        var mine = full(m, r + 1, dtype, device);
        var gathered = empty(m * w, dtype, device);
        c.AllGather(mine, gathered);
        var expectedGather = ((arange(w * m, ScalarType.Float64, device) / m).floor() + 1).to(ScalarType.Float32);
        Expect("all-gather", dtype, gathered, expectedGather);

        // On the side stream (ZeRO-3's prefetch): its input is written just before on torch's stream, and a
        // reduce-scatter queued on torch's stream in the meantime must not disturb it.
        var ahead = empty(m * w, dtype, device);
        var source = zeros(m, dtype, device);
        source.add_(r + 1);
        var pending = c.StartAllGather(source, ahead);
        var between = (pattern * (r + 1)).to(dtype);
        var betweenOut = empty(n / w, dtype, device);
        c.ReduceScatterSum(between, betweenOut);
        pending.Wait();
        Expect("all-gather on the side stream", dtype, ahead, expectedGather);
        Expect("reduce-scatter beside it", dtype, betweenOut, pattern.narrow(0, r * (n / w), n / w) * ranksSum);

        // Gradient buckets (ZeRO 0-2 during backward): an all-reduce and a reduce to one owner on the side stream,
        // started right after their input is written on torch's stream.
        var bucket = zeros(n, dtype, device);
        bucket.add_(pattern * (r + 1));
        var reduced = c.StartAllReduceSum(bucket);
        var owned = zeros(n, dtype, device);
        owned.add_(pattern * (r + 1));
        var toOwner = c.StartReduceSum(owned, root: w - 1);
        reduced.Wait();
        toOwner.Wait();
        Expect("all-reduce on the side stream", dtype, bucket, pattern * ranksSum);
        if (r == w - 1) Expect("reduce to its owner on the side stream", dtype, owned, pattern * ranksSum);

        // ZeRO-3's layer gradients: a reduce-scatter on the side stream, then an all-gather prefetch queued behind it.
        var grads = zeros(n, dtype, device);
        grads.add_(pattern * (r + 1));
        var gradShare = empty(n / w, dtype, device);
        var scattering = c.StartReduceScatterSum(grads, gradShare);
        var next = empty(m * w, dtype, device);
        var nextGather = c.StartAllGather(source, next);
        scattering.Wait();
        nextGather.Wait();
        Expect("reduce-scatter on the side stream", dtype, gradShare, pattern.narrow(0, r * (n / w), n / w) * ranksSum);
        Expect("all-gather queued behind it", dtype, next, expectedGather);

        int root = w - 1;
        var b = r == root ? pattern.to(dtype) : zeros(n, dtype, device);
        c.Broadcast(b, root);
        Expect("broadcast", dtype, b, pattern);
    }

    private static void Expect(string what, ScalarType dtype, Tensor actual, Tensor expected, double tolerance = 0)
    {
        double error = (actual.to(ScalarType.Float32) - expected).abs().max().item<float>();
        if (error > tolerance) throw new InvalidOperationException($"{what} ({dtype}): largest difference from the expected values is {error}");
    }

    /// <summary>Bus bandwidth of a 1 GiB bf16 all-reduce (busbw = bytes / time * 2(W-1)/W, as nccl-tests reports it).</summary>
    public static string Bandwidth()
    {
        int world = World();
        if (world < 2) throw new GpuCheckSkipped("needs 2 GPUs");
        const long bytes = 1L << 30;
        const int warmup = 3, iterations = 10;
        var id = NcclUniqueId.Create();
        var lines = RankThreads.Run(world, rank =>
        {
            using var collective = NcclCollective.Create(rank, world, id, rank, Timeout);
            using var t = ones(bytes / 2, ScalarType.BFloat16, new Device(DeviceType.CUDA, rank));
            for (int i = 0; i < warmup; i++) collective.AllReduceSum(t);
            var stream = TorchCudaStream.Current(rank);
            using var start = CudaEvent.Create();
            using var end = CudaEvent.Create();
            double best = double.MaxValue, total = 0;
            for (int i = 0; i < iterations; i++)
            {
                t.fill_(1);
                start.Record(stream);
                collective.AllReduceSum(t);
                end.Record(stream);
                end.Synchronize();
                double ms = CudaEvent.ElapsedMilliseconds(start, end);
                best = Math.Min(best, ms);
                total += ms;
            }
            double mean = total / iterations;
            double busbw = bytes / (mean / 1000) * 2 * (world - 1) / world / 1e9;
            double bestBus = bytes / (best / 1000) * 2 * (world - 1) / world / 1e9;
            // As training groups run it: calls return once enqueued, so back-to-back calls leave no gaps the host's
            // completion polling would otherwise add.
            collective.WaitForCompletion = false;
            start.Record(stream);
            for (int i = 0; i < iterations; i++) collective.AllReduceSum(t);
            end.Record(stream);
            end.Synchronize();
            collective.WaitForCompletion = true;
            double ordered = CudaEvent.ElapsedMilliseconds(start, end) / iterations;
            double orderedBus = bytes / (ordered / 1000) * 2 * (world - 1) / world / 1e9;
            return $"rank {rank}: mean {mean:F2} ms, busbw {busbw:F0} GB/s (best {best:F2} ms, {bestBus:F0} GB/s); " +
                $"stream-ordered mean {ordered:F2} ms, busbw {orderedBus:F0} GB/s";
        }, Limit);
        return $"1 GiB bf16 all-reduce, world {world}: " + string.Join("; ", lines);
    }

    /// <summary>
    /// Rank 0 calls an all-reduce the other ranks never join: it must fail with CollectiveException within its
    /// 5 s timeout. Then Abort from another thread must end a waiting all-reduce (60 s timeout) at once.
    /// </summary>
    public static string AbortAndTimeout()
    {
        int world = World();
        if (world < 2) throw new GpuCheckSkipped("needs 2 GPUs (a one-rank all-reduce has no peer to miss)");
        var timeoutResult = Abandoned(world, TimeSpan.FromSeconds(5), abortAfter: null);
        var abortResult = Abandoned(world, TimeSpan.FromSeconds(60), abortAfter: TimeSpan.FromSeconds(1));
        return $"missing peer: {timeoutResult}; Abort from another thread: {abortResult}";
    }

    private static string Abandoned(int world, TimeSpan timeout, TimeSpan? abortAfter)
    {
        var id = NcclUniqueId.Create();
        using var finished = new ManualResetEventSlim();
        var lines = RankThreads.Run(world, rank =>
        {
            var collective = NcclCollective.Create(rank, world, id, rank, timeout);
            try
            {
                if (rank != 0)
                {
                    finished.Wait(Limit);
                    return $"rank {rank} stayed away";
                }
                using var t = ones(1 << 20, ScalarType.Float32, new Device(DeviceType.CUDA, rank));
                using var aborter = abortAfter is TimeSpan delay
                    ? new Timer(_ => collective.Abort("self-test operator abort"), null, delay, System.Threading.Timeout.InfiniteTimeSpan)
                    : null;
                var watch = Stopwatch.StartNew();
                try
                {
                    collective.AllReduceSum(t);
                    throw new InvalidOperationException("an all-reduce that a peer never joined completed");
                }
                catch (CollectiveException ex)
                {
                    var took = watch.Elapsed;
                    var expected = abortAfter ?? timeout;
                    if (took > expected + TimeSpan.FromSeconds(5))
                        throw new InvalidOperationException($"the failure came after {took.TotalSeconds:F1} s, expected about {expected.TotalSeconds:F0} s: {ex.Message}");
                    if (abortAfter is not null && !ex.Message.Contains("operator abort"))
                        throw new InvalidOperationException($"the failure does not carry the abort reason: {ex.Message}");
                    return $"failed after {took.TotalSeconds:F1} s as expected ({ex.Message})";
                }
            }
            finally
            {
                if (rank == 0) finished.Set();
                collective.Abort("self-test over");
                collective.Dispose();
            }
        }, Limit);
        return lines[0];
    }

    private static int World()
    {
        TorchRuntime.InitializeCuda();
        int count = CudaRuntime.DeviceCount();
        if (count == 0) throw new InvalidOperationException("no CUDA device");
        return count;
    }
}
