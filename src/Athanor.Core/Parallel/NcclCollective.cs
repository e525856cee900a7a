using System.Diagnostics;
using Athanor.Native;
using Athanor.Native.Cuda;
using Athanor.Native.Nccl;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Parallel;

/// <summary>
/// <see cref="ICollective"/> over NCCL, one rank per process or per thread, one GPU per rank. Every call is
/// launched on torch's current stream of the rank's device, so it is ordered after the kernels that produced
/// its tensors and before the ones that use its results, with no extra synchronization. By default each call is
/// then waited for: an event recorded after the launch is polled together with ncclCommGetAsyncError. With
/// <see cref="WaitForCompletion"/> off (training groups), a call returns once enqueued, so the host keeps queueing
/// work ahead of the GPU, and a watchdog thread aborts the communicator when the newest call has not completed
/// within the timeout. A call that outlives the timeout, an asynchronous NCCL error or <see cref="Abort"/> from
/// any thread aborts the communicator and fails with <see cref="CollectiveException"/> saying which operation,
/// after how long, and what NCCL said; the collective is unusable afterwards.
/// </summary>
public sealed class NcclCollective : ICollective
{
    private readonly NcclCommunicator _comm;
    private readonly CudaEvent _done;
    private volatile string? _abortReason;
    private Tensor? _barrier;

    private NcclCollective(NcclCommunicator comm, CudaEvent done, TimeSpan timeout)
    {
        _comm = comm;
        _done = done;
        Timeout = timeout;
    }

    private Timer? _watchdog;
    private (string Operation, long Bytes, long LaunchedAt)? _inFlight;
    private readonly Lock _inFlightGate = new();

