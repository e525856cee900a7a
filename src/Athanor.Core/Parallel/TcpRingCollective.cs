using System.Net;
using System.Net.Sockets;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Parallel;

/// <summary>
/// Ring collectives over TCP for CPU runs and tests: each rank keeps one connection to the next rank
/// and one from the previous, and every operation is a bandwidth-optimal ring (reduce-scatter then
/// all-gather), as NCCL does within a node. Each socket operation has a timeout and Abort closes the
/// sockets, so a dead peer turns into a <see cref="CollectiveException"/>, never a hang.
/// </summary>
public sealed class TcpRingCollective : ICollective
{
    private readonly Socket _toNext;
    private readonly Socket _fromPrev;
    private readonly NetworkStream _send;
    private readonly NetworkStream _receive;
    private volatile string? _abortReason;

    private TcpRingCollective(int rank, int worldSize, Socket toNext, Socket fromPrev)
    {
        Rank = rank;
        WorldSize = worldSize;
        _toNext = toNext;
        _fromPrev = fromPrev;
        _send = new NetworkStream(toNext, ownsSocket: false);
        _receive = new NetworkStream(fromPrev, ownsSocket: false);
    }

    public int Rank { get; }
    public int WorldSize { get; }

    /// <summary>
    /// Joins the ring: connects to the next rank's endpoint and accepts the previous rank on listener
    /// (bound before the endpoints were exchanged). Both neighbours prove the attempt's secret
    /// (<see cref="RingHandshake"/>), which keeps stray, stale and foreign peers out.
    /// </summary>
    public static ICollective Connect(int rank, IReadOnlyList<IPEndPoint> endpoints, TcpListener listener, RingCredentials credentials, TimeSpan timeout)
    {
        int world = endpoints.Count;
        if (world == 1) { listener.Stop(); return new SingleRankCollective(); }
        var deadline = DateTime.UtcNow + timeout;
        var accept = Task.Run(() => AcceptPrevious(listener, rank, world, credentials, deadline));
        Socket toNext;
        try { toNext = ConnectNext(endpoints[(rank + 1) % world], rank, world, credentials, deadline); }
        catch { listener.Stop(); throw; }
        Socket fromPrev;
        try { fromPrev = accept.GetAwaiter().GetResult(); }
        catch (Exception ex)
        {
            toNext.Dispose();
            throw new CollectiveException($"rank {rank}: rank {(rank + world - 1) % world} did not connect within {timeout.TotalSeconds:F0}s", ex);
        }
        finally { listener.Stop(); }
        foreach (var s in new[] { toNext, fromPrev })
        {
            s.NoDelay = true;
            s.ReceiveTimeout = s.SendTimeout = (int)Math.Min(int.MaxValue, timeout.TotalMilliseconds);
            s.SendBufferSize = s.ReceiveBufferSize = 4 << 20;
        }
        return new TcpRingCollective(rank, world, toNext, fromPrev);
    }

    private static Socket ConnectNext(IPEndPoint next, int rank, int world, RingCredentials credentials, DateTime deadline)
    {
        while (true)
        {
            var socket = new Socket(next.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Connect(next);
                socket.ReceiveTimeout = HandshakeTimeout(deadline);
                if (RingHandshake.Connect(socket, credentials, rank, (rank + 1) % world) is { } refused)
                {
                    socket.Dispose();
                    throw new CollectiveException($"rank {rank}: the peer at {next} is not the next rank of this attempt: {refused}");
                }
                return socket;
            }
            catch (Exception ex) when (ex is SocketException or IOException && DateTime.UtcNow < deadline)
            {
                socket.Dispose(); // not listening yet, or the previous attempt's listener turned us away: try again
                Thread.Sleep(50);
            }
            catch (Exception ex) when (ex is SocketException or IOException)
            {
                socket.Dispose();
                throw new CollectiveException($"rank {rank}: cannot reach the next rank at {next}: {ex.Message}", ex);
            }
        }
    }

    /// <summary>One handshake may take at most 10 s, so a silent stranger cannot hold the accept loop for the whole timeout.</summary>
    private static int HandshakeTimeout(DateTime deadline) =>
        (int)Math.Clamp((deadline - DateTime.UtcNow).TotalMilliseconds, 1, 10_000);

