using System.Diagnostics;
using Athanor.Native.Cuda;

namespace Athanor.Native.Nccl;

/// <summary>
/// One rank's ncclComm_t. Created non-blocking (ncclCommInitRankConfig with blocking = 0) so no call ever
/// waits on a peer: init, collectives and finalize return ncclInProgress and their state is polled with
/// <see cref="AsyncError"/>. Every call on the handle is serialized by a lock, so <see cref="Abort"/> from
/// another thread cannot free the communicator under a call in progress. Launch methods only enqueue work on a
/// stream; waiting for it is the caller's job (<see cref="Athanor.Parallel.NcclCollective"/> does that).
/// </summary>
public sealed unsafe class NcclCommunicator : IDisposable
{
    private readonly Lock _gate = new();
    private IntPtr _comm;

    private NcclCommunicator(IntPtr comm, int rank, int worldSize, int device, bool nonBlocking)
    {
        _comm = comm;
        Rank = rank;
        WorldSize = worldSize;
        Device = device;
        NonBlocking = nonBlocking;
    }

    public int Rank { get; }
    public int WorldSize { get; }
    public int Device { get; }

    /// <summary>False only on NCCL older than 2.14 (no ncclCommInitRankConfig), where calls may block in NCCL.</summary>
    public bool NonBlocking { get; }

    public bool IsAlive => Volatile.Read(ref _comm) != IntPtr.Zero;

    /// <summary>
    /// Joins the communicator: cudaSetDevice(device) on the calling thread, then ncclCommInitRankConfig
    /// (non-blocking) polled until every rank has joined. Throws TimeoutException (communicator aborted) when the
    /// peers do not all arrive within timeout, OperationCanceledException when cancel fires, NcclException on errors.
    /// </summary>
    public static NcclCommunicator Init(int rank, int worldSize, NcclUniqueId id, int device, TimeSpan timeout, CancellationToken cancel = default)
    {
        if (worldSize < 1) throw new ArgumentOutOfRangeException(nameof(worldSize), worldSize, "world size must be at least 1");
        if (rank < 0 || rank >= worldSize) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in [0, {worldSize})");
        _ = NcclApi.Library.Handle; // a missing NCCL is reported before CUDA is touched
        CudaRuntime.SetDevice(device);
        return NcclApi.HasCommInitRankConfig
            ? InitNonBlocking(rank, worldSize, id, device, timeout, cancel)
            : InitBlocking(rank, worldSize, id, device, timeout);
    }

    private static NcclCommunicator InitNonBlocking(int rank, int worldSize, NcclUniqueId id, int device, TimeSpan timeout, CancellationToken cancel)
    {
        var config = NcclConfig.NonBlocking();
        IntPtr comm = IntPtr.Zero;
        int rc = NcclApi.CommInitRankConfig(&comm, worldSize, id, rank, &config);
        if (rc != (int)NcclResult.Success && rc != (int)NcclResult.InProgress)
        {
            var error = Nccl.Describe(rc, $"ncclCommInitRankConfig(rank {rank} of {worldSize}, device {device})", comm);
            if (comm != IntPtr.Zero) NcclApi.CommAbort(comm);
            throw error;
        }
        var communicator = new NcclCommunicator(comm, rank, worldSize, device, nonBlocking: true);
        try
        {
            communicator.WaitUntilReady($"ncclCommInitRankConfig(rank {rank} of {worldSize}, device {device})", timeout, cancel);
            return communicator;
        }
        catch
        {
            communicator.Abort();
            throw;
        }
    }

    /// <summary>NCCL before 2.14: blocking init on a worker thread, so a missing peer costs a timeout, not a hang (the worker is left behind).</summary>
    private static NcclCommunicator InitBlocking(int rank, int worldSize, NcclUniqueId id, int device, TimeSpan timeout)
    {
        var init = Task.Factory.StartNew(() =>
        {
            CudaRuntime.SetDevice(device);
            IntPtr comm;
            Nccl.Check(NcclApi.CommInitRank(&comm, worldSize, id, rank), $"ncclCommInitRank(rank {rank} of {worldSize}, device {device})");
            return comm;
        }, TaskCreationOptions.LongRunning);
        if (!init.Wait(timeout))
            throw new TimeoutException($"ncclCommInitRank(rank {rank} of {worldSize}, device {device}) did not finish within {timeout.TotalSeconds:F0} s: not every rank joined");
        return new NcclCommunicator(init.Result, rank, worldSize, device, nonBlocking: false);
    }

    /// <summary>Polls ncclCommGetAsyncError until the communicator leaves ncclInProgress; throws on errors, timeout or cancel.</summary>
    public void WaitUntilReady(string what, TimeSpan timeout, CancellationToken cancel = default)
    {
        long start = Stopwatch.GetTimestamp();
        for (int spin = 0; ; spin++)
        {
            var state = AsyncError();
            if (state == NcclResult.Success) return;
            if (state != NcclResult.InProgress) throw Nccl.Describe((int)state, what, HandleOrZero);
            cancel.ThrowIfCancellationRequested();
            var elapsed = Stopwatch.GetElapsedTime(start);
            if (elapsed > timeout)
                throw new TimeoutException($"{what} did not finish within {timeout.TotalSeconds:F1} s: not every rank joined or progressed");
            Backoff(elapsed);
        }
    }