    /// <summary>
    /// Whether each call returns only once the GPU has finished it (the default). Off, calls return once enqueued
    /// on torch's stream (results are used by later kernels on the same stream, so nothing is lost), the host never
    /// stalls on a collective, and a watchdog checks every second that the newest one completes within the timeout.
    /// </summary>
    public bool WaitForCompletion
    {
        get => _watchdog is null;
        set
        {
            if (value == WaitForCompletion) return;
            if (value) { _watchdog?.Dispose(); _watchdog = null; }
            else _watchdog = new Timer(_ => Watch(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        }
    }

    public int Rank => _comm.Rank;
    public int WorldSize => _comm.WorldSize;
    public int Device => _comm.Device;
    public TimeSpan Timeout { get; }

    /// <summary>
    /// Joins the group (every rank calls this with the same id, made once by rank 0 with
    /// <see cref="NcclUniqueId.Create"/>). Makes device current on the calling thread. Needs CUDA brought up by
    /// <see cref="TorchRuntime.InitializeCuda"/>. Fails with CollectiveException when the group does not form within timeout.
    /// </summary>
    public static NcclCollective Create(int rank, int worldSize, NcclUniqueId id, int device, TimeSpan timeout, CancellationToken cancel = default)
    {
        if (timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "the collective timeout must be positive");
        NcclCommunicator comm;
        try { comm = NcclCommunicator.Init(rank, worldSize, id, device, timeout, cancel); }
        catch (Exception ex) when (ex is TimeoutException or NcclException)
        {
            throw new CollectiveException($"rank {rank}: NCCL group of {worldSize} on cuda:{device} did not form: {ex.Message}", ex);
        }
        try
        {
            // Created after cudaSetDevice, so it belongs to the device whose stream it is recorded on.
            return new NcclCollective(comm, CudaEvent.Create(timing: false), timeout);
        }
        catch
        {
            comm.Abort();
            throw;
        }
    }

    public void AllReduceSum(Tensor tensor) => AllReduce(tensor, NcclReduceOp.Sum);

    /// <summary>Averages a tensor across ranks in place (NCCL's ncclAvg: sum then divide by W in the reduction).</summary>
    public void AllReduceAverage(Tensor tensor) => AllReduce(tensor, NcclReduceOp.Avg);

    public void AllReduce(Tensor tensor, NcclReduceOp op)
    {
        var (address, type) = Buffer(tensor, nameof(tensor));
        long count = tensor.numel();
        Run($"all-reduce {op}", count * tensor.ElementSize, stream => _comm.AllReduce(address, address, count, type, op, stream));
    }

    public void ReduceScatterSum(Tensor input, Tensor output)
    {
        var (bytes, launch) = Scattering(input, output);
        Run("reduce-scatter", bytes, launch);
    }

    /// <summary>The reduce-scatter on the side stream (ZeRO-3: a layer's gradients reduced while the layer before it computes).</summary>
    public PendingCollective StartReduceScatterSum(Tensor input, Tensor output)
    {
        var (bytes, launch) = Scattering(input, output);
        return OnSideStream("reduce-scatter (overlapped)", bytes, launch);
    }

    /// <summary>A reduce-scatter's checked buffers: its size in bytes and the launch on a given stream.</summary>
    private (long Bytes, Func<IntPtr, bool> Launch) Scattering(Tensor input, Tensor output)
    {
        var (send, type) = Buffer(input, nameof(input));
        var (receive, outType) = Buffer(output, nameof(output));
        long n = input.numel();
        if (n % WorldSize != 0)
            throw new ArgumentException($"reduce-scatter input of {n} elements is not divisible by world size {WorldSize}", nameof(input));
        long share = n / WorldSize;
        if (output.numel() != share)
            throw new ArgumentException($"reduce-scatter output holds {output.numel()} elements; expected {n} / {WorldSize} = {share}", nameof(output));
        if (outType != type) throw new ArgumentException($"reduce-scatter input is {input.dtype} but output is {output.dtype}", nameof(output));
        return (n * input.ElementSize, stream => _comm.ReduceScatter(send, receive, share, type, NcclReduceOp.Sum, stream));
    }

    public void AllGather(Tensor input, Tensor output)
    {
        var (bytes, launch) = Gathering(input, output);
        Run("all-gather", bytes, launch);
    }

    /// <summary>An all-gather's checked buffers: its size in bytes and the launch on a given stream.</summary>
    private (long Bytes, Func<IntPtr, bool> Launch) Gathering(Tensor input, Tensor output)
    {
        var (send, type) = Buffer(input, nameof(input));
        var (receive, outType) = Buffer(output, nameof(output));
        long n = input.numel();
        if (output.numel() != n * WorldSize)
            throw new ArgumentException($"all-gather output holds {output.numel()} elements; expected {n} x {WorldSize}", nameof(output));
        if (outType != type) throw new ArgumentException($"all-gather input is {input.dtype} but output is {output.dtype}", nameof(output));
        return (n * WorldSize * input.ElementSize, stream => _comm.AllGather(send, receive, n, type, stream));
    }

    /// <summary>
    /// The all-gather on the collective's side stream: it starts once the work queued so far on torch's stream (which
    /// produced input and allocated output) is done, and runs alongside the kernels queued after it. ZeRO-3 gathers
    /// the next layer this way while the current one computes. NCCL runs one communicator's operations one at a
    /// time, in the order every rank issued them, so a reduce-scatter queued meanwhile on torch's stream waits its turn.
    /// </summary>
    public PendingCollective StartAllGather(Tensor input, Tensor output)
    {
        var (bytes, launch) = Gathering(input, output);
        return OnSideStream("all-gather (prefetch)", bytes, launch);
    }

    /// <summary>An all-reduce on the side stream (gradient buckets reduced while backward still runs).</summary>
    public PendingCollective StartAllReduceSum(Tensor tensor)
    {
        var (address, type) = Buffer(tensor, nameof(tensor));
        long count = tensor.numel();
        return OnSideStream("all-reduce (bucket)", count * tensor.ElementSize, stream => _comm.AllReduce(address, address, count, type, NcclReduceOp.Sum, stream));
    }

    /// <summary>An in-place reduce to root on the side stream (ZeRO-2's gradient buckets: each sums onto its shard's owner).</summary>
    public PendingCollective StartReduceSum(Tensor tensor, int root)
    {
        if (root < 0 || root >= WorldSize) throw new ArgumentOutOfRangeException(nameof(root), root, $"root must be a rank in [0, {WorldSize})");
        var (address, type) = Buffer(tensor, nameof(tensor));
        long count = tensor.numel();
        return OnSideStream($"reduce to rank {root} (bucket)", count * tensor.ElementSize, stream => _comm.Reduce(address, address, count, type, NcclReduceOp.Sum, root, stream));
    }

    /// <summary>
    /// Launches on the collective's side stream once the work queued so far on torch's stream (which produced the
    /// inputs and allocated the outputs) is done; runs alongside the kernels queued after it. NCCL runs one
    /// communicator's operations one at a time, in the order every rank issued them, so a collective queued
    /// meanwhile on torch's stream waits its turn.
    /// </summary>
    private PendingCollective OnSideStream(string operation, long bytes, Func<IntPtr, bool> launch)
    {
        CudaRuntime.SetDevice(Device);
        _side ??= CudaStream.CreateNonBlocking();
        using (var ready = CudaEvent.Create(timing: false))
        {
            ready.Record(TorchCudaStream.Current(Device));
            ready.MakeWait(_side.Handle);
        }
        // Never waited for here: a stuck peer shows up in the next call on torch's stream, which waits for this one.
        Run(operation, bytes, launch, wait: false, on: _side.Handle);
        var done = CudaEvent.Create(timing: false);
        done.Record(_side.Handle);
        return new PendingCollective(done, Device);
    }

    private CudaStream? _side;

    public void Broadcast(Tensor tensor, int root)
    {
        if (root < 0 || root >= WorldSize) throw new ArgumentOutOfRangeException(nameof(root), root, $"root must be a rank in [0, {WorldSize})");
        var (address, type) = Buffer(tensor, nameof(tensor));
        long count = tensor.numel();
        Run($"broadcast from rank {root}", count * tensor.ElementSize, stream => _comm.Broadcast(address, address, count, type, root, stream));
    }

    /// <summary>Returns only once every rank has reached it and this rank's GPU has finished everything before it.</summary>
    public void Barrier()
    {
        _barrier ??= zeros(1, ScalarType.Float32, device: new Device(DeviceType.CUDA, Device));
        var (address, type) = Buffer(_barrier, "barrier");
        Run("barrier all-reduce", 4, stream => _comm.AllReduce(address, address, 1, type, NcclReduceOp.Sum, stream), wait: true);
    }

    /// <summary>Aborts the communicator: a call waiting on another thread fails at once, later calls fail immediately.</summary>
    public void Abort(string reason)
    {
        _abortReason ??= reason;
        _comm.Abort();
    }

    public void Dispose()
    {
        _watchdog?.Dispose();
        _watchdog = null;
        _barrier?.Dispose();
        _barrier = null;
        if (_abortReason is null) _comm.Destroy(Timeout);
        else _comm.Abort();
        _done.Dispose();
        _side?.Dispose();
        _side = null;
    }

    /// <summary>Launches one NCCL call on torch's current stream and waits for it (see the class summary).</summary>
    private void Run(string operation, long bytes, Func<IntPtr, bool> launch, bool? wait = null, IntPtr? on = null)
    {
        ThrowIfAborted(operation, TimeSpan.Zero);
        long start = Stopwatch.GetTimestamp();
        try
        {
            CudaRuntime.SetDevice(Device);
            var stream = on ?? TorchCudaStream.Current(Device);
            bool launching = launch(stream);
            // Non-blocking NCCL may still be enqueuing: an event recorded now would complete too early.
            while (launching)
            {
                var state = Poll(operation, bytes, start);
                if (state == NcclResult.Success) launching = false;
            }
            _done.Record(stream);
            if (!(wait ?? WaitForCompletion))
            {
                lock (_inFlightGate) _inFlight = (operation, bytes, Stopwatch.GetTimestamp());
                var state = _comm.AsyncError();
                if (state != NcclResult.Success && state != NcclResult.InProgress)
                    throw Fail(operation, bytes, start, $"{NcclException.NameOf((int)state)}: {Nccl.ErrorString((int)state)}");
                return;
            }
            while (!_done.IsComplete()) Poll(operation, bytes, start);
            var final = _comm.AsyncError();
            if (final != NcclResult.Success && final != NcclResult.InProgress)
                throw Fail(operation, bytes, start, $"{NcclException.NameOf((int)final)}: {Nccl.ErrorString((int)final)}");
        }
        catch (ObjectDisposedException) when (_abortReason is not null)
        {
            ThrowIfAborted(operation, Stopwatch.GetElapsedTime(start));
            throw;
        }
        catch (NcclException ex)
        {
            throw Fail(operation, bytes, start, ex.Message, ex);
        }
        catch (CudaException ex)
        {
            throw Fail(operation, bytes, start, ex.Message, ex);
        }
    }

    /// <summary>
    /// The watchdog of a collective that does not wait: aborts when the newest enqueued call has not completed within
    /// the timeout (a peer is missing or stuck), or when NCCL reports an asynchronous error. Events complete in
    /// stream order, so the newest one done means every earlier one is too.
    /// </summary>
    private void Watch()
    {
        if (_abortReason is not null || !_comm.IsAlive) return;
        (string Operation, long Bytes, long LaunchedAt)? flight;
        lock (_inFlightGate) flight = _inFlight;
        if (flight is not { } f) return;
        try
        {
            if (_done.IsComplete())
            {
                lock (_inFlightGate) if (_inFlight == flight) _inFlight = null;
                return;
            }
            var state = _comm.AsyncError();
            var waited = Stopwatch.GetElapsedTime(f.LaunchedAt);
            if (state != NcclResult.Success && state != NcclResult.InProgress)
                Abort($"NCCL {f.Operation} of {f.Bytes} bytes failed: {NcclException.NameOf((int)state)}: {Nccl.ErrorString((int)state)}");
            else if (waited > Timeout)
                Abort($"NCCL {f.Operation} of {f.Bytes} bytes did not complete within the {Timeout.TotalSeconds:F1} s timeout (a peer is missing, stuck or out of step)");
        }
        catch (Exception ex) when (ex is ObjectDisposedException or CudaException or NcclException) { }
    }

    /// <summary>One polling step: abort, async error and timeout checks, then a short backoff. Returns NCCL's state.</summary>
    private NcclResult Poll(string operation, long bytes, long start)
    {
        var elapsed = Stopwatch.GetElapsedTime(start);
        ThrowIfAborted(operation, elapsed);
        var state = _comm.AsyncError();
        if (state != NcclResult.Success && state != NcclResult.InProgress)
            throw Fail(operation, bytes, start, $"{NcclException.NameOf((int)state)}: {Nccl.ErrorString((int)state)}");
        if (elapsed > Timeout)
            throw Fail(operation, bytes, start, $"did not complete within the {Timeout.TotalSeconds:F1} s timeout (a peer is missing, stuck or out of step)");
        NcclCommunicator.Backoff(elapsed);
        return state;
    }

    private CollectiveException Fail(string operation, long bytes, long start, string what, Exception? inner = null)
    {
        var elapsed = Stopwatch.GetElapsedTime(start);
        var detail = _comm.IsAlive ? _comm.LastError() : null;
        _abortReason ??= $"NCCL {operation} failed";
        _comm.Abort();
        return new CollectiveException(
            $"rank {Rank} of {WorldSize} (cuda:{Device}): NCCL {operation} of {bytes} bytes failed after {elapsed.TotalSeconds:F2} s: {what}" +
            (string.IsNullOrWhiteSpace(detail) ? "" : $". NCCL says: {detail.Trim()}") + ". The communicator was aborted.", inner);
    }

    private void ThrowIfAborted(string operation, TimeSpan elapsed)
    {
        if (_abortReason is string reason)
            throw new CollectiveException(
                $"rank {Rank} of {WorldSize} (cuda:{Device}): NCCL {operation} aborted" +
                (elapsed > TimeSpan.Zero ? $" after {elapsed.TotalSeconds:F2} s" : "") + $": {reason}");
    }

    private (IntPtr Address, NcclDataType Type) Buffer(Tensor tensor, string name)
    {
        if (tensor.device_type != DeviceType.CUDA || tensor.device_index != Device)
            throw new ArgumentException($"rank {Rank}'s NCCL collective works on cuda:{Device} tensors; {name} is on {tensor.device}", name);
        var type = NcclDataTypes.From(tensor.dtype);
        return (TensorMemory.Address(tensor), type);
    }
}