    private static Socket AcceptPrevious(TcpListener listener, int rank, int world, RingCredentials credentials, DateTime deadline)
    {
        int expected = (rank + world - 1) % world;
        while (true)
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero) throw new TimeoutException("no connection from the previous rank");
            using var cts = new CancellationTokenSource(remaining);
            var socket = listener.AcceptSocketAsync(cts.Token).AsTask().GetAwaiter().GetResult();
            socket.ReceiveTimeout = socket.SendTimeout = HandshakeTimeout(deadline);
            try
            {
                if (RingHandshake.Accept(socket, credentials, expected, rank)) return socket;
            }
            catch (Exception ex) when (ex is SocketException or IOException) { }
            socket.Dispose(); // a stray, stale or unauthenticated peer: keep waiting for the right one
        }
    }

    // GPU tensors travel through host copies: this collective is for CPU runs, tests and a GPU fallback.
    public void AllReduceSum(Tensor tensor)
    {
        if (OnDevice(tensor)) { using var host = tensor.cpu(); AllReduceSum(host); tensor.copy_(host); return; }
        using var flat = Flat(tensor);
        ReduceScatterInPlace(flat);
        AllGatherInPlace(flat);
    }

    public void ReduceScatterSum(Tensor input, Tensor output)
    {
        if (OnDevice(output)) { using var host = output.cpu(); ReduceScatterSum(input, host); output.copy_(host); return; }
        using var work = input.flatten().cpu().clone();
        if (work.numel() % WorldSize != 0)
            throw new ArgumentException($"reduce-scatter input of {work.numel()} elements is not divisible by world size {WorldSize}");
        ReduceScatterInPlace(work);
        using var mine = Chunk(work, Rank);
        using var target = output.view(-1);
        target.copy_(mine);
    }

    public void AllGather(Tensor input, Tensor output)
    {
        if (OnDevice(output)) { using var host = output.cpu(); AllGather(input, host); output.copy_(host); return; }
        using var flat = Flat(output);
        if (flat.numel() != input.numel() * WorldSize)
            throw new ArgumentException($"all-gather output holds {flat.numel()} elements; expected {input.numel()} x {WorldSize}");
        using (var mine = Chunk(flat, Rank)) mine.copy_(input.reshape(-1)); // copy_ also brings a GPU input over
        AllGatherInPlace(flat);
    }

    public void Broadcast(Tensor tensor, int root)
    {
        if (OnDevice(tensor)) { using var host = tensor.cpu(); Broadcast(host, root); tensor.copy_(host); return; }
        using var flat = Flat(tensor);
        int next = (Rank + 1) % WorldSize;
        if (Rank != root) Receive(flat);
        if (next != root) Send(flat);
    }

    public void Barrier()
    {
        using var one = ones(1);
        AllReduceSum(one);
    }

    /// <summary>Ring reduce-scatter over W equal-ish chunks; afterwards this rank's chunk Rank holds the full sum.</summary>
    private void ReduceScatterInPlace(Tensor flat)
    {
        int w = WorldSize;
        for (int s = 0; s < w - 1; s++)
        {
            using var outgoing = Chunk(flat, Mod(Rank - s - 1));
            using var incoming = Chunk(flat, Mod(Rank - s - 2));
            using var scratch = empty_like(incoming);
            Exchange(outgoing, scratch);
            incoming.add_(scratch);
        }
    }

    /// <summary>Ring all-gather: starting from this rank's chunk, every chunk travels once around the ring.</summary>
    private void AllGatherInPlace(Tensor flat)
    {
        for (int s = 0; s < WorldSize - 1; s++)
        {
            using var outgoing = Chunk(flat, Mod(Rank - s));
            using var incoming = Chunk(flat, Mod(Rank - s - 1));
            Exchange(outgoing, incoming);
        }
    }

    private int Mod(int i) => ((i % WorldSize) + WorldSize) % WorldSize;

    private Tensor Chunk(Tensor flat, int index)
    {
        long n = flat.numel();
        long start = n * index / WorldSize, end = n * (index + 1) / WorldSize;
        return flat.narrow(0, start, end - start);
    }

    private static bool OnDevice(Tensor tensor) => tensor.device_type != DeviceType.CPU;

    private static Tensor Flat(Tensor tensor)
    {
        if (!tensor.is_contiguous()) throw new ArgumentException("collectives need contiguous tensors");
        return tensor.view(-1);
    }

    /// <summary>Sends one buffer to the next rank while receiving one from the previous (both at once, so large buffers cannot deadlock).</summary>
    private void Exchange(Tensor outgoing, Tensor incoming)
    {
        var sending = Task.Run(() => Send(outgoing));
        Exception? receiveError = null;
        try { Receive(incoming); }
        catch (Exception ex) { receiveError = ex; }
        try { sending.GetAwaiter().GetResult(); }
        catch (Exception ex) when (receiveError is null) { receiveError = ex; }
        catch (Exception) { }
        if (receiveError is not null) throw receiveError;
    }

    private void Send(Tensor t)
    {
        CheckAbort();
        try { _send.Write(t.bytes); }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException) { throw Failure("send to", (Rank + 1) % WorldSize, ex); }
    }

    private void Receive(Tensor t)
    {
        CheckAbort();
        try { _receive.ReadExactly(t.bytes); }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or EndOfStreamException) { throw Failure("receive from", Mod(Rank - 1), ex); }
    }

    private CollectiveException Failure(string what, int peer, Exception ex) =>
        _abortReason is string reason
            ? new CollectiveException($"rank {Rank}: collective aborted: {reason}", ex)
            : new CollectiveException($"rank {Rank}: {what} rank {peer} failed: {ex.Message}", ex);

    private void CheckAbort()
    {
        if (_abortReason is string reason) throw new CollectiveException($"rank {Rank}: collective aborted: {reason}");
    }

    public void Abort(string reason)
    {
        _abortReason ??= reason;
        try { _toNext.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        try { _fromPrev.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        _toNext.Dispose();
        _fromPrev.Dispose();
    }

    public void Dispose()
    {
        _send.Dispose();
        _receive.Dispose();
        _toNext.Dispose();
        _fromPrev.Dispose();
    }
}