    /// <summary>ncclCommGetAsyncError: Success, InProgress (a non-blocking call still running) or the error that broke the communicator.</summary>
    public NcclResult AsyncError()
    {
        lock (_gate)
        {
            var comm = Handle;
            int state;
            Nccl.Check(NcclApi.CommGetAsyncError(comm, &state), "ncclCommGetAsyncError", comm);
            return (NcclResult)state;
        }
    }

    /// <summary>NCCL's last detailed error for this communicator, if any.</summary>
    public string? LastError() => Nccl.LastError(HandleOrZero);

    /// <summary>Enqueues an all-reduce on stream; true while NCCL is still launching it (non-blocking), false once enqueued.</summary>
    public bool AllReduce(IntPtr send, IntPtr receive, long count, NcclDataType type, NcclReduceOp op, IntPtr stream) =>
        Launch(comm => NcclApi.AllReduce(send, receive, (nuint)count, (int)type, (int)op, comm, stream), "ncclAllReduce");

    /// <summary>Enqueues a reduce-scatter: rank i receives block i (receiveCount elements) of the reduced send buffer.</summary>
    public bool ReduceScatter(IntPtr send, IntPtr receive, long receiveCount, NcclDataType type, NcclReduceOp op, IntPtr stream) =>
        Launch(comm => NcclApi.ReduceScatter(send, receive, (nuint)receiveCount, (int)type, (int)op, comm, stream), "ncclReduceScatter");

    /// <summary>Enqueues an all-gather: rank i's sendCount elements land at offset i*sendCount of receive.</summary>
    public bool AllGather(IntPtr send, IntPtr receive, long sendCount, NcclDataType type, IntPtr stream) =>
        Launch(comm => NcclApi.AllGather(send, receive, (nuint)sendCount, (int)type, comm, stream), "ncclAllGather");

    /// <summary>Enqueues a broadcast of root's send buffer into every rank's receive buffer.</summary>
    public bool Reduce(IntPtr send, IntPtr receive, long count, NcclDataType type, NcclReduceOp op, int root, IntPtr stream) =>
        Launch(comm => NcclApi.Reduce(send, receive, (nuint)count, (int)type, (int)op, root, comm, stream), $"ncclReduce(root {root})");

    public bool Broadcast(IntPtr send, IntPtr receive, long count, NcclDataType type, int root, IntPtr stream) =>
        Launch(comm => NcclApi.Broadcast(send, receive, (nuint)count, (int)type, root, comm, stream), $"ncclBroadcast(root {root})");

    private bool Launch(Func<IntPtr, int> call, string function)
    {
        if (!NonBlocking) return Nccl.CheckInProgress(call(Handle), function, HandleOrZero);
        lock (_gate)
        {
            var comm = Handle;
            return Nccl.CheckInProgress(call(comm), function, comm);
        }
    }

    /// <summary>
    /// ncclCommAbort: stops whatever this rank has in flight on the GPU and frees the communicator. Safe from any
    /// thread and idempotent; peers notice through their own timeouts or errors.
    /// </summary>
    public void Abort()
    {
        if (!NonBlocking)
        {
            // A blocking communicator may sit inside NCCL holding nothing we could wait for: NCCL documents
            // ncclCommAbort from another thread as the way to release it.
            var blockingComm = Interlocked.Exchange(ref _comm, IntPtr.Zero);
            if (blockingComm != IntPtr.Zero) NcclApi.CommAbort(blockingComm);
            return;
        }
        lock (_gate)
        {
            var comm = Interlocked.Exchange(ref _comm, IntPtr.Zero);
            if (comm != IntPtr.Zero) NcclApi.CommAbort(comm);
        }
    }

    /// <summary>
    /// Orderly shutdown: ncclCommFinalize (flushes and waits for the peers, polled up to timeout) then
    /// ncclCommDestroy; falls back to ncclCommAbort when finalize fails or times out.
    /// </summary>
    public void Destroy(TimeSpan timeout)
    {
        if (!IsAlive) return;
        bool finalized = false;
        if (NonBlocking && NcclApi.HasCommFinalize)
        {
            try
            {
                lock (_gate) Nccl.CheckInProgress(NcclApi.CommFinalize(Handle), "ncclCommFinalize", Handle);
                WaitUntilReady("ncclCommFinalize", timeout);
                finalized = true;
            }
            catch (Exception ex) when (ex is NcclException or TimeoutException or ObjectDisposedException) { }
        }
        else finalized = true;
        if (!finalized) { Abort(); return; }
        lock (_gate)
        {
            var comm = Interlocked.Exchange(ref _comm, IntPtr.Zero);
            if (comm != IntPtr.Zero && NcclApi.CommDestroy(comm) != (int)NcclResult.Success)
                NcclApi.CommAbort(comm);
        }
    }

    public void Dispose() => Destroy(TimeSpan.FromSeconds(10));

    private IntPtr Handle
    {
        get
        {
            var comm = Volatile.Read(ref _comm);
            return comm != IntPtr.Zero ? comm : throw new ObjectDisposedException(nameof(NcclCommunicator), $"rank {Rank}'s NCCL communicator was aborted or destroyed");
        }
    }

    private IntPtr HandleOrZero => Volatile.Read(ref _comm);

    /// <summary>Spin briefly (collectives often finish in microseconds), then yield the core.</summary>
    internal static void Backoff(TimeSpan elapsed)
    {
        if (elapsed < TimeSpan.FromMilliseconds(2)) Thread.SpinWait(64);
        else if (elapsed < TimeSpan.FromMilliseconds(20)) Thread.Yield();
        else Thread.Sleep(1);
    }
}
